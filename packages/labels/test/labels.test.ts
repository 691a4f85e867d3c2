import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConversationRecord, StageContext } from '@scrubline/core';
import {
  agreementOf,
  consolidate,
  consolidateLabelsStage,
  createConsolidateLabels,
  fleissKappa,
  krippendorffAlpha,
  labelsPlugin,
  mergeAgreementStates,
  type LabelsOptions,
  type LabelsSummary,
} from '@scrubline/labels';
import { makeCtx, makeRecord, roundTrip } from '../../../fixtures/shaping/context.js';

/** Expands a row of category counts into ratings 1..k. */
const fromCounts = (counts: number[]) => counts.flatMap((c, j) => Array(c).fill(j + 1) as number[]);

describe('agreement: textbook examples', () => {
  it("Fleiss' kappa: Fleiss (1971) / Wikipedia example, 10 items × 14 raters × 5 categories → 0.210", () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const f = fleissKappa(agreementOf(table.map(fromCounts)));
    expect(f.observed).toBeCloseTo(0.378, 3);
    expect(f.expected).toBeCloseTo(0.213, 3);
    expect(f.kappa).toBeCloseTo(0.21, 3);
    expect(f.items).toBe(10);
  });

  it("Krippendorff's alpha: Krippendorff (2011) example, 4 coders × 12 units with missing values", () => {
    // coders A–D (rows), units 1–12 (columns), null = missing
    const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null];
    const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3];
    const C = [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null];
    const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null];
    const units = A.map((_, u) => [A[u], B[u], C[u], D[u]].filter((v): v is number => v !== null));
    const s = agreementOf(units);
    expect(krippendorffAlpha(s, 'nominal').alpha).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(s, 'ordinal').alpha).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(s, 'interval').alpha).toBeCloseTo(0.849, 3);
    // unit 12 has one value and is not pairable: n.. = 40 pairable values
    expect(krippendorffAlpha(s, 'nominal').n).toBe(40);
  });

  it('hand-computed two-item case: kappa −1/3, alpha 0 (nominal); perfect agreement gives 1', () => {
    // items (1,1) and (1,2): P̄ = 0.5, p = (3/4, 1/4), P̄e = 10/16, κ = (0.5 − 0.625) / 0.375
    const s = agreementOf([[1, 1], [1, 2]]);
    expect(fleissKappa(s).kappa).toBeCloseTo(-1 / 3, 10);
    // coincidences o11 = 2, o12 = o21 = 1: Do = 2/4, De = 6/12
    expect(krippendorffAlpha(s, 'nominal').alpha).toBeCloseTo(0, 10);
    const perfect = agreementOf([[1, 1, 1], [2, 2, 2], [3, 3]]);
    expect(fleissKappa(perfect).kappa).toBeCloseTo(1, 10);
    expect(krippendorffAlpha(perfect, 'ordinal').alpha).toBeCloseTo(1, 10);
    // one category only: chance agreement is 1, kappa and alpha undefined
    expect(fleissKappa(agreementOf([[2, 2], [2, 2]])).kappa).toBeNull();
    expect(krippendorffAlpha(agreementOf([[2, 2], [2, 2]])).alpha).toBeNull();
  });

  it('states merge exactly: two halves equal one pass', () => {
    const items = [[1, 2, 2], [3, 3, 3, 1], [5], [2, 4], [1, 1, 2, 2, 3], [4, 4, 5]];
    const one = agreementOf(items);
    const two = mergeAgreementStates([roundTrip(agreementOf(items.slice(0, 3))), roundTrip(agreementOf(items.slice(3)))]);
    expect(two).toEqual(mergeAgreementStates([one]));
    expect(fleissKappa(two)).toEqual(fleissKappa(one));
    expect(krippendorffAlpha(two)).toEqual(krippendorffAlpha(one));
  });
});

describe('consolidate', () => {
  it('majority with each tie rule', () => {
    expect(consolidate([1, 1, 2], 'majority', 'lower')).toEqual({ value: 1, tie: false, agreement: 2 / 3, votes: 3 });
    const tied = [0, 0, 2, 2, 1]; // modes 0 and 2, median 1
    expect(consolidate(tied, 'majority', 'lower').value).toBe(0);
    expect(consolidate(tied, 'majority', 'higher').value).toBe(2);
    expect(consolidate(tied, 'majority', 'drop')).toMatchObject({ value: null, tie: true, agreement: 0 });
    // median rule: the mode nearest the median of all votes (2 here), lower on equal distance
    expect(consolidate([-1, -1, 1, 1, 2, 2, 2, 1, -1], 'majority', 'median').value).toBe(1);
    expect(consolidate([-2, -2, 0, 0, 2, 2], 'majority', 'median').value).toBe(0);
    expect(consolidate([-2, -2, 2, 2], 'majority', 'median').value).toBe(-2);
  });

  it('median and rounded mean', () => {
    expect(consolidate([1, 5, 2], 'median', 'lower').value).toBe(2);
    expect(consolidate([1, 2, 4, 5], 'median', 'lower')).toMatchObject({ value: 2, tie: true });
    expect(consolidate([1, 2, 4, 5], 'median', 'higher').value).toBe(4);
    expect(consolidate([1, 2, 4, 9], 'median', 'median').value).toBe(4); // mean 4 is nearer 4 than 2
    expect(consolidate([1, 2, 2, 4], 'mean', 'lower')).toMatchObject({ value: 2, tie: false, agreement: 0.5 }); // 2.25 → 2
    expect(consolidate([2, 3], 'mean', 'lower')).toMatchObject({ value: 2, tie: true });
    expect(consolidate([2, 3], 'mean', 'higher').value).toBe(3);
    expect(consolidate([2, 3], 'mean', 'drop').value).toBeNull();
    expect(consolidate([-2, -1], 'mean', 'higher').value).toBe(-1);
    expect(consolidate([], 'majority', 'lower').value).toBeNull();
  });
});

const STC3: LabelsOptions = {
  path: 'votes.S',
  target: 'satisfaction',
  method: 'majority',
  tie: 'lower',
  map: { '-2': 1, '-1': 2, '0': 3, '1': 4, '2': 5 },
  minVotes: 1,
  minAgreement: 0,
  lowAgreement: 'drop',
  alphaMetric: 'ordinal',
};

/** 19 STC-3-style votes on −2..2 around a centre value. */
function stcRecords(): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  const patterns: number[][] = [
    [...Array(12).fill(0), ...Array(4).fill(1), ...Array(3).fill(-1)], // clear 0
    [...Array(7).fill(-2), ...Array(7).fill(-1), ...Array(5).fill(0)], // tie −2 / −1
    [...Array(15).fill(2), ...Array(4).fill(1)], // clear 2
    [...Array(5).fill(-2), ...Array(4).fill(-1), ...Array(4).fill(0), ...Array(3).fill(1), ...Array(3).fill(2)], // spread
  ];
  for (let i = 0; i < 12; i++) out.push(makeRecord(`s${i}`, [['customer', '问题'], ['agent', '回答']], { votes: { S: patterns[i % 4] } }));
  return out;
}

function run(options: LabelsOptions, records: ConversationRecord[], halves = false, baseDir = tmpdir()) {
  const stage = createConsolidateLabels(options, { baseDir });
  if (halves) {
    const a = createConsolidateLabels(options, { baseDir });
    const b = createConsolidateLabels(options, { baseDir });
    a.fit.observe(records.slice(0, 5));
    b.fit.observe(records.slice(5));
    stage.fit.load([roundTrip(a.fit.state()), roundTrip(b.fit.state())]);
  } else {
    stage.fit.observe(records);
    stage.fit.load([roundTrip(stage.fit.state())]);
  }
  const { ctx, dropped } = makeCtx('consolidate-labels');
  const quarantined: string[] = [];
  const qctx: StageContext = { ...ctx, quarantine: (r, e) => quarantined.push(`${r.id}: ${e.code}`) };
  const out = stage.apply(structuredClone(records), qctx) as ConversationRecord[];
  stage.close?.();
  return { out, dropped, quarantined, summary: stage.summary!() as LabelsSummary };
}

describe('consolidate-labels stage', () => {
  it('majority through the value map, with distributions before and after', () => {
    const { out, dropped, summary } = run(STC3, stcRecords());
    expect(dropped).toEqual([]);
    expect(out.map((r) => r.labels.satisfaction)).toEqual([3, 1, 5, 1, 3, 1, 5, 1, 3, 1, 5, 1]);
    expect(out[0].labels.satisfactionAgreement).toBeCloseTo(12 / 19, 4);
    expect(out[0].labels.votes).toEqual({ S: stcRecords()[0].labels.votes!.S }); // votes stay
    expect(summary.before).toEqual({
      items: 12,
      votesTotal: 228,
      votes: { '-2': 36, '-1': 42, '0': 63, '1': 33, '2': 54 },
      votesMapped: { '1': 36, '2': 42, '3': 63, '4': 33, '5': 54 },
    });
    expect(summary.after).toEqual({ '1': 6, '3': 3, '5': 3 });
    expect(summary.agreement.pairableItems).toBe(12);
    expect(summary.agreement.fleissKappa).toBeGreaterThan(0);
    expect(summary.agreement.fleissKappa).toBeLessThan(1);
  });

  it('drops, reviews (atomically written file) or tags items under the agreement threshold', () => {
    const recs = stcRecords();
    // per-item agreement: 12/19 = .63, 7/19 = .37, 15/19 = .79, 5/19 = .26
    let r = run({ ...STC3, minAgreement: 0.5 }, recs);
    expect(r.out.map((x) => x.id)).toEqual(['s0', 's2', 's4', 's6', 's8', 's10']);
    expect(r.dropped.filter((d) => d.reason === 'low-agreement')).toHaveLength(6);

    const dir = mkdtempSync(join(tmpdir(), 'labels-review-'));
    r = run({ ...STC3, minAgreement: 0.5, lowAgreement: 'review', review: 'out/review.ndjson' }, recs, false, dir);
    expect(r.dropped.map((d) => d.reason)).toEqual(Array(6).fill('review'));
    const lines = readFileSync(join(dir, 'out/review.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.labels.satisfaction])).toEqual([
      ['s1', 1],
      ['s3', 1],
      ['s5', 1],
      ['s7', 1],
      ['s9', 1],
      ['s11', 1],
    ]);
    expect(readdirSync(join(dir, 'out'))).toEqual(['review.ndjson']); // no temp file left
    expect(r.summary.review).toEqual({ file: 'out/review.ndjson', records: 6 });

    r = run({ ...STC3, minAgreement: 0.5, lowAgreement: 'tag' }, recs);
    expect(r.out).toHaveLength(12);
    expect(r.out.filter((x) => x.labels.lowAgreement === true).map((x) => x.id)).toEqual(['s1', 's3', 's5', 's7', 's9', 's11']);
  });

  it('tie drop, missing votes, too few votes, bad votes and unmapped values', () => {
    const recs = [
      ...stcRecords().slice(0, 2),
      makeRecord('none', [['customer', '问']], {}),
      makeRecord('few', [['customer', '问']], { votes: { S: [1, null] } }),
      makeRecord('bad', [['customer', '问']], { votes: { S: [1, 'x'] } }),
      makeRecord('odd', [['customer', '问']], { votes: { S: [7, 7, 7] } }),
    ];
    const r = run({ ...STC3, tie: 'drop', minVotes: 2 }, recs);
    expect(r.out.map((x) => x.id)).toEqual(['s0']);
    expect(r.dropped.map((d) => [d.id, d.reason])).toEqual([
      ['s1', 'tie'],
      ['none', 'no-votes'],
      ['few', 'too-few-votes'],
    ]);
    expect(r.quarantined).toEqual(['bad: SCRUB_JSON_SHAPE', 'odd: SCRUB_JSON_SHAPE']);
  });

  it('an unmapped consolidated value is shown when it is a rating, not when it looks like a phone number', () => {
    const recs = [
      makeRecord('odd', [['customer', '问']], { votes: { S: [7, 7, 7] } }),
      makeRecord('phone', [['customer', '问']], { votes: { S: ['13812345678'] } }),
    ];
    const stage = createConsolidateLabels(STC3, { baseDir: tmpdir() });
    stage.fit.observe(recs);
    stage.fit.load([roundTrip(stage.fit.state())]);
    const { ctx } = makeCtx('consolidate-labels');
    const messages: string[] = [];
    stage.apply(structuredClone(recs), { ...ctx, quarantine: (_r, e) => messages.push(e.message) });
    expect(messages[0]).toBe('consolidated value 7 is not in the value map');
    expect(messages[1]).toMatch(/^consolidated value \(a number of 11 digits, not a rating: check path\) is not in the value map$/);
    expect(messages.join()).not.toContain('13812345678');
  });

  it('the JD use case: 3 raters on 1..5 with another path and the median', () => {
    const recs = [[5, 4, 4], [1, 2, 5], [3, 3, 3], [2, 4, 5]].map((v, i) => makeRecord(`jd${i}`, [['customer', '问']], { raters: v }));
    const r = run({ ...STC3, path: 'raters', map: {}, method: 'median', target: 'score' }, recs);
    expect(r.out.map((x) => x.labels.score)).toEqual([4, 2, 3, 4]);
    expect(r.out.map((x) => x.labels.scoreAgreement)).toEqual([0.6667, 0.3333, 1, 0.3333]);
  });

  it('fit on two halves gives the same result as one pass', () => {
    const one = run(STC3, stcRecords());
    const two = run(STC3, stcRecords(), true);
    expect(two.out).toEqual(one.out);
    expect(two.summary).toEqual(one.summary);
  });

  it('needs a review file for lowAgreement: review; exports a plugin', () => {
    expect(() => createConsolidateLabels({ ...STC3, lowAgreement: 'review' }, { baseDir: tmpdir() })).toThrow(/review/);
    expect(labelsPlugin.stages).toEqual([consolidateLabelsStage]);
  });
});
