// Kept free of other imports: the CLI entry loads this module before anything else.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A compiled worker script (`worker`, `filter-worker`): next to this module (dist), or in ../dist when running from src (tests). */
export function workerScript(name = 'worker'): string | null {
  for (const rel of [`./${name}.js`, `../dist/${name}.js`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/** A line-parallel scrub worker; it loads its modules at once and waits for its configuration. */
export function startFilterWorker(script: string): Worker {
  return new Worker(script, {
    // a larger young generation: fewer scavenges of the short-lived strings of each chunk
    resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.SCRUBLINE_YOUNG_MB ?? 48) },
  });
}

const early: Worker[] = [];
const dead = new WeakSet<Worker>();

/** `--threads N` / `--threads=N` of an argument list (the last one wins, as in parseArgs), else 0. */
function threadsArg(argv: string[]): number {
  let n = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--threads') n = Number(argv[i + 1]);
    else if (argv[i].startsWith('--threads=')) n = Number(argv[i].slice(10));
  }
  return Number.isInteger(n) ? n : 0;
}

/**
 * Called by the CLI entry before it imports the rest of the CLI: for `scrub --threads N`
 * (N ≥ 2, not --text) the N workers start loading their modules while the main thread
 * loads the CLI (≈0.5 s of imports that otherwise run before any worker exists).
 * Workers nobody takes (a usage error, another path) do not keep the process alive.
 */
export function prestartFilterWorkers(argv: string[]): void {
  if (argv[0] !== 'scrub' || argv.includes('--text') || argv.includes('--help') || argv.includes('-h')) return;
  const n = threadsArg(argv);
  if (n < 2 || n > 64) return;
  const script = workerScript('filter-worker');
  if (!script) return;
  for (let i = 0; i < n; i++) {
    const w = startFilterWorker(script);
    w.unref();
    // a worker that failed while loading is not handed out; parallel.ts starts a fresh one
    const onError = () => dead.add(w);
    w.once('error', onError);
    w.once('exit', onError);
    early.push(w);
  }
}

/** Up to `n` prestarted workers that are still alive (ref'd again); the caller starts the rest. */
export function takePrestartedWorkers(n: number): Worker[] {
  const out: Worker[] = [];
  while (out.length < n && early.length) {
    const w = early.shift()!;
    if (dead.has(w)) continue;
    w.removeAllListeners('error');
    w.removeAllListeners('exit');
    w.ref();
    out.push(w);
  }
  return out;
}
