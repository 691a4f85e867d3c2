// Kept free of other imports (but core's worker pool): the CLI entry loads this module before the rest of the CLI.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { compiledScript, EarlyWorkers } from '@scrubline/core/early-workers';

/** The compiled slice worker (slice-worker.ts); null when not built. */
export function sliceWorkerPath(): string | null {
  return compiledScript(import.meta.url, 'slice-worker');
}

const early = new EarlyWorkers();

/**
 * The threads `run` was given as a number (`--threads N` / `--threads=N`, the last one wins, as in
 * parseArgs); null for auto, none, or a run that will not be sliced whatever the input (a shard of
 * a cluster run, a single phase).
 */
export function explicitRunThreads(argv: string[], env: NodeJS.ProcessEnv): number | null {
  if (argv[0] !== 'run') return null;
  let n: number | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--help' || a === '-h' || a === '--shard' || a.startsWith('--shard=')) return null;
    if ((a === '--phase' && argv[i + 1] !== 'all') || (a.startsWith('--phase=') && a !== '--phase=all')) return null;
    if (a === '--threads') n = Number(argv[i + 1]);
    else if (a.startsWith('--threads=')) n = Number(a.slice(10));
  }
  // a scheduler's array index makes the run a shard (main.ts shardFrom)
  if (env.JOB_COMPLETION_INDEX !== undefined || env.SLURM_ARRAY_TASK_ID !== undefined) return null;
  return n !== null && Number.isInteger(n) ? n : null;
}

/**
 * Called by the CLI entry before it imports the rest of the CLI: for `run --threads N` (N ≥ 2), the
 * N − 1 slice workers (at most one fewer than the cores) that join this thread start loading their modules now, beside the CLI's own
 * imports, the pipeline file and the input listing (≈ 0.4 s that otherwise pass before any worker
 * exists; measured: a worker spawned when phase 0 began was ready 0.6 s later). `--threads auto`
 * waits for the input's size: a worker started for a small input would take a core for nothing.
 * Workers nobody takes do not keep the process alive, and the run ends them once it knows its units.
 */
export function prestartSliceWorkers(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  const n = explicitRunThreads(argv, env);
  if (n === null || n < 2 || n > 64) return;
  const script = sliceWorkerPath();
  if (!script) return;
  // no more than the cores can load at once (a run that turns out to have one unit ends them all); the
  // run starts the rest, if it has the units; a worker that fails while loading is not handed out, the
  // run starts a fresh one instead
  early.start(script, Math.min(n, availableParallelism()) - 1);
}

/** Up to `n` prestarted slice workers that are still alive (ref'd again); the caller starts the rest. */
export function takePrestartedSliceWorkers(n: number): Worker[] {
  return early.take(n);
}

/** How many prestarted workers are waiting to be taken. */
export function prestartedSliceWorkers(): number {
  return early.count;
}

/** Ends the prestarted workers nobody took (the run has its units, or none). */
export function endPrestartedSliceWorkers(): void {
  early.end();
}
