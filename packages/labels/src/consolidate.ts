export type Method = 'majority' | 'median' | 'mean';
/**
 * How a tie is broken, in every method: `majority` with several most frequent
 * values; `median` of an even number of votes with two different middle
 * values; `mean` exactly halfway between two integers.
 * `lower` / `higher`: the lower / higher candidate; `median`: the candidate
 * nearest the median of all votes (for `median` itself: nearest the mean),
 * the lower one if still tied; `drop`: no label (the item is dropped).
 */
export type TieRule = 'lower' | 'higher' | 'median' | 'drop';

export interface Consolidated {
  /** The consolidated raw value, or null when a tie was dropped or there were no votes. */
  value: number | null;
  /** True when the tie rule decided. */
  tie: boolean;
  /** Share of votes equal to `value` (0 when null). */
  agreement: number;
  votes: number;
}

/** Lower middle value of sorted numbers. */
function lowerMedian(sorted: number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function nearest(cands: number[], to: number): number {
  let best = cands[0];
  for (const c of cands) if (Math.abs(c - to) < Math.abs(best - to)) best = c;
  return best; // cands are sorted ascending, so the lower one wins an equal distance
}

function breakTie(cands: number[], rule: TieRule, anchor: () => number): number | null {
  if (rule === 'drop') return null;
  if (rule === 'lower') return cands[0];
  if (rule === 'higher') return cands[cands.length - 1];
  return nearest(cands, anchor());
}

export function consolidate(votes: readonly number[], method: Method, tie: TieRule): Consolidated {
  const n = votes.length;
  if (n === 0) return { value: null, tie: false, agreement: 0, votes: 0 };
  const sorted = [...votes].sort((a, b) => a - b);
  let value: number | null;
  let isTie = false;
  if (method === 'majority') {
    const counts = new Map<number, number>();
    for (const v of sorted) counts.set(v, (counts.get(v) ?? 0) + 1);
    const top = Math.max(...counts.values());
    const modes = [...counts.entries()].filter(([, c]) => c === top).map(([v]) => v);
    isTie = modes.length > 1;
    value = isTie ? breakTie(modes, tie, () => lowerMedian(sorted)) : modes[0];
  } else if (method === 'median') {
    const lo = sorted[Math.floor((n - 1) / 2)];
    const hi = sorted[Math.floor(n / 2)];
    isTie = lo !== hi;
    value = isTie ? breakTie([lo, hi], tie, () => mean(sorted)) : lo;
  } else {
    const m = mean(sorted);
    const f = Math.floor(m);
    // exact halves only: 2.5 is a tie, 2.4999… (not representable from integer votes anyway) is not
    isTie = m - f === 0.5;
    value = isTie ? breakTie([f, f + 1], tie, () => lowerMedian(sorted)) : Math.round(m);
  }
  const agreement = value === null ? 0 : votes.filter((v) => v === value).length / n;
  return { value, tie: isTie, agreement, votes: n };
}

/** Value at a dotted path (`labels.satisfaction`, `meta.customerId`, `id`); core's helper. */
export { getDotted as getPath } from '@scrubline/core';

/**
 * Votes from a record's labels: an array of numbers (numeric strings are
 * accepted; null / undefined / '' are missing raters). Returns a reason
 * string when the value has another shape.
 */
export function readVotes(value: unknown): number[] | string {
  if (value === undefined || value === null) return 'missing';
  if (!Array.isArray(value)) return 'not an array';
  const out: number[] = [];
  for (const v of value) {
    if (v === null || v === undefined || v === '') continue;
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(x)) return 'holds a value that is not a number';
    out.push(x);
  }
  return out;
}
