import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import type { ConversationRecord, StageContext } from '@scrubline/core';
import { createConsolidateLabels, consolidateLabelsStage, type LabelsOptions } from '@scrubline/labels';
import { makeCtx, makeRecord, roundTrip } from '../../../fixtures/shaping/context.js';

// Vote values become report keys (before.votes, votesMapped, after, label.<v>). A `path` misconfigured to a
// phone or account field must neither fill the report with those numbers nor show one of them.

const BASE: LabelsOptions = { path: 'phone', target: 'satisfaction', method: 'majority', tie: 'lower', map: {}, minVotes: 1, minAgreement: 0, lowAgreement: 'drop', alphaMetric: 'ordinal' };
const phone = (i: number) => String(13800000000 + i * 7919);
const phones = (n: number, from = 0): ConversationRecord[] => Array.from({ length: n }, (_, i) => makeRecord(`r${from + i}`, [['customer', '问']], { phone: [phone(from + i)] }));

function thrown(f: () => unknown): { code?: string; message: string; field?: string } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string; field?: string };
  }
  throw new Error('expected a throw');
}

describe('consolidate-labels: label values as report keys', () => {
  it('more than maxLabelValues (default 64) distinct vote values is a config error naming the path and the count, not a value', () => {
    const stage = createConsolidateLabels(BASE, { baseDir: tmpdir() });
    const e = thrown(() => stage.fit.observe(phones(100)));
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.field).toBe('path');
    expect(e.message).toContain("path 'phone'");
    expect(e.message).toContain('100 distinct values');
    expect(e.message).toContain('maxLabelValues (64)');
    expect(e.message).not.toMatch(/\d{6}/);
    expect((consolidateLabelsStage.optionsSchema as any).properties.maxLabelValues.default).toBe(64);
  });

  it('counts the values of all shards together (each under the cap, the merged state over it)', () => {
    const opts = { ...BASE, maxLabelValues: 50 };
    const a = createConsolidateLabels(opts, { baseDir: tmpdir() });
    const b = createConsolidateLabels(opts, { baseDir: tmpdir() });
    a.fit.observe(phones(40));
    b.fit.observe(phones(40, 40));
    const stage = createConsolidateLabels(opts, { baseDir: tmpdir() });
    const e = thrown(() => stage.fit.load([roundTrip(a.fit.state()), roundTrip(b.fit.state())]));
    expect(e.code).toBe('SCRUB_CONFIG_INVALID');
    expect(e.message).toContain('has 80 distinct values, more than maxLabelValues (50)');
  });

  it('a few identifying-looking values under the cap are counted under their safeId form, never as themselves', () => {
    const recs = [...phones(3), makeRecord('ok', [['customer', '问']], { phone: [4, 4, 5] })];
    const stage = createConsolidateLabels(BASE, { baseDir: tmpdir() });
    stage.fit.observe(recs);
    stage.fit.load([roundTrip(stage.fit.state())]);
    const { ctx } = makeCtx('consolidate-labels');
    const out = stage.apply(structuredClone(recs), ctx) as ConversationRecord[];
    // the data keeps its values (a data-side field); only the report keys are masked
    expect(out.map((r) => r.labels.satisfaction)).toEqual([Number(phone(0)), Number(phone(1)), Number(phone(2)), 4]);
    const summary = stage.summary!() as any;
    expect(summary.before.votes).toEqual({ 4: 2, 5: 1, '###########': 3 });
    expect(summary.after).toEqual({ 4: 1, '###########': 3 });
    expect(ctx.report.counters['label.###########']).toBe(3);
    expect(ctx.report.counters['label.4']).toBe(1);
    const json = JSON.stringify({ s: summary, r: ctx.report.toJSON() });
    for (let i = 0; i < 3; i++) expect(json).not.toContain(phone(i));
  });

  it('with a value map, unmapped identifying values are masked in votesMapped and in the error message', () => {
    const recs = [makeRecord('a', [['customer', '问']], { phone: ['0.13812345678'] }), makeRecord('b', [['customer', '问']], { phone: [1] })];
    const stage = createConsolidateLabels({ ...BASE, map: { '1': 'low' } }, { baseDir: tmpdir() });
    stage.fit.observe(recs);
    stage.fit.load([roundTrip(stage.fit.state())]);
    const { ctx } = makeCtx('consolidate-labels');
    const messages: string[] = [];
    const qctx: StageContext = { ...ctx, quarantine: (_r, e) => messages.push(e.message) };
    stage.apply(structuredClone(recs), qctx);
    expect(messages).toEqual(['consolidated value (a number with 12 digits, not a rating: check path) is not in the value map']);
    const summary = stage.summary!() as any;
    expect(Object.keys(summary.before.votesMapped)).toEqual(['low', 'unmapped:#.###########']);
    expect(JSON.stringify(summary)).not.toContain('13812345678');
  });

  it('a rating scale is untouched by the cap', () => {
    const recs = [1, 2, 3, 4, 5].map((v, i) => makeRecord(`s${i}`, [['customer', '问']], { phone: [v, v] }));
    const stage = createConsolidateLabels({ ...BASE, maxLabelValues: 5 }, { baseDir: tmpdir() });
    stage.fit.observe(recs);
    stage.fit.load([roundTrip(stage.fit.state())]);
    expect(thrown(() => createConsolidateLabels({ ...BASE, maxLabelValues: 4 }, { baseDir: tmpdir() }).fit.observe(recs)).message).toContain('has at least 5 distinct values, more than maxLabelValues (4)');
  });
});
