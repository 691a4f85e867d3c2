import { Worker } from 'node:worker_threads';
import { open } from 'node:fs/promises';
import { countNewlines } from './ndjson.js';
import { safeMessage, ScrubError, StageReport, type Ledger } from '@scrubline/core';
import type { PiiStageOptions } from './stage.js';
import { loadRulePacks } from './rules.js';
import { defaultRulesDir } from './engine.js';
import { workerScript } from './pool.js';

export interface ParallelScrubOptions {
  threads: number;
  options: PiiStageOptions;
  seed: string;
  rulesDir: string;
  baseDir: string;
  /** Input name for the ledger and errors. */
  file: string;
  /** Module specifiers the workers import first (packages that register detectors, e.g. @scrubline/ner). */
  imports?: string[];
  ledger: Ledger;
  onQuarantine?: (code: string, message: string, line: number) => void;
  onWarning?: (m: string) => void;
}

export interface ParallelScrubResult {
  report: StageReport;
  summary: Record<string, unknown>;
}

function filterWorkerScript(): string {
  const script = workerScript('filter-worker');
  if (!script) throw new ScrubError('SCRUB_INTERNAL', 'filter-worker.js is missing: build @scrubline/pii first');
  return script;
}

interface Done {
  bytes: Uint8Array;
  /** The chunk's input buffer, spent, back for reuse. */
  input?: ArrayBuffer;
  records: number;
  quarantined: { code: string; message: string; line: number }[];
  report: ReturnType<StageReport['toJSON']>;
}

/**
 * Scrubs canonical NDJSON with N worker threads that each parse, scrub and
 * serialise whole chunks of lines; chunks are written and their reports merged
 * in input order, so the output and the report are byte-identical to a
 * single-threaded run (samples keep the first N in input order, counters add).
 */
export async function scrubNdjsonParallel(
  chunks: ChunkSource,
  write: (bytes: Uint8Array, written?: () => void) => Promise<void>,
  o: ParallelScrubOptions,
): Promise<ParallelScrubResult> {
  const script = filterWorkerScript();
  // the packs are read once, here, and handed to every worker (no YAML parser there)
  const rulesDir = o.rulesDir || defaultRulesDir();
  const packs = loadRulePacks(rulesDir, o.options.rules?.length ? o.options.rules : undefined);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const pending = new Map<number, { resolve: (d: Done) => void; reject: (e: Error) => void }>();
  const summaries: Record<string, unknown>[] = [];
  let closing: ((s: Record<string, unknown>) => void)[] = [];
  for (let i = 0; i < o.threads; i++) {
    const w = new Worker(script, {
      workerData: { options: o.options, seed: o.seed, rulesDir, baseDir: o.baseDir, file: o.file, imports: o.imports ?? [], packs },
      // a larger young generation: fewer scavenges of the short-lived strings of each chunk
      resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.SCRUBLINE_YOUNG_MB ?? 48) },
    });
    ready.push(
      new Promise<void>((res, rej) => {
        w.once('error', rej);
        w.on('message', (m) => {
          if (m.ready) res();
          else if (m.warn) o.onWarning?.(m.warn);
          else if (m.closed) closing.shift()?.(m.summary ?? {});
          else {
            const p = pending.get(m.seq);
            pending.delete(m.seq);
            if (m.error) p?.reject(new ScrubError(m.code ?? 'SCRUB_STAGE_FAILED', safeMessage(m.error), { stage: 'pii' }));
            else p?.resolve(m as Done);
          }
        });
      }),
    );
    workers.push(w);
  }
  const report = new StageReport();
  const stage = o.ledger.stage('pii');
  const fc = o.ledger.file(o.file);
  const inFlight: { seq: number; promise: Promise<Done> }[] = [];
  const maxInFlight = o.threads * 2;
  let seq = 0;
  let running = true;
  const finishOldest = async () => {
    const head = inFlight.shift()!;
    const d = await head.promise;
    if (d.input) chunks.recycle?.(d.input);
    fc.units += d.records + d.quarantined.length;
    for (const q of d.quarantined) {
      o.ledger.quarantineInput(new ScrubError(q.code, q.message, { file: o.file, line: q.line }));
      o.onQuarantine?.(q.code, q.message, q.line);
    }
    fc.unitsUsed += d.records;
    fc.records += d.records;
    o.ledger.inputRecords += d.records;
    stage.in += d.records;
    stage.out += d.records;
    for (const [k, v] of Object.entries(d.report.counters)) report.count(k, v);
    for (const [k, list] of Object.entries(d.report.samples)) for (const s of list) report.sample(k, s);
    for (const m of d.report.messages) report.message(m);
    // the output buffer goes back to its worker once written (no fresh buffer per chunk there)
    const w = workers[head.seq % workers.length];
    const ab = d.bytes.buffer as ArrayBuffer;
    const recycle = () => {
      if (running) w.postMessage({ recycle: ab }, [ab]);
    };
    if (d.bytes.length) await write(d.bytes, recycle);
    else recycle();
  };
  try {
    await Promise.all(ready);
    for await (const chunk of chunks) {
      const s = seq++;
      const w = workers[s % workers.length];
      const promise = new Promise<Done>((resolve, reject) => pending.set(s, { resolve, reject }));
      // awaited in order by finishOldest; once one chunk fails, the later ones are never awaited
      promise.catch(() => {});
      w.postMessage({ seq: s, bytes: chunk.bytes, firstLine: chunk.firstLine }, [chunk.bytes.buffer as ArrayBuffer]);
      inFlight.push({ seq: s, promise });
      if (inFlight.length >= maxInFlight) await finishOldest();
    }
    while (inFlight.length) await finishOldest();
    for (const w of workers) {
      const p = new Promise<Record<string, unknown>>((res) => closing.push(res));
      w.postMessage({ close: true });
      summaries.push(await p);
    }
  } finally {
    running = false;
    closing = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
  o.ledger.outputRecords += stage.out;
  return { report, summary: sumSummaries(summaries, o.threads) };
}

export interface LineChunk {
  /** Whole lines (UTF-8), owned by this chunk (their buffer is transferred to a worker). */
  bytes: Uint8Array;
  /** 1-based number of the first line. */
  firstLine: number;
}

/** Chunks of whole lines; `recycle` takes back a spent chunk buffer for reuse (optional). */
export interface ChunkSource extends AsyncIterable<LineChunk> {
  recycle?(buffer: ArrayBuffer): void;
}

/**
 * Cuts a byte stream into chunks of whole lines (about `size` bytes each) without
 * decoding: the workers decode. Counts newlines so each chunk knows its first line.
 * The stream's buffers are copied once, into the chunk.
 */
export async function* lineChunks(stream: AsyncIterable<Buffer | string>, size = 1 << 20): AsyncGenerator<LineChunk> {
  let line = 1;
  // whole-line parts not yet emitted (views, no copies), then the incomplete last line
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let carry: Buffer[] = [];
  let carryLen = 0;
  const emit = (): LineChunk => {
    const bytes = Buffer.allocUnsafeSlow(pendingLen);
    let o = 0;
    for (const b of pending) {
      b.copy(bytes, o);
      o += b.length;
    }
    const chunk = { bytes, firstLine: line };
    line += countNewlines(bytes);
    pending = [];
    pendingLen = 0;
    return chunk;
  };
  for await (const part of stream) {
    const buf = typeof part === 'string' ? Buffer.from(part) : part;
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      carry.push(buf);
      carryLen += buf.length;
      continue;
    }
    for (const c of carry) pending.push(c);
    pendingLen += carryLen;
    carry = [];
    carryLen = 0;
    pending.push(buf.subarray(0, last + 1));
    pendingLen += last + 1;
    if (last + 1 < buf.length) {
      carry.push(buf.subarray(last + 1));
      carryLen = buf.length - last - 1;
    }
    if (pendingLen >= size) yield emit();
  }
  if (carryLen) {
    for (const c of carry) pending.push(c);
    pending.push(Buffer.from('\n'));
    pendingLen += carryLen + 1;
  }
  if (pendingLen) yield emit();
}

/**
 * Chunks of whole lines read from a file straight into chunk buffers (one read per
 * chunk, no intermediate stream buffers; only the incomplete last line is copied, into
 * the next chunk). Spent buffers given back through `recycle` are reused, so a run
 * allocates a few buffers in all. A last line without a newline gets one.
 */
export class FileLineChunks implements ChunkSource {
  private free: ArrayBuffer[] = [];
  constructor(
    private readonly path: string,
    private readonly size = 1 << 20,
  ) {}

  recycle(buffer: ArrayBuffer): void {
    if (this.free.length < 8 && buffer.byteLength >= this.size) this.free.push(buffer);
  }

  private take(min: number): Buffer {
    while (this.free.length) {
      const ab = this.free.pop()!;
      if (ab.byteLength >= min) return Buffer.from(ab);
    }
    return Buffer.allocUnsafeSlow(Math.max(min, this.size));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LineChunk> {
    const fh = await open(this.path, 'r');
    try {
      let line = 1;
      let buf = this.take(this.size);
      let len = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
        len += bytesRead;
        if (bytesRead > 0 && len < buf.length) continue; // fill the buffer (a short read is not the end)
        if (bytesRead === 0) {
          if (len === 0) break;
          if (buf[len - 1] !== 10) {
            if (len === buf.length) buf = this.grow(buf, len, len + 1);
            buf[len++] = 10;
          }
          yield { bytes: new Uint8Array(buf.buffer, buf.byteOffset, len), firstLine: line };
          break;
        }
        const last = buf.lastIndexOf(10, len - 1);
        if (last === -1) {
          buf = this.grow(buf, len, buf.length * 2); // a line longer than the chunk
          continue;
        }
        const rest = len - last - 1;
        const next = this.take(Math.max(this.size, rest * 2));
        buf.copy(next, 0, last + 1, len);
        const chunk = { bytes: new Uint8Array(buf.buffer, buf.byteOffset, last + 1), firstLine: line };
        line += countNewlines(buf, 0, last + 1);
        yield chunk;
        buf = next;
        len = rest;
      }
    } finally {
      await fh.close();
    }
  }

  private grow(buf: Buffer, len: number, min: number): Buffer {
    const b = this.take(min);
    buf.copy(b, 0, 0, len);
    return b;
  }
}

/** Adds the numeric fields of the workers' stage summaries (counts per type and totals). */
function sumSummaries(list: Record<string, unknown>[], threads: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of list) {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'rules') out[k] ??= v; // the same rule set in every worker
      else if (typeof v === 'number') out[k] = ((out[k] as number) ?? 0) + v;
      else if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number')) {
        const o = ((out[k] as Record<string, number>) ??= {});
        for (const [kk, vv] of Object.entries(v as Record<string, number>)) o[kk] = (o[kk] ?? 0) + vv;
      } else if (!(k in out)) out[k] = v;
    }
  }
  out.threads = threads;
  out.mode = 'line-parallel';
  return out;
}
