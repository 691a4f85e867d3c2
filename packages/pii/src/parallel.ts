import { Worker } from 'node:worker_threads';
import { open } from 'node:fs/promises';
import { countNewlines } from './ndjson.js';
import { detachOneBuffer, safeMessage, ScrubError, StageReport, type Ledger } from '@scrubline/core';
import { sumPiiSummaries, type PiiStageOptions } from './stage.js';
import { loadRulePacks } from './rules.js';
import { defaultRulesDir } from './engine.js';
import { startFilterWorker, takePrestartedWorkers, workerScript } from './early-workers.js';

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
  quarantined: { code: string; message: string; line: number; field?: string }[];
  report: ReturnType<StageReport['toJSON']>;
}

/** Chunks a worker holds at most (one in work, one waiting), so it never waits for the main thread. */
const PER_WORKER = 2;
/** Chunks in flight per worker at most, counting finished ones waiting for an earlier chunk to be written. */
const WINDOW_PER_WORKER = 4;

/**
 * Scrubs canonical NDJSON with N worker threads that each parse, scrub and
 * serialise whole chunks of lines; chunks are written and their reports merged
 * in input order, so the output and the report are byte-identical to a
 * single-threaded run (samples keep the first N in input order, counters add).
 * Each chunk goes to the worker with the fewest chunks in hand: on cores of
 * unequal speed (virtual CPUs often are) a faster worker takes more chunks
 * instead of waiting for its turn, and which worker scrubs a chunk does not
 * change its bytes (placeholder numbering is per conversation, one per line).
 */
export async function scrubNdjsonParallel(
  chunks: ChunkSource,
  write: (bytes: Uint8Array, written?: () => void) => Promise<void>,
  o: ParallelScrubOptions,
): Promise<ParallelScrubResult> {
  const script = filterWorkerScript();
  // this thread hands its input chunks and written buffers to the workers in transfer lists
  detachOneBuffer();
  // the packs are read once, here (from their build-time JSON copies where unchanged), and handed to every
  // worker: all scrub with the same rules even if a pack file changes meanwhile, and a pack's error is
  // reported as on one thread
  const rulesDir = o.rulesDir || defaultRulesDir();
  const packs = loadRulePacks(rulesDir, o.options.rules?.length ? o.options.rules : undefined);
  // workers the CLI entry started early have been loading their modules meanwhile
  const workers: Worker[] = takePrestartedWorkers(o.threads);
  while (workers.length < o.threads) workers.push(startFilterWorker(script));
  const config = { options: o.options, seed: o.seed, rulesDir, baseDir: o.baseDir, file: o.file, imports: o.imports ?? [], packs };
  const ready: Promise<void>[] = [];
  const pending = new Map<number, { resolve: (d: Done) => void; reject: (e: Error) => void }>();
  const summaries: Record<string, unknown>[] = [];
  let closing: { resolve: (s: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | null = null;
  workers.forEach((w, i) => {
    ready.push(
      new Promise<void>((res, rej) => {
        w.once('error', (e) => {
          rej(e);
          // a worker that dies mid-run fails its chunks (and so the run), it never hangs it
          failure ??= ScrubError.from(e, 'SCRUB_STAGE_FAILED');
          for (const [seq, p] of pending) if (owner.get(seq) === i) p.reject(failure);
        });
        w.once('exit', (code) => {
          if (!running) return; // terminated by this function when the run ended
          // a worker that stops without an error (or after one) fails the run; nothing waits for it
          const e = failure ?? new ScrubError('SCRUB_STAGE_FAILED', `a scrub worker stopped (exit code ${code}) before the run ended`, { stage: 'pii' });
          failure = e;
          rej(e);
          for (const [seq, p] of pending) if (owner.get(seq) === i) p.reject(e);
          closing.shift()?.reject(e);
          const k = wake;
          wake = null;
          k?.();
        });
        w.on('message', (m) => {
          if (m.ready) res();
          // a setup error comes from the options and the rule packs, before any record is read: it is passed on
          // as the stage path would give it (masking it turned a rule id's digits into #)
          else if (m.fatal) rej(new ScrubError(m.fatal.code ?? 'SCRUB_STAGE_FAILED', m.fatal.message, { stage: 'pii', file: m.fatal.file, field: m.fatal.field, hint: m.fatal.hint }));
          else if (m.warn) o.onWarning?.(m.warn);
          else if (m.closed) closing.shift()?.resolve(m.summary ?? {});
          else {
            const p = pending.get(m.seq);
            pending.delete(m.seq);
            if (m.error) p?.reject(new ScrubError(m.code ?? 'SCRUB_STAGE_FAILED', safeMessage(m.error), m.line ? { stage: 'pii', file: o.file, line: m.line, hint: m.hint } : { stage: 'pii' }));
            else p?.resolve(m as Done);
          }
        });
      }),
    );
    w.postMessage({ config });
  });
  const report = new StageReport();
  const stage = o.ledger.stage('pii');
  const fc = o.ledger.file(o.file);
  /** Chunks sent and not yet written, in input order. */
  const inFlight: { seq: number; worker: number; promise: Promise<Done>; settled: boolean }[] = [];
  /** Which worker has each chunk in hand. */
  const owner = new Map<number, number>();
  const held = new Array<number>(workers.length).fill(0);
  let wake: (() => void) | null = null;
  let seq = 0;
  let running = true;
  const finishOldest = async () => {
    const head = inFlight.shift()!;
    const d = await head.promise;
    if (d.input) chunks.recycle?.(d.input);
    fc.units += d.records + d.quarantined.length;
    for (const q of d.quarantined) o.ledger.quarantineInput(new ScrubError(q.code, q.message, { file: o.file, line: q.line, ...(q.field ? { field: q.field } : {}) }));
    fc.unitsUsed += d.records;
    fc.records += d.records;
    o.ledger.inputRecords += d.records;
    stage.in += d.records;
    stage.out += d.records;
    for (const [k, v] of Object.entries(d.report.counters)) report.count(k, v);
    for (const [k, list] of Object.entries(d.report.samples)) for (const s of list) report.sample(k, s);
    for (const m of d.report.messages) report.message(m);
    // the output buffer goes back to the worker that filled it once written (no fresh buffer per chunk there)
    const w = workers[head.worker];
    const ab = d.bytes.buffer as ArrayBuffer;
    const recycle = () => {
      if (running) w.postMessage({ recycle: ab }, [ab]);
    };
    if (d.bytes.length) await write(d.bytes, recycle);
    else recycle();
  };
  /** The worker with the fewest chunks in hand, if it has room for one more. */
  const freeWorker = (): number => {
    let best = -1;
    for (let i = 0; i < workers.length; i++) if (held[i] < PER_WORKER && (best < 0 || held[i] < held[best])) best = i;
    return best;
  };
  try {
    await Promise.all(ready);
    for await (const chunk of chunks) {
      let w = -1;
      for (;;) {
        // write what is done at the head, then hand the chunk to a worker with room
        while (inFlight.length && inFlight[0].settled) await finishOldest();
        if (failure) throw failure;
        w = freeWorker();
        if (w >= 0 && inFlight.length < WINDOW_PER_WORKER * workers.length) break;
        // nothing to write and no room: the head is still being scrubbed, wait for any chunk to finish
        await new Promise<void>((r) => (wake = r));
      }
      const s = seq++;
      const promise = new Promise<Done>((resolve, reject) => pending.set(s, { resolve, reject }));
      const entry = { seq: s, worker: w, promise, settled: false };
      owner.set(s, w);
      held[w]++;
      const settle = () => {
        entry.settled = true;
        held[w]--;
        owner.delete(s);
        const k = wake;
        wake = null;
        k?.();
      };
      // awaited in order by finishOldest; once one chunk fails, the later ones are never awaited
      promise.then(settle, settle);
      workers[w].postMessage({ seq: s, bytes: chunk.bytes, firstLine: chunk.firstLine }, [chunk.bytes.buffer as ArrayBuffer]);
      inFlight.push(entry);
    }
    while (inFlight.length) await finishOldest();
    for (const w of workers) {
      const p = new Promise<Record<string, unknown>>((resolve, reject) => closing.push({ resolve, reject }));
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
  return { ...sumPiiSummaries(list), threads, mode: 'line-parallel' };
}
