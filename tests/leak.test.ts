import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, scrubline } from './helpers.js';

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
