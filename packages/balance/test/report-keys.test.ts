import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitStage } from '@scrubline/split';
import type { ConversationRecord } from '@scrubline/core';
import { balanceStage } from '../src/index.js';
import { corpus, rejected, runSteps } from '../../split/test/run.js';

// Class labels become report keys (before.<l>, after.<l>, classes, weights, emitted). A labelPath misconfigured
// to a phone or id field must neither fill the report with those values nor show one of them.

const split = { def: splitStage, options: { groupPath: 'meta.customerId' } };
const phone = (i: number) => String(13800000000 + i * 7919);
const withPhones = (n: number, distinct: number): ConversationRecord[] => corpus(n).map((r, i) => ({ ...r, meta: { ...r.meta, phone: phone(i % distinct) } }));

describe('balance: class labels as report keys', () => {
  it('more than maxLabelValues (default 64) distinct train labels is a config error naming labelPath and the count, not a value', async () => {
    const input = withPhones(200, 100000);
    const e = await rejected(runSteps([split, { def: balanceStage, options: { labelPath: 'meta.phone' } }], input, { batchSize: 1000 }));
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.field).toBe('labelPath');
    expect(e.message).toMatch(/^balance: labelPath 'meta\.phone' has at least \d+ distinct values, more than maxLabelValues \(64\)/);
    expect(e.message).not.toMatch(/\d{6}/);
  });

  it('counts the classes of all shards together', async () => {
    const base = corpus(200);
    // contiguous halves per shard: each shard sees at most 45 agents, the merged plan up to 90
    const input = base.map((r, i) => ({ ...r, meta: { ...r.meta, agent: `agent-${Math.floor((i * 90) / base.length)}` } }));
    const e = await rejected(runSteps([split, { def: balanceStage, options: { labelPath: 'meta.agent', maxLabelValues: 80 } }], input, { shards: 2, batchSize: 1000 }));
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.message).toMatch(/labelPath 'meta\.agent' has (8[1-9]|90) distinct values, more than maxLabelValues \(80\)/);
  });

  it('a few identifying-looking labels under the cap are keyed by their safeId form, never by themselves', async () => {
    const input = withPhones(100, 2).map((r, i) => (i % 5 === 0 ? { ...r, meta: { ...r.meta, phone: 'vip' } } : r));
    const { out, reports } = await runSteps([split, { def: balanceStage, options: { labelPath: 'meta.phone' } }], input);
    expect(out.length).toBeGreaterThanOrEqual(input.length);
    const bal = reports.find((r) => r.id === 'balance')!;
    const json = JSON.stringify(bal);
    for (let i = 0; i < 2; i++) expect(json).not.toContain(phone(i));
    const summary = bal.summary as any;
    expect(Object.keys(summary.classes)).toEqual(['###########', 'vip']);
    for (const k of Object.keys(bal.counters).filter((k) => k.startsWith('before.') || k.startsWith('after.'))) expect(k).toMatch(/^(before|after)\.(###########|vip)$/);
  });

  it('labels that show alike in the report stay separate classes: the plan, the copies and the weights file use the values', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'balance-keys-'));
    try {
      // category codes of six digits: shown as ###### in the report, three classes of different sizes in the data
      const code = (i: number) => (i % 10 < 7 ? '100001' : i % 10 < 9 ? '100002' : '100003');
      const input = corpus(300).map((r, i) => ({ ...r, meta: { ...r.meta, category: code(i) } }));
      const { out, reports } = await runSteps([split, { def: balanceStage, options: { labelPath: 'meta.category', weightsFile: 'w.json' } }], input, { baseDir: dir });
      const doc = JSON.parse(await readFile(join(dir, 'w.json'), 'utf8'));
      expect(doc.labels).toEqual(['100001', '100002', '100003']);
      expect(doc.weightsBeforeOversampling['100003']).toBeGreaterThan(doc.weightsBeforeOversampling['100001']);
      // the rare classes were oversampled towards the large one
      const trainOut = out.filter((r) => r.meta.split === 'train');
      const per = (c: string) => trainOut.filter((r) => (r.meta as { category: string }).category === c).length;
      expect(per('100003') / per('100001')).toBeGreaterThan(0.25);
      // the report shows one key for the three, with their sums
      const bal = reports.find((r) => r.id === 'balance')!;
      const summary = bal.summary as any;
      expect(Object.keys(summary.classes)).toEqual(['######']);
      expect(summary.classes['######'].before).toBe(doc.counts.before['100001'] + doc.counts.before['100002'] + doc.counts.before['100003']);
      expect(JSON.stringify(bal)).not.toMatch(/10000[123]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

