// Kept free of other imports: the CLI entry loads this module before anything else.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { compiledScript, EarlyWorkers } from '@scrubline/core/early-workers';

/** A compiled worker script of this package (`worker`, `filter-worker`); null when not built. */
export function workerScript(name = 'worker'): string | null {
  return compiledScript(import.meta.url, name);
}

/** A line-parallel scrub worker's options: a larger young generation, for fewer scavenges of the short-lived strings of each chunk. */
const filterWorkerOptions = () => ({ resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.SCRUBLINE_YOUNG_MB ?? 48) } });

/** A line-parallel scrub worker; it loads its modules at once and waits for its configuration. */
export function startFilterWorker(script: string): Worker {
  return new Worker(script, filterWorkerOptions());
}

/** `scrub` without `--threads`: two worker threads when the machine has two cores, else one. */
export function defaultScrubThreads(): number {
  return Math.min(2, availableParallelism());
}

const early = new EarlyWorkers();

/**
 * The threads `scrub` will run line-parallel with, as far as the arguments tell: `--threads N` /
 * `--threads=N` (the last one wins, as in parseArgs), else the default unless options may choose
 * other detectors or the stage's own `workers` (then the command decides; 0 = start nothing).
 */
function threadsArg(argv: string[]): number {
  let n: number | null = null;
  let optionsElsewhere = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--threads') n = Number(argv[i + 1]);
    else if (a.startsWith('--threads=')) n = Number(a.slice(10));
    else if (a === '--detectors' || a === '--config' || a === '--with' || a.startsWith('--detectors=') || a.startsWith('--config=') || a.startsWith('--with=')) optionsElsewhere = true;
    else if ((a === '--set' && /^(detectors|workers)\b/.test(argv[i + 1] ?? '')) || /^--set=(detectors|workers)\b/.test(a)) optionsElsewhere = true;
  }
  if (n === null) return optionsElsewhere ? 0 : defaultScrubThreads();
  return Number.isInteger(n) ? n : 0;
}

/**
 * Called by the CLI entry before it imports the rest of the CLI: for `scrub` with N ≥ 2 threads
 * (`--threads N`, or the default on a machine with two cores; not --text) the N workers start loading their modules while the main thread
 * loads the CLI (≈0.5 s of imports that otherwise run before any worker exists).
 * Workers nobody takes (a usage error, another path) do not keep the process alive.
 */
export function prestartFilterWorkers(argv: string[]): void {
  if (argv[0] !== 'scrub' || argv.includes('--text') || argv.includes('--help') || argv.includes('-h')) return;
  const n = threadsArg(argv);
  if (n < 2 || n > 64) return;
  const script = workerScript('filter-worker');
  if (!script) return;
  // a worker that fails while loading is not handed out; parallel.ts starts a fresh one
  early.start(script, n, filterWorkerOptions());
}

/** Up to `n` prestarted workers that are still alive (ref'd again); the caller starts the rest. */
export function takePrestartedWorkers(n: number): Worker[] {
  return early.take(n);
}
