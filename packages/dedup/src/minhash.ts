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
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
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

/**
 * One normalisation pass per turn gives both comparison keys: the exact key,
 * a 52-bit hash (two FNV-1a lanes, like core's hash52) of `role\u0001text\n`
 * per turn computed without building that string, and the shingle text.
 * Equal to `hash52(exactText(record))`.
 */
export function comparisonTexts(record: ConversationRecord, roles?: readonly Role[]): { exactHash: number; shingles: string } {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  const lane = (code: number) => {
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193);
  };
  const parts: string[] = [];
  for (const t of record.turns) {
    if (roles && !roles.includes(t.role)) continue;
    const n = normaliseTurn(t.text);
    for (let i = 0; i < t.role.length; i++) lane(t.role.charCodeAt(i));
    lane(1);
    for (let i = 0; i < n.length; i++) lane(n.charCodeAt(i));
    lane(10);
    const s = n.replace(/ /g, '');
    if (s) parts.push(s);
  }
  return { exactHash: ((b >>> 0) & 0xfffff) * 0x100000000 + (a >>> 0), shingles: parts.join('\n') };
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
  // Rolling polynomial hash of each k-shingle (mod 2^32), then one mixer: the
  // mixed value's position in [0, 2^32) picks the bin (so bins split the range
  // evenly) and the value itself is the bin's candidate minimum.
  const B = 0x01000193;
  let Bk1 = 1;
  for (let j = 1; j < k; j++) Bk1 = Math.imul(Bk1, B);
  let h = 0;
  for (let j = 0; j < k; j++) h = (Math.imul(h, B) + text.charCodeAt(j)) | 0;
  for (let i = 0; ; i++) {
    const v = mix32(h ^ seed);
    const bin = Math.floor((v / 4294967296) * P);
    if (v < sig[bin]) sig[bin] = v;
    if (i + k >= text.length) break;
    h = (Math.imul(h - Math.imul(text.charCodeAt(i), Bk1), B) + text.charCodeAt(i + k)) | 0;
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
