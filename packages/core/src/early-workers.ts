// Kept free of other imports: CLI entries load this module before anything else.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A package's compiled worker script `name`.js, for the module at `moduleUrl` (its
 * `import.meta.url`): next to it (dist), or in ../dist when it runs from src (tests). Null if not built.
 */
export function compiledScript(moduleUrl: string, name: string): string | null {
  for (const rel of [`./${name}.js`, `../dist/${name}.js`]) {
    const p = fileURLToPath(new URL(rel, moduleUrl));
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Worker threads started before the code that uses them is loaded: a CLI entry starts them, so
 * their module loading runs beside its own imports, and hands them out later, or ends them.
 * Workers nobody takes do not keep the process alive; one that failed while loading is not
 * handed out (the caller starts a fresh one, whose error it then sees).
 */
export class EarlyWorkers {
  private waiting: Worker[] = [];
  private readonly dead = new WeakSet<Worker>();

  start(script: string, n: number, options?: WorkerOptions): void {
    for (let i = 0; i < n; i++) {
      const w = new Worker(script, options);
      w.unref();
      const onError = () => this.dead.add(w);
      w.once('error', onError);
      w.once('exit', onError);
      this.waiting.push(w);
    }
  }

  /** Up to `n` of the workers that are still alive, ref'd again and without this pool's listeners. */
  take(n: number): Worker[] {
    const out: Worker[] = [];
    while (out.length < n && this.waiting.length) {
      const w = this.waiting.shift()!;
      if (this.dead.has(w)) continue;
      w.removeAllListeners('error');
      w.removeAllListeners('exit');
      w.ref();
      out.push(w);
    }
    return out;
  }

  /** How many live workers wait to be taken. */
  get count(): number {
    return this.waiting.filter((w) => !this.dead.has(w)).length;
  }

  /** Ends the workers nobody took. */
  end(): void {
    for (const w of this.waiting.splice(0)) void w.terminate();
  }
}
