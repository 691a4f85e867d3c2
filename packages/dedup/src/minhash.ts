import type { ConversationRecord, Role } from '@scrubline/core';

/**
 * MinHash for near-duplicate conversations: one-permutation hashing with
 * optimal densification (Shrivastava, ICML 2017). Each character shingle is
 * hashed once into one of `numPerm` bins, each bin keeps its minimum; empty
 * bins borrow from a bin chosen by a fixed hash sequence, so for every slot i
 * Pr[sig_i(A) = sig_i(B)] = Jaccard(A, B), like classic k-permutation MinHash,
 * at the cost of one hash per shingle instead of numPerm.
 */

/** Text a conversation is compared on: NFKC, lower case, whitespace collapsed, per turn. */
export function normaliseTurn(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Exact key text: `role\u0001text` per turn, joined by newlines. */
export function exactText(record: ConversationRecord, roles?: readonly Role[]): string {
  let out = '';
  for (const t of record.turns) {
    if (roles && !roles.includes(t.role)) continue;
    out += `${t.role}\u0001${normaliseTurn(t.text)}\n`;
  }
  return out;
}

/** Both comparison texts with one normalisation pass per turn. */
export function comparisonTexts(record: ConversationRecord, roles?: readonly Role[]): { exact: string; shingles: string } {
  let exact = '';
  const parts: string[] = [];
  for (const t of record.turns) {
    if (roles && !roles.includes(t.role)) continue;
    const n = normaliseTurn(t.text);
    exact += `${t.role}\u0001${n}\n`;
    const s = n.replace(/ /g, '');
    if (s) parts.push(s);
  }
  return { exact, shingles: parts.join('\n') };
}

/** Shingle text: the normalised turn texts without whitespace, separated by one `\n`. */
export function shingleText(record: ConversationRecord, roles?: readonly Role[]): string {
  const parts: string[] = [];
  for (const t of record.turns) {
    if (roles && !roles.includes(t.role)) continue;
    const s = normaliseTurn(t.text).replace(/\s+/gu, '');
    if (s) parts.push(s);
  }
  return parts.join('\n');
}

/** lowbias32 (Wellons): a good 32-bit bijective mixer. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const EMPTY = 0xffffffff;

/**
 * Fills `sig` (length = numPerm) with the densified one-permutation MinHash of
 * the k-shingles (UTF-16 code units) of `text`. Returns false when the text is
 * shorter than k (no shingles; the record then takes part in exact dedup only).
 * `seed` makes the hash family; every record of a run must use the same seed.
 */
export function minhash(text: string, k: number, sig: Uint32Array, seed = 0x9e3779b9): boolean {
  const P = sig.length;
  if (text.length < k) return false;
  sig.fill(EMPTY);
  const binSeed = mix32(seed ^ 0x85ebca6b);
  for (let i = 0; i + k <= text.length; i++) {
    // FNV-1a over the k code units of the shingle
    let h = 0x811c9dc5 ^ seed;
    for (let j = 0; j < k; j++) {
      h ^= text.charCodeAt(i + j);
      h = Math.imul(h, 0x01000193);
    }
    const b = mix32(h ^ binSeed);
    const bin = Math.floor((b / 4294967296) * P);
    const v = mix32(h);
    if (v < sig[bin]) sig[bin] = v;
  }
  // Optimal densification: an empty bin i takes the value of the first
  // non-empty bin in the fixed sequence hash(i, 1), hash(i, 2), …
  let filled = 0;
  for (let i = 0; i < P; i++) if (sig[i] !== EMPTY) filled++;
  if (filled === P) return true;
  const src = Uint32Array.from(sig);
  for (let i = 0; i < P; i++) {
    if (src[i] !== EMPTY) continue;
    for (let attempt = 1; ; attempt++) {
      const j = Math.floor((mix32(mix32(i * 0x9e3779b1 + seed) ^ attempt) / 4294967296) * P);
      if (src[j] !== EMPTY) {
        sig[i] = src[j];
        break;
      }
    }
  }
  return true;
}

/** One 32-bit key per LSH band of `rows` slots. */
export function bandKeys(sig: Uint32Array, bands: number, out: Uint32Array, outOffset = 0): void {
  const rows = sig.length / bands;
  for (let b = 0; b < bands; b++) {
    let h = mix32(0x243f6a88 ^ b);
    for (let r = 0; r < rows; r++) h = mix32(h ^ sig[b * rows + r]);
    out[outOffset + b] = h;
  }
}

/** b-bit MinHash (Li & König 2010): the low 8 bits of each slot, for verifying candidates. */
export function lowBytes(sig: Uint32Array, out: Uint8Array, outOffset = 0): void {
  for (let i = 0; i < sig.length; i++) out[outOffset + i] = sig[i] & 0xff;
}

/**
 * Jaccard estimate from two 8-bit signatures: slots agree with probability
 * J + (1 − J)/256, so J ≈ (m/P − 1/256) / (1 − 1/256), clamped to [0, 1].
 */
export function estimateJaccard8(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, P: number): number {
  let m = 0;
  for (let i = 0; i < P; i++) if (a[aOff + i] === b[bOff + i]) m++;
  const j = (m / P - 1 / 256) / (1 - 1 / 256);
  return j < 0 ? 0 : j > 1 ? 1 : j;
}

/** Exact Jaccard of two texts' k-shingle sets (for tests and tuning). */
export function jaccard(a: string, b: string, k: number): number {
  const sa = new Set<string>();
  const sb = new Set<string>();
  for (let i = 0; i + k <= a.length; i++) sa.add(a.slice(i, i + k));
  for (let i = 0; i + k <= b.length; i++) sb.add(b.slice(i, i + k));
  let inter = 0;
  for (const s of sa) if (sb.has(s)) inter++;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 1 : inter / union;
}

/** Jaccard similarity at which a pair becomes an LSH candidate with probability 1/2 (approx. (1/b)^(1/r)). */
export function lshThreshold(bands: number, rows: number): number {
  return Math.pow(1 / bands, 1 / rows);
}
