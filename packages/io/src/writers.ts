import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
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
    if (this.parts.length === 1 && this.parts[0].key === undefined) {
      await this.writeTo(this.parts[0].text, batch);
      return;
    }
    const groups = new Map<string, ConversationRecord[]>();
    for (const r of batch) {
      const p = this.pathFor(r);
      let g = groups.get(p);
      if (!g) groups.set(p, (g = []));
      g.push(r);
    }
    for (const [p, rs] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) await this.writeTo(p, rs);
  }

  private pathFor(r: ConversationRecord): string {
    let s = '';
    for (const part of this.parts) {
      if (part.key === undefined) s += part.text;
      else {
        const [root, ...rest] = part.key.split('.');
        let v: any = root === 'meta' ? r.meta : root === 'labels' ? r.labels : undefined;
        for (const k of rest) v = v?.[k];
        s += v === undefined || v === null ? 'none' : (this.transparent && typeof v === 'string' ? fromTransparent(v) : String(v)).replace(/[^A-Za-z0-9._-]/g, '_');
      }
    }
    return s;
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
    this.files.set(path, f);
    return f;
  }

  private async writeTo(path: string, batch: readonly ConversationRecord[]): Promise<void> {
    const f = this.files.get(path) ?? (await this.open(path));
    // pieces, not one concatenated string: encoding a rope of thousands of
    // pieces flattens it first, which cost more than the stringify itself
    const pieces: string[] = [];
    if (this.format === 'ndjson') {
      for (const r of batch) pieces.push(JSON.stringify(r) + '\n');
    } else if (this.format === 'json') {
      for (const r of batch) {
        pieces.push((f.first ? '[\n' : ',\n') + JSON.stringify(r));
        f.first = false;
      }
    } else {
      if (f.first) pieces.push('id,turn,role,text,ts,labels\n');
      f.first = false;
      pieces.push(recordsToCsv(batch));
    }
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
    const done = own ? () => this.pool.give(target) : undefined;
    if (!f.stream.write(buf, done)) await once(f.stream as WriteStream, 'drain');
  }

  /** Closes the temp files (does not publish). Call `commit` after the run checks out. */
  async close(): Promise<WrittenFile[]> {
    if (this.files.size === 0 && !(this.parts.length === 1 && this.parts[0].key === undefined)) return [];
    if (this.files.size === 0) await this.open(this.parts[0].text); // an empty result is still a file
    const out: WrittenFile[] = [];
    for (const f of this.files.values()) {
      if (this.format === 'json') await this.put(f, [f.first ? '[]\n' : '\n]\n']);
      if (f.final !== '-') {
        const w = f.stream as WriteStream;
        await new Promise<void>((res, rej) => w.end((err?: Error | null) => (err ? rej(err) : res())));
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
