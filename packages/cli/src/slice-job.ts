/**
 * One unit of phase 0 for `run --threads` (core `runSlice`): read a run of consecutive input
 * files, apply the stages before the first global stage, that stage's fit pass, and the spill.
 * Run in a slice worker, or on the main thread, which takes units too. What it has to say goes
 * out through `post`; its drop and quarantine entries go to part files that the main thread
 * publishes first, in unit order.
 */
import { Ledger, runLastSlice, runSlice, ScrubError, StageRegistry, type ConversationRecord, type LastSliceResult, type LedgerEntry, type LedgerJSON, type PlannedStep } from '@scrubline/core';
import { OutputParts, readRecords, type FileInfo, type InputConfig, type OutputFormat, type ResolvedInput, type SessionRuns } from '@scrubline/io';
import { rm } from 'node:fs/promises';
import { plugins } from './plugins.js';
import { SideFile } from './execute.js';

export interface SliceStep {
  id: string;
  use: string;
  options: unknown;
  when?: Record<string, unknown>;
}

export interface SliceJob {
  steps: SliceStep[];
  input: InputConfig;
  files: ResolvedInput[];
  /** Index of this unit's first file in the whole input. */
  fileIndexBase: number;
  seed: string;
  strict: boolean;
  baseDir: string;
  rulesDir: string;
  tmpDir: string;
  spillPath: string;
  /** Part files for this unit's quarantine and drop entries (absent: not kept). */
  quarantinePath?: string;
  droppedPath?: string;
}

/** The key under which the last phase's fit state reaches the threads, beside the steps' preloads (NUL-prefixed, unlike the step ids pipeline files give). */
export const LAST_PHASE_STATE = '\0last-phase-state';

/** One unit of the last phase (core `runLastSlice`): its spill through the global step and the steps after it, encoded for the output. */
export interface LastSliceJob {
  steps: SliceStep[];
  fromStep: number;
  spill: string;
  seed: string;
  strict: boolean;
  baseDir: string;
  rulesDir: string;
  /** The run's output (as `OutputSet` has it) and the folder for this unit's part files. */
  output: { path: string; format?: OutputFormat; shard: number; transparent: boolean; dir: string };
  quarantinePath?: string;
  droppedPath?: string;
}

/** What a unit says, in order; the last is one of done, last-done, skipped, error. */
export type SliceMessage =
  | { type: 'progress'; bytes: number; records: number }
  | { type: 'warning'; message: string }
  /** Stages created, reading starts (`Date.now()`). */
  | { type: 'ready'; at: number }
  | { type: 'done'; result: NonNullable<Awaited<ReturnType<typeof runSlice>>>; fileInfos: FileInfo[]; sessions: SessionRuns | null }
  /** A unit of the last phase is done: its output is `OutputPart[]`. */
  | { type: 'last-done'; result: LastSliceResult }
  /** The pipeline cannot run on slices (see `runSlice`); nothing was read. */
  | { type: 'skipped' }
  /** The unit's coded error, and a row export's sessions as far as it read (for the check across units). */
  | { type: 'error'; error: Record<string, unknown>; sessions: SessionRuns | null; fileInfos: FileInfo[]; ledger: LedgerJSON | null; /** Not the unit's own: its thread was lost (main thread's note). */ lost?: boolean };

/** The installed stages, for the steps a job names. */
function planSteps(steps: SliceStep[]): PlannedStep[] {
  const registry = new StageRegistry();
  for (const p of plugins) for (const s of p.stages ?? []) registry.register(s);
  return steps.map((s) => {
    const definition = registry.get(s.use);
    if (!definition) throw new ScrubError('SCRUB_INTERNAL', `stage '${s.use}' is not installed in the slice worker`);
    return { id: s.id, use: s.use, definition, options: s.options, ...(s.when ? { when: s.when } : {}) };
  });
}

/**
 * Runs one unit to its end and says so through `post` (never throws). `preloaded` gives a step's
 * preload from the main thread; `stopped` is asked between batches (a unit the run no longer needs
 * stops there, with an error nobody reads).
 */
export async function runSliceJob(
  job: SliceJob,
  post: (m: SliceMessage) => void,
  preloaded: (stepId: string) => Promise<unknown>,
  stopped: () => boolean = () => false,
): Promise<void> {
  /** A row export's finished sessions, handed on by the reader at its end (or where it failed). */
  let sessions: SessionRuns | null = null;
  /** The files this unit opened (bytes, sha256, encoding), also when it failed. */
  const fileInfos: FileInfo[] = [];
  const { ledger, publish, discard } = unitLedger(job);
  // progress in slices of about 1 MB, so the main thread is not flooded with messages
  let bytes = 0;
  let records = 0;
  const flushProgress = () => {
    if (bytes || records) post({ type: 'progress', bytes, records });
    bytes = records = 0;
  };
  async function* counted(source: AsyncIterable<ConversationRecord[]>): AsyncGenerator<ConversationRecord[]> {
    for await (const b of source) {
      if (stopped()) throw new ScrubError('SCRUB_INTERNAL', 'stopped: an earlier unit failed');
      records += b.length;
      if (bytes >= 1 << 20) flushProgress();
      yield b;
    }
  }
  const log = { info: () => {}, warn: (message: string) => post({ type: 'warning', message }) };
  try {
    try {
      const result = await runSlice({
        steps: planSteps(job.steps),
        source: () =>
          counted(
            readRecords(job.files, {
              input: job.input,
              ledger,
              tmpDir: job.tmpDir,
              fileInfos,
              slice: { fileIndexBase: job.fileIndexBase, sessions: (runs) => (sessions = runs) },
              onBytes: (n) => (bytes += n),
              onWarning: (message) => post({ type: 'warning', message }),
            }),
          ),
        ledger,
        seed: job.seed,
        baseDir: job.baseDir,
        rulesDir: job.rulesDir,
        log,
        spillPath: job.spillPath,
        onReady: () => post({ type: 'ready', at: Date.now() }),
        preloaded,
      });
      if (result === null) {
        post({ type: 'skipped' });
        return;
      }
      flushProgress();
      await publish();
      post({ type: 'done', result, fileInfos, sessions });
    } catch (e) {
      await discard();
      throw e;
    }
  } catch (e) {
    post({ type: 'error', error: errorFields(e), sessions, fileInfos, ledger: ledger.toJSON() });
  }
}

/** A unit's ledger, its drop and quarantine entries going to the unit's part files (published by the main thread, in unit order). */
function unitLedger(job: { strict: boolean; quarantinePath?: string; droppedPath?: string }) {
  const ledger = new Ledger();
  ledger.strict = job.strict;
  const quarantine = new SideFile(job.quarantinePath);
  const dropped = new SideFile(job.droppedPath);
  ledger.sink = (entry: LedgerEntry) => {
    if (entry.kind === 'quarantined') quarantine.add(entry);
    else dropped.add({ ...entry, raw: undefined });
  };
  return {
    ledger,
    publish: async () => {
      await quarantine.close();
      await dropped.close();
      await quarantine.commit();
      await dropped.commit();
    },
    discard: async () => {
      await quarantine.abort().catch(() => {});
      await dropped.abort().catch(() => {});
    },
  };
}

/**
 * A unit's error as its own fields (code, message, file, line, field, record, stage, hint), to be rebuilt
 * as a ScrubError on the main thread, which masks what it prints as for any other error.
 */
function errorFields(e: unknown): Record<string, unknown> {
  const err = ScrubError.from(e);
  const { stages: _stages, ...fields } = Object.fromEntries(Object.entries(err));
  return { ...fields, code: err.code, message: err.message };
}

/**
 * Runs one unit of the last phase to its end and says so through `post` (never throws): last-done or
 * error. `stopped` is asked between batches, as for phase 0's units. Its spill goes once it is read.
 */
export async function runLastSliceJob(
  job: LastSliceJob,
  post: (m: SliceMessage) => void,
  preloaded: (stepId: string) => Promise<unknown>,
  stopped: () => boolean = () => false,
): Promise<void> {
  const { ledger, publish, discard } = unitLedger(job);
  let parts: OutputParts | null = null;
  try {
    const out = (parts = new OutputParts(job.output));
    const result = await runLastSlice({
      steps: planSteps(job.steps),
      fromStep: job.fromStep,
      // sent once to each thread, beside the steps' preloads, not with every unit
      state: await preloaded(LAST_PHASE_STATE),
      spill: job.spill,
      ledger,
      seed: job.seed,
      baseDir: job.baseDir,
      rulesDir: job.rulesDir,
      log: { info: () => {}, warn: (message: string) => post({ type: 'warning', message }) },
      sink: async (batches) => {
        for await (const b of batches) {
          if (stopped()) throw new ScrubError('SCRUB_INTERNAL', 'stopped: an earlier unit failed');
          out.write(b);
        }
      },
      preloaded,
    });
    const output = out.close();
    await publish();
    // read to its end: the spill (scrubbed records) need not wait for the run's end to go
    await rm(job.spill, { force: true });
    post({ type: 'last-done', result: { ...result, output } });
  } catch (e) {
    parts?.abort();
    await discard();
    post({ type: 'error', error: errorFields(e), sessions: null, fileInfos: [], ledger: ledger.toJSON() });
  }
}
