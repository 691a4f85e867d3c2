#!/usr/bin/env node
// The pii worker pool's sharing alone: batches of 256 conversations flattened into jobs beforehand (not
// timed), then every piece scanned either on one thread or on this thread plus one worker taking pieces
// from the shared counter (two jobs open, as the stage keeps them). No cutting, merging or writing back,
// no samples: what the mechanism itself gives on two CPUs, the ceiling for the `pii` step's pool.
// Per round: one thread on CPU A alone, on CPU B alone, two threads on A,B (each its own process).
// Usage: pnpm bench pii-pool [--mb 20] [--rounds 3] [--cpus 0,1] [--batch 256] [--pieces 8] [--child --threads 1 [--rules DIR] [--dist DIR]]   (file from `pnpm bench pii`; flock /tmp/bench.lock)
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const MB = Number(opt('mb', 20));
const file = join(root, 'bench', 'data', `pii-chat-${MB}mb.jsonl`);
if (!existsSync(file)) {
  console.log(`${file} is missing: make it with pnpm bench pii --mb ${MB} --runs 1 --only plain8.1`);
  process.exit(0);
}

if (argv.includes('--child')) {
  const threads = Number(opt('threads', 1));
  // --dist DIR: another build of @scrubline/pii (a copy of its dist/ inside packages/pii, for A/B of code on the same data)
  const dist = new URL(`${opt('dist', 'dist').replace(/\/?$/, '/')}`, new URL('../packages/pii/', import.meta.url));
  const { AnalyzerPool } = await import(new URL('pool.js', dist).href);
  const { buildJob, scrubPiece } = await import(new URL('job.js', dist).href);
  const { Tallier } = await import(new URL('tally.js', dist).href);
  const { getRuleEngine } = await import(new URL('engine.js', dist).href);
  const { loadRulePacks } = await import(new URL('rules.js', dist).href);
  // --rules DIR: another rules folder (A/B of rule data on the same build)
  const packs = loadRulePacks(opt('rules', join(root, 'rules')));
  const engine = getRuleEngine({ rulePacks: packs });
  const ops = { operator: 'placeholder', operators: {}, seed: '0' };
  const config = { ...ops, canonicalOf: engine.canonicalOf };
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const jobs = [];
  const batch = Number(opt('batch', 256));
  const pieces = Number(opt('pieces', 8));
  for (let i = 0; i < lines.length; i += batch) jobs.push(buildJob(lines.slice(i, i + batch).map((l) => JSON.parse(l)), (t) => !!t.text, threads * pieces, {}, 0));
  const pool = new AnalyzerPool(engine, { packs, options: {}, operators: ops, sampleContext: 16 }, threads);
  await pool.whenReady();
  const tallier = new Tallier(16);
  const once = async () => {
    const t0 = performance.now();
    const open = [];
    const finish = async (x) => {
      pool.help(x);
      await pool.collect(x);
      // counted and thrown away (pieces scanned ahead count with this tally: only the time matters here)
      tallier.finish();
      tallier.begin({}, 0);
    };
    for (const b of jobs) {
      open.push(pool.submit(b.job, b.texts, (i) => scrubPiece(b.job, i, (k) => b.texts[k], engine, config, tallier)));
      if (open.length === 2) await finish(open.shift());
    }
    for (const x of open) await finish(x);
    return performance.now() - t0;
  };
  tallier.begin({}, 0);
  await once(); // warm-up
  const ms = [];
  for (let r = 0; r < 3; r++) ms.push(await once());
  await pool.close();
  console.log('RESULT ' + JSON.stringify({ ms: ms.sort((a, b) => a - b)[1] }));
  process.exit(0);
}

const rounds = Number(opt('rounds', 3));
const [A, B] = opt('cpus', '0,1').split(',');
const run = (cpus, threads) => {
  const r = spawnSync('taskset', ['-c', cpus, process.execPath, fileURLToPath(import.meta.url), '--child', '--mb', String(MB), '--threads', String(threads), '--batch', opt('batch', '256'), '--pieces', opt('pieces', '8')], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(r.stderr.slice(-400));
  return JSON.parse(line.slice(7)).ms;
};
console.log(`pii pool sharing alone: ${MB} MB in jobs of ${opt('batch', '256')} conversations, ${opt('pieces', '8')} pieces per thread, median of 3 passes per process`);
const shares = [];
const overs = [];
for (let r = 0; r < rounds; r++) {
  const a = run(A, 1);
  const b = run(B, 1);
  const two = run(`${A},${B}`, 2);
  const share = (1 / two) / (1 / a + 1 / b);
  const over = Math.min(a, b) / two;
  shares.push(share);
  overs.push(over);
  console.log(`round ${r + 1}: one thread on CPU ${A} ${a.toFixed(0)} ms, on CPU ${B} ${b.toFixed(0)} ms; two threads ${two.toFixed(0)} ms = ${over.toFixed(2)}x the faster CPU, ${(100 * share).toFixed(0)}% of the summed rates`);
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`median: ${med(overs).toFixed(2)}x the faster CPU alone, ${(100 * med(shares)).toFixed(0)}% of the two CPUs' summed one-thread rates`);
