import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScrubError } from '@scrubline/core';
import type { Analysis, RuleEngine, RuleEngineOptions, RulePack } from './rules.js';
import { scrubShare, type ConvJob, type PackedShare, type WorkerOperatorConfig } from './scrub.js';

/** The compiled worker script: next to this module (dist), or in ../dist when running from src (tests). */
export function workerScript(): string | null {
  for (const rel of ['./worker.js', '../dist/worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

interface Pending {
  resolve(r: unknown): void;
  reject(e: Error): void;
}

export interface WorkerData {
  packs: RulePack[];
  options: RuleEngineOptions;
  operators: WorkerOperatorConfig;
}

/**
 * Runs the rule engine (and, for whole conversations, the operators) on
 * `threads` threads: the calling thread plus `threads - 1` worker threads. A
 * batch is cut into contiguous shares of about equal length; results come back
 * in input order, so the output does not depend on the number of threads.
 */
export class AnalyzerPool {
  private workers: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  readonly threads: number;

  constructor(
    private readonly engine: RuleEngine,
    data: WorkerData,
    threads: number,
    warn?: (m: string) => void,
  ) {
    let n = Math.max(1, Math.floor(threads));
    const script = n > 1 ? workerScript() : null;
    if (n > 1 && !script) {
      warn?.('pii: worker script not built (run tsc -b packages/pii); scanning on one thread');
      n = 1;
    }
    this.threads = n;
    for (let i = 1; i < n; i++) {
      const w = new Worker(script!, { workerData: data });
      w.on('message', (m: { id: number; results?: unknown; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new ScrubError('SCRUB_STAGE_FAILED', `pii worker failed: ${m.error}`));
        else p.resolve(m.results);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(ScrubError.from(e, 'SCRUB_STAGE_FAILED'));
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  /** Contiguous shares of about equal weight, one per thread. */
  private cuts(weights: number[]): number[] {
    let total = 0;
    for (const w of weights) total += w;
    const cuts: number[] = [0];
    let acc = 0;
    let k = 1;
    for (let i = 0; i < weights.length && k < this.threads; i++) {
      acc += weights[i];
      if (acc >= (total * k) / this.threads) {
        cuts.push(i + 1);
        k++;
      }
    }
    while (cuts.length < this.threads) cuts.push(weights.length);
    cuts.push(weights.length);
    return cuts;
  }

  /** One result per share, in order: share 0 computed here, the others on the worker threads. */
  private async dispatch<I, R>(kind: 'analyze' | 'scrub', items: I[], weights: number[], local: (items: I[]) => R): Promise<R[]> {
    if (this.threads === 1 || items.length < 2) return [local(items)];
    const cuts = this.cuts(weights);
    const promises: Promise<unknown>[] = [];
    for (let w = 1; w < this.threads; w++) {
      const slice = items.slice(cuts[w], cuts[w + 1]);
      const id = this.nextId++;
      promises.push(
        new Promise((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[w - 1].postMessage({ id, kind, items: slice });
        }),
      );
    }
    const first = local(items.slice(cuts[0], cuts[1]));
    const rest = (await Promise.all(promises)) as R[];
    return [first, ...rest];
  }

  /** Rule-engine analysis of each text (null where nothing was found or kept). */
  async analyze(texts: string[]): Promise<(Analysis | null)[]> {
    const shares = await this.dispatch('analyze', texts, texts.map((t) => t.length), (items) => items.map((t) => analyzeOrNull(this.engine, t)));
    return shares.length === 1 ? shares[0] : shares.flat();
  }

  /**
   * Detection and operators for whole conversations (numbering stays within one thread):
   * one packed result per share, in order; the shares hold consecutive conversations.
   */
  scrub(jobs: ConvJob[], operators: WorkerOperatorConfig): Promise<PackedShare[]> {
    const weights = jobs.map((j) => j.texts.reduce((a, t) => a + t.length, 0));
    return this.dispatch('scrub', jobs, weights, (items) => scrubShare(items, this.engine, operators));
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

export function analyzeOrNull(engine: RuleEngine, text: string): Analysis | null {
  const a = engine.analyze(text);
  return a.spans.length || a.kept.length ? a : null;
}
