import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectors } from '@scrubline/core';
import { evalPiiCommand, piiEvalPlugin } from '@scrubline/pii-eval';

function sink() {
  const s = new PassThrough();
  let data = '';
  s.on('data', (c) => (data += c));
  return { s, text: () => data };
}

async function run(argv: string[], cwd: string) {
  const out = sink();
  const err = sink();
  const code = await evalPiiCommand.run({ argv, stdin: new PassThrough(), stdout: out.s, stderr: err.s, cwd, env: {}, rulesDir: join(cwd, 'rules') });
  return { code, stdout: out.text(), stderr: err.text() };
}

const dir = mkdtempSync(join(tmpdir(), 'eval-pii-'));
writeFileSync(
  join(dir, 'gold.jsonl'),
  [
    { id: 'a', text: '电话13812345678', spans: [{ type: 'PHONE', start: 2, end: 13 }] },
    { id: 'b', text: 'QQ 87654321 邮箱x9@qq.com', spans: [{ type: 'QQ', start: 3, end: 11 }, { type: 'EMAIL', start: 14, end: 23 }] },
    { id: 'c', text: '版本1.2.3.4', spans: [] },
  ]
    .map((x) => JSON.stringify(x))
    .join('\n') + '\n',
);
writeFileSync(
  join(dir, 'pred.jsonl'),
  [
    { id: 'a', spans: [{ type: 'PHONE', start: 2, end: 13, score: 0.99, rule: 'phone.cn.mobile' }] },
    { id: 'b', spans: [{ type: 'EMAIL', start: 14, end: 23 }] },
    { id: 'c', spans: [{ type: 'IP', start: 2, end: 9 }] },
  ]
    .map((x) => JSON.stringify(x))
    .join('\n') + '\n',
);

describe('scrubline eval-pii', () => {
  it('is exported as a plugin command', () => {
    expect(piiEvalPlugin.commands?.map((c) => c.name)).toEqual(['eval-pii']);
  });

  it('prints JSON with per-type and overall numbers', async () => {
    const r = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--json'], dir);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    // gold 3, pred 3; matched: PHONE, EMAIL; QQ missed; IP false alarm
    expect(j.overall.exact).toMatchObject({ gold: 3, pred: 3, matchedGold: 2, matchedPred: 2 });
    expect(j.types.map((t: any) => t.type)).toEqual(['PHONE', 'EMAIL', 'IP', 'QQ']);
    expect(j.overall.leak).toMatchObject({ goldChars: 11 + 8 + 7, leakedChars: 8 });
    expect(j.misses).toHaveLength(1);
    expect(j.falseAlarms[0]).toMatchObject({ id: 'c', type: 'IP' });
    for (const v of ['13812345678', '87654321', 'x9@qq.com']) expect(r.stdout).not.toContain(v);
  });

  it('prints a readable table and restricts --types', async () => {
    const r = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'PHONE,QQ'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^type\s+gold\s+pred\s+exact P/);
    expect(r.stdout).toMatch(/\nPHONE\s+1\s+1\s+100\.0\s+100\.0\s+100\.0/);
    expect(r.stdout).toMatch(/\nQQ\s+1\s+0\s+100\.0\s+0\.0\s+0\.0/);
    expect(r.stdout).not.toMatch(/\nEMAIL/);
    expect(r.stdout).toContain('⟦QQ ########⟧');
    expect(r.stdout).not.toContain('87654321');
  });

  it('exits 1 when a threshold fails and 0 when it holds', async () => {
    expect((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--min-recall', '99.5%'], dir)).code).toBe(1);
    expect((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'PHONE', '--min-recall', '0.995', '--max-leak', '0.1%'], dir)).code).toBe(0);
    const leak = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--max-leak', '0.1%'], dir);
    expect(leak.code).toBe(1);
    expect(leak.stderr).toMatch(/leak 30\.769 % > 0\.100 %/);
  });

  it('reports usage and input errors with codes and exit 2, without values', async () => {
    const noGold = await run([], dir);
    expect(noGold.code).toBe(2);
    expect(noGold.stderr).toMatch(/SCRUB_USAGE.*--gold is required/);
    const missing = await run(['--gold', 'nope.jsonl'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SCRUB_INPUT_NOT_FOUND nope\.jsonl/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"id":"a","text":"13812345678","spans":[]}\n{"id":"b","text":"13900001111",\n');
    const bad = await run(['--gold', 'bad.jsonl', '--pred', 'pred.jsonl'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/SCRUB_JSON_PARSE bad\.jsonl:2/);
    expect(bad.stderr).not.toContain('13900001111');
    expect((await run(['--gold', 'gold.jsonl', '--bogus'], dir)).code).toBe(2);
    expect((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--min-recall', 'lots'], dir)).code).toBe(2);
  });

  it('runs registered detectors when --pred is missing', async () => {
    // a tiny detector registered under a test name: finds 11-digit runs as PHONE
    detectors.register({
      name: 'test-digits',
      description: 'test',
      types: ['PHONE'],
      create: () => ({
        name: 'test-digits',
        detect: (text) => [...text.matchAll(/[0-9]{11}/g)].map((m) => ({ type: 'PHONE', start: m.index!, end: m.index! + 11, score: 1, rule: 'test' })),
      }),
    });
    const r = await run(['--gold', 'gold.jsonl', '--detectors', 'test-digits', '--json'], dir);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.types.find((t: any) => t.type === 'PHONE').exact).toMatchObject({ gold: 1, pred: 1, matchedGold: 1 });
    const unknown = await run(['--gold', 'gold.jsonl', '--detectors', 'no-such'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/SCRUB_USAGE: no detector named 'no-such'/);
  });
});
