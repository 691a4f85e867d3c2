import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ScrubError, type LedgerJSON, type LocalSlices, type PlannedStep, type ScrublinePlugin, type ShardSpec, type SliceResult } from '@scrubline/core';
import { canReadInSlices, comesBefore, sessionRepeatAcrossSlices, type FileInfo, type InputConfig, type ResolvedInput, type SessionRuns } from '@scrubline/io';
import { plugins as builtIn } from './plugins.js';
import type { SliceInbound, SliceJob, SliceMessage } from './slice-worker.js';

/** Input size from which `--threads auto` runs phase 0 on slices (below it, starting workers costs more than it gains). */
export const AUTO_SLICE_BYTES = 64 << 20;

/**
 * The input files in consecutive slices for phase 0 (`run --threads`), balanced by bytes; one
 * slice (no worker) when the run cannot be sliced or would not gain: a shard of a cluster run or
 * a single phase, stdin, transparent copying, one file, or stages from packages the workers do
 * not load (a caller's own plugins).
 */
export async function sliceInputs(
  o: { phase: number | 'all'; shard: ShardSpec; threads?: number | 'auto'; plugins: ScrublinePlugin[] },
  files: ResolvedInput[],
  transparent: boolean,
  totalBytes: number,
): Promise<ResolvedInput[][]> {
  const one = [files];
  if (o.phase !== 'all' || o.shard.count !== 1 || transparent || files.length < 2 || !canReadInSlices(files)) return one;
  if (o.plugins.some((p) => !builtIn.includes(p))) return one;
  // auto: a slice per core, at most one per 256 MB of memory (a worker holds its modules, stages and batches)
  const threads = o.threads === undefined || o.threads === 'auto' ? (totalBytes >= AUTO_SLICE_BYTES ? Math.min(availableParallelism(), Math.max(1, Math.floor(totalmem() / (256 << 20)))) : 1) : o.threads;
  const count = Math.min(threads, files.length);
  if (count < 2) return one;
  const sizes = await Promise.all(files.map(async (f) => (await stat(f.path).catch(() => ({ size: 0 }))).size));
  // cut k at the file boundary nearest to k/count of the bytes, every slice keeping at least one file
  const prefix = [0];
  for (const n of sizes) prefix.push(prefix[prefix.length - 1] + n);
  const total = prefix[files.length];
  const cuts = [0];
  for (let k = 1; k < count; k++) {
    const target = (total * k) / count;
    let best = cuts[k - 1] + 1;
    for (let j = best; j <= files.length - (count - k); j++) if (Math.abs(prefix[j] - target) < Math.abs(prefix[best] - target)) best = j;
    cuts.push(best);
  }
  cuts.push(files.length);
  return cuts.slice(1).map((end, k) => files.slice(cuts[k], end));
}

export interface SliceRunOptions {
  /** The whole input, in order, and its slices. */
  files: ResolvedInput[];
  slices: ResolvedInput[][];
  steps: PlannedStep[];
  input: InputConfig;
  seed: string;
  strict: boolean;
  baseDir: string;
  rulesDir: string;
  workDir: string;
  /** Part files of slice `i` for quarantine and drop entries (undefined: not kept). */
  sidePart: (i: number, kind: 'quarantine' | 'dropped') => string | undefined;
  /** The run's file list and warnings: the slices' join them in input order. */
  fileInfos: FileInfo[];
  warnings: string[];
  progress: (bytes: number, records: number) => void;
  /** A warning to show now (said once); it joins `warnings` in slice order when phase 0 is over. */
  show: (message: string) => void;
}

/**
 * Phase 0 on slices of the input files, one worker thread each (`run --threads`), as the runner's
 * `LocalSlices`. Errors come out as one thread would have met them: the earliest failing slice's
 * (a slice that fails stops only the slices after it), or a row export's session that one slice
 * finished and a later one met again, whichever comes first in the input.
 */
export class LocalSliceRun implements LocalSlices {
  readonly count: number;
  startedAt?: number;
  private runs: StartedSlice[] = [];
  private startError: unknown = null;
  private started = false;
  /** What the runner provided for steps' preloads, handed to slices started later. */
  private provided: [string, unknown][] = [];

  constructor(private readonly o: SliceRunOptions) {
    this.count = o.slices.length;
  }

  /** What the slices write (part files, session runs, spills), removed when the run ends. */
  get scratch(): string[] {
    const spills = this.o.slices.map((_, i) => this.spillPath(i));
    return [join(this.o.workDir, 'slices'), join(this.o.workDir, 'side', 'slices'), ...spills];
  }

  private spillPath(i: number): string {
    return join(this.o.workDir, 'spill', 'phase-1', `slice-${i}-of-${this.o.slices.length}.ndjson`);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startedAt = performance.now();
    const o = this.o;
    let base = 0;
    try {
      for (const [i, files] of o.slices.entries()) {
        const job: SliceJob = {
          steps: o.steps.map((s) => ({ id: s.id, use: s.use, options: s.options, ...(s.when ? { when: s.when } : {}) })),
          input: o.input,
          files,
          fileIndexBase: base,
          seed: o.seed,
          strict: o.strict,
          baseDir: o.baseDir,
          rulesDir: o.rulesDir,
          tmpDir: join(o.workDir, 'slices', String(i)),
          spillPath: this.spillPath(i),
          quarantinePath: o.sidePart(i, 'quarantine'),
          droppedPath: o.sidePart(i, 'dropped'),
          preloaded: [...this.provided],
        };
        base += files.length;
        this.runs.push(startSliceWorker(job, o.progress, o.show));
      }
    } catch (e) {
      this.startError = e; // given by runAll, after the workers already started are stopped
    }
  }

  provide(stepId: string, data: unknown): void {
    this.provided.push([stepId, data]);
    for (const r of this.runs) r.post({ type: 'preload', stepId, data });
  }

  async stop(): Promise<void> {
    await Promise.all(this.runs.map((r) => r.stop()));
  }

  /** Settles once every slice made its stages (or ended before): the earliest slice's error in making them, if any. */
  async ready(): Promise<void> {
    if (this.startError) throw ScrubError.from(this.startError, 'SCRUB_INTERNAL');
    const settled = await Promise.allSettled(this.runs.map((r) => r.ready));
    const k = settled.findIndex((s) => s.status === 'rejected');
    if (k >= 0) throw (settled[k] as PromiseRejectedResult).reason;
  }

  /** How long the slowest slice took to start (modules, stages) before it read anything. */
  startupMs(): number | undefined {
    const times = this.runs.map((r) => r.startupMs).filter((t): t is number => t !== undefined);
    return times.length ? Math.max(...times) : undefined;
  }

  async runAll(): Promise<SliceResult[]> {
    this.start();
    if (this.startError) {
      await this.stop();
      throw ScrubError.from(this.startError, 'SCRUB_INTERNAL');
    }
    const runs = this.runs;
    // a failing slice stops the slices after it; those before it run on (one of them may fail too,
    // and its error, earlier in the input, is the one to give)
    let firstFailed = Infinity;
    const settled = await Promise.allSettled(
      runs.map((r, i) =>
        r.result.catch((e: unknown) => {
          if (i < firstFailed) {
            firstFailed = i;
            for (let j = i + 1; j < runs.length; j++) void runs[j].stop();
          }
          throw e;
        }),
      ),
    );
    const k = settled.findIndex((s) => s.status === 'rejected');
    let error: unknown = k < 0 ? null : (settled[k] as PromiseRejectedResult).reason;
    // sessions met in the slices up to the failing one (its own as far as it came)
    const last = k < 0 ? runs.length - 1 : k;
    const sessions = runs.slice(0, last + 1).flatMap((r) => (r.sessions ? [r.sessions] : []));
    if (sessions.length) {
      const repeat = await sessionRepeatAcrossSlices(this.o.files, sessions, this.o.input, this.o.workDir);
      if (repeat && (error === null || comesBefore(this.o.files, repeat, error))) error = repeat;
    }
    // the files read and the warnings given, in input order, as far as one reader would have come
    const read = readUpTo(this.o.files, error);
    for (let i = 0; i <= last; i++) {
      for (const info of runs[i].fileInfos) if (read(info.path)) this.o.fileInfos.push(info);
      for (const m of runs[i].warnings) if (!this.o.warnings.includes(m)) this.o.warnings.push(m);
    }
    if (error !== null) {
      // what the slices up to the failure read and did, for the failed run's counts (`LocalSlices.runAll`)
      const ledgers = runs.slice(0, last + 1).map((r, i) => (settled[i].status === 'fulfilled' ? (settled[i] as PromiseFulfilledResult<SliceResult | null>).value?.ledger : r.ledger));
      if (error instanceof ScrubError) (error as ScrubError & { sliceLedgers?: LedgerJSON[] }).sliceLedgers = ledgers.filter((l): l is LedgerJSON => !!l);
      throw error;
    }
    return settled.map((s, i) => {
      const r = (s as PromiseFulfilledResult<SliceResult | null>).value;
      if (!r) throw new ScrubError('SCRUB_INTERNAL', `slice ${i} found the pipeline cannot run on slices`);
      return r;
    });
  }
}

/**
 * Whether one reader, stopped by `error`, had read the file at `path`: it stops in the error's file
 * (an error without a file, or none: it read them all).
 */
export function readUpTo(files: ResolvedInput[], error: unknown): (path: string) => boolean {
  const file = (error as { file?: string } | null)?.file;
  const at = file === undefined ? -1 : files.findIndex((f) => f.name === file);
  return (path) => at < 0 || files.findIndex((f) => f.name === path) <= at;
}

function sliceWorkerScript(): string {
  for (const rel of ['./slice-worker.js', '../dist/slice-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new ScrubError('SCRUB_INTERNAL', 'slice-worker.js is missing: build @scrubline/cli first');
}

interface StartedSlice {
  /** The slice's result, null when the pipeline cannot run on slices, or its coded error. */
  result: Promise<SliceResult | null>;
  /** Settles when the slice's stages are made (or it ended before): its error if it failed before. */
  ready: Promise<void>;
  fileInfos: FileInfo[];
  warnings: string[];
  sessions: SessionRuns | null;
  /** From the worker's spawn to its stages being made (`Date.now()` on both sides). */
  startupMs?: number;
  /** Sends the worker a message (a step's preload). */
  post: (m: SliceInbound) => void;
  /** A failed slice's counts as far as it came. */
  ledger?: LedgerJSON | null;
  stop: () => Promise<void>;
}

/** Starts one slice of phase 0 in a worker thread. */
function startSliceWorker(job: SliceJob, progress: (bytes: number, records: number) => void, show: (m: string) => void): StartedSlice {
  const spawnedAt = Date.now();
  const worker = new Worker(sliceWorkerScript(), { workerData: job });
  let settled = false;
  const slice: StartedSlice = {
    result: null as never,
    ready: null as never,
    fileInfos: [],
    warnings: [],
    sessions: null,
    // a worker still running then rejects ('stopped before it finished'); one that ended stays as it was
    stop: async () => {
      await worker.terminate();
    },
    post: (m) => worker.postMessage(m),
  };
  let made: () => void = () => {};
  slice.ready = new Promise<void>((res) => (made = res));
  slice.result = new Promise<SliceResult | null>((resolvePromise, reject) => {
    worker.on('message', (m: SliceMessage) => {
      if (m.type === 'progress') progress(m.bytes, m.records);
      else if (m.type === 'ready') {
        slice.startupMs = m.at - spawnedAt;
        made();
      } else if (m.type === 'warning') {
        show(m.message);
        slice.warnings.push(m.message);
      } else if (m.type === 'skipped') {
        settled = true;
        resolvePromise(null);
      } else if (m.type === 'done') {
        settled = true;
        slice.fileInfos = m.fileInfos;
        slice.sessions = m.sessions;
        resolvePromise(m.result);
      } else if (m.type === 'error') {
        settled = true;
        slice.sessions = m.sessions;
        slice.fileInfos = m.fileInfos;
        slice.ledger = m.ledger;
        const { code, message, ...context } = m.error as { code: string; message: string };
        reject(new ScrubError(code as never, message, context));
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(ScrubError.from(e, 'SCRUB_INTERNAL'));
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new ScrubError('SCRUB_INTERNAL', `a slice worker stopped (exit code ${code}) before it finished`));
      settled = true;
    });
  });
  // ended before its stages were made (skipped, or an error in making them): ready settles as the result did
  slice.ready = Promise.race([slice.ready, slice.result.then(() => undefined)]);
  slice.result.catch(() => {}); // awaited by runAll, or never when the run fails before phase 0
  slice.ready.catch(() => {});
  return slice;
}
