import { describe, expect, it } from 'vitest';
import { createSplit, mergeSplitStates, observeRecord, planSplit, splitPlugin, splitStage, type GroupCounts, type SplitState } from '../src/index.js';
import { corpus, runSteps } from './run.js';
import type { ConversationRecord } from '@scrubline/core';

const byCustomer = { ratios: { train: 0.7, validation: 0.15, test: 0.15 }, groupPath: 'meta.customerId' };

function assignment(out: ConversationRecord[]): Map<string, string> {
  return new Map(out.map((r) => [r.id, r.meta.split as string]));
}

describe('split stage', () => {
  it('exports the plugin', () => {
    expect(splitPlugin.stages).toContain(splitStage);
    expect(splitStage.name).toBe('split');
  });

  it('never puts one customer in two splits, and keeps every record', async () => {
    const input = corpus(600);
    const { out, ledgers } = await runSteps([{ def: splitStage, options: byCustomer }], input);
    expect(out).toHaveLength(input.length);
    expect(ledgers[0].totals().dropped + ledgers[0].totals().quarantined).toBe(0);
    const seen = new Map<string, string>();
    for (const r of out) {
      const c = r.meta.customerId as string;
      expect(['train', 'validation', 'test']).toContain(r.meta.split);
      if (seen.has(c)) expect(r.meta.split).toBe(seen.get(c));
      else seen.set(c, r.meta.split as string);
    }
    // and not everything in one split
    expect(new Set(seen.values()).size).toBe(3);
  });

  it('meets the ratios within tolerance for every label', async () => {
    const input = corpus(1500);
    const { out } = await runSteps([{ def: splitStage, options: byCustomer }], input);
    const perLabel = new Map<number, Record<string, number>>();
    for (const r of out) {
      const l = r.labels.satisfaction as number;
      const m = perLabel.get(l) ?? { train: 0, validation: 0, test: 0 };
      m[r.meta.split as string]++;
      perLabel.set(l, m);
    }
    expect(perLabel.size).toBe(5);
    for (const [label, m] of perLabel) {
      const n = m.train + m.validation + m.test;
      // tolerance: a few groups' worth of records (groups hold up to 4) plus 2 %
      const tol = 0.02 + 8 / n;
      expect(Math.abs(m.train / n - 0.7), `label ${label} train`).toBeLessThan(tol);
      expect(Math.abs(m.validation / n - 0.15), `label ${label} validation`).toBeLessThan(tol);
      expect(Math.abs(m.test / n - 0.15), `label ${label} test`).toBeLessThan(tol);
    }
  });

  it('is exact for singleton groups (default group = record id)', async () => {
    const input = corpus(400).map((r) => ({ ...r, meta: {} }));
    const { out } = await runSteps([{ def: splitStage, options: { ratios: { train: 0.8, validation: 0.1, test: 0.1 } } }], input);
    const counts: Record<string, number> = { train: 0, validation: 0, test: 0 };
    for (const r of out) counts[r.meta.split as string]++;
    // per stratum the greedy assignment is within one record of the target
    expect(Math.abs(counts.train - 0.8 * input.length)).toBeLessThanOrEqual(5);
    expect(Math.abs(counts.test - 0.1 * input.length)).toBeLessThanOrEqual(5);
  });

  it('same seed → same assignment, different seed → different assignment', async () => {
    const input = corpus(300);
    const a = await runSteps([{ def: splitStage, options: byCustomer }], input, { seed: 's1' });
    const b = await runSteps([{ def: splitStage, options: byCustomer }], input, { seed: 's1' });
    const c = await runSteps([{ def: splitStage, options: byCustomer }], input, { seed: 's2' });
    expect(JSON.stringify(a.out)).toBe(JSON.stringify(b.out));
    const ma = assignment(a.out);
    const mc = assignment(c.out);
    let differ = 0;
    for (const [id, s] of ma) if (mc.get(id) !== s) differ++;
    expect(differ).toBeGreaterThan(20);
  });

  it('different shard layouts and input orders → same assignment', async () => {
    const input = corpus(500);
    const one = assignment((await runSteps([{ def: splitStage, options: byCustomer }], input)).out);
    const two = assignment((await runSteps([{ def: splitStage, options: byCustomer }], input, { shards: 2 })).out);
    const three = assignment(
      (await runSteps([{ def: splitStage, options: byCustomer }], [...input].reverse(), { shards: 3, shardOf: (_r, i) => i % 3 })).out,
    );
    expect(two.size).toBe(input.length);
    expect([...two].sort()).toEqual([...one].sort());
    expect([...three].sort()).toEqual([...one].sort());
  });

  it('fit on two halves merges to the state of the whole', () => {
    const input = corpus(200);
    const observe = (rs: ConversationRecord[]) => {
      const st = createSplit({ ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'labels.satisfaction', groupPath: 'meta.customerId', stratify: true, salt: '' }, 'x');
      st.fit!.observe(rs);
      return JSON.parse(JSON.stringify(st.fit!.state())) as SplitState;
    };
    const whole = mergeSplitStates([observe(input)]);
    const halves = mergeSplitStates([observe(input.slice(0, 77)), observe(input.slice(77))]);
    const sortDeep = (s: GroupCounts) => JSON.stringify([...s.keys()].sort().map((k) => [k, [...s.get(k)!].sort()]));
    expect(sortDeep(halves)).toBe(sortDeep(whole));
    const pw = planSplit(whole, { train: 8, validation: 1, test: 1 }, 'x');
    const ph = planSplit(halves, { train: 8, validation: 1, test: 1 }, 'x');
    expect([...ph.assignment].sort()).toEqual([...pw.assignment].sort());
  });

  it('keeps no customer id in the clear in its fit state', () => {
    const st = createSplit({ ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'labels.satisfaction', groupPath: 'meta.customerId', stratify: true, salt: '' }, 'x');
    st.fit!.observe(corpus(20));
    expect(JSON.stringify(st.fit!.state())).not.toContain('cust-');
  });

  it('a group with mixed labels is stratified by its dominant label and never split', () => {
    const s: GroupCounts = new Map();
    for (let i = 0; i < 3; i++) observeRecord(s, 'g1', '5');
    observeRecord(s, 'g1', '1');
    for (let i = 0; i < 50; i++) observeRecord(s, `h${i}`, '1');
    const p = planSplit(s, { train: 0.8, validation: 0.1, test: 0.1 }, 'seed');
    expect(p.stats.records).toBe(54);
    expect(p.stats.splits.train.records + p.stats.splits.validation.records + p.stats.splits.test.records).toBe(54);
    expect(p.assignment.get('g1')).toBe('train');
  });

  it('rejects ratios that add up to 0', () => {
    expect(() => createSplit({ ratios: { train: 0, validation: 0, test: 0 }, labelPath: 'labels.satisfaction', groupPath: 'id', stratify: true, salt: '' }, 's')).toThrow(
      expect.objectContaining({ code: 'SCRUB_CONFIG_INVALID' }),
    );
  });

  it('a zero ratio leaves that split empty', async () => {
    const { out } = await runSteps([{ def: splitStage, options: { ratios: { train: 0.9, validation: 0.1 } } }], corpus(100));
    expect(out.some((r) => r.meta.split === 'test')).toBe(false);
    expect(out.some((r) => r.meta.split === 'validation')).toBe(true);
  });

  it('reports the whole-corpus plan in its summary', async () => {
    const input = corpus(100);
    const { reports } = await runSteps([{ def: splitStage, options: byCustomer }], input);
    const summary = reports[0].summary as any;
    expect(summary.plan.records).toBe(input.length);
    expect(summary.emitted.train + summary.emitted.validation + summary.emitted.test).toBe(input.length);
    expect(reports[0].counters['split.train']).toBe(summary.emitted.train);
  });
});
