import { isAbsolute, resolve } from 'node:path';
import { defineStage, LabelValueGuard, labelReportKey, maxLabelValuesSchema, ScrubError, writeAtomic, type ConversationRecord, type ScrublinePlugin, type Stage } from '@scrubline/core';
import { expandTrain, getPath, isTrain, labelKey, labelText, NO_LABEL, sortLabelRecord } from '@scrubline/split';
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
  // class keys (masked when they look identifying) become report keys (before.<l>, after.<l>, classes, weights)
  const labelOf = (r: ConversationRecord) => labelKey(getPath(r, o.labelPath));
  const guard = new LabelValueGuard({ stage: 'balance', field: 'labelPath', path: o.labelPath }, o.maxLabelValues);
  return {
    fit: {
      observe: (batch) => {
        for (const r of batch) {
          if (!isTrain(r)) continue;
          const text = labelText(getPath(r, o.labelPath));
          if (text === NO_LABEL) continue;
          guard.add(text);
          observeClass(local, labelReportKey(text), drawOf(seed, r.id).u);
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
        ctx.report.count(`before.${l}`);
        ctx.report.count(`after.${l}`, 1 + k);
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
        classes: p
          ? sortLabelRecord(Object.fromEntries(Object.entries(p.classes).map(([l, c]) => [l, { before: c.before, target: c.target, factor: round3(c.factor) }])))
          : null,
        weights: weights ? (weights as ClassWeights).weights : null,
        weightsBeforeOversampling: weights ? (weights as ClassWeights).weightsBeforeOversampling : null,
        weightsFile: o.weightsFile ?? null,
        /** What this shard read and wrote per class. */
        emitted: sortLabelRecord(emitted),
      };
    },
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const balancePlugin: ScrublinePlugin = { name: 'balance', stages: [balanceStage] };
