/**
 * A worker thread of `run --threads`: runs phase 0 of the pipeline on one slice of the input
 * files (read, the stages before the first global stage, that stage's fit pass, the spill)
 * and hands back its counts, reports and fit state (core `runSlice`). Its drop and quarantine
 * entries go to part files that the main thread publishes first, in slice order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Ledger, runSlice, ScrubError, StageRegistry, type ConversationRecord, type LedgerEntry, type LedgerJSON, type PlannedStep } from '@scrubline/core';
import { readRecords, type FileInfo, type InputConfig, type ResolvedInput, type SessionRuns } from '@scrubline/io';
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
  /** Index of this slice's first file in the whole input. */
  fileIndexBase: number;
  seed: string;
  strict: boolean;
  baseDir: string;
  rulesDir: string;
  tmpDir: string;
  spillPath: string;
  /** Part files for this slice's quarantine and drop entries (absent: not kept). */
  quarantinePath?: string;
  droppedPath?: string;
  /** Steps' preloads the main thread gave before this slice started (more come as `preload` messages). */
  preloaded?: [string, unknown][];
}

/** What the main thread sends a slice worker after it started: a step's preload (`LocalSlices.provide`). */
export type SliceInbound = { type: 'preload'; stepId: string; data: unknown };

export type SliceMessage =
  | { type: 'progress'; bytes: number; records: number }
  | { type: 'warning'; message: string }
  /** Stages created, reading starts (`Date.now()`). */
  | { type: 'ready'; at: number }
  | { type: 'done'; result: NonNullable<Awaited<ReturnType<typeof runSlice>>>; fileInfos: FileInfo[]; sessions: SessionRuns | null }
  /** The pipeline cannot run on slices (see `runSlice`); nothing was read. */
  | { type: 'skipped' }
  /** The slice's coded error, and a row export's sessions as far as it read (for the check across slices). */
  | { type: 'error'; error: Record<string, unknown>; sessions: SessionRuns | null; fileInfos: FileInfo[]; ledger: LedgerJSON | null };

const post = (m: SliceMessage) => parentPort!.postMessage(m);

/** Steps' preloads from the main thread, and the steps waiting for theirs. */
const provided = new Map<string, unknown>();
const waiting = new Map<string, (data: unknown) => void>();
const onMessage = (m: SliceInbound) => {
  if (m.type !== 'preload') return;
  provided.set(m.stepId, m.data);
  waiting.get(m.stepId)?.(m.data);
  waiting.delete(m.stepId);
};
parentPort!.on('message', onMessage);
const preloaded = (stepId: string): Promise<unknown> =>
  provided.has(stepId) ? Promise.resolve(provided.get(stepId)) : new Promise((resolve) => waiting.set(stepId, resolve));

/** A row export's finished sessions, handed on by the reader at its end (or where it failed). */
let sessions: SessionRuns | null = null;
/** The files this slice opened (bytes, sha256, encoding), also when it failed. */
const fileInfos: FileInfo[] = [];
/** What this slice read and did so far, for the failed run's report. */
let sliceLedger: Ledger | null = null;

async function run(job: SliceJob): Promise<void> {
  for (const [id, data] of job.preloaded ?? []) if (!provided.has(id)) provided.set(id, data);
  const registry = new StageRegistry();
  for (const p of plugins) for (const s of p.stages ?? []) registry.register(s);
  const steps: PlannedStep[] = job.steps.map((s) => {
    const definition = registry.get(s.use);
    if (!definition) throw new ScrubError('SCRUB_INTERNAL', `stage '${s.use}' is not installed in the slice worker`);
    return { id: s.id, use: s.use, definition, options: s.options, ...(s.when ? { when: s.when } : {}) };
  });
  const quarantine = new SideFile(job.quarantinePath);
  const dropped = new SideFile(job.droppedPath);
  const ledger = (sliceLedger = new Ledger());
  ledger.strict = job.strict;
  ledger.sink = (entry: LedgerEntry) => {
    if (entry.kind === 'quarantined') quarantine.add(entry);
    else dropped.add({ ...entry, raw: undefined });
  };
  // progress in slices of about 1 MB, so the main thread is not flooded with messages
  let bytes = 0;
  let records = 0;
  const flushProgress = () => {
    if (bytes || records) post({ type: 'progress', bytes, records });
    bytes = records = 0;
  };
  async function* counted(source: AsyncIterable<ConversationRecord[]>): AsyncGenerator<ConversationRecord[]> {
    for await (const b of source) {
      records += b.length;
      if (bytes >= 1 << 20) flushProgress();
      yield b;
    }
  }
  const log = { info: () => {}, warn: (message: string) => post({ type: 'warning', message }) };
  try {
    const result = await runSlice({
      steps,
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
    await quarantine.close();
    await dropped.close();
    await quarantine.commit();
    await dropped.commit();
    post({ type: 'done', result, fileInfos, sessions });
  } catch (e) {
    await quarantine.abort().catch(() => {});
    await dropped.abort().catch(() => {});
    throw e;
  }
}

run(workerData as SliceJob)
  .catch((e: unknown) => {
    const err = ScrubError.from(e);
    // the error's own fields (code, message, file, line, field, record, stage, hint), to be rebuilt as
    // a ScrubError on the main thread, which masks what it prints as for any other error
    const { stages: _stages, ...fields } = Object.fromEntries(Object.entries(err));
    post({ type: 'error', error: { ...fields, code: err.code, message: err.message }, sessions, fileInfos, ledger: sliceLedger?.toJSON() ?? null });
  })
  // the listener would keep this thread alive after its work
  .finally(() => parentPort!.off('message', onMessage));
