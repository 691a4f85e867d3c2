/**
 * Byte-level NDJSON helpers for the line-parallel scrub: serialising records
 * straight into a reusable buffer (no chunk-sized string, no fresh buffer per
 * chunk) and counting lines.
 */

/**
 * Serialises records as NDJSON (one `JSON.stringify` per line, then '\n') straight into a
 * buffer, growing it when needed: no output string and no fresh buffer per chunk. The bytes
 * equal `Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''))`.
 */
export class NdjsonWriter {
  /** Bytes written so far (at the start of `buf`). */
  length = 0;
  constructor(public buf: Buffer) {}

  write(records: readonly unknown[]): void {
    let buf = this.buf;
    let o = this.length;
    for (const r of records) {
      const s = JSON.stringify(r);
      // a UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4)
      const need = s.length * 3 + 1;
      if (o + need > buf.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, o + need));
        buf.copy(grown, 0, 0, o);
        buf = grown;
      }
      o += buf.write(s, o);
      buf[o++] = 10;
    }
    this.buf = buf;
    this.length = o;
  }
}

/** Newlines in `buf[from, to)`. */
export function countNewlines(buf: Uint8Array, from = 0, to = buf.length): number {
  let n = 0;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = b.indexOf(10, from); i !== -1 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}
