import { defineStage, LabelReportKeys, LabelValueGuard, maxLabelValuesSchema, ScrubError, type ConversationRecord, type ScrublinePlugin, type Stage } from '@scrubline/core';
import {
  getPath,
  groupHash,
  labelKey,
  mergeSplitStates,
  NO_LABEL,
  observeRecord,
  planSplit,
  sortLabelRecord,
  toSplitState,
  type GroupCounts,
  type SplitName,
  type SplitPlan,
  type SplitPlanStats,
  type SplitRatios,
  type SplitState,
} from './core.js';

export * from './core.js';

export interface SplitOptions {
  /** Shares of train / validation / test; normalised to sum to 1; a share left out is 0. */
  ratios: Partial<SplitRatios>;
  /** Dotted path of the label to stratify by, from the record root. */
  labelPath: string;
  /** Dotted path of the group key (customer, session family); records of one group share a split. */
  groupPath: string;
  /** Stratify by label (true) or only by group (false). */
  stratify: boolean;
  /** Extra text mixed into the seed, to draw a different split with the same run seed. */
  salt: string;
  /** More distinct label values than this (default 64) is a configuration error: `labelPath` points at an id or phone field. */
  maxLabelValues?: number;
}

export const splitStage = defineStage<SplitOptions>({
  name: 'split',
  description: 'Assign meta.split = train|validation|test by ratio, stratified by label, grouped by customer, deterministic from the seed (global: one fit pass).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ratios: {
        description: 'shares of train / validation / test (normalised; a share left out is 0)',
        type: 'object',
        additionalProperties: false,
        properties: {
          train: { type: 'number', minimum: 0 },
          validation: { type: 'number', minimum: 0 },
          test: { type: 'number', minimum: 0 },
        },
        default: { train: 0.8, validation: 0.1, test: 0.1 },
      },
      labelPath: { description: 'dotted path of the label to stratify by', type: 'string', minLength: 1, default: 'labels.satisfaction' },
      groupPath: { description: 'dotted path of the group key (e.g. meta.customerId); one group never spans two splits', type: 'string', minLength: 1, default: 'id' },
      stratify: { description: 'stratify by the label', type: 'boolean', default: true },
      salt: { description: 'extra seed text: another split with the same run seed', type: 'string', default: '' },
      maxLabelValues: maxLabelValuesSchema,
    },
  },
  example: { ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'labels.satisfaction', groupPath: 'meta.customerId', stratify: true, salt: '' },
  create: (o, env) => createSplit(o, env.seed),
});

/** Group key of a record: the value at groupPath, or the record id when it is missing. */
function groupKeyOf(record: ConversationRecord, groupPath: string): { key: string; missing: boolean } {
  const v = getPath(record, groupPath);
  if (v === undefined || v === null || v === '') return { key: `id\u0000${record.id}`, missing: true };
  return { key: `g\u0000${typeof v === 'string' ? v : JSON.stringify(v)}`, missing: false };
}

export function createSplit(o: SplitOptions, seed: string): Stage {
  const given: Partial<SplitRatios> = o.ratios ?? { train: 0.8, validation: 0.1, test: 0.1 };
  const ratios: SplitRatios = { train: given.train ?? 0, validation: given.validation ?? 0, test: given.test ?? 0 };
  if (!(ratios.train + ratios.validation + ratios.test > 0)) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', 'split ratios must add up to more than 0', { field: 'ratios' });
  }
  const runSeed = o.salt ? `${seed}\u0000${o.salt}` : seed;
  const local: GroupCounts = new Map();
  let plan: SplitPlan | null = null;
  const emitted: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
  // label values become report keys (label.<l>.<split>, plan stats), shown masked where they look
  // identifying; a labelPath at an id or phone field is a config error
  const shown = new LabelReportKeys();
  const guard = new LabelValueGuard({ stage: 'split', field: 'labelPath', path: o.labelPath }, o.maxLabelValues);
  return {
    fit: {
      observe: (batch) => {
        for (const r of batch) {
          const label = labelKey(getPath(r, o.labelPath));
          if (label !== NO_LABEL) guard.add(label);
          observeRecord(local, groupHash(groupKeyOf(r, o.groupPath).key), label);
        }
        guard.check();
      },
      state: (): SplitState => ({ ...toSplitState(local), labelValues: guard.hashes() }),
      load: (states: SplitState[]) => {
        const groups = mergeSplitStates(states);
        const labels = new Set<string>();
        for (const g of groups.values()) for (const l of g.keys()) if (l !== NO_LABEL) labels.add(l);
        guard.checkMerged(states.map((st) => st.labelValues), labels.size);
        plan = planSplit(groups, ratios, runSeed, o.stratify);
      },
    },
    apply: (batch, ctx) => {
      if (!plan) throw new ScrubError('SCRUB_STAGE_FAILED', 'split ran without its fit pass', { stage: ctx.stageId });
      const out: ConversationRecord[] = [];
      for (const r of batch) {
        const g = groupKeyOf(r, o.groupPath);
        if (g.missing && o.groupPath !== 'id') ctx.report.count('group-key-missing');
        const s = plan.assignment.get(groupHash(g.key));
        if (!s) {
          ctx.quarantine(r, new ScrubError('SCRUB_STAGE_FAILED', 'record was not seen by the fit pass of the split stage', { record: r.id, stage: ctx.stageId }));
          continue;
        }
        r.meta = { ...r.meta, split: s };
        emitted[s]++;
        ctx.report.count(`split.${s}`);
        ctx.report.count(`label.${shown.key(labelKey(getPath(r, o.labelPath)))}.${s}`);
        out.push(r);
      }
      return out;
    },
    summary: () => ({
      ratios,
      labelPath: o.labelPath,
      groupPath: o.groupPath,
      stratify: o.stratify,
      /** Whole-corpus plan (identical in every shard), labels as report keys. */
      plan: plan ? reportStats((plan as SplitPlan).stats, shown) : null,
      /** Records this shard wrote per split. */
      emitted,
    }),
  };
}

/** The plan's statistics with labels as report keys (classes that show alike added up). */
function reportStats(stats: SplitPlanStats, shown: LabelReportKeys): SplitPlanStats {
  const splits = {} as SplitPlanStats['splits'];
  for (const [s, st] of Object.entries(stats.splits) as [SplitName, SplitPlanStats['splits'][SplitName]][]) splits[s] = { ...st, labels: sortLabelRecord(shown.counts(st.labels)) };
  return { ...stats, splits, labels: sortLabelRecord(shown.counts(stats.labels)) };
}

export const splitPlugin: ScrublinePlugin = { name: 'split', stages: [splitStage] };
