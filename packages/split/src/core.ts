import { createHash } from 'node:crypto';
import { hash52, stableStringify, type ConversationRecord } from '@scrubline/core';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

/** Label key of records without a label (their own stratum). */
export const NO_LABEL = '(none)';

/** Value at a dotted path (`labels.satisfaction`, `meta.customerId`, `id`); core's helper. */
export { getDotted as getPath } from '@scrubline/core';

/**
 * The stratum (class) key of a label value: strings and numbers as text, objects as stable JSON, missing
 * as `(none)`. The raw value: classes that would look alike when masked stay apart; reports show keys
 * through core's `LabelReportKeys`.
 */
export function labelKey(value: unknown): string {
  if (value === undefined || value === null || value === '') return NO_LABEL;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return stableStringify(value);
}

/** Sorts label keys numerically when both are numbers, else by code unit. */
export function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The split a record was given by the split stage (undefined when it was not split). */
export function splitOf(record: ConversationRecord): string | undefined {
  const s = record.meta?.split;
  return typeof s === 'string' ? s : undefined;
}

/** True only for records the split stage put in `train`: the only ones balance and augment may touch. */
export function isTrain(record: ConversationRecord): boolean {
  return splitOf(record) === 'train';
}

/**
 * Group hash: 64 bits of SHA-256 of the group key, so the fit state holds no
 * customer id in the clear. Collisions (≈3e-8 at 1e6 groups) only merge two
 * groups, which keeps them in one split: never a leak.
 */
export function groupHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * Fit state of the split stage: for each group (by hash), the number of its
 * records per label. JSON; shards merge by adding counts.
 */
export interface SplitState {
  v: 1;
  groups: Record<string, Record<string, number>>;
  /** The shard's distinct label values as short hashes (LabelValueGuard), for the merged count. */
  labelValues?: string[];
}

/** In-memory counts: group hash → label → records (Maps: fast with millions of groups). */
export type GroupCounts = Map<string, Map<string, number>>;

export function observeRecord(counts: GroupCounts, gHash: string, label: string): void {
  let g = counts.get(gHash);
  if (!g) counts.set(gHash, (g = new Map()));
  g.set(label, (g.get(label) ?? 0) + 1);
}

export function toSplitState(counts: GroupCounts): SplitState {
  const groups: Record<string, Record<string, number>> = {};
  for (const [g, labels] of counts) groups[g] = Object.fromEntries(labels);
  return { v: 1, groups };
}

export function mergeSplitStates(states: SplitState[]): GroupCounts {
  const out: GroupCounts = new Map();
  for (const s of states) {
    for (const g in s.groups) {
      const labels = s.groups[g];
      let t = out.get(g);
      if (!t) out.set(g, (t = new Map()));
      for (const l in labels) t.set(l, (t.get(l) ?? 0) + labels[l]);
    }
  }
  return out;
}

export function normaliseRatios(r: SplitRatios): SplitRatios {
  const sum = r.train + r.validation + r.test;
  if (!(sum > 0)) throw new RangeError('split ratios must add up to more than 0');
  return { train: r.train / sum, validation: r.validation / sum, test: r.test / sum };
}

export interface SplitPlanStats {
  groups: number;
  records: number;
  /** Per split: records, groups and records per label. */
  splits: Record<SplitName, { records: number; groups: number; labels: Record<string, number> }>;
  /** Per label: records in the corpus. */
  labels: Record<string, number>;
}

export interface SplitPlan {
  assignment: Map<string, SplitName>;
  stats: SplitPlanStats;
}

/**
 * Assigns every group to a split, stratified by the group's dominant label
 * (most records; ties to the lowest label). Within a stratum, groups are taken
 * largest first, ties in an order drawn from the seed, and each goes to the
 * split furthest below its target share of the stratum's records. The result
 * depends only on the merged state, the ratios and the seed, never on shard
 * layout or input order.
 */
export function planSplit(groups: GroupCounts, ratiosIn: SplitRatios, seed: string, stratify = true): SplitPlan {
  const ratios = normaliseRatios(ratiosIn);
  const strata = new Map<string, { hash: string; size: number; rank: number }[]>();
  const labelTotals: Record<string, number> = Object.create(null);
  let records = 0;
  for (const [g, labels] of groups) {
    let size = 0;
    let top = '';
    let topN = -1;
    const keys = labels.size === 1 ? [...labels.keys()] : [...labels.keys()].sort(compareLabels);
    for (const l of keys) {
      const n = labels.get(l)!;
      size += n;
      labelTotals[l] = (labelTotals[l] ?? 0) + n;
      if (n > topN) {
        top = l;
        topN = n;
      }
    }
    records += size;
    const stratum = stratify ? top : '*';
    let list = strata.get(stratum);
    if (!list) strata.set(stratum, (list = []));
    list.push({ hash: g, size, rank: hash52(`${seed}\u0000split\u0000${g}`) });
  }
  const assignment = new Map<string, SplitName>();
  const splits = Object.fromEntries(SPLIT_NAMES.map((s) => [s, { records: 0, groups: 0, labels: Object.create(null) as Record<string, number> }])) as SplitPlanStats['splits'];
  for (const stratum of [...strata.keys()].sort(compareLabels)) {
    const list = strata.get(stratum)!;
    list.sort((a, b) => b.size - a.size || a.rank - b.rank || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const assigned: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
    let total = 0;
    for (const g of list) {
      total += g.size;
      let best: SplitName = 'train';
      let bestDeficit = -Infinity;
      for (const s of SPLIT_NAMES) {
        if (ratios[s] <= 0) continue;
        const deficit = ratios[s] * total - assigned[s];
        if (deficit > bestDeficit + 1e-9) {
          best = s;
          bestDeficit = deficit;
        }
      }
      assigned[best] += g.size;
      assignment.set(g.hash, best);
      const st = splits[best];
      st.records += g.size;
      st.groups++;
      for (const [l, n] of groups.get(g.hash)!) st.labels[l] = (st.labels[l] ?? 0) + n;
    }
  }
  for (const s of SPLIT_NAMES) splits[s].labels = sortLabelRecord(splits[s].labels);
  return { assignment, stats: { groups: assignment.size, records, splits, labels: sortLabelRecord(labelTotals) } };
}

export function sortLabelRecord<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort(compareLabels)) out[k] = o[k];
  return out;
}

/**
 * The train-only pattern of balance and augment: every record goes on, in order;
 * records outside `train` are counted as `not-train` (or `no-split` when no split
 * stage ran before: a pipeline that forgot it shows up in the report) and left
 * untouched; each train record is followed by whatever `extra` returns for it.
 */
export function expandTrain(
  batch: ConversationRecord[],
  report: { count(key: string, n?: number): void },
  extra: (record: ConversationRecord) => ConversationRecord[],
): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (const r of batch) {
    out.push(r);
    if (!isTrain(r)) report.count(splitOf(r) === undefined ? 'no-split' : 'not-train');
    else for (const x of extra(r)) out.push(x);
  }
  return out;
}
