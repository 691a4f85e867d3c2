import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { pipeline, Transform, type Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import { ScrubError } from '@scrubline/core';
import type { ByteRange } from './ranges.js';

export type Encoding = 'utf-8' | 'gbk' | 'gb18030' | 'auto';
export const ENCODINGS: readonly Encoding[] = ['utf-8', 'gbk', 'gb18030', 'auto'];

export interface FileInfo {
  path: string;
  /** Bytes on disk. */
  bytes: number;
  /** sha256 of the bytes on disk (computed while reading). */
  sha256: string;
  /** Encoding actually used. */
  encoding: string;
  gzip: boolean;
  /** Newlines seen so far in the decoded text. */
  newlines: number;
  /**
   * True when the text chunks are byte-transparent (see `DecodeOptions.transparent`):
   * one JS character per validated UTF-8 byte, not decoded text.
   */
  transparent?: boolean;
}

export interface DecodeOptions {
  encoding?: Encoding | string;
  /** Called with the number of bytes read from disk, for progress. */
  onBytes?: (n: number) => void;
  onWarning?: (message: string) => void;
  /** Accept an empty file (default: SCRUB_INPUT_EMPTY). */
  allowEmpty?: boolean;
  chunkSize?: number;
  /**
   * For UTF-8 input: validate strictly but do not transcode; yield one character per
   * byte (latin1 view). A reader that only moves text from input to output (ingest to
   * NDJSON) then skips UTF-8 → UTF-16 → UTF-8, the largest cost on CJK text. Sets
   * `info.transparent`; other encodings are decoded as usual.
   */
  transparent?: boolean;
  /** Decoding starts inside the file (a range): a BOM there is a character, not a mark. */
  midFile?: boolean;
}

/** The first bytes from which `auto` decides the encoding (the reader's 64 KiB chunks gathered to this many). */
export const SNIFF_BYTES = 64 * 1024;

export function normaliseEncoding(enc: string | undefined, file?: string): Encoding {
  const e = (enc ?? 'utf-8').toLowerCase().replace(/_/g, '-');
  if (e === 'utf8' || e === 'utf-8') return 'utf-8';
  if (e === 'gbk' || e === 'cp936') return 'gbk';
  if (e === 'gb18030' || e === 'gb2312') return 'gb18030';
  if (e === 'auto') return 'auto';
  throw new ScrubError('SCRUB_ENCODING_UNKNOWN', `encoding '${enc}' is not supported`, {
    file,
    field: 'encoding',
    hint: `use one of ${ENCODINGS.join(', ')}`,
  });
}

/**
 * Reads a file as decoded text chunks: gzip by magic bytes, BOM dropped,
 * UTF-8 decoded strictly (invalid bytes are an error naming the line, never
 * replacement characters written through), GBK/GB18030 declared or detected.
 * `info` is filled while reading; sha256 is final when the iterator ends.
 */
export async function* decodeFile(path: string, options: DecodeOptions, info: FileInfo, range?: ByteRange): AsyncGenerator<string> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'input file does not exist or cannot be read', { file: info.path }, { cause: e });
  }
  // 64 KiB: the text of a chunk then fits V8's young generation; 1 MiB chunks became
  // large objects on fresh pages (4× the page faults, +60 MB peak RSS, slower)
  const chunkSize = options.chunkSize ?? 64 * 1024;
  if (range) {
    // a part of a plain UTF-8 file (ranges.ts): lines numbered on, no digest (the whole file's
    // is taken once, elsewhere), and a BOM only at the file's start
    info.bytes = range.end - range.start;
    info.newlines = range.linesBefore;
    const source = readReusing(path, chunkSize, (chunk) => options.onBytes?.(chunk.length), range);
    yield* decodeSource(source, info.path, range.start === 0 ? normaliseEncoding(options.encoding, info.path) : 'utf-8', { ...options, midFile: range.start > 0 }, info, false, () => {});
    return;
  }
  info.bytes = st.size;
  if (st.size === 0) {
    if (options.allowEmpty) return;
    throw new ScrubError('SCRUB_INPUT_EMPTY', 'input file is empty', { file: info.path, hint: 'remove it or set input.allowEmpty: true' });
  }
  const declared = normaliseEncoding(options.encoding, info.path);
  const hash = createHash('sha256');
  const gzip = await hasGzipMagic(path);
  info.gzip = gzip;
  let source: AsyncIterable<Buffer>;
  if (gzip) {
    const raw = createReadStream(path, { highWaterMark: chunkSize });
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        options.onBytes?.(chunk.length);
        cb(null, chunk);
      },
    });
    source = pipeline(raw, hashing, createGunzip(), () => {}) as Readable;
  } else {
    source = readReusing(path, chunkSize, (chunk) => {
      hash.update(chunk);
      options.onBytes?.(chunk.length);
    });
  }
  yield* decodeSource(source, info.path, declared, options, info, gzip, (complete) => {
    if (complete) info.sha256 = hash.digest('hex');
  });
}

/**
 * Reads a file in chunks through two buffers used in turn: one is read into while the
 * other is decoded. A fresh buffer per chunk costs page faults that took longer than
 * the reading itself (≈270 vs ≈20 ms of system time per 100 MB here). The consumer
 * must be done with a chunk when it asks for the next one; decoding copies it into a string.
 */
async function* readReusing(path: string, size: number, seen: (chunk: Buffer) => void, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  let pending: Promise<{ bytesRead: number }> | undefined;
  // a range: from its start, and never past its end
  let pos = range?.start ?? 0;
  const end = range?.end ?? Infinity;
  const readAt = (buf: Buffer) => {
    const n = Math.min(size, end - pos);
    const at = pos;
    pos += n;
    return n > 0 ? fh.read(buf, 0, n, range ? at : null) : Promise.resolve({ bytesRead: 0 });
  };
  try {
    const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let k = 0;
    pending = readAt(bufs[k]);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const chunk = bufs[k].subarray(0, bytesRead);
      k ^= 1;
      pending = readAt(bufs[k]);
      seen(chunk);
      yield chunk;
    }
  } finally {
    await pending?.catch(() => {}); // a read may still be in flight when the consumer stops early
    await fh.close();
  }
}

/** Decodes stdin (or any byte stream): no gzip detection, sha256 over the bytes read. */
export async function* decodeStream(stream: NodeJS.ReadableStream, options: DecodeOptions, info: FileInfo): AsyncGenerator<string> {
  const declared = normaliseEncoding(options.encoding, info.path);
  const hash = createHash('sha256');
  const hashing = async function* () {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(b);
      info.bytes += b.length;
      options.onBytes?.(b.length);
      yield b;
    }
  };
  yield* decodeSource(hashing(), info.path, declared, options, info, false, (complete) => {
    if (complete) info.sha256 = hash.digest('hex');
  });
}

async function* decodeSource(
  source: AsyncIterable<Buffer>,
  path: string,
  declared: Encoding,
  options: DecodeOptions,
  info: FileInfo,
  gzip: boolean,
  /** Called when decoding ends; `complete`: the source was read to its end (a digest of part of a file is no digest). */
  finish: (complete: boolean) => void,
): AsyncGenerator<string> {

  let encoding: Encoding = declared;
  const makeDecoder = (enc: Encoding): ChunkDecoder => {
    info.transparent = enc === 'utf-8' && options.transparent === true;
    // GBK is a subset of GB18030; decoding as GB18030 accepts both. Fatal: never U+FFFD.
    if (enc !== 'utf-8') return new TextDecoder('gb18030', { fatal: true });
    return info.transparent ? new TransparentUtf8Decoder() : new StrictUtf8Decoder(options.midFile === true);
  };
  let decoder: ChunkDecoder | null = declared === 'auto' ? null : makeDecoder(declared);
  info.encoding = declared;
  let sniffBuf: Buffer[] = [];
  let sniffLen = 0;
  let decodedAny = false;
  let complete = false;

  const emit = function* (text: string): Generator<string> {
    if (text.length === 0) return;
    let i = -1;
    while ((i = text.indexOf('\n', i + 1)) !== -1) info.newlines++;
    decodedAny = true;
    yield text;
  };

  /**
   * GB18030 (not self-synchronising): a copy of the bytes after the last newline fed to the decoder,
   * where it held nothing, so that a bad byte's line can be found by decoding again from there;
   * null once a line outgrows GB_CARRY_MAX (the error then names the line at the chunk's end).
   */
  let gbCarry: Buffer[] | null = [];
  const decodeChunk = function* (chunk: Buffer): Generator<string> {
    let text: string;
    try {
      text = decoder!.decode(chunk, { stream: true });
    } catch (e) {
      const at = encoding !== 'utf-8' && gbCarry !== null ? firstInvalidGb18030(gbCarry, chunk) : undefined;
      throw encodingMismatch(path, encoding, chunk, info.newlines, e, at);
    }
    if (encoding !== 'utf-8') gbCarry = afterLastNewline(gbCarry, chunk);
    yield* emit(text);
  };

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (decoder === null) {
        // auto: collect up to SNIFF_BYTES, then decide
        sniffBuf.push(Buffer.from(chunk)); // the reader reuses its buffers
        sniffLen += chunk.length;
        if (sniffLen < SNIFF_BYTES) continue;
        const buf = Buffer.concat(sniffBuf);
        sniffBuf = [];
        encoding = sniff(buf, path, options.onWarning);
        info.encoding = encoding;
        decoder = makeDecoder(encoding);
        yield* decodeChunk(buf);
        continue;
      }
      yield* decodeChunk(chunk);
    }
    if (decoder === null) {
      const buf = Buffer.concat(sniffBuf);
      encoding = sniff(buf, path, options.onWarning);
      info.encoding = encoding;
      decoder = makeDecoder(encoding);
      if (buf.length) yield* decodeChunk(buf);
    }
    try {
      yield* emit(decoder.decode());
    } catch (e) {
      throw encodingMismatch(path, encoding, Buffer.alloc(0), info.newlines, e);
    }
    complete = true;
  } catch (e) {
    if (e instanceof ScrubError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (gzip && (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message))) {
      throw new ScrubError('SCRUB_GZIP_TRUNCATED', 'gzip stream ends early: the file is truncated', {
        file: path,
        line: info.newlines + 1,
        hint: 'copy the file again; records up to this line were read but nothing is published from a truncated file',
      }, { cause: e });
    }
    if (gzip) throw new ScrubError('SCRUB_GZIP_CORRUPT', `gzip stream is corrupt (${err.code ?? err.message})`, { file: path, line: info.newlines + 1 }, { cause: e });
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', `input file cannot be read (${err.code ?? 'error'})`, { file: path }, { cause: e });
  } finally {
    finish(complete);
  }
  if (!decodedAny && !options.allowEmpty) {
    throw new ScrubError('SCRUB_INPUT_EMPTY', 'input file holds no text', { file: path, hint: 'remove it or set input.allowEmpty: true' });
  }
}

interface ChunkDecoder {
  decode(chunk?: Uint8Array, options?: { stream?: boolean }): string;
}

/**
 * Strict streaming UTF-8, faster than a fatal TextDecoder on CJK text (measured
 * 125 → 175 MB/s here): buffer.isUtf8 (simdutf, GB/s) validates each chunk (see
 * Utf8Validator), then a non-fatal decoder decodes it — it can never substitute
 * U+FFFD because the bytes were validated before it completes a character.
 */
class StrictUtf8Decoder implements ChunkDecoder {
  // Streaming mode keeps ICU's decoder, which beats the one-shot path on CJK here
  // (≈175 vs ≈80–137 MB/s); it drops a BOM only at the start of the stream (unless the
  // stream starts inside the file) and holds an incomplete trailing character until the next chunk.
  private readonly td: TextDecoder;
  private readonly validator = new Utf8Validator();
  constructor(midFile = false) {
    this.td = new TextDecoder('utf-8', { ignoreBOM: midFile });
  }
  decode(chunk?: Uint8Array, options?: { stream?: boolean }): string {
    const buf = chunk ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.alloc(0);
    this.validator.check(buf, options?.stream === true);
    return this.td.decode(buf, { stream: true });
  }
}

/**
 * Strict UTF-8 validation without transcoding: each validated byte becomes one
 * latin1 character (≈3 GB/s against ≈160 MB/s for decoding CJK). Newlines and all
 * JSON/CSV syntax are ASCII, so parsers see the same structure; string values come
 * out as their UTF-8 bytes and are written back byte for byte with 'latin1'.
 */
class TransparentUtf8Decoder implements ChunkDecoder {
  private readonly validator = new Utf8Validator();
  private first = true;
  private bomHead: Buffer | null = null;
  decode(chunk?: Uint8Array, options?: { stream?: boolean }): string {
    let buf = chunk ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.alloc(0);
    if (this.first) {
      // a BOM may itself be cut by the chunking (stdin): wait for three bytes
      if (this.bomHead) {
        buf = Buffer.concat([this.bomHead, buf]);
        this.bomHead = null;
      }
      if (buf.length < 3 && options?.stream && (buf.length === 0 || buf[0] === 0xef)) {
        this.bomHead = Buffer.from(buf);
        return '';
      }
      this.first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    this.validator.check(buf, options?.stream === true);
    return buf.toString('latin1');
  }
}

/**
 * Validates a stream of UTF-8 chunks with buffer.isUtf8 without copying them: a
 * character cut at the end of a chunk (already passed on by the caller, not yet
 * validated) is completed with the first bytes of the next chunk and validated alone.
 */
class Utf8Validator {
  /** Bytes of a character cut at the end of the last chunk. */
  private pending: Buffer | null = null;
  /** Throws when `buf` (with the cut character before it) is not valid UTF-8; `stream`: more chunks follow. */
  check(buf: Buffer, stream: boolean): void {
    let from = 0;
    if (this.pending) {
      const need = utf8Length(this.pending[0]) - this.pending.length;
      const head = Buffer.concat([this.pending, buf.subarray(0, need)]);
      from = Math.min(need, buf.length);
      if (head.length < utf8Length(head[0]) && stream) {
        this.pending = head;
        return;
      }
      this.pending = null;
      // the bad sequence began in the last chunk, after its last newline: the error names this chunk's first line
      if (!isUtf8(head)) throw Object.assign(new TypeError('The encoded data was not valid for encoding utf-8'), { atChunkStart: true });
    }
    let end = buf.length;
    if (stream) {
      end = Math.max(from, completeEnd(buf));
      if (end < buf.length) this.pending = Buffer.from(buf.subarray(end));
    }
    if (!isUtf8(buf.subarray(from, end))) throw new TypeError('The encoded data was not valid for encoding utf-8');
  }
}

/** Bytes in the UTF-8 sequence that starts with this lead byte (1 for an invalid lead: isUtf8 rejects it). */
function utf8Length(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** Length of the prefix that ends on a character boundary (an incomplete last character is held back). */
function completeEnd(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = buf[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    return utf8Length(b) > back ? n - back : n;
  }
  return n;
}

/** Whether `auto` decides UTF-8 from these first bytes of a file (as `sniff` does). */
export function sniffsAsUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function sniff(buf: Buffer, path: string, onWarning?: (m: string) => void): Encoding {
  if (sniffsAsUtf8(buf)) return 'utf-8';
  try {
    new TextDecoder('gb18030', { fatal: true }).decode(buf, { stream: true });
  } catch {
    throw new ScrubError('SCRUB_ENCODING_MISMATCH', 'the file is neither valid UTF-8 nor valid GB18030', {
      file: path,
      line: 1 + countNewlines(buf, firstInvalidUtf8(buf)),
      hint: 'declare the encoding with input.encoding',
    });
  }
  onWarning?.(`${path}: not valid UTF-8; decoding as GB18030 (GBK). Declare input.encoding: gbk to silence this warning.`);
  return 'gb18030';
}

/**
 * The error for bytes that are not valid in `enc`: names the line of the first bad byte and, for UTF-8 that looks like GBK, says so.
 * `atGb18030`: where in `chunk` a GB18030 decoder failed (firstInvalidGb18030); without it, the chunk's end.
 */
export function encodingMismatch(path: string, enc: Encoding, chunk: Buffer, linesBefore: number, cause?: unknown, atGb18030?: number): ScrubError {
  const at = enc === 'utf-8' ? ((cause as { atChunkStart?: boolean } | undefined)?.atChunkStart ? 0 : firstInvalidUtf8(chunk)) : (atGb18030 ?? chunk.length);
  const line = linesBefore + 1 + countNewlines(chunk, at);
  let hint = 'check the declared input.encoding';
  if (enc === 'utf-8') {
    let looksGbk = false;
    try {
      new TextDecoder('gb18030', { fatal: true }).decode(chunk.subarray(Math.max(0, at - 64), at + 256), { stream: true });
      looksGbk = true;
    } catch {
      /* not GBK either */
    }
    hint = looksGbk ? 'the bytes look like GBK/GB18030: set input.encoding: gbk (or auto)' : 'the file is not valid UTF-8';
  }
  return new ScrubError('SCRUB_ENCODING_MISMATCH', `invalid ${enc} byte sequence; nothing is written through with replacement characters`, {
    file: path,
    line,
    hint,
  }, { cause });
}

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  let i = -1;
  while ((i = buf.indexOf(10, i + 1)) !== -1 && i < end) n++;
  return n;
}

/** The longest GB18030 line kept for finding a bad byte's line (see decodeSource's gbCarry). */
const GB_CARRY_MAX = 4 << 20;

/** The bytes after the last newline of `carry` + `chunk`, in pieces (copies: the reader reuses its buffers); null past GB_CARRY_MAX, until the next newline. */
function afterLastNewline(carry: Buffer[] | null, chunk: Buffer): Buffer[] | null {
  const nl = chunk.lastIndexOf(10);
  if (nl >= 0) return chunk.length - nl - 1 > GB_CARRY_MAX ? null : [Buffer.from(chunk.subarray(nl + 1))];
  if (carry === null || carry.reduce((n, b) => n + b.length, chunk.length) > GB_CARRY_MAX) return null;
  return [...carry, Buffer.from(chunk)];
}

/**
 * Where in `chunk` a fatal GB18030 decoder that starts on `carry` (bytes after a newline: a point
 * where a decoder holds nothing, as no multi-byte sequence contains 0x0A) first fails: the byte at
 * which the bad sequence shows, never past the sequence's own line. Decoding a prefix in streaming
 * mode fails exactly when the prefix holds the error, so a binary search over prefixes finds it.
 */
function firstInvalidGb18030(carry: Buffer[], chunk: Buffer): number {
  const carried = carry.reduce((n, b) => n + b.length, 0);
  const bytes = carried ? Buffer.concat([...carry, chunk]) : chunk;
  const fails = (k: number) => {
    try {
      new TextDecoder('gb18030', { fatal: true }).decode(bytes.subarray(0, k), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  if (!fails(bytes.length)) return chunk.length; // only at the end of the input (an incomplete last character)
  let ok = carried; // the carry decoded before
  let bad = bytes.length;
  while (bad - ok > 1) {
    const mid = (ok + bad) >>> 1;
    if (fails(mid)) bad = mid;
    else ok = mid;
  }
  // the failing byte is bad - 1; a newline there (an ASCII byte where a trail byte should be) ends the bad sequence's line, not another
  return Math.max(0, bad - 1 - carried);
}

/** Byte offset of the first invalid UTF-8 sequence (buf.length when none is found). */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    let need = 0;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    if (i + need >= buf.length) return buf.length; // incomplete tail: not an error yet
    // the second byte's range also rules out overlong forms, surrogates and code points past U+10FFFF (as isUtf8 does)
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (need > 0 && (buf[i + 1] < lo || buf[i + 1] > hi)) return i;
    for (let k = 2; k <= need; k++) if ((buf[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return buf.length;
}

async function hasGzipMagic(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

export function newFileInfo(path: string): FileInfo {
  return { path, bytes: 0, sha256: '', encoding: '', gzip: false, newlines: 0 };
}
