import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitStage } from '@scrubline/split';
import type { ConversationRecord } from '@scrubline/core';
import { balancePlugin, balanceStage, createBalance, mergeBalanceStates, planBalance, type BalanceState } from '../src/index.js';
import { corpus, runSteps } from '../../split/test/run.js';

const split = { def: splitStage, options: { groupPath: 'meta.customerId' } };
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

function classCounts(rs: ConversationRecord[], pred: (r: ConversationRecord) => boolean) {
  const m: Record<string, number> = {};
  for (const r of rs) if (pred(r)) m[String(r.labels.satisfaction)] = (m[String(r.labels.satisfaction)] ?? 0) + 1;
  return m;
}
const train = (r: ConversationRecord) => r.meta.split === 'train';

describe('balance stage', () => {
  it('exports the plugin', () => {
    expect(balancePlugin.stages).toContain(balanceStage);
    expect(balanceStage.name).toBe('balance');
  });

  it('uniform: every train class reaches the largest class count; other splits untouched', async () => {
    const input = corpus(800);
    const { out: splitOnly } = await runSteps([split], input);
    const { out } = await runSteps([split, { def: balanceStage }], input);
    const before = classCounts(splitOnly, train);
    const after = classCounts(out, train);
    const max = Math.max(...Object.values(before));
    for (const l of Object.keys(before)) expect(after[l], `class ${l}`).toBe(max);
    // validation and test: the very same records, byte for byte
    const notTrain = (rs: ConversationRecord[]) => JSON.stringify(rs.filter((r) => !train(r)));
    expect(notTrain(out)).toBe(notTrain(splitOnly));
    // copies: new ids, marked, train only
    const copies = out.filter((r) => r.meta.oversampled === true);
    expect(copies.length).toBe(out.length - splitOnly.length);
    for (const c of copies) {
      expect(c.id).toMatch(/#os\d+$/);
      expect(c.meta.split).toBe('train');
      expect(c.id.startsWith(`${c.meta.oversampledFrom}#os`)).toBe(true);
    }
    expect(new Set(out.map((r) => r.id)).size).toBe(out.length);
  });

  it('inverse: factors follow inverse frequency, capped at maxFactor', async () => {
    const input = corpus(800);
    const { out: splitOnly } = await runSteps([split], input);
    const { out, reports } = await runSteps([split, { def: balanceStage, options: { strategy: 'inverse', maxFactor: 2.5 } }], input);
    const before = classCounts(splitOnly, train);
    const after = classCounts(out, train);
    const max = Math.max(...Object.values(before));
    for (const l of Object.keys(before)) {
      const want = Math.min(Math.round(before[l] * Math.min(2.5, max / before[l])), Math.floor(before[l] * 2.5));
      expect(after[l], `class ${l}`).toBe(want);
      expect(after[l] / before[l]).toBeLessThanOrEqual(2.5 + 1e-9);
    }
    const summary = reports[1].summary as any;
    expect(summary.classes['3'].before).toBe(before['3']);
    expect(summary.classes['3'].target).toBe(after['3']);
    expect(reports[1].counters['before.1']).toBe(before['1']);
    expect(reports[1].counters['after.1']).toBe(after['1']);
  });

  it('writes class weights atomically to weightsFile and into the summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'balance-'));
    tmp.push(dir);
    const { reports } = await runSteps([split, { def: balanceStage, options: { strategy: 'inverse', weightsFile: 'w/class-weights.json' } }], corpus(300), { baseDir: dir });
    const doc = JSON.parse(await readFile(join(dir, 'w/class-weights.json'), 'utf8'));
    expect(await readdir(join(dir, 'w'))).toEqual(['class-weights.json']);
    const summary = reports[1].summary as any;
    expect(doc.weights).toEqual(summary.weights);
    expect(doc.labels).toEqual(['1', '2', '3', '4', '5']);
    // balanced weights: Σ n_c · w_c = N
    const N = Object.values(doc.counts.before as Record<string, number>).reduce((a, b) => a + b, 0);
    const s = doc.labels.reduce((acc: number, l: string) => acc + doc.counts.before[l] * doc.weightsBeforeOversampling[l], 0);
    expect(Math.abs(s - N)).toBeLessThan(1e-3);
    // the majority class weighs least before oversampling
    expect(doc.weightsBeforeOversampling['3']).toBeLessThan(doc.weightsBeforeOversampling['5']);
  });

  it('same seed → byte-identical output; different seed → different copies', async () => {
    const input = corpus(300);
    const steps = [split, { def: balanceStage, options: { strategy: 'inverse' } }];
    const a = await runSteps(steps, input, { seed: 'a' });
    const b = await runSteps(steps, input, { seed: 'a' });
    const c = await runSteps(steps, input, { seed: 'b' });
    expect(JSON.stringify(a.out)).toBe(JSON.stringify(b.out));
    expect(JSON.stringify(a.out)).not.toBe(JSON.stringify(c.out));
  });

  it('sharded runs produce the same records as one process', async () => {
    const input = corpus(400);
    const steps = [split, { def: balanceStage, options: { strategy: 'inverse', power: 0.5, maxFactor: 4 } }];
    const one = await runSteps(steps, input);
    const three = await runSteps(steps, input, { shards: 3, shardOf: (_r, i) => (i * 7) % 3 });
    const key = (rs: ConversationRecord[]) => rs.map((r) => JSON.stringify(r)).sort();
    expect(key(three.out)).toEqual(key(one.out));
  });

  it('fit on two halves gives the state and plan of the whole', () => {
    const records = corpus(200).map((r) => ({ ...r, meta: { ...r.meta, split: 'train' } }));
    const fit = (rs: ConversationRecord[]) => {
      const st = createBalance({ strategy: 'uniform', power: 1, labelPath: 'labels.satisfaction' }, 's', '.');
      st.fit!.observe(rs);
      return JSON.parse(JSON.stringify(st.fit!.state())) as BalanceState;
    };
    const whole = mergeBalanceStates([fit(records)]);
    const halves = mergeBalanceStates([fit(records.slice(0, 91)), fit(records.slice(91))]);
    const norm = (s: BalanceState) =>
      JSON.stringify(Object.keys(s.classes).sort().map((l) => [l, s.classes[l].n, Object.entries(s.classes[l].hist).sort()]));
    expect(norm(halves)).toBe(norm(whole));
    expect(planBalance(halves, { strategy: 'uniform' })).toEqual(planBalance(whole, { strategy: 'uniform' }));
  });

  it('hits the target exactly even for large classes (rank selection through the histogram)', () => {
    const st = createBalance({ strategy: 'inverse', maxFactor: 1.37, power: 1, labelPath: 'labels.satisfaction' }, 's', '.');
    const rs: ConversationRecord[] = [];
    for (let i = 0; i < 20000; i++) rs.push({ id: `r${i}`, turns: [], labels: { satisfaction: i % 10 === 0 ? 1 : 2 }, source: { file: 'x' }, meta: { split: 'train' } });
    st.fit!.observe(rs);
    st.fit!.load([JSON.parse(JSON.stringify(st.fit!.state()))]);
    const ctx = { stageId: 'balance', seed: 's', shard: { index: 0, count: 1 }, report: { count() {}, sample() {}, message() {} }, drop() {}, quarantine() {}, log: console } as any;
    const out = st.apply(rs, ctx) as ConversationRecord[];
    const ones = out.filter((r) => r.labels.satisfaction === 1).length;
    expect(ones).toBe(Math.round(2000 * 1.37));
    expect(out.filter((r) => r.labels.satisfaction === 2).length).toBe(18000);
  });

  it('leaves records without a label or outside train alone', async () => {
    const input = corpus(100);
    input[0].labels = {};
    const { out } = await runSteps([split, { def: balanceStage }], input);
    expect(out.filter((r) => r.id.startsWith(`${input[0].id}#os`))).toHaveLength(0);
  });
});
