import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inOrder, StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { piiStage, type PiiStageOptions } from '../src/index.js';
import { chatRecords } from './helpers.js';
import { AnalyzerPool, analyzeOrNull } from '../src/pool.js';
import { buildJob, scrubPiece, pieceCount } from '../src/job.js';
import { emptyTotals, mergeTallies, Tallier, TallyKeys } from '../src/tally.js';
import { getRuleEngine } from '../src/engine.js';
import { loadRulePacks } from '../src/rules.js';
import type { OperatorConfig } from '../src/operators.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
/** Synthetic conversations: PII in several shapes, astral characters, CJK, an agent turn out of scope in some tests. */
const records = (n: number, from = 0): ConversationRecord[] => chatRecords(n, { idPrefix: 'q', from, emptyBotTurn: true, file: (j) => (j % 4 ? 'a.jsonl' : 'b|c.jsonl') });

const packs = loadRulePacks(rulesDir);
const engine = getRuleEngine({ rulePacks: packs });
const ops = { operator: 'placeholder' as const, operators: {}, seed: '0' };
const config: OperatorConfig = { ...ops, canonicalOf: engine.canonicalOf };
const inScope = (t: { role: string; text: string }) => !!t.text;

const newPool = (threads: number) => new AnalyzerPool(engine, { packs, options: {}, operators: ops, sampleContext: 16 }, threads);

/** A two-thread pool whose worker has loaded, closed after `fn`. */
async function withReadyPool(fn: (pool: AnalyzerPool) => Promise<void>): Promise<void> {
  const pool = newPool(2);
  try {
    await pool.whenReady();
    await fn(pool);
  } finally {
    await pool.close();
  }
}

beforeAll(() => {
  // the pool's workers run the compiled worker script
  execFileSync('npx', ['tsc', '-b', 'packages/pii'], { cwd: root, stdio: 'inherit' });
  expect(existsSync(join(root, 'packages/pii/dist/worker.js'))).toBe(true);
}, 120_000);

/** One batch through a pool: submit, help (slowly when asked, so that the worker takes pieces), collect, merge. */
async function throughPool(pool: AnalyzerPool, tallier: Tallier, keys: TallyKeys, batch: ConversationRecord[], report: StageReport, totals = emptyTotals(), slowMs = 0) {
  const { job, texts, recordOf } = buildJob(batch, inScope, pool.threads * 6, {}, report.maxSamples);
  tallier.begin(job.sampleLeft, job.maxSamples);
  const ticket = pool.submit(job, texts, (i) => {
    const until = performance.now() + slowMs;
    while (performance.now() < until);
    scrubPiece(job, i, (k) => texts[k], engine, config, tallier);
  });
  pool.help(ticket);
  const helped = ticket.helped;
  const local = tallier.finish();
  const remote = await pool.collect(ticket);
  mergeTallies([{ tally: local, keys }, ...remote], report, totals, (k, text) => {
    const r = batch[recordOf[k]];
    r.turns[job.turns[k]] = { ...r.turns[job.turns[k]], text };
  });
  return { helped, pieces: pieceCount(job), totals };
}

describe('the pii worker pool', () => {
  it('scans every piece once, on whichever thread takes it, with the result of one thread', async () => {
    const one = newPool(1);
    const two = newPool(2);
    try {
      await two.whenReady();
      const r1 = new StageReport(5);
      const r2 = new StageReport(5);
      const t1 = emptyTotals();
      const t2 = emptyTotals();
      const [tal1, tal2] = [new Tallier(16), new Tallier(16)];
      const [k1, k2] = [new TallyKeys(), new TallyKeys()];
      const b1 = records(400);
      const b2 = structuredClone(b1);
      let helped = 0;
      let pieces = 0;
      for (let i = 0; i < 400; i += 100) {
        await throughPool(one, tal1, k1, b1.slice(i, i + 100), r1, t1);
        // this thread dawdles over its pieces: the worker takes some
        const x = await throughPool(two, tal2, k2, b2.slice(i, i + 100), r2, t2, 2);
        helped += x.helped;
        pieces += x.pieces;
      }
      expect(two.workerPieces).toBeGreaterThan(0);
      expect(helped + two.workerPieces).toBe(pieces);
      expect(JSON.stringify(b2)).toBe(JSON.stringify(b1));
      expect(JSON.stringify(r2.toJSON())).toBe(JSON.stringify(r1.toJSON()));
      expect(t2).toEqual(t1);
      expect(t1.records).toBe(400);
      expect(b1[0].turns[0].text).toBe('手机[PHONE_1]，身份证[PERSON_ID_1] 😀𠮷');
      // samples are the first ones in input order whatever thread found them
      expect((r1.samples['finding.PHONE'] as { record: string }[]).map((s) => s.record)).toEqual(['q0', 'q0', 'q1', 'q1', 'q2']);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('with two jobs open, pieces of the second scanned while the first waits count with the second', async () => {
    await withReadyPool(async (pool) => {
      const b1 = records(300);
      const b2 = structuredClone(b1);
      // reference: one thread
      const r1 = new StageReport();
      const t1 = emptyTotals();
      const one = { tallier: new Tallier(16), keys: new TallyKeys() };
      for (let i = 0; i < 300; i += 100) {
        const { job, texts, recordOf } = buildJob(b1.slice(i, i + 100), inScope, 1, {}, 20);
        one.tallier.begin({}, 20);
        for (let p = 0; p < pieceCount(job); p++) scrubPiece(job, p, (k) => texts[k], engine, config, one.tallier);
        mergeTallies([{ tally: one.tallier.finish(), keys: one.keys }], r1, t1, (k, text) => {
          const r = b1[i + recordOf[k]];
          r.turns[job.turns[k]] = { ...r.turns[job.turns[k]], text };
        });
      }
      // two threads, three jobs submitted at once; this thread is slow on the first so that the worker takes pieces
      const r2 = new StageReport();
      const t2 = emptyTotals();
      const counters = [0, 1, 2].map(() => ({ tallier: new Tallier(16), keys: new TallyKeys() }));
      const jobs = [0, 1, 2].map((n) => {
        const batch = b2.slice(n * 100, n * 100 + 100);
        const built = buildJob(batch, inScope, 12, {}, 20);
        counters[n].tallier.begin({}, 20);
        const ticket = pool.submit(built.job, built.texts, (i) => {
          const until = performance.now() + (n === 0 ? 3 : 0);
          while (performance.now() < until);
          scrubPiece(built.job, i, (k) => built.texts[k], engine, config, counters[n].tallier);
        });
        return { batch, built, ticket };
      });
      let scanned = 0;
      for (const [n, { batch, built, ticket }] of jobs.entries()) {
        pool.help(ticket);
        const local = counters[n].tallier.finish();
        const remote = await pool.collect(ticket);
        scanned += ticket.helped;
        mergeTallies([{ tally: local, keys: counters[n].keys }, ...remote], r2, t2, (k, text) => {
          const r = batch[built.recordOf[k]];
          r.turns[built.job.turns[k]] = { ...r.turns[built.job.turns[k]], text };
        });
      }
      expect(scanned + pool.workerPieces).toBe(jobs.reduce((a, j) => a + pieceCount(j.built.job), 0));
      expect(pool.workerPieces).toBeGreaterThan(0);
      expect(JSON.stringify(b2)).toBe(JSON.stringify(b1));
      expect(JSON.stringify(r2.toJSON())).toBe(JSON.stringify(r1.toJSON()));
      expect(t2).toEqual(t1);
      // collected out of order: refused
      const x = buildJob(records(10), inScope, 4, {}, 20);
      const first = pool.submit(x.job, x.texts, () => {});
      const second = pool.submit(x.job, x.texts, () => {});
      await expect(pool.collect(second)).rejects.toThrow(/out of order/);
      void first;
    });
  });

  it('a piece that fails on the worker fails the batch with a stage error naming no data', async () => {
    await withReadyPool(async (pool) => {
      const { job, texts } = buildJob(records(20), inScope, 8, {}, 20);
      // a job the worker cannot read (no text offsets): its first piece throws there
      const broken = { ...job, starts: undefined } as unknown as typeof job;
      const ticket = pool.submit(broken, texts, () => {});
      const err = await pool.collect(ticket).catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: 'SCRUB_STAGE_FAILED' });
      expect(err.message).toMatch(/pii worker failed/);
      for (const t of texts) expect(err.message).not.toContain(t);
    });
  });

  it('a piece that fails while scanned ahead fails its own batch, not the one being collected', async () => {
    await withReadyPool(async (pool) => {
      const a = buildJob(records(200), inScope, 16, {}, 20);
      const b = buildJob(records(200, 200), inScope, 16, {}, 20);
      const first = pool.submit(a.job, a.texts, () => {});
      const second = pool.submit(b.job, b.texts, () => {
        throw new Error('piece of the second batch failed');
      });
      // the first batch is left to the worker: while this thread waits for it, it scans ahead into the second
      await expect(pool.collect(first)).resolves.toHaveLength(1);
      expect(() => pool.help(second)).toThrow(/second batch/);
    });
  });

  it('a batch still waiting when the pool closes fails instead of waiting for ever', async () => {
    const pool = newPool(2);
    await pool.whenReady();
    const { job, texts } = buildJob(records(400), inScope, 16, {}, 20);
    const ticket = pool.submit(job, texts, () => {});
    await pool.close();
    await expect(pool.collect(ticket)).rejects.toMatchObject({ code: 'SCRUB_STAGE_FAILED' });
  });

  it('analyses texts on the worker too (the path with other detectors), in input order', async () => {
    await withReadyPool(async (pool) => {
      const texts = records(300).flatMap((r) => r.turns.map((t) => t.text));
      const got = await pool.analyze(texts);
      expect(got).toHaveLength(texts.length);
      expect(JSON.stringify(got)).toBe(JSON.stringify(texts.map((t) => analyzeOrNull(engine, t))));
      // and again, with the worker's answers taken in turn
      expect(JSON.stringify(await pool.analyze(texts.slice(0, 50)))).toBe(JSON.stringify(texts.slice(0, 50).map((t) => analyzeOrNull(engine, t))));
    });
  });

  it('a worker that dies fails the batch with a stage error instead of hanging it', async () => {
    await withReadyPool(async (pool) => {
      const batch = records(50);
      const { job, texts } = buildJob(batch, inScope, 12, {}, 20);
      const tallier = new Tallier(16);
      tallier.begin({}, 20);
      await (pool as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0].terminate();
      const attempt = async () => {
        const ticket = pool.submit(job, texts, () => {});
        return pool.collect(ticket);
      };
      await expect(attempt()).rejects.toMatchObject({ code: 'SCRUB_STAGE_FAILED' });
    });
  });
});

describe('tallies', () => {
  it('send each counter key once, as a number, and keep increments of zero', () => {
    const t = new Tallier(16);
    const keys = new TallyKeys();
    const report = new StageReport();
    const totals = emptyTotals();
    t.begin({}, 20);
    t.piece(0);
    t.count('turns.scanned', 0);
    t.kept('placeholder:JD', 'jd.placeholder', 'customer', 'a.jsonl');
    const a = t.finish();
    expect(a.newKeys).toEqual(['turns.scanned', 'kept|placeholder:JD|jd.placeholder|customer|a.jsonl']);
    t.begin({}, 20);
    t.piece(1);
    t.kept('placeholder:JD', 'jd.placeholder', 'customer', 'a.jsonl');
    t.count('turns.scanned', 3);
    const b = t.finish();
    expect(b.newKeys).toEqual([]);
    expect(b.keyBase).toBe(2);
    mergeTallies([{ tally: a, keys }], report, totals, () => {});
    mergeTallies([{ tally: b, keys }], report, totals, () => {});
    expect(report.toJSON().counters).toEqual({ 'kept|placeholder:JD|jd.placeholder|customer|a.jsonl': 2, 'turns.scanned': 3 });
    expect(totals.kept).toBe(2);
    // a tally merged out of turn is refused, not misread
    t.begin({}, 20);
    t.count('new.key');
    const c = t.finish();
    t.begin({}, 20);
    t.count('another.key');
    const d = t.finish();
    expect(() => mergeTallies([{ tally: d, keys }], report, totals, () => {})).toThrow(/out of step/);
    void c;
    // a tally left unfinished (its batch failed) does not leak into the next
    const u = new Tallier(16);
    u.begin({}, 20);
    u.count('lost', 5);
    u.begin({}, 20);
    u.count('kept', 1);
    const v = u.finish();
    expect(Array.from(v.counts)).toEqual([1, 1]);
    expect(v.newKeys).toEqual(['lost', 'kept']);
  });
});

describe('the pii stage with two batches in flight', () => {
  const env = { stageId: 'pii', seed: '7', shard: { index: 0, count: 1 }, baseDir: root, rulesDir, log: { info() {}, warn() {} } };
  const ctx = (report: StageReport): StageContext => ({
    stageId: 'pii',
    seed: '7',
    shard: { index: 0, count: 1 },
    report,
    log: env.log,
    drop: () => {
      throw new Error('pii never drops');
    },
    quarantine: () => {
      throw new Error('pii never quarantines');
    },
  });
  async function run(workers: number, recs: ConversationRecord[]) {
    const opts = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, reportOnly: ['ORG'], workers } as PiiStageOptions;
    const stage = await piiStage.create(opts, env);
    const report = new StageReport();
    const out: ConversationRecord[] = [];
    const batches: ConversationRecord[][] = [];
    for (let i = 0; i < recs.length; i += 64) batches.push(recs.slice(i, i + 64));
    try {
      // as the runner hands them over: the next batch before the one before is done
      for await (const b of inOrder(batches, async (b) => stage.apply(b, ctx(report)), stage.inFlight ?? 1)) out.push(...b);
      return { stage, out, report, summary: stage.summary!() as Record<string, unknown> };
    } finally {
      await stage.close?.();
    }
  }

  it('takes two batches in flight with or without worker threads, and gives the same bytes either way', async () => {
    const recs = records(1500);
    const one = await run(1, structuredClone(recs));
    const two = await run(2, structuredClone(recs));
    // the same on any machine: the runner's order of calls (and of other stages' drop entries) depends on it
    expect(one.stage.inFlight).toBe(2);
    expect(two.stage.inFlight).toBe(2);
    expect(JSON.stringify(two.out)).toBe(JSON.stringify(one.out));
    expect(JSON.stringify(two.report.toJSON())).toBe(JSON.stringify(one.report.toJSON()));
    expect(JSON.stringify({ ...two.summary, threads: 0 })).toBe(JSON.stringify({ ...one.summary, threads: 0 }));
    expect(two.out.map((r) => r.id)).toEqual(recs.map((r) => r.id));
  });
});
