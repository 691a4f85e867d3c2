import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ScrubError, type LastPhaseJob, type LastSliceResult, type LedgerJSON, type LocalSlices, type PlannedStep, type ScrublinePlugin, type ShardSpec, type SliceResult, type StageRunReport } from '@scrubline/core';
import { canReadInRanges, canReadInSlices, comesBefore, cutAtLineEnds, foundAfterReading, readingStoppedBy, scanFile, sessionRepeatAcrossSlices, type FileInfo, type InputConfig, type OutputFormat, type ResolvedInput, type SessionRuns } from '@scrubline/io';
import { endPrestartedSliceWorkers, sliceThreads, sliceWorkerPath, takePrestartedSliceWorkers } from './early-slices.js';
import { plugins as builtIn } from './plugins.js';
import { LAST_PHASE_STATE, runLastSliceJob, runSliceJob, type LastSliceJob, type SliceJob, type SliceMessage } from './slice-job.js';
import type { SliceInbound, SliceOutbound } from './slice-worker.js';

/** Units per thread when the input allows: a thread that is done takes the next, so a slow core or a big file holds the others up less. */
export const UNITS_PER_THREAD = 8;

/** The least a file is cut into (ranges.ts): a unit costs a few milliseconds to start (stages made, spill opened). */
export const MIN_RANGE_BYTES = 4 << 20;


/**
 * The input in consecutive units for phase 0 (`run --threads`), balanced by bytes: up to
 * UNITS_PER_THREAD per thread. A big plain UTF-8 JSON Lines file is first cut at line ends into
 * ranges, smaller towards the end of the input (at least MIN_RANGE_BYTES; `range.linesBefore` is
 * -1 where the run counts it, see LocalSliceRun); other files stay whole. One unit (no slices) when the run
 * cannot be sliced or would not gain: a shard of a cluster run or a single phase, stdin,
 * transparent copying, one file that cannot be cut, one thread, or stages from packages the
 * workers do not load (a caller's own plugins).
 */
export async function sliceInputs(
  o: { phase: number | 'all'; shard: ShardSpec; threads?: number | 'auto'; plugins: ScrublinePlugin[]; unitsPerThread?: number; minRangeBytes?: number; input?: InputConfig },
  files: ResolvedInput[],
  transparent: boolean,
  totalBytes: number,
): Promise<ResolvedInput[][]> {
  const one = [files];
  if (o.phase !== 'all' || o.shard.count !== 1 || transparent || files.length === 0 || !canReadInSlices(files)) return one;
  if (o.plugins.some((p) => !builtIn.includes(p))) return one;
  const threads = sliceThreads(o.threads, totalBytes);
  if (threads < 2) return one;
  const most = threads * (o.unitsPerThread ?? UNITS_PER_THREAD);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f.path).catch(() => ({ size: 0 }))).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  // whole files that already share out evenly (threads taking units in turn finish within a tenth of
  // an even share) are not cut: cutting reads each file once more and starts more units (measured
  // on two equal files of 150 MB: about 4.6 % slower than a file per thread)
  const whole = wholeFileUnits(files, sizes, Math.min(most, files.length));
  let next = 0; // units are consecutive runs of files: their sizes in order
  const wholeSizes = whole.map((u) => u.reduce((n) => n + sizes[next++], 0));
  if (files.length >= threads && finishTime(wholeSizes, threads) <= (1.1 * total) / threads) return whole;
  // pieces: whole files, and the ranges of the files cut at line ends. A range takes half a
  // thread's share of the input left after it (at least minRange): ranges get smaller towards
  // the end, so the threads finish close together (guided self-scheduling).
  const minRange = o.minRangeBytes ?? MIN_RANGE_BYTES;
  const pieces: { file: ResolvedInput; size: number }[] = [];
  let ranges = 0;
  let before = 0; // bytes of the files before this one
  for (const [i, f] of files.entries()) {
    const offsets: number[] = [];
    for (let at = 0; ; ) {
      at += Math.max(minRange, (total - before - at) / (2 * threads));
      if (sizes[i] - at < minRange) break;
      offsets.push(Math.round(at));
    }
    before += sizes[i];
    const cuts = offsets.length && o.input && (await canReadInRanges(f, o.input)) ? await cutAtLineEnds(f.path, offsets) : [];
    if (cuts.length === 0) {
      pieces.push({ file: f, size: sizes[i] });
      continue;
    }
    const bounds = [0, ...cuts, sizes[i]];
    ranges += bounds.length - 1;
    for (let k = 0; k + 1 < bounds.length; k++) pieces.push({ file: { ...f, range: { start: bounds[k], end: bounds[k + 1], linesBefore: k === 0 ? 0 : -1 } }, size: bounds[k + 1] - bounds[k] });
  }
  if (ranges > 0) {
    // each range a unit of its own (they get smaller towards the end); whole files next to each
    // other grouped up to a unit's share of the bytes
    const share = total / most;
    const units: ResolvedInput[][] = [];
    let group: ResolvedInput[] = [];
    let groupBytes = 0;
    const close = () => {
      if (group.length) units.push(group);
      group = [];
      groupBytes = 0;
    };
    for (const p of pieces) {
      if (p.file.range) {
        close();
        units.push([p.file]);
        continue;
      }
      if (group.length && groupBytes + p.size > share) close();
      group.push(p.file);
      groupBytes += p.size;
    }
    close();
    return units;
  }
  return whole;
}

/** Whole files in `count` units: cut k at the file boundary nearest to k/count of the bytes, every unit keeping at least one file. */
function wholeFileUnits(files: ResolvedInput[], sizes: number[], count: number): ResolvedInput[][] {
  if (count < 2) return [files];
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

/** When the last of `threads` equal threads ends, each taking the next of units of these sizes when free. */
function finishTime(sizes: number[], threads: number): number {
  const ends = new Array<number>(threads).fill(0);
  for (const n of sizes) {
    const k = ends.indexOf(Math.min(...ends));
    ends[k] += n;
  }
  return Math.max(...ends);
}

export interface SliceRunOptions {
  /** The whole input, in order, and its units (`sliceInputs`). */
  files: ResolvedInput[];
  slices: ResolvedInput[][];
  /** Threads to run the units on (this one among them); default: a thread per unit. */
  threads?: number;
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
  /** The run's output as `OutputSet` writes it, for a last phase on the slices (`runLast`). */
  output: { path: string; format?: OutputFormat; shard: number; transparent: boolean };
}

/**
 * Phase 0 on units of the input files (`run --threads`), as the runner's `LocalSlices`: this
 * thread and `threads - 1` worker threads each take the next unit when free, so a core that runs
 * slower, or a unit that takes longer, holds the others up by one unit at most. Errors come out as
 * one thread would have met them: the earliest failing unit's (a unit that fails stops only the
 * units after it), or a row export's session that one unit finished and a later one met again,
 * whichever comes first in the input.
 */
export class LocalSliceRun implements LocalSlices {
  /** Units of phase 0 (consecutive runs of input files), each with its own result, spill and part files. */
  readonly count: number;
  /** Threads that run them, each taking the next unit when free: this one and `threads - 1` workers (`threads` workers when there are no more units than threads). */
  readonly threads: number;
  startedAt?: number;
  private units: UnitRun[] = [];
  private executors: Executor[] = [];
  private startError: unknown = null;
  private started = false;
  /** The next unit to hand out; none past the earliest failed unit. */
  private next = 0;
  private firstFailed = Infinity;
  /** What the runner provided for steps' preloads, handed to workers started later. */
  private provided = new Map<string, unknown>();
  private waiting = new Map<string, ((data: unknown) => void)[]>();
  /** Files read in ranges: one scan each for the lines before every range and the file's sha256. */
  private scans = new Map<string, FileScan>();
  /** Set by stop(): scans read no further. */
  private ended = false;
  /** The units of the last phase (`runLast`), numbered after phase 0's in messages. */
  private lastUnits: LastUnit[] = [];
  /** Told when a worker thread has gone (during the last phase: a unit may be left with no thread to take it). */
  private onWorkerGone: (() => void) | null = null;

  constructor(private readonly o: SliceRunOptions) {
    this.count = o.slices.length;
    this.threads = Math.max(1, Math.min(o.threads ?? o.slices.length, o.slices.length));
  }

  /** What the slices write (part files, session runs, spills), removed when the run ends. */
  get scratch(): string[] {
    const spills = this.o.slices.map((_, i) => this.spillPath(i));
    return [join(this.o.workDir, 'slices'), join(this.o.workDir, 'side', 'slices'), ...spills];
  }

  private spillPath(i: number): string {
    return join(this.o.workDir, 'spill', 'phase-1', `slice-${i}-of-${this.o.slices.length}.spill`);
  }

  /** Unit `i`'s job, once the lines before its ranges are counted. */
  private async job(i: number): Promise<SliceJob> {
    const o = this.o;
    const files = await Promise.all(
      o.slices[i].map(async (f) => (f.range && f.range.linesBefore < 0 ? { ...f, range: { ...f.range, linesBefore: await this.scans.get(f.name)!.linesBefore(f.range.start) } } : f)),
    );
    return {
      steps: sliceSteps(o.steps),
      input: o.input,
      files,
      fileIndexBase: o.files.findIndex((f) => f.path === files[0].path),
      seed: o.seed,
      strict: o.strict,
      baseDir: o.baseDir,
      rulesDir: o.rulesDir,
      tmpDir: join(o.workDir, 'slices', String(i)),
      spillPath: this.spillPath(i),
      quarantinePath: o.sidePart(i, 'quarantine'),
      droppedPath: o.sidePart(i, 'dropped'),
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startedAt = performance.now();
    this.units = this.o.slices.map(() => newUnit());
    // the files read in ranges: scanned once, from start to end, beside the units
    const starts = new Map<string, { path: string; cuts: number[]; size: number }>();
    for (const f of this.o.slices.flat()) {
      if (!f.range) continue;
      const s = starts.get(f.name) ?? { path: f.path, cuts: [], size: 0 };
      if (f.range.start > 0) s.cuts.push(f.range.start);
      s.size = Math.max(s.size, f.range.end);
      starts.set(f.name, s);
    }
    for (const [name, { path, cuts, size }] of starts) this.scans.set(name, scanRanges(path, name, cuts, size, () => this.ended));
    try {
      // workers first: they take longest to start; this thread begins at once. With a unit per thread there is
      // nothing to share out, and this thread's head start would only leave the last worker later: workers
      // alone, unless the workers started with the CLI (`run --threads N`), which are about as ready as this thread
      const early = takePrestartedSliceWorkers(this.threads - 1);
      endPrestartedSliceWorkers();
      const inProcess = this.count > this.threads || early.length > 0;
      for (let k = inProcess ? 1 : 0; k < this.threads; k++) this.executors.push(startWorker((unit, m) => this.onMessage(unit, m), early.shift(), () => this.onWorkerGone?.()));
      for (const [stepId, data] of this.provided) for (const e of this.executors) e.post({ type: 'preload', stepId, data });
      if (inProcess) this.executors.unshift(this.inProcess());
    } catch (e) {
      this.startError = e; // given by runAll, after the workers already started are stopped
      for (const u of this.units) u.settle(null);
      return;
    }
    for (const e of this.executors) this.dispatch(e);
  }

  /** This thread as one of the executors: it runs units between the runner's own awaits. */
  private inProcess(): Executor {
    const e: Executor = {
      spawnedAt: Date.now(),
      current: null,
      stopped: false,
      running: Promise.resolve(),
      post: () => {},
      run: (unit, job) => {
        e.running = runSliceJob(job, (m) => this.onMessage(unit, m), (id) => this.preloaded(id), () => e.stopped || unit > this.firstFailed).catch((err: unknown) => this.onMessage(unit, lostMessage(err)));
      },
      runLast: (unit, job) => {
        e.running = runLastSliceJob(job, (m) => this.onMessage(unit, m), (id) => this.preloaded(id), () => e.stopped).catch((err: unknown) => this.onMessage(unit, lostMessage(err)));
      },
      stop: async () => {
        e.stopped = true;
        await e.running;
      },
    };
    return e;
  }

  private preloaded(stepId: string): Promise<unknown> {
    if (this.provided.has(stepId)) return Promise.resolve(this.provided.get(stepId));
    return new Promise((resolve) => this.waiting.set(stepId, [...(this.waiting.get(stepId) ?? []), resolve]));
  }

  /** Hands executor `e` the next unit, if any is left to run. */
  private dispatch(e: Executor): void {
    if (e.stopped || this.next >= this.count || this.next > this.firstFailed) return;
    const unit = this.next++;
    e.current = unit;
    const u = this.units[unit];
    u.executor = e;
    u.result.then(
      () => {
        e.current = null;
        this.dispatch(e);
      },
      () => (e.current = null),
    );
    this.job(unit).then(
      (job) => {
        if (u.settled) return;
        // stopped, or an earlier unit failed, while it waited for its lines-before count
        if (e.stopped || unit > this.firstFailed) u.settle(null, notRun());
        else e.run(unit, job);
      },
      // its lines-before count failed (the scan could not read the file): not an error in making its stages
      (error: unknown) => this.fail(unit, ScrubError.from(error, 'SCRUB_INTERNAL'), true),
    );
  }

  private onMessage(unit: number, m: SliceMessage): void {
    if (unit >= this.count) return this.onLastMessage(unit - this.count, m);
    const u = this.units[unit];
    if (m.type === 'progress') this.o.progress(m.bytes, m.records);
    else if (m.type === 'ready') {
      const e = u.executor!;
      e.startupMs ??= m.at - e.spawnedAt;
      u.made();
    } else if (m.type === 'warning') {
      this.o.show(m.message);
      u.warnings.push(m.message);
    } else if (m.type === 'skipped') {
      // the pipeline cannot run on slices: neither can any other unit
      this.firstFailed = Math.min(this.firstFailed, unit);
      for (let k = this.next; k < this.count; k++) this.units[k].settle(null);
      this.next = this.count;
      u.settle(null);
    } else if (m.type === 'done') {
      u.fileInfos = m.fileInfos;
      u.sessions = m.sessions;
      u.settle(m.result);
    } else if (m.type === 'error') {
      u.sessions = m.sessions;
      u.fileInfos = m.fileInfos;
      u.ledger = m.ledger;
      const { code, message, ...context } = m.error as { code: string; message: string };
      this.fail(unit, new ScrubError(code as never, message, context), m.lost === true);
    }
  }

  /**
   * Unit `unit` failed: the units after it are not needed (one thread would not have read them), so
   * those not started never start and those running stop; the units before it run on (one of them
   * may fail too, and its error, earlier in the input, is the one to give).
   */
  private fail(unit: number, error: ScrubError, outside = false): void {
    const u = this.units[unit];
    if (u.settled) return;
    u.outside = outside;
    u.settle(null, error);
    if (unit >= this.firstFailed) return;
    this.firstFailed = unit;
    this.next = this.count;
    for (const e of this.executors) if (e.current !== null && e.current > unit) void e.stop();
    // the units after it, not started, waiting for their lines-before count, or being stopped, are not needed
    for (let k = unit + 1; k < this.count; k++) this.units[k].settle(null, notRun());
  }

  provide(stepId: string, data: unknown): void {
    this.provided.set(stepId, data);
    for (const resolve of this.waiting.get(stepId) ?? []) resolve(data);
    this.waiting.delete(stepId);
    for (const e of this.executors) e.post({ type: 'preload', stepId, data });
  }

  async stop(): Promise<void> {
    endPrestartedSliceWorkers(); // started with the CLI, for a run that never started its units
    this.next = this.count;
    this.ended = true;
    await Promise.all(this.executors.map((e) => e.stop()));
    for (const u of this.units) if (!u.settled) u.settle(null, notRun());
  }

  /** Settles once every thread made its stages for its first unit (or that unit ended before): the earliest unit's error in making them, if any. */
  async ready(): Promise<void> {
    if (this.startError) throw ScrubError.from(this.startError, 'SCRUB_INTERNAL');
    const first = this.units.slice(0, this.executors.length);
    const settled = await Promise.allSettled(first.map((u) => u.ready));
    // a unit after the earliest failed one was stopped for it (maybe before its stages were made), and one
    // that failed outside its stages (its thread lost, its lines-before count failed) says nothing about
    // them: runAll gives those errors, the earliest unit's first, once the units before it have run
    const k = settled.findIndex((s, i) => s.status === 'rejected' && i <= this.firstFailed && !first[i].outside);
    if (k >= 0) throw (settled[k] as PromiseRejectedResult).reason;
  }

  /**
   * The last phase on the threads of phase 0 (core `LocalSlices.runLast`): each unit's spill through
   * the global step and the steps after it, its output encoded into part files (`OutputParts`), each
   * thread taking the next unit when free; results in input order. A unit that fails stops the units
   * after it; its error comes once the units before it are yielded (one of them may fail first).
   */
  async *runLast(job: LastPhaseJob): AsyncGenerator<LastSliceResult> {
    const o = this.o;
    const count = job.spills.length;
    let next = 0;
    let failed = Infinity;
    this.lastUnits = job.spills.map((_, index) => {
      let resolve!: (r: LastSliceResult) => void;
      let reject!: (e: unknown) => void;
      const result = new Promise<LastSliceResult>((res, rej) => ((resolve = res), (reject = rej)));
      result.catch(() => {}); // awaited in order below, or not at all when the run stops first
      const u: LastUnit = {
        result,
        settled: false,
        warnings: [],
        settle: (r, error) => {
          if (u.settled) return;
          u.settled = true;
          if (error === undefined) resolve(r!);
          else {
            reject(error);
            if (index < failed) {
              failed = index;
              // the units after it are not needed: those running stop, the others never start
              for (const e of this.executors) if (e.current !== null && e.current - this.count > index) void e.stop();
              for (const v of this.lastUnits.slice(index + 1)) v.settle(null, notRun());
            }
          }
        },
      };
      return u;
    });
    const steps = sliceSteps(o.steps);
    /** Units handed back so far: threads run no more than `ahead` units past them (their encoded output waits on disk). */
    let yielded = 0;
    const ahead = 2 * this.executors.length;
    const dispatch = (e: Executor) => {
      if (e.stopped || next >= count || next > failed || next >= yielded + ahead) return;
      const i = next++;
      const u = this.lastUnits[i];
      e.current = this.count + i;
      u.result.then(
        () => {
          e.current = null;
          dispatch(e);
        },
        () => (e.current = null),
      );
      const unitJob: LastSliceJob = {
        steps,
        fromStep: job.fromStep,
        spill: job.spills[i],
        seed: o.seed,
        strict: o.strict,
        baseDir: o.baseDir,
        rulesDir: o.rulesDir,
        output: { ...o.output, dir: join(o.workDir, 'slices', 'out', String(i)) },
        quarantinePath: o.sidePart(this.count + i, 'quarantine'),
        droppedPath: o.sidePart(this.count + i, 'dropped'),
      };
      e.runLast(this.count + i, unitJob);
    };
    const executors = this.executors.filter((e) => !e.stopped);
    if (executors.length === 0) throw new ScrubError('SCRUB_INTERNAL', 'no thread left for the last phase');
    // the state goes to each thread once (a structured clone per worker), as the steps' preloads do
    this.provide(LAST_PHASE_STATE, job.state);
    // every thread gone (workers that died between units) with units still to hand out: the next one fails, not waits
    this.onWorkerGone = () => {
      if (executors.every((e) => e.stopped) && next < count && next <= failed) this.lastUnits[next].settle(null, new ScrubError('SCRUB_INTERNAL', 'every slice worker stopped before the last phase ended'));
    };
    for (const e of executors) dispatch(e);
    let done = false;
    try {
      for (const u of this.lastUnits) {
        const r = await u.result.finally(() => {
          for (const m of u.warnings) if (!o.warnings.includes(m)) o.warnings.push(m);
        });
        yielded++;
        // a thread that waited for the writing to catch up takes its next unit
        for (const e of executors) if (e.current === null) dispatch(e);
        yield r;
      }
      done = true;
    } finally {
      next = count;
      this.onWorkerGone = null;
      if (done) for (const e of this.executors) e.post({ type: 'end' });
      else await this.stop(); // stopped early (a unit failed, or writing its output did): the threads end here
    }
  }

  private onLastMessage(i: number, m: SliceMessage): void {
    const u = this.lastUnits[i];
    if (!u) return;
    if (m.type === 'warning') {
      this.o.show(m.message);
      u.warnings.push(m.message);
    } else if (m.type === 'last-done') u.settle(m.result);
    else if (m.type === 'error') {
      const { code, message, unitReports, ...context } = m.error as { code: string; message: string; unitReports?: StageRunReport[] };
      const error = new ScrubError(code as never, message, context);
      // its counts and reports as far as it came, for the failed run's report (core `LocalSlices.runLast`)
      Object.assign(error, m.ledger ? { unitLedger: m.ledger } : {}, unitReports ? { unitReports } : {});
      u.settle(null, error);
    }
  }

  /** How long the slowest thread took to start (modules, stages) before it read anything. */
  startupMs(): number | undefined {
    const times = this.executors.map((e) => e.startupMs).filter((t): t is number => t !== undefined);
    return times.length ? Math.max(...times) : undefined;
  }

  async runAll(keep = false): Promise<SliceResult[]> {
    this.start();
    if (this.startError) {
      await this.stop();
      throw ScrubError.from(this.startError, 'SCRUB_INTERNAL');
    }
    const units = this.units;
    const settled = await Promise.allSettled(units.map((u) => u.result));
    const k = settled.findIndex((s) => s.status === 'rejected');
    // every unit has ended: the workers are told there is no more (this thread's units ended too),
    // unless the last phase runs on them
    if (!keep || k >= 0) for (const e of this.executors) e.post({ type: 'end' });
    let error: unknown = k < 0 ? null : (settled[k] as PromiseRejectedResult).reason;
    // sessions met in the units up to the failing one (its own as far as it came)
    const last = k < 0 ? units.length - 1 : k;
    const sessions = units.slice(0, last + 1).flatMap((u) => (u.sessions ? [u.sessions] : []));
    if (sessions.length) {
      const repeat = await sessionRepeatAcrossSlices(this.o.files, sessions, this.o.input, this.o.workDir);
      // found once the units up to `last` had read: as far as they read, files and counts go on
      if (repeat && (error === null || comesBefore(this.o.files, repeat, error))) error = foundAfterReading(repeat, error);
    }
    // the files read and the warnings given, in input order, as far as one reader would have come;
    // a file read in ranges is one file, of its size and digest
    const read = readUpTo(this.o.files, error);
    for (let i = 0; i <= last; i++) {
      for (const info of units[i].fileInfos) {
        if (!read(info.path)) continue;
        const scan = this.scans.get(info.path);
        const prev = this.o.fileInfos[this.o.fileInfos.length - 1];
        if (scan && prev?.path === info.path) prev.newlines = info.newlines;
        else if (!scan) this.o.fileInfos.push(info);
        else {
          // the scan's digest for a file read to its end, every unit with a part of it done (as one reader's);
          // a failure to take it fails a run that succeeded; no digest for a file a failed run stopped in
          const whole = this.o.slices.every((u, k) => !u.some((f) => f.name === info.path) || settled[k].status === 'fulfilled');
          const sha256 = !whole ? '' : error === null ? await scan.sha256 : await scan.sha256.catch(() => '');
          this.o.fileInfos.push({ ...info, bytes: scan.size, sha256 });
        }
      }
      for (const m of units[i].warnings) if (!this.o.warnings.includes(m)) this.o.warnings.push(m);
    }
    if (error !== null) {
      // what the units up to the failure read and did, for the failed run's counts (`LocalSlices.runAll`)
      const ledgers = units.slice(0, last + 1).map((u, i) => (settled[i].status === 'fulfilled' ? (settled[i] as PromiseFulfilledResult<SliceResult | null>).value?.ledger : u.ledger));
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

/** A unit of the last phase: its result, or its error, and the warnings it gave. */
interface LastUnit {
  result: Promise<LastSliceResult>;
  settle: (r: LastSliceResult | null, error?: unknown) => void;
  settled: boolean;
  warnings: string[];
}

/** The steps as a worker plans them again (its own registry): what a job message carries. */
function sliceSteps(steps: PlannedStep[]): SliceJob['steps'] {
  return steps.map((s) => ({ id: s.id, use: s.use, options: s.options, ...(s.when ? { when: s.when } : {}) }));
}

const notRun = () => new ScrubError('SCRUB_INTERNAL', 'not run: an earlier unit failed');

/** A unit run on this thread that threw outside its own handling: it fails as a lost one. */
const lostMessage = (err: unknown): SliceMessage => {
  const e = ScrubError.from(err, 'SCRUB_INTERNAL');
  return { type: 'error', error: { code: e.code, message: e.message }, sessions: null, fileInfos: [], ledger: null, lost: true };
};

/**
 * Whether one reader, stopped by `error`, had read the file at `path`: it stops in the error's file
 * (an error without a file, or none: it read them all). A session repeat found after reading
 * (`foundAfterReading`) stopped nothing: the reader went on to what stopped it, or to the end.
 */
export function readUpTo(files: ResolvedInput[], error: unknown): (path: string) => boolean {
  const file = (readingStoppedBy(error) as { file?: string } | null)?.file;
  const at = file === undefined ? -1 : files.findIndex((f) => f.name === file);
  return (path) => at < 0 || files.findIndex((f) => f.name === path) <= at;
}

function sliceWorkerScript(): string {
  const p = sliceWorkerPath();
  if (p) return p;
  throw new ScrubError('SCRUB_INTERNAL', 'slice-worker.js is missing: build @scrubline/cli first');
}

/** One unit of phase 0 as the main thread follows it. */
interface UnitRun {
  /** The unit's result, null when the pipeline cannot run on slices, or its coded error. */
  result: Promise<SliceResult | null>;
  /** Settles when the unit's stages are made (or it ended before): its error if it failed before. */
  ready: Promise<void>;
  made: () => void;
  settle: (r: SliceResult | null, error?: unknown) => void;
  settled: boolean;
  executor?: Executor;
  fileInfos: FileInfo[];
  warnings: string[];
  sessions: SessionRuns | null;
  /** A failed unit's counts as far as it came. */
  ledger?: LedgerJSON | null;
  /** It failed outside its own stages and reading: its thread was lost, or its lines-before count failed. */
  outside?: boolean;
}

function newUnit(): UnitRun {
  let resolveResult!: (r: SliceResult | null) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<SliceResult | null>((res, rej) => ((resolveResult = res), (rejectResult = rej)));
  let made!: () => void;
  const stagesMade = new Promise<void>((res) => (made = res));
  const u: UnitRun = {
    result,
    // ended before its stages were made (skipped, or an error in making them): ready settles as the result did
    ready: Promise.race([stagesMade, result.then(() => undefined)]),
    made,
    settled: false,
    settle: (r, error) => {
      if (u.settled) return;
      u.settled = true;
      if (error === undefined) resolveResult(r);
      else rejectResult(error);
    },
    fileInfos: [],
    warnings: [],
    sessions: null,
  };
  result.catch(() => {}); // awaited by runAll, or never when the run fails before phase 0
  u.ready.catch(() => {});
  return u;
}

/** A thread that runs units, one at a time. */
interface Executor {
  /** When it joined phase 0 (`Date.now()`; a worker started with the CLI was loading before), and how long until its first unit's stages were made. */
  spawnedAt: number;
  startupMs?: number;
  /** The unit it runs now. */
  current: number | null;
  stopped: boolean;
  running: Promise<void>;
  run: (unit: number, job: SliceJob) => void;
  /** Runs a unit of the last phase (numbered after phase 0's units). */
  runLast: (unit: number, job: LastSliceJob) => void;
  post: (m: SliceInbound) => void;
  /** Stops it where it is (the unit it runs then fails, with an error nobody reads). */
  stop: () => Promise<void>;
}

/** Starts a worker thread that runs the units it is handed (slice-worker.ts), or takes on one started with the CLI. */
function startWorker(onMessage: (unit: number, m: SliceMessage) => void, early?: Worker, gone?: () => void): Executor {
  const worker = early ?? new Worker(sliceWorkerScript());
  let ended = false;
  const e: Executor = {
    spawnedAt: Date.now(),
    current: null,
    stopped: false,
    running: Promise.resolve(),
    run: (unit, job) => worker.postMessage({ type: 'job', unit, job } satisfies SliceInbound),
    runLast: (unit, job) => worker.postMessage({ type: 'last', unit, job } satisfies SliceInbound),
    post: (m) => {
      if (!ended) worker.postMessage(m);
    },
    stop: async () => {
      e.stopped = true;
      if (!ended) await worker.terminate();
    },
  };
  worker.on('message', (m: SliceOutbound) => onMessage(m.unit, m));
  // a worker that dies (an error outside a unit's own handling, or stopped): the unit it ran fails with it
  const lost = (error: ScrubError) => {
    const unit = e.current;
    if (unit !== null) onMessage(unit, { type: 'error', error: { code: error.code, message: error.message }, sessions: null, fileInfos: [], ledger: null, lost: true });
  };
  worker.on('error', (err) => lost(ScrubError.from(err, 'SCRUB_INTERNAL')));
  worker.on('exit', (code) => {
    ended = true;
    e.stopped = true; // a thread that is gone takes no more units
    lost(new ScrubError('SCRUB_INTERNAL', `a slice worker stopped (exit code ${code}) before it finished`));
    gone?.();
  });
  return e;
}

/** One scan of a file read in ranges (`scanFile`): the lines before each range, and its sha256. */
interface FileScan {
  size: number;
  linesBefore: (start: number) => Promise<number>;
  sha256: Promise<string>;
}

function scanRanges(path: string, name: string, cuts: number[], size: number, stopped: () => boolean): FileScan {
  cuts = [...new Set(cuts)].sort((a, b) => a - b);
  const found = cuts.map(() => {
    let resolve!: (n: number) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {}); // asked for only by the units that start there
    return { promise, resolve, reject };
  });
  // the counts first (the units wait for them), then the digest (wanted at the end)
  const sha256 = scanFile(path, cuts, (k, lines) => found[k].resolve(lines), stopped, false)
    .then(() => scanFile(path, [], () => {}, stopped))
    .catch((e: unknown) => {
      const error = new ScrubError('SCRUB_INPUT_NOT_FOUND', `input file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: name }, { cause: e });
      for (const f of found) f.reject(error);
      throw error;
    });
  sha256.catch(() => {});
  return { size, linesBefore: (start) => found[cuts.indexOf(start)].promise, sha256 };
}
