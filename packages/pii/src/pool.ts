import { Worker } from 'node:worker_threads';
import { safeMessage, ScrubError } from '@scrubline/core';
import type { Analysis, RuleEngine, RuleEngineOptions, RulePack } from './rules.js';
import { scrubShare, sliceBatch, type ConvBatch, type PackedShare, type WorkerOperatorConfig } from './scrub.js';
import { workerScript } from './early-workers.js';

/** Pieces per thread a pooled batch is cut into (more: better balance, more messages). */
const PIECES_PER_THREAD = Number(process.env.SCRUBLINE_PII_PIECES ?? 4);

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
        if (m.error) p.reject(new ScrubError('SCRUB_STAGE_FAILED', `pii worker failed: ${safeMessage(m.error)}`));
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
  private async dispatch<I, R>(kind: 'analyze', items: I[], weights: number[], local: (items: I[]) => R): Promise<R[]> {
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
   * Detection and operators for whole conversations, handed to `onShare` in input order as
   * consecutive pieces `[from, to)` of `jobs` with their packed results. With worker threads the
   * batch is cut into small pieces that the workers and this thread take in turn (up to two
   * in flight per worker), and each finished piece is handed on as soon as all before it are:
   * this thread's own share and its work in `onShare` (counting, reporting) overlap the
   * workers' scanning, and a slower thread simply takes fewer pieces. Which thread scans a
   * piece does not change its result (numbering is per conversation), so the output does not
   * depend on the number of threads or on timing.
   */
  async scrubInOrder(batch: ConvBatch, operators: WorkerOperatorConfig, onShare: (share: PackedShare, from: number, to: number) => void): Promise<void> {
    const n = batch.ids.length;
    if (this.threads === 1 || n < 2) {
      onShare(scrubShare(batch, this.engine, operators), 0, n);
      return;
    }
    // pieces of about equal text length, several per thread so that the threads stay balanced
    let total = 0;
    for (const t of batch.texts) total += t.length;
    const target = Math.max(1, total / (this.threads * PIECES_PER_THREAD));
    const cuts: number[] = [0];
    const textCuts: number[] = [0];
    let acc = 0;
    let ti = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < batch.counts[i]; k++) acc += batch.texts[ti++].length;
      if (acc >= target && i + 1 < n) {
        cuts.push(i + 1);
        textCuts.push(ti);
        acc = 0;
      }
    }
    cuts.push(n);
    textCuts.push(ti);
    const piece = (i: number) => sliceBatch(batch, cuts[i], cuts[i + 1], textCuts[i]);
    const pieces = cuts.length - 1;
    const results: (PackedShare | undefined)[] = new Array(pieces);
    const inFlight = new Array<number>(this.workers.length).fill(0);
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const notify = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    let next = 0; // next piece to take
    let posted = 0; // next piece to hand on
    const send = (w: number) => {
      const i = next++;
      inFlight[w]++;
      const id = this.nextId++;
      new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.workers[w].postMessage({ id, kind: 'scrub', items: piece(i) });
      }).then(
        (r) => {
          inFlight[w]--;
          results[i] = r as PackedShare;
          notify();
        },
        (e: Error) => {
          failure ??= e;
          notify();
        },
      );
    };
    while (posted < pieces) {
      if (failure) throw failure;
      for (let w = 0; w < this.workers.length; w++) while (inFlight[w] < 2 && next < pieces) send(w);
      while (posted < pieces && results[posted]) {
        const r = results[posted]!;
        results[posted] = undefined;
        onShare(r, cuts[posted], cuts[posted + 1]);
        posted++;
      }
      if (posted >= pieces) break;
      if (next < pieces) {
        // this thread takes the next piece itself, then lets the workers' messages in
        const i = next++;
        results[i] = scrubShare(piece(i), this.engine, operators);
        await new Promise<void>((r) => setImmediate(r));
      } else if (!results[posted]) {
        await new Promise<void>((r) => (wake = r));
      }
    }
    if (failure) throw failure;
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
