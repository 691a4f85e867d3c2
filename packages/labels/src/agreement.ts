/**
 * Inter-rater agreement from additive integer statistics, so that shard
 * states merge exactly (sums of integers) and the result does not depend on
 * how the corpus was split:
 *
 * - Fleiss' kappa (Fleiss 1971), generalised to a varying number of ratings
 *   per item: P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)), P̄ = mean P_i,
 *   p_j = Σ_i n_ij / Σ_i n_i, P̄e = Σ p_j², κ = (P̄ − P̄e) / (1 − P̄e).
 *   Kept per n as the integer Σ (Σ_j n_ij² − n_i).
 * - Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
 *   alpha-reliability"): coincidences o_ck = Σ_u pairs_u(c, k) / (m_u − 1),
 *   kept per m as the integer pair counts; α = 1 − (n − 1) Σ o_ck δ²_ck /
 *   Σ n_c n_k δ²_ck with the ordinal, interval or nominal metric.
 *
 * Items with fewer than two ratings are not pairable and count in neither.
 */
export type AlphaMetric = 'ordinal' | 'interval' | 'nominal';

export interface AgreementState {
  v: 1;
  /** Items seen (with at least one rating). */
  items: number;
  /** All ratings by value (the raw label distribution). */
  votes: Record<string, number>;
  /** The shard's distinct vote values as short hashes (LabelValueGuard), for the merged count. */
  labelValues?: string[];
  /** Per ratings-per-item n (≥ 2): items and Σ_i (Σ_j n_ij² − n_i). */
  fleiss: Record<string, { items: number; sumSq: number }>;
  /** Ratings by value over pairable items. */
  pairable: Record<string, number>;
  /** Per m (≥ 2): pair counts "c|k" → Σ_u n_uc (n_uk − [c = k]). */
  pairs: Record<string, Record<string, number>>;
}

export function emptyAgreementState(): AgreementState {
  return { v: 1, items: 0, votes: {}, fleiss: {}, pairable: {}, pairs: {} };
}

const key = (v: number) => String(v);

/** Adds one item's ratings (numbers; missing raters already removed). */
export function addItem(s: AgreementState, ratings: readonly number[]): void {
  if (ratings.length === 0) return;
  s.items++;
  const counts = new Map<number, number>();
  for (const r of ratings) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const [v, c] of counts) s.votes[key(v)] = (s.votes[key(v)] ?? 0) + c;
  const n = ratings.length;
  if (n < 2) return;
  let sq = 0;
  for (const c of counts.values()) sq += c * c;
  const f = (s.fleiss[n] ??= { items: 0, sumSq: 0 });
  f.items++;
  f.sumSq += sq - n;
  for (const [v, c] of counts) s.pairable[key(v)] = (s.pairable[key(v)] ?? 0) + c;
  const p = (s.pairs[n] ??= {});
  for (const [c, nc] of counts) {
    for (const [k, nk] of counts) {
      const pk = `${key(c)}|${key(k)}`;
      p[pk] = (p[pk] ?? 0) + nc * (c === k ? nk - 1 : nk);
    }
  }
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Sums states (exact: integers). */
export function mergeAgreementStates(states: readonly AgreementState[]): AgreementState {
  const out = emptyAgreementState();
  for (const s of states) {
    out.items += s.items;
    addInto(out.votes, s.votes);
    addInto(out.pairable, s.pairable);
    for (const [n, f] of Object.entries(s.fleiss)) {
      const o = (out.fleiss[n] ??= { items: 0, sumSq: 0 });
      o.items += f.items;
      o.sumSq += f.sumSq;
    }
    for (const [m, p] of Object.entries(s.pairs)) addInto((out.pairs[m] ??= {}), p);
  }
  return out;
}

const byNumber = (a: string, b: string) => Number(a) - Number(b);

export interface FleissResult {
  kappa: number | null;
  /** Mean observed agreement P̄. */
  observed: number;
  /** Chance agreement P̄e. */
  expected: number;
  items: number;
}

export function fleissKappa(s: AgreementState): FleissResult {
  let items = 0;
  let sumP = 0;
  for (const n of Object.keys(s.fleiss).sort(byNumber)) {
    const f = s.fleiss[n];
    const nn = Number(n);
    items += f.items;
    sumP += f.sumSq / (nn * (nn - 1));
  }
  let total = 0;
  for (const v of Object.values(s.pairable)) total += v;
  let expected = 0;
  for (const k of Object.keys(s.pairable).sort(byNumber)) expected += (s.pairable[k] / total) ** 2;
  if (items === 0) return { kappa: null, observed: 0, expected: 0, items };
  const observed = sumP / items;
  const kappa = expected >= 1 ? null : (observed - expected) / (1 - expected);
  return { kappa, observed, expected, items };
}

export interface AlphaResult {
  alpha: number | null;
  metric: AlphaMetric;
  /** Pairable values n.. (Σ of the coincidence matrix). */
  n: number;
  observedDisagreement: number;
  expectedDisagreement: number;
}

/** Coincidence matrix over the sorted values. */
export function coincidences(s: AgreementState): { values: number[]; o: number[][] } {
  const values = [...new Set(Object.values(s.pairs).flatMap((p) => Object.keys(p).flatMap((k) => k.split('|'))))].map(Number).sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [key(v), i]));
  const o = values.map(() => values.map(() => 0));
  for (const m of Object.keys(s.pairs).sort(byNumber)) {
    const p = s.pairs[m];
    const div = Number(m) - 1;
    for (const pk of Object.keys(p).sort()) {
      const [c, k] = pk.split('|');
      o[index.get(c)!][index.get(k)!] += p[pk] / div;
    }
  }
  return { values, o };
}

export function krippendorffAlpha(s: AgreementState, metric: AlphaMetric = 'ordinal'): AlphaResult {
  const { values, o } = coincidences(s);
  const L = values.length;
  const nc = o.map((row) => row.reduce((a, b) => a + b, 0));
  const n = nc.reduce((a, b) => a + b, 0);
  const delta2 = (c: number, k: number): number => {
    if (c === k) return 0;
    if (metric === 'nominal') return 1;
    if (metric === 'interval') return (values[c] - values[k]) ** 2;
    const lo = Math.min(c, k);
    const hi = Math.max(c, k);
    let sum = 0;
    for (let g = lo; g <= hi; g++) sum += nc[g];
    return (sum - (nc[c] + nc[k]) / 2) ** 2;
  };
  let dObs = 0;
  let dExp = 0;
  for (let c = 0; c < L; c++) {
    for (let k = 0; k < L; k++) {
      const d = delta2(c, k);
      dObs += o[c][k] * d;
      dExp += nc[c] * nc[k] * d;
    }
  }
  if (n <= 1 || dExp === 0) return { alpha: null, metric, n, observedDisagreement: 0, expectedDisagreement: 0 };
  const Do = dObs / n;
  const De = dExp / (n * (n - 1));
  return { alpha: 1 - Do / De, metric, n, observedDisagreement: Do, expectedDisagreement: De };
}

/** Convenience for tests and one-off use: statistics of a list of items. */
export function agreementOf(items: readonly (readonly number[])[]): AgreementState {
  const s = emptyAgreementState();
  for (const it of items) addItem(s, it);
  return s;
}
