import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { createSplit, splitStage } from '../src/index.js';
import { corpus, rejected, runSteps } from './run.js';

// Label values become report keys (label.<l>.<split>, the plan's per-label stats). A labelPath misconfigured to
// a phone or id field must neither fill the report with those values nor show one of them.

const phone = (i: number) => String(13800000000 + i * 7919);
function withPhones(n: number, distinct: number): ConversationRecord[] {
  return corpus(n).map((r, i) => ({ ...r, meta: { ...r.meta, phone: phone(i % distinct) } }));
}

describe('split: label values as report keys', () => {
  it('more than maxLabelValues (default 64) distinct labels is a config error naming labelPath and the count, not a value', async () => {
    const input = withPhones(60, 1000);
    expect(input.length).toBeGreaterThan(64);
    const e = await rejected(runSteps([{ def: splitStage, options: { groupPath: 'meta.customerId', labelPath: 'meta.phone' } }], input, { batchSize: 500 }));
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.field).toBe('labelPath');
    expect(e.message).toContain(`labelPath 'meta.phone' has at least ${input.length} distinct values, more than maxLabelValues (64)`);
    expect(e.message).not.toMatch(/\d{6}/);
  });

  it('counts the labels of all shards together (each shard under the cap, the merged plan over it)', async () => {
    // names, not phone numbers: safeId leaves them as they are, so only the count can stop them
    const input = corpus(60).map((r, i) => ({ ...r, meta: { ...r.meta, agent: `agent-${i}` } }));
    const half = Math.ceil(input.length / 2);
    const e = await rejected(
      runSteps([{ def: splitStage, options: { groupPath: 'meta.customerId', labelPath: 'meta.agent', maxLabelValues: half + 5 } }], input, { shards: 2, batchSize: 500 }),
    );
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.message).toContain(`labelPath 'meta.agent' has ${input.length} distinct values, more than maxLabelValues (${half + 5})`);
    expect(e.message).not.toContain('agent-');
  });

  it('one process and two shards agree on labels that mask alike (phone numbers): both stop over the cap', async () => {
    const input = withPhones(40, 1000);
    const max = Math.ceil(input.length / 2) + 5; // each shard is under it, the whole input is over it
    const opts = { groupPath: 'meta.customerId', labelPath: 'meta.phone', maxLabelValues: max };
    const one = await rejected(runSteps([{ def: splitStage, options: opts }], input, { batchSize: 500 }));
    const two = await rejected(runSteps([{ def: splitStage, options: opts }], input, { shards: 2, batchSize: 500 }));
    for (const e of [one, two]) {
      expect(e.code).toBe('SCRUB_CONFIG_INVALID');
      expect(e.message).toMatch(new RegExp(`has (at least )?${input.length} distinct values`));
      expect(e.message).not.toMatch(/\d{6}/);
    }
  });

  it('a few identifying-looking labels under the cap are keyed by their safeId form, never by themselves', async () => {
    const input = withPhones(40, 3);
    const { out, reports } = await runSteps([{ def: splitStage, options: { groupPath: 'meta.customerId', labelPath: 'meta.phone' } }], input);
    expect(out.length).toBe(input.length);
    const json = JSON.stringify(reports);
    for (let i = 0; i < 3; i++) expect(json).not.toContain(phone(i));
    const summary = reports[0].summary as any;
    expect(summary.plan.labels).toEqual({ '###########': input.length });
    const labelCounters = Object.keys(reports[0].counters).filter((k) => k.startsWith('label.'));
    expect(labelCounters.length).toBeGreaterThan(0);
    for (const k of labelCounters) expect(k).toMatch(/^label\.###########\.(train|validation|test)$/);
  });

  it('labels that show alike in the report stay separate strata: the fit state and the plan use the values', async () => {
    const code = (i: number) => (i % 10 < 8 ? '100001' : '100002');
    const input = corpus(400).map((r, i) => ({ ...r, meta: { ...r.meta, category: code(i) } }));
    const stage = createSplit({ ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'meta.category', groupPath: 'id', stratify: true, salt: '' }, '1');
    await stage.fit!.observe(input);
    const state = (await stage.fit!.state()) as { groups: Record<string, Record<string, number>> };
    const labels = new Set(Object.values(state.groups).flatMap((g) => Object.keys(g)));
    expect([...labels].sort()).toEqual(['100001', '100002']);
    const { reports } = await runSteps([{ def: splitStage, options: { groupPath: 'id', labelPath: 'meta.category' } }], input);
    const sp = reports.find((r) => r.id === 'split')!;
    const plan = (sp.summary as any).plan;
    expect(plan.labels).toEqual({ '######': input.length });
    // stratified by the values: the rare class reaches every split
    for (const s of ['train', 'validation', 'test']) expect(sp.counters[`label.######.${s}`]).toBeGreaterThan(0);
    expect(JSON.stringify(sp)).not.toMatch(/10000[12]/);
  });
});

