// Kept free of other imports (but core's worker pool, io's glob test, and for `--threads auto` js-yaml and
// fast-glob for a pattern, loaded then): the CLI entry loads this module before the rest of the CLI.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { compiledScript, EarlyWorkers } from '@scrubline/core/early-workers';
import { fastGlob, isDynamicPattern } from '@scrubline/io/glob';

/**
 * Input size from which `--threads auto` runs phase 0 on slices (below it, starting workers costs more than it
 * gains: at 20 MB slices and the pii step's own pool were equal, at 40 MB slices 16.4 against 15.1 MB/s for
 * phase 0 and 9.9 against 8.5 MB/s for the whole run; `pnpm bench pii-run --mb 20|40 --files 4 --runs 3 --pin`).
 */
export const AUTO_SLICE_BYTES = 32 << 20;

/** Threads for phase 0: `threads` as given, or for auto a thread per core, at most one per 256 MB of memory (a worker holds its modules, stages and batches), from AUTO_SLICE_BYTES. */
export function sliceThreads(threads: number | 'auto' | undefined, totalBytes: number): number {
  if (threads !== undefined && threads !== 'auto') return threads;
  return totalBytes >= AUTO_SLICE_BYTES ? Math.min(availableParallelism(), Math.max(1, Math.floor(totalmem() / (256 << 20)))) : 1;
}

/** The compiled slice worker (slice-worker.ts); null when not built. */
export function sliceWorkerPath(): string | null {
  return compiledScript(import.meta.url, 'slice-worker');
}

const early = new EarlyWorkers();

/** `run`'s options that take a value (parseArgs reads `--x v` and `--x=v`); every other option is a flag. */
const RUN_VALUE_OPTIONS = new Set(['--shard', '--phase', '--work-dir', '--seed', '--rules-dir', '--threads']);

/**
 * `run`'s threads (`--threads N` / `--threads=N`, the last one wins, as in parseArgs; 'auto' when
 * not given or auto) and its pipeline file (null if not found); null for anything else, or a run that
 * will not be sliced whatever the input (help, a shard of a cluster run, a single phase).
 */
export function runThreadsArg(argv: string[], env: NodeJS.ProcessEnv): { threads: number | 'auto'; pipeline: string | null } | null {
  if (argv[0] !== 'run') return null;
  let threads: number | 'auto' = 'auto';
  let pipeline: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      pipeline ??= argv[i + 1] ?? null;
      break;
    }
    if (a === '--help' || a === '-h' || a === '--shard' || a.startsWith('--shard=')) return null;
    if ((a === '--phase' && argv[i + 1] !== 'all') || (a.startsWith('--phase=') && a !== '--phase=all')) return null;
    if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a === '--threads' ? argv[i + 1] : a.slice(10);
      threads = v === 'auto' ? 'auto' : Number(v);
    }
    if (RUN_VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) pipeline ??= a;
  }
  // a scheduler's array index makes the run a shard (main.ts shardFrom)
  if (env.JOB_COMPLETION_INDEX !== undefined || env.SLURM_ARRAY_TASK_ID !== undefined) return null;
  if (threads !== 'auto' && !Number.isInteger(threads)) return null;
  return { threads, pipeline };
}

/** The threads `run` was given as a number; null for auto, none, or a run that will not be sliced. */
export function explicitRunThreads(argv: string[], env: NodeJS.ProcessEnv): number | null {
  const t = runThreadsArg(argv, env)?.threads;
  return typeof t === 'number' ? t : null;
}

/**
 * The bytes of a pipeline's input files, read ahead of the run to size `--threads auto`: the
 * pipeline's `input.files` (paths and globs against its folder), stat'ed until AUTO_SLICE_BYTES is
 * reached. Null for standard input or anything unclear; the run then sizes it itself, as always (this
 * only decides what starts early).
 */
export function pipelineInputBytes(pipelineFile: string, cwd: string): number | null {
  try {
    const file = resolve(cwd, pipelineFile);
    // a pipe or FIFO (`run <(cat p.yaml)`, /dev/stdin) reads once: it is the run's to read
    if (!statSync(file).isFile()) return null;
    const req = createRequire(import.meta.url);
    const yaml = req('js-yaml') as { load: (s: string, o: { schema: unknown }) => unknown; CORE_SCHEMA: unknown };
    const doc = yaml.load(readFileSync(file, 'utf8'), { schema: yaml.CORE_SCHEMA }) as { input?: { files?: unknown } } | null;
    const files = doc?.input?.files;
    const patterns = typeof files === 'string' ? [files] : Array.isArray(files) && files.every((f) => typeof f === 'string') ? (files as string[]) : null;
    if (!patterns || patterns.length === 0 || patterns.includes('-') || patterns.includes('')) return null;
    const baseDir = dirname(file);
    const paths = new Set<string>();
    for (const p of patterns) {
      for (const m of isDynamicPattern(p) ? fastGlob().sync(p, { cwd: baseDir, absolute: true, onlyFiles: true, dot: false }) : [resolve(baseDir, p)]) paths.add(resolve(m));
    }
    let bytes = 0;
    for (const p of paths) {
      const st = statSync(p);
      if (!st.isFile()) return null; // a folder named as a file: the run says what is wrong
      bytes += st.size;
      if (bytes >= AUTO_SLICE_BYTES) break; // enough to decide; the run sizes the input itself
    }
    return bytes;
  } catch {
    return null;
  }
}

/**
 * Called by the CLI entry before it imports the rest of the CLI: for `run --threads N` (N ≥ 2), and for
 * `--threads auto` (the default) over input files of at least AUTO_SLICE_BYTES, the slice workers
 * (at most one fewer than the cores) that join this thread start loading their modules now, beside
 * the CLI's own imports, the pipeline check and the input listing (≈ 0.4 s that otherwise pass before
 * any worker exists; measured: a worker spawned when phase 0 began was ready 0.6 s later). For auto
 * the input is sized first from the pipeline file (`pipelineInputBytes`: a worker started for a
 * small input would take a core for nothing). Workers nobody takes do not keep the process alive,
 * and the run ends them once it knows its units.
 */
export function prestartSliceWorkers(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): void {
  const arg = runThreadsArg(argv, env);
  if (!arg) return;
  let n = arg.threads;
  if (n === 'auto') {
    const bytes = arg.pipeline ? pipelineInputBytes(arg.pipeline, cwd) : null;
    if (bytes === null) return;
    n = sliceThreads('auto', bytes);
  }
  if (n < 2 || n > 64) return;
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
