// Paired A/B of the `pii` stage (one thread, rule packs, placeholder operator) between built checkouts, in one
// process: each chunk of 1,024 records goes through every checkout's stage back to back, the order alternating
// chunk by chunk, so a change in machine load hits all alike (this host's two vCPUs vary by 20–50 % from minute
// to minute: separate runs cannot show a difference of a few per cent). Parsing is not timed. Prints each
// checkout's time per round and its ratio to the first; round 1 (warm-up) is left out of the total.
// Usage: pnpm bench pii-ab [--rounds 4] [--file FILE] DIR [DIR …]   (DIR: a built checkout, e.g. a `git worktree`;
//        this checkout when none is given twice)
// Wrap it in `flock /tmp/bench.lock` on a shared machine.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (n, d) => {
  const i = argv.indexOf(`--${n}`);
  if (i < 0) return d;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const ROUNDS = Number(opt('rounds', 4));
const file = opt('file', join(here, 'data/pii-chat-20mb.jsonl'));
if (!existsSync(file)) {
  console.log(`pii-ab: ${file} is missing (make it with: pnpm bench pii --mb 20 --runs 1)`);
  process.exit(2);
}
const trees = (argv.length ? argv : [join(here, '..'), join(here, '..')]).map((d) => resolve(d));
const stages = [];
for (const t of trees) {
  const pii = await import(pathToFileURL(join(t, 'packages/pii/dist/index.js')).href);
  const core = await import(pathToFileURL(join(t, 'packages/core/dist/index.js')).href);
  const env = { stageId: 'pii', seed: '0', shard: { index: 0, count: 1 }, baseDir: t, rulesDir: join(t, 'rules'), log: { info() {}, warn() {} } };
  const options = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, workers: 1 };
  const stage = await pii.piiStage.create(options, env);
  stages.push({ stage, ctx: { stageId: 'pii', seed: '0', shard: env.shard, report: new core.StageReport(), log: env.log, drop() {}, quarantine() {} } });
}
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
console.log(`pii-ab: ${lines.length} records of ${file.replace(join(here, '..') + '/', '')}, ${ROUNDS} rounds; checkouts: ${trees.join(', ')}`);
const total = trees.map(() => 0);
for (let round = 0; round < ROUNDS; round++) {
  const ms = trees.map(() => 0);
  let flip = 0;
  for (let i = 0; i < lines.length; i += 1024) {
    const chunk = lines.slice(i, i + 1024);
    const order = flip++ % 2 ? [...stages.keys()].reverse() : [...stages.keys()];
    for (const k of order) {
      const batches = [];
      for (let j = 0; j < chunk.length; j += 256) batches.push(chunk.slice(j, j + 256).map((l) => JSON.parse(l)));
      const a = performance.now();
      for (const b of batches) await stages[k].stage.apply(b, stages[k].ctx);
      ms[k] += performance.now() - a;
    }
  }
  if (round > 0) ms.forEach((x, k) => (total[k] += x));
  console.log(`round ${round + 1}${round === 0 ? ' (warm-up)' : ''}: ${ms.map((x) => `${x.toFixed(0)} ms`).join(', ')}; ratios ${ms.map((x) => (x / ms[0]).toFixed(3)).join(' ')}`);
}
for (const s of stages) await s.stage.close?.();
if (ROUNDS > 1) console.log(`rounds 2–${ROUNDS}: ${total.map((x) => `${x.toFixed(0)} ms`).join(', ')}; ratios to the first ${total.map((x) => (x / total[0]).toFixed(3)).join(' ')}`);
