// bot-filter → dedup → consolidate-labels through core's phased runner: once in one process, once as
// 2 shards × 4 phases exchanging fit states through a work folder. Same records out, same drops.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger, checkOptions, runPipeline, type ConversationRecord, type PlannedStep, type StageDefinition } from '@scrubline/core';
import { botFilterStage } from '@scrubline/botfilter';
import { dedupStage } from '@scrubline/dedup';
import { consolidateLabelsStage } from '@scrubline/labels';
import { makeRecord } from '../../../fixtures/shaping/context.js';

const rulesDir = fileURLToPath(new URL('../../../rules', import.meta.url));

function step(def: StageDefinition, options: Record<string, unknown>): PlannedStep {
  const o = structuredClone(options);
  expect(checkOptions(def.optionsSchema, o, 'with')).toEqual([]);
  return { id: def.name, use: def.name, definition: def, options: o };
}

function corpus(): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const votes = [i % 5 === 0 ? -1 : 0, i % 3 === 0 ? 1 : 0, i % 7 === 0 ? 2 : 0];
    out.push(
      makeRecord(
        `c${i}`,
        [
          ['customer', i % 4 === 0 ? '咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x]' : `第${i}次咨询：快递怎么还没到呢，已经等了${i + 2}天了`],
          ['agent', '有什么问题我可以帮您处理或解决呢?'],
          ['customer', `订单${i}的快递${'还没有到'.repeat(1 + (i % 3))}，麻烦帮我查一下物流信息${i * 7}`],
          ['agent', `亲，您的订单第${i}号正在派送途中，预计${i % 5}天内送达，请您耐心等待`],
        ],
        { votes: { S: votes } },
      ),
    );
  }
  // an exact copy (whitespace only) in the second half, and a near copy
  out.push(makeRecord('copy-of-c3', out[3].turns.map((t) => [t.role, ` ${t.text} `] as [ConversationRecord['turns'][number]['role'], string]), { votes: { S: [0, 0, 0] } }));
  const near = structuredClone(out[5]);
  near.id = 'near-c5';
  near.turns[3].text = near.turns[3].text.replace('耐心', '耐性');
  out.push(near);
  // nothing but a system event and canned agent lines
  out.push(makeRecord('only-event', [['customer', '用户发起转人工'], ['agent', '有什么问题我可以帮您处理或解决呢?']], { votes: { S: [0, 0, 0] } }));
  return out;
}

const steps = () => [
  step(botFilterStage, { frequency: { minSessions: 10 } }),
  step(dedupStage, { threshold: 0.8 }),
  step(consolidateLabelsStage, { path: 'votes.S', map: { '-2': 1, '-1': 2, '0': 3, '1': 4, '2': 5 }, minAgreement: 0.5, lowAgreement: 'review', review: 'review.ndjson' }),
];

async function runOnce(records: ConversationRecord[], shard: { index: number; count: number }, phase: number | 'all', workDir: string, baseDir: string) {
  const ledger = new Ledger();
  const entries: { stage: string; id?: string; reason?: string; detail?: Record<string, unknown> }[] = [];
  ledger.sink = (e) => entries.push({ stage: e.stage, id: e.id, reason: e.reason, detail: e.detail });
  const out: ConversationRecord[] = [];
  const result = await runPipeline({
    steps: steps(),
    source: async function* () {
      ledger.inputRecords += records.length;
      for (let i = 0; i < records.length; i += 16) yield structuredClone(records.slice(i, i + 16));
    },
    sink: async (batches) => {
      for await (const b of batches) out.push(...b);
    },
    ledger,
    seed: 'test',
    shard,
    baseDir,
    rulesDir,
    log: { info() {}, warn() {} },
    workDir,
    phase,
  });
  return { out, entries, ledger, result };
}

describe('shaping stages in the phased runner', () => {
  it('one process and 2 shards × 4 phases give the same records, drops and review file', async () => {
    const records = corpus();
    const baseA = mkdtempSync(join(tmpdir(), 'shaping-all-'));
    const all = await runOnce(records, { index: 0, count: 1 }, 'all', mkdtempSync(join(tmpdir(), 'work-')), baseA);
    expect(all.result.phases).toBe(4);
    expect(all.ledger.verify()).toEqual([]);
    const dropsAll = all.entries.map((e) => [e.stage, e.id, e.reason, e.detail?.keptId ?? null]);
    expect(dropsAll).toEqual(
      expect.arrayContaining([
        ['bot-filter', 'only-event', 'no-customer-content', null],
        ['dedup', 'copy-of-c3', 'duplicate', 'c3'],
        ['dedup', 'near-c5', 'near-duplicate', 'c5'],
      ]),
    );
    expect(all.entries.filter((e) => e.stage === 'dedup')).toHaveLength(2);
    const c1 = all.out.find((r) => r.id === 'c1')!;
    expect(c1.turns[1].labels).toEqual({ canned: 'frequent' });
    expect(c1.labels.satisfaction).toBe(3);
    const reviewed = all.entries.filter((e) => e.reason === 'review').map((e) => e.id);
    expect(reviewed.length).toBeGreaterThan(0);
    const reviewFile = readFileSync(join(baseA, 'review.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    expect(reviewFile).toEqual(reviewed);
    const labelsSummary = all.result.stages.find((s) => s.id === 'consolidate-labels')!.summary as { agreement: unknown };

    // sharded: shard 0 gets the first half, shard 1 the rest, so (shard, position) order is the input order
    const work = mkdtempSync(join(tmpdir(), 'work-sharded-'));
    const baseS = mkdtempSync(join(tmpdir(), 'shaping-sharded-'));
    const halves = [records.slice(0, 21), records.slice(21)];
    const finals: Awaited<ReturnType<typeof runOnce>>[] = [];
    for (let phase = 0; phase < 4; phase++) {
      for (let s = 0; s < 2; s++) {
        const r = await runOnce(halves[s], { index: s, count: 2 }, phase, work, baseS);
        if (phase === 3) finals.push(r);
      }
    }
    const outSharded = finals.flatMap((f) => f.out);
    expect(outSharded).toEqual(all.out);
    for (const f of finals) expect(f.ledger.verify()).toEqual([]);
    const lastPhaseDrops = finals.flatMap((f) => f.entries.map((e) => [e.stage, e.id, e.reason, e.detail?.keptId ?? null]));
    expect(lastPhaseDrops).toEqual(dropsAll.filter((d) => d[0] === 'consolidate-labels'));
    const shardedReview = [0, 1].flatMap((s) => {
      const text = readFileSync(join(baseS, `review.shard-${s}-of-2.ndjson`), 'utf8').trim();
      return text ? text.split('\n').map((l) => JSON.parse(l).id) : [];
    });
    expect(shardedReview).toEqual(reviewed);
    const shardedSummary = finals[0].result.stages.find((s) => s.id === 'consolidate-labels')!.summary as { agreement: unknown };
    expect((shardedSummary as { agreement: { fleissKappa: number } }).agreement.fleissKappa).toEqual((labelsSummary as { agreement: { fleissKappa: number } }).agreement.fleissKappa);
  });
});
