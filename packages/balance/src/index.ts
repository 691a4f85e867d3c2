import { isAbsolute, resolve } from 'node:path';
import { defineStage, LabelReportKeys, LabelValueGuard, maxLabelValuesSchema, ScrubError, writeAtomic, type ConversationRecord, type ScrublinePlugin, type Stage } from '@scrubline/core';
import { expandTrain, getPath, isTrain, labelKey, NO_LABEL, sortLabelRecord } from '@scrubline/split';
import {
  classWeights,
  copiesFor,
  drawOf,
  emptyBalanceState,
  mergeBalanceStates,
  observeClass,
  planBalance,
  type BalancePlan,
  type BalanceState,
  type BalanceStrategy,
  type ClassWeights,
} from './core.js';

export * from './core.js';

export interface BalanceOptions {
  strategy: BalanceStrategy;
  /** Cap on target / before per class (uniform: no cap unless set; inverse: 3 unless set). */
  maxFactor?: number;
  /** Exponent of the inverse frequency (inverse strategy only): 1 = plain inverse frequency, 0.5 = square root. */
  power: number;
  /** Dotted path of the class label from the record root. */
  labelPath: string;
  /** Where to write the class weights JSON (relative to the pipeline folder); written atomically (temp → rename). */
  weightsFile?: string;
  /** More distinct label values than this (default 64) is a configuration error: `labelPath` points at an id or phone field. */
  maxLabelValues?: number;
}

export const balanceStage = defineStage<BalanceOptions>({
  name: 'balance',
  description: 'Oversample minority classes of the train split to a target (uniform or capped inverse frequency), deterministically; write class weights (global: one fit pass).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      strategy: { description: 'uniform: every class to the largest; inverse: (max/n)^power, capped at maxFactor', enum: ['uniform', 'inverse'], default: 'uniform' },
      maxFactor: { description: 'cap on target / count per class (inverse: 3 unless set; uniform: none unless set)', type: 'number', minimum: 1 },
      power: { description: 'inverse-frequency exponent (1 plain, 0.5 square root)', type: 'number', exclusiveMinimum: 0, maximum: 4, default: 1 },
      labelPath: { description: 'dotted path of the class label', type: 'string', minLength: 1, default: 'labels.satisfaction' },
      weightsFile: { description: 'write class weights JSON here (atomic)', type: 'string', minLength: 1 },
      maxLabelValues: maxLabelValuesSchema,
    },
  },
  example: { strategy: 'inverse', maxFactor: 3, power: 1, labelPath: 'labels.satisfaction', weightsFile: 'out/class-weights.json' },
  global: () => true,
  create: (o, env) => createBalance(o, env.seed, env.baseDir),
});

/** An oversampled copy: new id `<id>#os<k>`, marked in meta. */
export function oversampledCopy(record: ConversationRecord, k: number): ConversationRecord {
  const copy = structuredClone(record);
  copy.id = `${record.id}#os${k}`;
  copy.meta = { ...copy.meta, oversampled: true, oversampledFrom: record.id };
  return copy;
}

export function createBalance(o: BalanceOptions, seed: string, baseDir: string): Stage {
  const local = emptyBalanceState();
  let plan: BalancePlan | null = null;
  let weights: ClassWeights | null = null;
  const emitted: Record<string, { in: number; out: number }> = {};
  // the classes are the raw label values (plan, copies, weights file); in the report (before.<l>,
  // after.<l>, classes, weights, emitted) they show masked where they look identifying
  const labelOf = (r: ConversationRecord) => labelKey(getPath(r, o.labelPath));
  const shown = new LabelReportKeys();
  const guard = new LabelValueGuard({ stage: 'balance', field: 'labelPath', path: o.labelPath }, o.maxLabelValues);
  return {
    fit: {
      observe: (batch) => {
        for (const r of batch) {
          if (!isTrain(r)) continue;
          const label = labelOf(r);
          if (label === NO_LABEL) continue;
          guard.add(label);
          observeClass(local, label, drawOf(seed, r.id).u);
        }
        guard.check();
      },
      state: (): BalanceState => ({ ...local, labelValues: guard.hashes() }),
      load: async (states: BalanceState[]) => {
        const merged = mergeBalanceStates(states);
        guard.checkMerged(states.map((st) => st.labelValues), Object.keys(merged.classes).length);
        plan = planBalance(merged, { strategy: o.strategy, maxFactor: o.maxFactor, power: o.power });
        weights = classWeights(plan);
        if (o.weightsFile) {
          const path = isAbsolute(o.weightsFile) ? o.weightsFile : resolve(baseDir, o.weightsFile);
          const doc = { labelPath: o.labelPath, strategy: o.strategy, maxFactor: o.maxFactor ?? null, power: o.power, ...weights };
          try {
            await writeAtomic(path, JSON.stringify(doc, null, 2) + '\n');
          } catch (e) {
            throw new ScrubError('SCRUB_OUTPUT_FAILED', 'could not write the class weights file', { file: o.weightsFile, field: 'weightsFile' }, { cause: e });
          }
        }
      },
    },
    apply: (batch, ctx) => {
      if (!plan) throw new ScrubError('SCRUB_STAGE_FAILED', 'balance ran without its fit pass', { stage: ctx.stageId });
      const p = plan;
      return expandTrain(batch, ctx.report, (r) => {
        const l = labelOf(r);
        const cls = p.classes[l];
        if (!cls) {
          ctx.report.count(l === NO_LABEL ? 'no-label' : 'class-not-in-fit');
          return [];
        }
        const k = copiesFor(cls, drawOf(seed, r.id));
        const e = (emitted[l] ??= { in: 0, out: 0 });
        e.in++;
        e.out += 1 + k;
        const key = shown.key(l);
        ctx.report.count(`before.${key}`);
        ctx.report.count(`after.${key}`, 1 + k);
        if (k > 0) ctx.report.count('copies', k);
        return Array.from({ length: k }, (_, i) => oversampledCopy(r, i + 1));
      });
    },
    summary: () => {
      const p = plan as BalancePlan | null;
      return {
        strategy: o.strategy,
        labelPath: o.labelPath,
        maxFactor: o.maxFactor ?? null,
        power: o.power,
        /** Whole train split (from the merged fit states; the same in every shard). */
        classes: p ? reportClasses(p, shown) : null,
        weights: weights && p ? reportWeights((weights as ClassWeights).weights, p, 'target', shown) : null,
        weightsBeforeOversampling: weights && p ? reportWeights((weights as ClassWeights).weightsBeforeOversampling, p, 'before', shown) : null,
        weightsFile: o.weightsFile ?? null,
        /** What this shard read and wrote per class. */
        emitted: reportEmitted(emitted, shown),
      };
    },
  };
}

/** The plan's classes by report key; classes that show alike are added up (factor = target / before). */
function reportClasses(p: BalancePlan, shown: LabelReportKeys): Record<string, { before: number; target: number; factor: number }> {
  const out: Record<string, { before: number; target: number; factor: number }> = {};
  const n: Record<string, number> = {};
  for (const [l, c] of Object.entries(p.classes)) {
    const k = shown.key(l);
    const e = (out[k] ??= { before: 0, target: 0, factor: 0 });
    e.before += c.before;
    e.target += c.target;
    e.factor = (n[k] = (n[k] ?? 0) + 1) === 1 ? round3(c.factor) : round3(e.target / e.before);
  }
  return sortLabelRecord(out);
}

/** Weights by report key; classes that show alike get their mean weighted by their counts (`by`). */
function reportWeights(w: Record<string, number>, p: BalancePlan, by: 'before' | 'target', shown: LabelReportKeys): Record<string, number> {
  const sum: Record<string, number> = {};
  const count: Record<string, number> = {};
  const only: Record<string, number | null> = {};
  for (const [l, x] of Object.entries(w)) {
    const k = shown.key(l);
    const c = p.classes[l][by];
    sum[k] = (sum[k] ?? 0) + x * c;
    count[k] = (count[k] ?? 0) + c;
    only[k] = k in only ? null : x;
  }
  const out: Record<string, number> = {};
  for (const k of Object.keys(sum)) out[k] = only[k] ?? Math.round((sum[k] / count[k]) * 1e6) / 1e6;
  return sortLabelRecord(out);
}

function reportEmitted(emitted: Record<string, { in: number; out: number }>, shown: LabelReportKeys): Record<string, { in: number; out: number }> {
  const out: Record<string, { in: number; out: number }> = {};
  for (const [l, e] of Object.entries(emitted)) {
    const r = (out[shown.key(l)] ??= { in: 0, out: 0 });
    r.in += e.in;
    r.out += e.out;
  }
  return sortLabelRecord(out);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const balancePlugin: ScrublinePlugin = { name: 'balance', stages: [balanceStage] };
