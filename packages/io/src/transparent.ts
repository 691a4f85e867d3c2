/**
 * Byte-transparent strings: a validated UTF-8 byte sequence viewed as latin1, one
 * JS character per byte. Ingest without stages moves text from input to output
 * unchanged, so it can skip UTF-8 → UTF-16 → UTF-8 (on CJK text that round trip
 * costs more than parsing and serialising together). All syntax the readers look
 * at (JSON punctuation, newlines, delimiters) is ASCII and reads the same.
 */

/** The transparent form of a text: its UTF-8 bytes, one character each. */
export function toTransparent(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** The text of a transparent string. */
export function fromTransparent(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** U+FFFD as it appears in transparent text. */
export const TRANSPARENT_FFFD = toTransparent('\uFFFD');

/** A deep copy with every string and object key in transparent form (config mappings, decoded records). */
export function deepToTransparent<T>(v: T): T {
  if (typeof v === 'string') return toTransparent(v) as T;
  if (Array.isArray(v)) return v.map(deepToTransparent) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[toTransparent(k)] = deepToTransparent(x);
    return out as T;
  }
  return v;
}
