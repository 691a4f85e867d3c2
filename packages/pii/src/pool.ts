import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScrubError } from '@scrubline/core';
import type { Analysis, RuleEngine, RuleEngineOptions, RulePack } from './rules.js';

/** The compiled worker script: next to this module (dist), or in ../dist when running from src (tests). */
export function workerScript(): string | null {
  for (const rel of ['./worker.js', '../dist/worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

interface Pending {
  resolve(r: (Analysis | null)[]): void;
  reject(e: Error): void;
}

/**
 * Runs the rule engine on `threads` threads: the calling thread plus
 * `threads - 1` worker threads. A batch of texts is cut into contiguous shares
 * of about equal length; results come back in input order, so the output does
 * not depend on the number of threads.
 */
export class AnalyzerPool {
  private workers: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  readonly threads: number;

  constructor(private readonly engine: RuleEngine, packs: RulePack[], options: RuleEngineOptions, threads: number, warn?: (m: string) => void) {
    let n = Math.max(1, Math.floor(threads));
    const script = n > 1 ? workerScript() : null;
    if (n > 1 && !script) {
      warn?.('pii: worker script not built (run tsc -b packages/pii); scanning on one thread');
      n = 1;
    }
    this.threads = n;
    for (let i = 1; i < n; i++) {
      const w = new Worker(script!, { workerData: { packs, options } });
      w.on('message', (m: { id: number; results?: (Analysis | null)[]; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new ScrubError('SCRUB_STAGE_FAILED', `pii worker failed: ${m.error}`));
        else p.resolve(m.results!);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(ScrubError.from(e, 'SCRUB_STAGE_FAILED'));
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  private local(texts: string[]): (Analysis | null)[] {
    const out: (Analysis | null)[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const a = this.engine.analyze(texts[i]);
      out[i] = a.spans.length || a.kept.length ? a : null;
    }
    return out;
  }

  async analyze(texts: string[]): Promise<(Analysis | null)[]> {
    if (this.threads === 1 || texts.length < 2) return this.local(texts);
    let total = 0;
    for (const t of texts) total += t.length;
    // contiguous shares of ~equal characters; share 0 runs here
    const cuts: number[] = [0];
    let acc = 0;
    let k = 1;
    for (let i = 0; i < texts.length && k < this.threads; i++) {
      acc += texts[i].length;
      if (acc >= (total * k) / this.threads) {
        cuts.push(i + 1);
        k++;
      }
    }
    while (cuts.length < this.threads) cuts.push(texts.length);
    cuts.push(texts.length);
    const promises: Promise<(Analysis | null)[]>[] = [];
    for (let w = 1; w < this.threads; w++) {
      const slice = texts.slice(cuts[w], cuts[w + 1]);
      const id = this.nextId++;
      promises.push(
        new Promise((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[w - 1].postMessage({ id, texts: slice });
        }),
      );
    }
    const first = this.local(texts.slice(cuts[0], cuts[1]));
    const rest = await Promise.all(promises);
    return first.concat(...rest);
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}
