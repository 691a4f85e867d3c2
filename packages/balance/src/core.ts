import { createHash } from 'node:crypto';
import { compareLabels, sortLabelRecord } from '@scrubline/split';

export type BalanceStrategy = 'uniform' | 'inverse';

/** Buckets of the per-record uniform draw kept in the fit state (exact rank selection up to one bucket). */
export const BUCKETS = 1 << 16;

/**
 * Fit state: per class, the train record count and a sparse histogram of each
 * record's seeded draw (bucket → count). JSON; shards merge by adding.
 * Size is bounded by classes × 65,536 entries, whatever the corpus size.
 */
export interface BalanceState {
  v: 1;
  classes: Record<string, { n: number; hist: Record<string, number> }>;
  /** The shard's distinct label values as short hashes (LabelValueGuard), for the merged count. */
  labelValues?: string[];
}

export function emptyBalanceState(): BalanceState {
  return { v: 1, classes: Object.create(null) };
}

/** Two independent uniforms in [0,1) for a record id: `u` ranks it, `v` breaks the one shared bucket. */
export function drawOf(seed: string, id: string): { u: number; v: number } {
  const h = createHash('sha256').update(`${seed}\u0000balance\u0000${id}`).digest();
  return { u: h.readUInt32LE(0) / 4294967296, v: h.readUInt32LE(4) / 4294967296 };
}

export function observeClass(state: BalanceState, label: string, u: number): void {
  const c = (state.classes[label] ??= { n: 0, hist: Object.create(null) });
  c.n++;
  const b = String(Math.floor(u * BUCKETS));
  c.hist[b] = (c.hist[b] ?? 0) + 1;
}

export function mergeBalanceStates(states: BalanceState[]): BalanceState {
  const out = emptyBalanceState();
  for (const s of states) {
    for (const [label, c] of Object.entries(s.classes)) {
      const t = (out.classes[label] ??= { n: 0, hist: Object.create(null) });
      t.n += c.n;
      for (const [b, n] of Object.entries(c.hist)) t.hist[b] = (t.hist[b] ?? 0) + n;
    }
  }
  return out;
}

export interface ClassPlan {
  /** Train records of the class before balancing. */
  before: number;
  /** Target count after oversampling. */
  target: number;
  factor: number;
  /** Copies every record gets. */
  base: number;
  /** Records whose draw falls in a bucket below this get one copy more. */
  cutBucket: number;
  /** In the cut bucket, records with v < cutFraction get one copy more. */
  cutFraction: number;
}

export interface BalancePlan {
  strategy: BalanceStrategy;
  classes: Record<string, ClassPlan>;
}

export interface BalanceTargetOptions {
  strategy: BalanceStrategy;
  /** Cap on target/before per class; uniform: none unless set; inverse: default 3. */
  maxFactor?: number;
  /** Inverse frequency exponent: factor = (max / n)^power, capped at maxFactor. */
  power?: number;
}

/**
 * Targets per class: `uniform` brings every class to the largest class count;
 * `inverse` multiplies class c by (max/n_c)^power, capped at maxFactor. Extra
 * copies are spread over the class: every record gets ⌊E/n⌋, and the records
 * with the lowest seeded draws get one more, chosen through the merged
 * histogram so that the total hits the target (exactly, unless several records
 * share the cut bucket, where a second draw decides).
 */
export function planBalance(state: BalanceState, o: BalanceTargetOptions): BalancePlan {
  const labels = Object.keys(state.classes).sort(compareLabels);
  const max = Math.max(0, ...labels.map((l) => state.classes[l].n));
  const cap = o.maxFactor ?? (o.strategy === 'inverse' ? 3 : Infinity);
  const power = o.power ?? 1;
  const classes: Record<string, ClassPlan> = {};
  for (const l of labels) {
    const c = state.classes[l];
    const n = c.n;
    let factor = o.strategy === 'uniform' ? max / n : Math.pow(max / n, power);
    factor = Math.max(1, Math.min(factor, cap));
    const target = Math.max(n, Math.min(Math.round(n * factor), Math.floor(n * cap + 1e-9)));
    const extra = target - n;
    const base = Math.floor(extra / n);
    let rem = extra - base * n;
    let cutBucket = 0;
    let cutFraction = 0;
    if (rem > 0) {
      const buckets = Object.keys(c.hist)
        .map(Number)
        .sort((a, b) => a - b);
      cutBucket = BUCKETS;
      for (const b of buckets) {
        const k = c.hist[String(b)];
        if (rem < k) {
          cutBucket = b;
          cutFraction = rem / k;
          break;
        }
        rem -= k;
      }
    }
    classes[l] = { before: n, target, factor: target / n, base, cutBucket, cutFraction };
  }
  return { strategy: o.strategy, classes };
}

/** Number of oversampled copies of one record of class `plan`. */
export function copiesFor(plan: ClassPlan, draw: { u: number; v: number }): number {
  const b = Math.floor(draw.u * BUCKETS);
  const more = b < plan.cutBucket || (b === plan.cutBucket && draw.v < plan.cutFraction) ? 1 : 0;
  return plan.base + more;
}

export interface ClassWeights {
  labels: string[];
  counts: { before: Record<string, number>; after: Record<string, number> };
  /** Balanced weights n / (k · n_c) over the counts after oversampling: use these with the oversampled train split. */
  weights: Record<string, number>;
  /** The same over the counts before oversampling: for training on the un-oversampled data. */
  weightsBeforeOversampling: Record<string, number>;
}

export function classWeights(plan: BalancePlan): ClassWeights {
  const labels = Object.keys(plan.classes).sort(compareLabels);
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  for (const l of labels) {
    before[l] = plan.classes[l].before;
    after[l] = plan.classes[l].target;
  }
  return {
    labels,
    counts: { before: sortLabelRecord(before), after: sortLabelRecord(after) },
    weights: balanced(after, labels),
    weightsBeforeOversampling: balanced(before, labels),
  };
}

function balanced(counts: Record<string, number>, labels: string[]): Record<string, number> {
  const total = labels.reduce((s, l) => s + counts[l], 0);
  const out: Record<string, number> = {};
  for (const l of labels) out[l] = round6(total / (labels.length * counts[l]));
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
