import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT, scrubline, tmp, write } from './helpers.js';

const rec = (id: string, labels: Record<string, unknown>) => JSON.stringify({ id, turns: [{ role: 'customer', text: '你好' }], labels, source: { file: 'in.jsonl', line: 1 }, meta: {} }) + '\n';

describe('stderr lines never carry a raw id', () => {
  it('a filter prints each quarantined record with its id through safeId (a phone number used as the id is masked)', async () => {
    const input = rec('13812345678', { votes: { S: 'oops' } }) + rec('conv-2', { votes: { S: 'oops' } });
    const r = await scrubline(['consolidate-labels', '--quiet'], { input });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('quarantined SCRUB_JSON_SHAPE in.jsonl:1 record ###########: labels.votes.S not an array');
    expect(r.stderr).toContain('record conv-2:');
    expect(r.stderr).not.toContain('13812345678');
  });
});

describe('usage errors name an option, never what was typed as one', () => {
  it('run and a filter: an unknown option is named; a phone number typed as an option or value is not shown', async () => {
    const bogus = await scrubline(['run', '--bogus', 'p.yaml']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/SCRUB_USAGE: unknown option --bogus — see scrubline run --help/);
    for (const argv of [['run', '--x13812345678', 'p.yaml'], ['normalise', '--13812345678'], ['run', '--seed'], ['scrub', '13812345678']]) {
      const r = await scrubline(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/SCRUB_USAGE: /);
      expect(r.stderr).not.toContain('13812345678');
    }
    const shard = await scrubline(['run', join(ROOT, 'pipelines/fixtures-demo.yaml'), '--shard', '13812345678']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/SCRUB_SHARD_INVALID: --shard must look like i\/N/);
    expect(shard.stderr).not.toContain('13812345678');
  });
});

describe('label values never become report keys wholesale', () => {
  it('a label path pointing at a phone field stops the run with a config error that names the path and the count, not a value', async () => {
    let input = '';
    for (let i = 0; i < 100; i++) input += JSON.stringify({ id: `c${i}`, turns: [{ role: 'customer', text: '你好' }], labels: {}, source: { file: 'in.jsonl', line: i + 1 }, meta: { phone: String(13800000000 + i * 7919) } }) + '\n';
    const r = await scrubline(['split', '--set', 'labelPath=meta.phone', '--quiet'], { input });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SCRUB_CONFIG_INVALID (labelPath): split: labelPath 'meta.phone' has at least 100 distinct values, more than maxLabelValues (64)");
    expect(r.stderr).not.toMatch(/\d{6}/);
  });
});

describe('an audit of session 15: what reached logs and reports unmasked', () => {
  const name = '王建国';
  const address = '北京市朝阳区建国路88号';

  it('a bad JSON line holding quotes: the parser quotes it, and no part of it reaches stderr (scrub on 1 and 2 threads, normalise)', async () => {
    const dir = tmp();
    const file = write(dir, 'jp.ndjson', `x"${name} ${address}"\n` + JSON.stringify({ id: 'ok', turns: [{ role: 'customer', text: 'hi' }] }) + '\n');
    for (const argv of [['scrub', '--in', file, '--threads', '1'], ['scrub', '--in', file, '--threads', '2'], ['normalise', '--in', file]]) {
      const r = await scrubline([...argv, '--out', '/dev/null']);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stderr).toContain('SCRUB_JSON_PARSE');
      expect(r.stderr).not.toMatch(/王建国|朝阳|建国路/);
    }
  });

  it('a file name that came with a record (source.file) is masked in the report, its HTML page and samples when it looks identifying', async () => {
    const dir = tmp();
    const input = JSON.stringify({ id: 'c3', turns: [{ role: 'customer', text: '手机13711112222' }], source: { file: `${name} 15923456781 liuyang.test88@example.com.csv`, line: 7 } }) + '\n';
    const r = await scrubline(['scrub', '--threads', '1', '--report', join(dir, 'r.json'), '--html', join(dir, 'r.html')], { input });
    expect(r.code).toBe(0);
    for (const f of ['r.json', 'r.html']) expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/王建国|15923456781|liuyang|13711112222/);
    expect(r.stderr).not.toMatch(/王建国|15923456781|liuyang/);
  });

  it('letters written as symbols (ⓦⓐⓝⓖ) are masked in the pii samples', async () => {
    const dir = tmp();
    const input = JSON.stringify({ id: 'z1', turns: [{ role: 'customer', text: '我叫ⓦⓐⓝⓖ ⓙⓘⓐⓝⓖⓤⓞ 手机15923456781' }] }) + '\n';
    const r = await scrubline(['scrub', '--threads', '1', '--report', join(dir, 'r.json')], { input });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).not.toMatch(/[ⓐ-ⓩ]/);
  });
});
