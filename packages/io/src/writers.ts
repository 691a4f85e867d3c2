import { closeSync, createWriteStream, mkdirSync, openSync, writeSync, type WriteStream } from 'node:fs';
import { mkdir, open as openFile, rename, rm } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { ScrubError, type ConversationRecord } from '@scrubline/core';
import type { OutputFormat } from './config.js';
import { fromTransparent } from './transparent.js';

export interface OutputSetOptions {
  /** Path template: `{shard}` and `{meta.<key>}` / `{labels.<key>}` are filled per record; `-` is stdout. */
  path: string;
  format?: OutputFormat;
  baseDir: string;
  shard?: number;
  stdout?: NodeJS.WritableStream;
  /** Records hold byte-transparent strings (`ReadOptions.transparent`): written byte for byte. */
  transparent?: boolean;
}

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
  records: number;
}

interface OpenFile {
  final: string;
  tmp: string;
  stream: WriteStream | NodeJS.WritableStream;
  hash: Hash;
  bytes: number;
  records: number;
  first: boolean;
  /** The first error of a file we opened (disk full, file too big): thrown at the next write or close. */
  error?: Error;
}

/**
 * Writes records to one or more files chosen by the path template. Files are
 * written under a temp name and renamed by `commit()` only after the run has
 * succeeded; `abort()` removes them, so a failed run publishes nothing.
 */
export class OutputSet {
  private readonly files = new Map<string, OpenFile>();
  private readonly format: OutputFormat;
  private readonly parts: { text: string; key?: string }[];
  private readonly pool = new BufferPool();
  /** Records hold transparent strings (see `OutputSetOptions.transparent`); set before the first write. */
  transparent: boolean;

  constructor(private readonly o: OutputSetOptions) {
    this.format = o.format ?? formatFromPath(o.path);
    this.transparent = o.transparent === true;
    this.parts = parseTemplate(o.path.replace(/\{shard\}/g, String(o.shard ?? 0)));
  }

  async write(batch: readonly ConversationRecord[]): Promise<void> {
    for (const [p, rs] of [...byPath(this.parts, batch, this.transparent)].sort(([a], [b]) => (a < b ? -1 : 1))) await this.writeTo(p, rs);
  }

  /**
   * Appends one unit's encoded records for one file (`OutputParts`, the last phase of `run
   * --threads`), as `write` would have written those records: the parts of a file, given in input
   * order, make the same bytes.
   */
  async writePart(part: OutputPart): Promise<void> {
    if (part.records === 0) return;
    const f = this.files.get(part.path) ?? (await this.open(part.path));
    if (this.format === 'json') await this.put(f, [f.first ? '[\n' : ',\n']);
    else if (this.format === 'csv' && f.first) await this.put(f, [CSV_HEADER]);
    f.first = false;
    f.records += part.records;
    const own = f.final !== '-';
    const fh = await openFile(part.file, 'r');
    try {
      for (;;) {
        const target = own ? this.pool.take(PART_CHUNK) : Buffer.allocUnsafe(PART_CHUNK);
        const { bytesRead } = await fh.read(target, 0, PART_CHUNK, null);
        if (bytesRead === 0) {
          if (own) this.pool.give(target);
          break;
        }
        const buf = target.subarray(0, bytesRead);
        f.hash.update(buf);
        f.bytes += bytesRead;
        if (own) this.check(f);
        if (!this.send(f, buf, own ? () => this.pool.give(target) : undefined)) await this.drained(f);
      }
    } finally {
      await fh.close();
    }
  }

  private async open(path: string): Promise<OpenFile> {
    if (path === '-') {
      const f: OpenFile = { final: '-', tmp: '-', stream: this.o.stdout ?? process.stdout, hash: createHash('sha256'), bytes: 0, records: 0, first: true };
      this.files.set(path, f);
      return f;
    }
    const final = resolve(this.o.baseDir, path);
    await mkdir(dirname(final), { recursive: true });
    const tmp = `${final}.tmp-${process.pid}`;
    // a deep buffer: with the 16 KiB default every batch waited for its write to finish
    const stream = createWriteStream(tmp, { highWaterMark: 8 << 20 });
    const f: OpenFile = { final, tmp, stream, hash: createHash('sha256'), bytes: 0, records: 0, first: true };
    // kept, not left unheard: an 'error' event nobody listens to ends the process with a stack trace
    stream.on('error', (err) => (f.error ??= err));
    this.files.set(path, f);
    return f;
  }

  /** Throws a file's write error as the run's (coded, the file named). */
  private check(f: OpenFile): void {
    if (f.error) throw outputFailed(f, f.error);
  }

  /** Waits until the stream takes more; for a file we opened, fails with its write error instead. */
  private async drained(f: OpenFile): Promise<void> {
    if (f.final === '-') {
      // stdout's error (a full disk behind `>`) is the output failing, not a stage; a broken pipe stays
      // recognisable by its cause
      await once(f.stream as WriteStream, 'drain').catch((e: unknown) => {
        throw outputFailed(f, e);
      });
      return;
    }
    this.check(f);
    const s = f.stream as WriteStream;
    await new Promise<void>((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('error', done);
        resolve();
      };
      s.on('drain', done);
      s.on('error', done);
    });
    this.check(f);
  }

  private async writeTo(path: string, batch: readonly ConversationRecord[]): Promise<void> {
    const f = this.files.get(path) ?? (await this.open(path));
    const pieces = formatPieces(this.format, batch, f.first, true);
    f.first = false;
    f.records += batch.length;
    await this.put(f, pieces);
  }

  private async put(f: OpenFile, pieces: readonly string[]): Promise<void> {
    let cap = 0;
    for (const p of pieces) cap += p.length;
    if (!this.transparent) cap *= 3; // a UTF-16 unit is at most 3 UTF-8 bytes
    // pooled buffers only for files we opened: a stream we were given (stdout, or a PassThrough in
    // tests) may still hold a buffer after its write callback, so those get buffers of their own
    const own = f.final !== '-';
    const target = own ? this.pool.take(cap) : Buffer.allocUnsafe(cap);
    const n = encodeInto(target, pieces, this.transparent ? 'latin1' : 'utf8');
    if (n === 0) return own ? this.pool.give(target) : undefined;
    const buf = target.subarray(0, n);
    f.hash.update(buf);
    f.bytes += n;
    if (own) this.check(f);
    const done = own ? () => this.pool.give(target) : undefined;
    if (!this.send(f, buf, done)) await this.drained(f);
  }

  /** Writes to the file's stream; a stream that throws (rather than emitting 'error') fails the output, said so. */
  private send(f: OpenFile, buf: Buffer, done?: () => void): boolean {
    try {
      return f.stream.write(buf, done);
    } catch (e) {
      throw outputFailed(f, e);
    }
  }

  /** Closes the temp files (does not publish). Call `commit` after the run checks out. */
  async close(): Promise<WrittenFile[]> {
    if (this.files.size === 0 && !(this.parts.length === 1 && this.parts[0].key === undefined)) return [];
    if (this.files.size === 0) await this.open(this.parts[0].text); // an empty result is still a file
    const out: WrittenFile[] = [];
    for (const f of this.files.values()) {
      if (this.format === 'json') await this.put(f, [f.first ? '[]\n' : '\n]\n']);
      if (f.final !== '-') {
        this.check(f);
        const w = f.stream as WriteStream;
        // a last write that fails makes end() call back with its error at once, before the 'error' event
        await new Promise<void>((res) => w.end((e?: Error | null) => ((f.error ??= e ?? undefined), res())));
        this.check(f);
      }
      out.push({ path: f.final, bytes: f.bytes, sha256: f.hash.digest('hex'), records: f.records });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async commit(): Promise<void> {
    for (const f of this.files.values()) {
      if (f.final === '-') continue;
      try {
        await rename(f.tmp, f.final);
      } catch (e) {
        throw new ScrubError('SCRUB_OUTPUT_FAILED', 'could not move the output into place', { file: f.final }, { cause: e });
      }
    }
  }

  async abort(): Promise<void> {
    for (const f of this.files.values()) {
      if (f.final === '-') continue;
      (f.stream as WriteStream).destroy();
      await rm(f.tmp, { force: true });
    }
  }
}

const PART_CHUNK = 4 << 20;
const CSV_HEADER = 'id,turn,role,text,ts,labels\n';

/**
 * A batch's records as `format` writes them, in pieces, not one concatenated string (encoding a rope
 * of thousands of pieces flattens it first, which cost more than the stringify itself). `first`: the
 * batch opens its file, or its part: a JSON record after it takes a comma; with `opening`, the file's
 * start (a JSON array's bracket, a CSV header) comes first, else whoever joins the parts writes it.
 */
function formatPieces(format: OutputFormat, batch: readonly ConversationRecord[], first: boolean, opening: boolean): string[] {
  const pieces: string[] = [];
  if (format === 'ndjson') for (const r of batch) pieces.push(JSON.stringify(r) + '\n');
  else if (format === 'json') {
    for (const r of batch) {
      pieces.push((first ? (opening ? '[\n' : '') : ',\n') + JSON.stringify(r));
      first = false;
    }
  } else {
    if (first && opening) pieces.push(CSV_HEADER);
    pieces.push(recordsToCsv(batch));
  }
  return pieces;
}

/** The output failing, said so, the file named (a broken pipe stays recognisable by its cause). */
function outputFailed(f: OpenFile, cause: unknown): ScrubError {
  return new ScrubError('SCRUB_OUTPUT_FAILED', 'could not write the output', { file: f.final }, { cause });
}

/** A batch's records by the file they go to (one group, the batch itself, for a path without keys). */
function byPath(parts: readonly { text: string; key?: string }[], batch: readonly ConversationRecord[], transparent: boolean): Map<string, readonly ConversationRecord[]> {
  if (parts.length === 1 && parts[0].key === undefined) return new Map([[parts[0].text, batch]]);
  const groups = new Map<string, ConversationRecord[]>();
  for (const r of batch) {
    const p = templatePath(parts, r, transparent);
    let g = groups.get(p);
    if (!g) groups.set(p, (g = []));
    g.push(r);
  }
  return groups;
}

/** The file a record goes to under a parsed path template. */
function templatePath(parts: readonly { text: string; key?: string }[], r: ConversationRecord, transparent: boolean): string {
  let s = '';
  for (const part of parts) {
    if (part.key === undefined) s += part.text;
    else {
      const [root, ...rest] = part.key.split('.');
      let v: any = root === 'meta' ? r.meta : root === 'labels' ? r.labels : undefined;
      for (const k of rest) v = v?.[k];
      s += v === undefined || v === null ? 'none' : (transparent && typeof v === 'string' ? fromTransparent(v) : String(v)).replace(/[^A-Za-z0-9._-]/g, '_');
    }
  }
  return s;
}

/** One unit's records for one output file, encoded (`OutputParts`). */
export interface OutputPart {
  /** The output file, as the path template gave it (`OutputSet.writePart` resolves it). */
  path: string;
  /** The part file holding the encoded records. */
  file: string;
  records: number;
  bytes: number;
}

/**
 * One unit's share of the output, for the last phase of `run --threads`: each batch's records
 * encoded as `OutputSet` would write them (path template, format), into a part file per output
 * file in `dir`, so that a worker thread does the encoding and the main thread only copies bytes,
 * unit after unit (`OutputSet.writePart`). What a file needs once (a JSON array's brackets and
 * commas between parts, a CSV header) is the main thread's.
 */
export class OutputParts {
  private readonly format: OutputFormat;
  private readonly parts: { text: string; key?: string }[];
  private readonly open = new Map<string, OutputPart & { fd: number }>();
  private buf = Buffer.allocUnsafeSlow(1 << 20);

  constructor(private readonly o: Pick<OutputSetOptions, 'path' | 'format' | 'shard' | 'transparent'> & { dir: string }) {
    this.format = o.format ?? formatFromPath(o.path);
    this.parts = parseTemplate(o.path.replace(/\{shard\}/g, String(o.shard ?? 0)));
    mkdirSync(o.dir, { recursive: true });
  }

  write(batch: readonly ConversationRecord[]): void {
    for (const [p, rs] of byPath(this.parts, batch, this.o.transparent === true)) this.writeTo(p, rs);
  }

  private writeTo(path: string, batch: readonly ConversationRecord[]): void {
    if (batch.length === 0) return;
    let part = this.open.get(path);
    if (!part) {
      const file = join(this.o.dir, `part-${this.open.size}`);
      part = { path, file, records: 0, bytes: 0, fd: openSync(file, 'w') };
      this.open.set(path, part);
    }
    const pieces = formatPieces(this.format, batch, part.records === 0, false);
    part.records += batch.length;
    let cap = 0;
    for (const p of pieces) cap += p.length;
    if (!this.o.transparent) cap *= 3;
    // one buffer, used again for every batch (writes are synchronous): fresh ones cost page faults
    if (this.buf.length < cap) this.buf = Buffer.allocUnsafeSlow(Math.max(cap, 2 * this.buf.length));
    const buf = this.buf;
    const n = encodeInto(buf, pieces, this.o.transparent ? 'latin1' : 'utf8');
    for (let at = 0; at < n; ) at += writeSync(part.fd, buf, at, n - at);
    part.bytes += n;
  }

  /** Closes the part files: one per output file this unit wrote to, in the order first written. */
  close(): OutputPart[] {
    const out: OutputPart[] = [];
    for (const { fd, ...part } of this.open.values()) {
      closeSync(fd);
      out.push(part);
    }
    this.open.clear();
    return out;
  }

  /** Closes the part files after a failure (they are scratch, removed with the run's work folder). */
  abort(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

/** Writes the pieces one after another into `buf` (big enough); returns the bytes written. */
function encodeInto(buf: Buffer, pieces: readonly string[], encoding: 'utf8' | 'latin1'): number {
  let n = 0;
  for (const p of pieces) n += buf.write(p, n, encoding);
  return n;
}

/**
 * Output buffers used again once written: a fresh buffer per batch cost more in page
 * faults than the write itself (≈390 vs ≈100 ms per 100 MB here). Holds at most a few.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  take(bytes: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i].length >= bytes) return this.free.splice(i, 1)[0];
    }
    return Buffer.allocUnsafeSlow(Math.max(bytes, 1 << 20));
  }
  give(buf: Buffer): void {
    if (this.free.length < 8) this.free.push(buf);
  }
}

function parseTemplate(path: string): { text: string; key?: string }[] {
  const parts: { text: string; key?: string }[] = [];
  const re = /\{((?:meta|labels)\.[A-Za-z0-9_.-]+)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m.index > last) parts.push({ text: path.slice(last, m.index) });
    parts.push({ text: '', key: m[1] });
    last = m.index + m[0].length;
  }
  if (last < path.length || parts.length === 0) parts.push({ text: path.slice(last) });
  // merge to a single literal when there is no key
  if (parts.every((p) => p.key === undefined)) return [{ text: parts.map((p) => p.text).join('') }];
  return parts;
}

function formatFromPath(path: string): OutputFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.json')) return 'json';
  return 'ndjson';
}

/** One CSV row per turn: id, turn index, role, text, ts, labels as JSON (RFC 4180 quoting). */
export function recordsToCsv(batch: readonly ConversationRecord[]): string {
  let s = '';
  for (const r of batch) {
    const labels = JSON.stringify(r.labels);
    r.turns.forEach((t, i) => {
      s += `${q(r.id)},${i},${t.role},${q(t.text)},${q(t.ts ?? '')},${q(labels)}\n`;
    });
  }
  return s;
}

function q(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
