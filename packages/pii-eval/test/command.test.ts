import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Writable } from 'node:stream';
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
    // nothing was predicted for QQ: its precision is n/a, not 100
    expect(r.stdout).toMatch(/\nQQ\s+1\s+0\s+n\/a\s+0\.0\s+0\.0\s+n\/a\s+0\.0\s+0\.0/);
    expect(r.stdout).not.toMatch(/\nEMAIL/);
    expect(r.stdout).toContain('⟦QQ ########⟧');
    expect(r.stdout).not.toContain('87654321');
  });

  it('exits 1 when a threshold fails and 0 when it holds', async () => {
    expect((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--min-recall', '99.5%'], dir)).code).toBe(1);
    expect((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'PHONE', '--min-recall', '0.995', '--max-leak', '0.1%'], dir)).code).toBe(0);
    const leak = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--max-leak', '0.1%'], dir);
    expect(leak.code).toBe(1);
    // 8 of 26 = 30.769…: a leak is rounded up, never shown smaller than it is
    expect(leak.stderr).toMatch(/leak 30\.770 % > 0\.100 %/);
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
    const bogus = await run(['--gold', 'gold.jsonl', '--bogus'], dir);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^SCRUB_USAGE: unknown option --bogus/);
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

  it('rejects repeated or overlapping gold spans, naming file, line and spans[i] but no text', async () => {
    // the same PHONE span twice, predicted once, showed exact precision 200.0 before
    writeFileSync(join(dir, 'twice.jsonl'), JSON.stringify({ id: 'a', text: '电话13812345678', spans: [{ type: 'PHONE', start: 2, end: 13 }, { type: 'PHONE', start: 2, end: 13 }] }) + '\n');
    const twice = await run(['--gold', 'twice.jsonl', '--pred', 'pred.jsonl'], dir);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^SCRUB_JSON_SHAPE twice\.jsonl:1 \(spans\[1\]\): gold span spans\[1\] repeats spans\[0\]/);
    expect(twice.stdout).not.toMatch(/200\.0/);
    writeFileSync(
      join(dir, 'overlap.jsonl'),
      '{"id":"z","text":"x","spans":[]}\n' + JSON.stringify({ id: 'a', text: 'call 13812345678 now', spans: [{ type: 'PHONE', start: 10, end: 16 }, { type: 'QQ', start: 5, end: 13 }] }) + '\n',
    );
    const over = await run(['--gold', 'overlap.jsonl', '--pred', 'pred.jsonl'], dir);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/^SCRUB_JSON_SHAPE overlap\.jsonl:2 \(spans\[1\]\): gold span spans\[1\] overlaps spans\[0\]/);
    expect(over.stderr).not.toMatch(/1381|5678|call/);
  });

  it('scores a labelled conversation turn by turn (ids <id>#<turn>), detecting its turns together; a bad turn names line and field (session 13)', async () => {
    const conv = { id: 'k', turns: [{ role: 'agent', text: '麻烦提供一下您的QQ号', spans: [] }, { role: 'customer', text: '73920561', spans: [{ type: 'QQ', start: 0, end: 8 }] }] };
    writeFileSync(join(dir, 'conv.jsonl'), JSON.stringify(conv) + '\n');
    // detecting needs the repository's rule packs
    const out = sink();
    const err = sink();
    const rulesDir = fileURLToPath(new URL('../../../rules', import.meta.url));
    const code = await evalPiiCommand.run({ argv: ['--gold', 'conv.jsonl', '--json', '--min-recall', '1'], stdin: new PassThrough(), stdout: out.s, stderr: err.s, cwd: dir, env: {}, rulesDir });
    const r = { code, stdout: out.text(), stderr: err.text() };
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).overall.overlap.recall).toBe(1);
    // a prediction file in scrubline detect's conversation shape
    writeFileSync(join(dir, 'conv-pred.jsonl'), '{"id":"k#0","spans":[]}\n{"id":"k#1","spans":[{"type":"QQ","start":0,"end":8}]}\n');
    expect((await run(['--gold', 'conv.jsonl', '--pred', 'conv-pred.jsonl', '--min-recall', '1'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'conv-bad.jsonl'), JSON.stringify({ id: 'k', turns: [{ role: 'boss', text: '73920561', spans: [] }] }) + '\n');
    const bad = await run(['--gold', 'conv-bad.jsonl'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^SCRUB_JSON_SHAPE conv-bad\.jsonl:1 \(turns\[0\]\): turns\[0\] needs "role"/);
    expect(bad.stderr).not.toContain('73920561');
  });

  it('rejects repeated ids in --pred instead of merging them', async () => {
    writeFileSync(join(dir, 'pred-twice.jsonl'), '{"id":"a","spans":[]}\n{"id":"b","spans":[]}\n{"id":"a","spans":[{"type":"PHONE","start":2,"end":13}]}\n');
    const r = await run(['--gold', 'gold.jsonl', '--pred', 'pred-twice.jsonl'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^SCRUB_JSON_SHAPE pred-twice\.jsonl:3 \(id\): duplicate id in predictions/);
  });

  it('an unknown --types is a usage error naming the known types; nothing passes vacuously', async () => {
    const lower = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'phone', '--min-recall', '0.9'], dir);
    expect(lower.code).toBe(2);
    expect(lower.stderr).toMatch(/SCRUB_USAGE \(--types\): .*\(phone\); types are upper case: PHONE — known types: PERSON_ID, PHONE, /);
    expect(lower.stdout).toBe('');
    const typo = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'PHONE,EMIAL'], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/\(EMIAL\) — known types: .*EMAIL/);
    // a type only the files know is accepted
    writeFileSync(join(dir, 'custom.jsonl'), JSON.stringify({ id: 'a', text: 'ticket AB-1234', spans: [{ type: 'TICKET', start: 7, end: 14 }] }) + '\n');
    expect((await run(['--gold', 'custom.jsonl', '--pred', 'pred.jsonl', '--types', 'TICKET'], dir)).code).toBe(0);
    // a known type with no gold span: a threshold over nothing fails with a clear message
    const none = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'PASSPORT', '--min-recall', '0.9'], dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/threshold not met: no gold spans of the --types to check/);
    writeFileSync(join(dir, 'empty.jsonl'), '');
    for (const t of [['--min-recall', '0.5'], ['--min-precision', '0.5'], ['--max-leak', '1%']]) {
      const empty = await run(['--gold', 'empty.jsonl', '--pred', 'pred.jsonl', ...t], dir);
      expect(empty.code).toBe(1);
      expect(empty.stderr).toMatch(/threshold not met: no gold spans to check/);
    }
    // without a threshold an empty gold file is just reported
    expect((await run(['--gold', 'empty.jsonl', '--pred', 'pred.jsonl'], dir)).code).toBe(0);
  });

  it('precision is n/a (JSON null) where nothing was predicted; --min-precision then fails', async () => {
    const j = JSON.parse((await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--json'], dir)).stdout);
    const qq = j.types.find((t: any) => t.type === 'QQ');
    expect(qq.exact).toEqual({ gold: 1, pred: 0, matchedGold: 0, matchedPred: 0, precision: null, recall: 0, f2: 0 });
    // IP: a false alarm only, there is no IP gold: recall n/a, precision 0
    expect(j.types.find((t: any) => t.type === 'IP').overlap).toEqual({ gold: 0, pred: 1, matchedGold: 0, matchedPred: 0, precision: 0, recall: null, f2: 0 });
    const r = await run(['--gold', 'gold.jsonl', '--pred', 'pred.jsonl', '--types', 'QQ', '--min-precision', '0.5'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/precision n\/a \(nothing was predicted\)/);
  });

  it('lists boundary mismatches (a prediction that swallows context) in the table and JSON, masked', async () => {
    writeFileSync(join(dir, 'long-gold.jsonl'), JSON.stringify({ id: 'x', text: 'call me: 0086-138-12345678 ok', spans: [{ type: 'PHONE', start: 9, end: 26 }] }) + '\n');
    writeFileSync(join(dir, 'long-pred.jsonl'), JSON.stringify({ id: 'x', spans: [{ type: 'PHONE', start: 5, end: 26 }] }) + '\n');
    const t = await run(['--gold', 'long-gold.jsonl', '--pred', 'long-pred.jsonl'], dir);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('boundary mismatches: found by overlap, not exactly (1):\n  x  PHONE  boundary (gold [9,26) predicted [5,26): 4 before)  call ⟦PHONE⟧⟦PHONE ####-###-########⟧ ok');
    expect(t.stdout).toMatch(/misses \(0\)\nfalse alarms \(0\)/);
    const j = JSON.parse((await run(['--gold', 'long-gold.jsonl', '--pred', 'long-pred.jsonl', '--json'], dir)).stdout);
    expect(j.boundariesTotal).toBe(1);
    expect(j.boundaries[0]).toMatchObject({ id: 'x', kind: 'boundary', type: 'PHONE', start: 9, end: 26, predStart: 5, predEnd: 26, preds: 1 });
    expect(t.stdout + JSON.stringify(j)).not.toMatch(/0086|12345678/);
  });

  it('a closed stdout (EPIPE) is SCRUB_OUTPUT_FAILED, not an unhandled error', async () => {
    const stdout = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
      },
    });
    const err = sink();
    const code = await evalPiiCommand.run({ argv: ['--gold', 'gold.jsonl', '--pred', 'pred.jsonl'], stdin: new PassThrough(), stdout, stderr: err.s, cwd: dir, env: {}, rulesDir: join(dir, 'rules') });
    // the stream's 'error' event comes a tick later; an unhandled one fails the test run
    await new Promise((r) => setTimeout(r, 20));
    expect(code).toBe(2);
    expect(err.text()).toMatch(/^SCRUB_OUTPUT_FAILED -: stdout was closed/);
  });

  it('never echoes a positional argument or a value-like option on a usage error', async () => {
    for (const argv of [['13812345678'], ['--gold', 'gold.jsonl', '--13812345678'], ['--gold', 'gold.jsonl', '--x13812345678=1']]) {
      const r = await run(argv, dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^SCRUB_USAGE: /);
      expect(r.stderr).not.toContain('13812345678');
    }
  });
});

