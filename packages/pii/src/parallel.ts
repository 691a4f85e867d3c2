import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { safeMessage, ScrubError, StageReport, type Ledger } from '@scrubline/core';
import type { PiiStageOptions } from './stage.js';

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
  for (const rel of ['./filter-worker.js', '../dist/filter-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new ScrubError('SCRUB_INTERNAL', 'filter-worker.js is missing: build @scrubline/pii first');
}

interface Done {
  bytes: Uint8Array;
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
  chunks: AsyncIterable<LineChunk>,
  write: (bytes: Uint8Array) => Promise<void>,
  o: ParallelScrubOptions,
): Promise<ParallelScrubResult> {
  const script = filterWorkerScript();
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const pending = new Map<number, { resolve: (d: Done) => void; reject: (e: Error) => void }>();
  const summaries: Record<string, unknown>[] = [];
  let closing: ((s: Record<string, unknown>) => void)[] = [];
  for (let i = 0; i < o.threads; i++) {
    const w = new Worker(script, {
      workerData: { options: o.options, seed: o.seed, rulesDir: o.rulesDir, baseDir: o.baseDir, file: o.file, imports: o.imports ?? [] },
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
  const finishOldest = async () => {
    const head = inFlight.shift()!;
    const d = await head.promise;
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
    if (d.bytes.length) await write(d.bytes);
  };
  try {
    await Promise.all(ready);
    for await (const chunk of chunks) {
      const s = seq++;
      const w = workers[s % workers.length];
      const promise = new Promise<Done>((resolve, reject) => pending.set(s, { resolve, reject }));
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

/**
 * Cuts a byte stream into chunks of whole lines (about `size` bytes each) without
 * decoding: the workers decode. Counts newlines so each chunk knows its first line.
 */
export async function* lineChunks(stream: AsyncIterable<Buffer | string>, size = 1 << 20): AsyncGenerator<LineChunk> {
  let carry: Buffer | null = null;
  let line = 1;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const emit = (): LineChunk => {
    const bytes = new Uint8Array(pendingLen);
    let o = 0;
    for (const b of pending) {
      bytes.set(b, o);
      o += b.length;
    }
    const chunk = { bytes, firstLine: line };
    for (const b of pending) for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) line++;
    pending = [];
    pendingLen = 0;
    return chunk;
  };
  for await (const part of stream) {
    let buf = typeof part === 'string' ? Buffer.from(part) : part;
    if (carry) {
      buf = Buffer.concat([carry, buf]);
      carry = null;
    }
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      carry = buf;
      continue;
    }
    pending.push(buf.subarray(0, last + 1));
    pendingLen += last + 1;
    if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1));
    if (pendingLen >= size) yield emit();
  }
  if (carry) {
    pending.push(Buffer.concat([carry, Buffer.from('\n')]));
    pendingLen += carry.length + 1;
  }
  if (pendingLen) yield emit();
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
