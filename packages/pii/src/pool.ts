import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { safeMessage, ScrubError } from '@scrubline/core';
import type { Analysis, RuleEngine, RuleEngineOptions, RulePack } from './rules.js';
import { pieceCount, type ScrubJob } from './job.js';
import { TallyKeys, type PiiTally } from './tally.js';
import type { WorkerOperatorConfig } from './scrub.js';
import { workerScript } from './early-workers.js';

/** Pieces per thread a pooled batch is cut into (more: a shorter wait at the end of a batch, more counting overhead). */
export const PIECES_PER_THREAD = Number(process.env.SCRUBLINE_PII_PIECES ?? 8);

/** Jobs that may be outstanding at once (each has its own piece counter); the stage keeps two. */
const SLOTS = 4;

/**
 * The control words the pool and its workers share: [0, SLOTS) the next piece of each job slot,
 * then per worker w at SLOTS + 3w: SEQ (requests posted to it), DONE (requests it has
 * answered), READY (1 once it has loaded its modules).
 */
export const CTL = { SEQ: 0, DONE: 1, READY: 2, base: (w: number) => SLOTS + 3 * w } as const;

/** How long this thread blocks at a time while it waits for a worker before it lets events in (a worker's exit). */
const WAIT_SLICE_MS = 20;

export interface WorkerData {
  packs: RulePack[];
  options: RuleEngineOptions;
  operators: WorkerOperatorConfig;
  /** Characters of context on each side of a sample. */
  sampleContext: number;
  /** Set by the pool: the shared control words, this worker's index and its end of the request channel. */
  ctl?: SharedArrayBuffer;
  index?: number;
  port?: MessagePort;
}

/** A request to a worker (on its channel, announced by SEQ). */
export type PoolRequest = { kind: 'analyze'; items: string[] } | { kind: 'job'; job: ScrubJob; joined: string; slot: number } | { kind: 'stop' };

/** A job handed to the pool: the workers it went to, which of their requests it is, and how this thread scans a piece of it. */
export interface JobTicket {
  job: ScrubJob;
  slot: number;
  workers: { w: number; seq: number }[];
  local: (i: number) => void;
  /** Pieces scanned on this thread (in `help`, or ahead while the job before waited for a worker). */
  helped: number;
  /** A piece of this job failed while scanned ahead: reported by this job's own help, not by the job before. */
  failed?: unknown;
}

/** A worker's answer to a job: how many pieces it scanned, and what it counted. */
export interface JobReply {
  pieces: number;
  tally: PiiTally;
}

/**
 * Runs the rule engine (and, for whole conversations, the operators and counting) on `threads`
 * threads: the calling thread plus `threads - 1` worker threads. Requests and answers go over a
 * channel per worker, announced through shared control words: a worker blocks on its SEQ word
 * until there is work and this thread blocks on DONE at the end of a batch, so neither waits for
 * the other's event loop to come round (measured: that round trip cost about 1 ms per batch of
 * 256 conversations, a fifth of the batch's work). Results do not depend on the number of threads.
 */
export class AnalyzerPool {
  private workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  /** Per worker: its tallier's key table. */
  private readonly keys: TallyKeys[] = [];
  /** Per worker: requests posted, and answers taken. */
  private readonly seq: number[] = [];
  private readonly taken: number[] = [];
  private jobs = 0;
  /** Submitted, not yet collected, in the order submitted. */
  private readonly open: JobTicket[] = [];
  private readonly ctl: Int32Array;
  private failure: Error | null = null;
  /** Pieces the workers have scanned so far (for tests and benchmarks; not in any report: it depends on timing). */
  workerPieces = 0;
  /** Milliseconds this thread has spent blocked on workers' answers (for benchmarks, like workerPieces). */
  blockedMs = 0;
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
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * CTL.base(n)));
    for (let i = 0; i < n - 1; i++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(script!, { workerData: { ...data, ctl: this.ctl.buffer, index: i, port: port2 }, transferList: [port2] });
      w.on('error', (e) => {
        this.failure ??= ScrubError.from(e, 'SCRUB_STAGE_FAILED');
      });
      w.on('exit', (code) => {
        if (this.workers.includes(w)) this.failure ??= new ScrubError('SCRUB_STAGE_FAILED', `pii worker stopped (exit code ${code})`);
      });
      this.workers.push(w);
      this.ports.push(port1);
      this.keys.push(new TallyKeys());
      this.seq.push(0);
      this.taken.push(0);
    }
  }

  /** Workers that have loaded and can take requests now (a batch does not wait for one still starting). */
  private ready(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.workers.length; w++) if (Atomics.load(this.ctl, CTL.base(w) + CTL.READY) === 1) out.push(w);
    return out;
  }

  /** Resolves once every worker has loaded (batches before that run on the threads that are ready). */
  async whenReady(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while (this.ready().length < this.workers.length) {
      if (this.failure) throw this.failure;
      if (Date.now() - t0 > timeoutMs) throw new ScrubError('SCRUB_STAGE_FAILED', `pii worker pool: workers not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private post(w: number, req: PoolRequest): void {
    this.ports[w].postMessage(req);
    const at = CTL.base(w) + CTL.SEQ;
    Atomics.store(this.ctl, at, ++this.seq[w]);
    Atomics.notify(this.ctl, at);
  }

  /** Waits for worker w's answer to its request `want` and returns it (answers are taken in the order asked). */
  private async answer<R>(w: number, want = this.seq[w], ahead?: JobTicket): Promise<R> {
    if (want !== this.taken[w] + 1) throw new ScrubError('SCRUB_STAGE_FAILED', `pii worker pool: answer ${want} asked for after ${this.taken[w]}`);
    const at = CTL.base(w) + CTL.DONE;
    for (;;) {
      if (this.failure) throw this.failure;
      const done = Atomics.load(this.ctl, at);
      if (done >= want) break;
      // rather than wait for the worker's last piece, scan a piece of the job after this one
      if (ahead && ahead.failed === undefined) {
        try {
          if (this.helpOne(ahead)) continue;
        } catch (e) {
          ahead.failed = e;
        }
      }
      // blocks this thread a moment at a time (the answer is usually there within one piece), then lets events in
      const t0 = performance.now();
      const woke = Atomics.wait(this.ctl, at, done, WAIT_SLICE_MS);
      this.blockedMs += performance.now() - t0;
      if (woke === 'timed-out') await new Promise<void>((r) => setImmediate(r));
    }
    const got = receiveMessageOnPort(this.ports[w]);
    if (!got) throw new ScrubError('SCRUB_STAGE_FAILED', 'pii worker answered without a message');
    this.taken[w] = want;
    const m = got.message as { results?: R; error?: string };
    if (m.error !== undefined) throw new ScrubError('SCRUB_STAGE_FAILED', `pii worker failed: ${safeMessage(m.error)}`);
    return m.results as R;
  }

  /** Rule-engine analysis of each text (null where nothing was found or kept), in input order. */
  async analyze(texts: string[]): Promise<(Analysis | null)[]> {
    if (this.failure) throw this.failure;
    const ready = texts.length < 2 ? [] : this.ready();
    if (ready.length === 0) return texts.map((t) => analyzeOrNull(this.engine, t));
    // contiguous shares of about equal length: the first here, the others on the ready workers
    let total = 0;
    for (const t of texts) total += t.length;
    const parts = ready.length + 1;
    const cuts = [0];
    let acc = 0;
    for (let i = 0; i < texts.length && cuts.length < parts; i++) {
      acc += texts[i].length;
      if (acc >= (total * cuts.length) / parts) cuts.push(i + 1);
    }
    while (cuts.length < parts) cuts.push(texts.length);
    cuts.push(texts.length);
    ready.forEach((w, k) => this.post(w, { kind: 'analyze', items: texts.slice(cuts[k + 1], cuts[k + 2]) }));
    const out = texts.slice(0, cuts[1]).map((t) => analyzeOrNull(this.engine, t));
    for (const w of ready) for (const a of await this.answer<(Analysis | null)[]>(w, this.seq[w])) out.push(a);
    return out;
  }

  /**
   * Hands `job` to the ready workers (a batch does not wait for a worker still starting): they
   * queue it behind the jobs they have, and each takes pieces from the job's shared counter
   * once it gets to it. Every piece is scanned exactly once: by a worker, or on this thread by
   * `local` (in `help`, or while `collect` waits on the job before). Jobs are collected in the
   * order submitted.
   */
  submit(job: ScrubJob, texts: readonly string[], local: (i: number) => void): JobTicket {
    if (this.failure) throw this.failure;
    if (this.open.length >= SLOTS) throw new ScrubError('SCRUB_STAGE_FAILED', `pii worker pool: more than ${SLOTS} batches outstanding`);
    const slot = this.jobs++ % SLOTS;
    const ticket: JobTicket = { job, slot, workers: [], local, helped: 0 };
    this.open.push(ticket);
    const ready = pieceCount(job) < 2 ? [] : this.ready();
    Atomics.store(this.ctl, slot, 0);
    if (ready.length === 0) return ticket;
    const req: PoolRequest = { kind: 'job', job, joined: texts.join(''), slot };
    for (const w of ready) {
      this.post(w, req);
      ticket.workers.push({ w, seq: this.seq[w] });
    }
    return ticket;
  }

  /** Scans the next piece of `ticket` no thread has taken yet; false when none is left. */
  private helpOne(ticket: JobTicket): boolean {
    const i = Atomics.add(this.ctl, ticket.slot, 1);
    if (i >= pieceCount(ticket.job)) return false;
    ticket.local(i);
    ticket.helped++;
    return true;
  }

  /** Scans on this thread the pieces of a submitted job that no thread has taken yet. */
  help(ticket: JobTicket): void {
    if (ticket.failed !== undefined) throw ticket.failed;
    while (this.helpOne(ticket));
  }

  /**
   * The workers' tallies of a job (the first one still open), with the key tables to read them
   * by, once every piece is done. While a worker finishes its last piece, this thread scans
   * pieces of the next open job. Which thread scans a piece does not change what is counted,
   * so the output does not depend on the number of threads or on timing.
   */
  async collect(ticket: JobTicket): Promise<{ tally: PiiTally; keys: TallyKeys }[]> {
    if (this.open[0] !== ticket) throw new ScrubError('SCRUB_STAGE_FAILED', 'pii worker pool: jobs collected out of order');
    try {
      const out: { tally: PiiTally; keys: TallyKeys }[] = [];
      let done = ticket.helped;
      for (const { w, seq } of ticket.workers) {
        const r = await this.answer<JobReply>(w, seq, this.open[1]);
        done += r.pieces;
        this.workerPieces += r.pieces;
        out.push({ tally: r.tally, keys: this.keys[w] });
      }
      const pieces = pieceCount(ticket.job);
      if (done !== pieces) throw new ScrubError('SCRUB_STAGE_FAILED', `pii worker pool: ${done} of ${pieces} pieces scanned`);
      return out;
    } finally {
      this.open.shift();
    }
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    // a batch still waiting on a worker fails instead of waiting for ever
    this.failure ??= new ScrubError('SCRUB_STAGE_FAILED', 'pii worker pool closed while a batch was in flight');
    ws.forEach((_, w) => {
      try {
        this.post(w, { kind: 'stop' });
      } catch {
        // a worker that is gone needs no stop
      }
    });
    await Promise.all(ws.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}

export function analyzeOrNull(engine: RuleEngine, text: string): Analysis | null {
  const a = engine.analyze(text);
  return a.spans.length || a.kept.length ? a : null;
}
