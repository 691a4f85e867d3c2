#!/usr/bin/env node
// Throughput of the `pii` stage (rule packs + placeholder operator) on generated Chinese chat JSONL.
//   npx tsc -b packages/pii && pnpm bench pii [--mb 40] [--runs 3] [--pin] [--only stage.1,stage.2]
// Prints MB/s of input JSONL bytes for: stage.apply only (records already parsed; batches of 256
// handed over as the pipeline runner does, stage.inFlight at a time), and parse → apply →
// stringify in memory; each with 1 thread and 2 threads (main + 1 worker), with the process's
// CPU-seconds (all its threads: GC and helpers too) and cores busy.
//   --pin   re-runs this script per configuration and round (alternating), unpinned and under taskset (1 thread on
//           CPU A alone and on CPU B alone, GC and helper threads included; 2 threads on CPUs A,B), and prints
//           them side by side with the CPUs each number used, the speed-up over the faster CPU alone and
//           the share of the two CPUs' summed one-thread rates that two threads reach.
//   --cpus A,B  the CPUs --pin uses (default 0,1).
//   --chunk N   stage mode: batches parsed before each timed window (default 32); --no-gc: without the
//               full GC that promotes them first. Fewer held records run faster on one thread (records in
//               a pipeline are young: --chunk 4 --no-gc is closest), more give two threads longer windows.
// Wrap it in `flock /tmp/bench.lock` on a shared machine.
import { mkdirSync, existsSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { inOrder, mulberry32, StageReport } from '../packages/core/dist/index.js';
import { piiStage, gb11643CheckChar, luhnCheckDigit } from '../packages/pii/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// a full GC between untimed steps (see the stage mode)
if (!globalThis.gc) {
  setFlagsFromString('--expose-gc');
  globalThis.gc = runInNewContext('gc');
}
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 40);
const RUNS = arg('runs', 3);
const PIN = process.argv.includes('--pin');
const PIN_CPUS = (process.argv.includes('--cpus') ? process.argv[process.argv.indexOf('--cpus') + 1] : '0,1').split(',');
// stage mode: batches parsed per timed window (--chunk) and promoted by a full GC first (--no-gc: not)
const CHUNK = arg('chunk', 32);
const PROMOTE = !process.argv.includes('--no-gc');
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
/** The CPUs this process may run on (taskset shows here). */
const cpuList = () => (/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8')) ?? [])[1] ?? '?';

// ---------------------------------------------------------------- data
const PHRASES = [
  '您好，请问有什么可以帮您', '我想问一下这个商品什么时候发货', '亲，已经为您催促仓库了', '好的谢谢', '这个尺码偏大吗',
  '麻烦帮我查一下物流', '退货的话运费谁出', '可以开发票吗', '请您耐心等待一下', '非常抱歉给您带来不便', '质量有问题，我要退款',
  '已经申请售后了', '什么时候能到', '今天下单明天能到吗', '优惠券怎么用不了', '价格199元，满300减50', '买了3件，共128.50元',
  '12:30发货，2023-10-01到货', '型号X200，规格180x200cm', '客服热线400-800-8888', '订单编号:[订单x]', '[姓名x]您好',
  '版本1.2.3.4已更新', '尺码42码，身高175cm', '亲亲，这边看到您的订单已经签收了哦', '嗯嗯', '在吗', '好的，马上为您处理',
];
function pii(r) {
  const d = (n) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
  switch (Math.floor(r() * 9)) {
    case 0: return `我的手机是1${3 + Math.floor(r() * 7)}${d(9)}`;
    case 1: { const f = '110105' + (1960 + Math.floor(r() * 40)) + '0' + (1 + Math.floor(r() * 9)) + '1' + Math.floor(r() * 9) + d(3); return `身份证${f}${gb11643CheckChar(f)}`; }
    case 2: return `邮箱user${d(4)}@example.com谢谢`;
    case 3: { const b = '622202' + d(9); return `卡号${b}${luhnCheckDigit(b)}`; }
    case 4: return `登录IP 10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`;
    case 5: return `看这里https://example.com/item?id=${d(6)}，谢谢`;
    case 6: return `座机010-${2 + Math.floor(r() * 7)}${d(7)}`;
    case 7: return `加我vx：wx_${d(6)}`;
    default: return `QQ：${1 + Math.floor(r() * 8)}${d(8)}`;
  }
}
function generate(path, bytes) {
  const r = mulberry32(42);
  let out = '';
  let size = 0;
  const chunks = [];
  for (let i = 0; size < bytes; i++) {
    const turns = [];
    const n = 4 + Math.floor(r() * 9);
    for (let t = 0; t < n; t++) {
      let text = PHRASES[Math.floor(r() * PHRASES.length)];
      if (r() < 0.25) text += '，' + pii(r);
      if (r() < 0.3) text += '，' + PHRASES[Math.floor(r() * PHRASES.length)];
      turns.push({ role: t % 2 ? 'agent' : 'customer', text, ts: `2018-03-01 10:${String(t).padStart(2, '0')}:00` });
    }
    const line = JSON.stringify({ id: `c${i}`, turns, labels: {}, source: { file: 'chat.jsonl', line: i + 1 }, meta: {} }) + '\n';
    out += line;
    size += Buffer.byteLength(line);
    if (out.length > 1 << 20) {
      chunks.push(out);
      out = '';
    }
  }
  chunks.push(out);
  writeFileSync(path, chunks.join(''));
}

const dataDir = join(root, 'bench', 'data');
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, `pii-chat-${MB}mb.jsonl`);
if (!existsSync(file)) generate(file, MB * 1e6);
const bytes = statSync(file).size;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
if (PIN) {
  // one child per configuration and pinning (unpinned, then pinned), alternating, RUNS runs each inside
  const configs = ONLY ?? ['plain8.1', 'stage.1', 'stage.2', 'e2e.1', 'e2e.2'];
  const self = fileURLToPath(import.meta.url);
  console.log(`pii bench --pin: ${(bytes / 1e6).toFixed(1)} MB, ${availableParallelism()} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  // rounds: every configuration and pinning once per round (A B C … A B C …), one measured run
  // after a warm-up in each child, so that a change in machine load hits all of them alike
  const got = {};
  // one thread: unpinned, on CPU A alone and on CPU B alone; two threads: unpinned and on A,B
  const variants = (c) =>
    Number(c.split('.')[1]) === 1
      ? [['unpinned', null], ['pinned', PIN_CPUS[0]], ['pinnedB', PIN_CPUS[1]]]
      : [['unpinned', null], ['pinned', PIN_CPUS.join(',')]];
  for (let round = 0; round < RUNS; round++) {
    for (const c of configs) {
      for (const [v, cpus] of variants(c)) {
        const cmd = [...(cpus ? ['taskset', '-c', cpus] : []), process.execPath, ...process.execArgv, self, '--mb', String(MB), '--runs', '1', '--only', c, '--json', '--chunk', String(CHUNK), ...(PROMOTE ? [] : ['--no-gc'])];
        const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (r.status !== 0 || !line) throw new Error(`${c} ${v}: exit ${r.status}: ${r.stderr.slice(-400)}`);
        (got[`${c}.${v}`] ??= []).push(JSON.parse(line.slice(7)));
      }
    }
  }
  for (const c of configs) {
    for (const [v] of variants(c)) {
      const xs = got[`${c}.${v}`];
      const m = median(xs.map((x) => x.mbps));
      const mid = xs.find((x) => x.mbps === m);
      got[`${c}.${v}`] = { ...mid, mbps: m, runs: xs.map((x) => x.mbps), loads: xs.map((x) => x.load.split(' ')[0]) };
      const x = got[`${c}.${v}`];
      console.log(`${c.padEnd(9)} ${v.padEnd(8)} CPUs ${x.cpus.padEnd(4)} ${m.toFixed(1).padStart(6)} MB/s wall (runs ${x.runs.map((y) => y.toFixed(1)).join(', ')}), ${x.cpuS.toFixed(2)} CPU-s, ${x.cores.toFixed(2)} cores busy; 1-min load ${x.loads.join(', ')}`);
    }
  }
  for (const v of ['unpinned', 'pinned']) {
    const s = (m) => (got[`${m}.2.${v}`] && got[`${m}.1.${v}`] ? `${(got[`${m}.2.${v}`].mbps / got[`${m}.1.${v}`].mbps).toFixed(2)}x` : 'n/a');
    console.log(`speed-up 2 vs 1 thread, ${v}${v === 'pinned' ? ` (1 thread on CPU ${PIN_CPUS[0]}, 2 on CPUs ${PIN_CPUS.join(',')})` : ''}: stage ${s('stage')}, parse+apply+stringify ${s('e2e')}`);
  }
  // the CPUs may differ in speed, and their speeds drift: within each round (the three runs made
  // one after another) two threads are compared with the faster CPU alone and with the sum of both
  // CPUs' one-thread rates (what two threads could give at best; 100% = no loss); medians of the rounds
  for (const m of ['stage', 'e2e']) {
    const a = got[`${m}.1.pinned`], b = got[`${m}.1.pinnedB`], two = got[`${m}.2.pinned`];
    if (!a || !b || !two) continue;
    const rounds = two.runs.map((t, r) => ({ a: a.runs[r], b: b.runs[r], t, over: t / Math.max(a.runs[r], b.runs[r]), share: t / (a.runs[r] + b.runs[r]) }));
    for (const [r, x] of rounds.entries()) {
      console.log(`${m} round ${r + 1}: CPU ${PIN_CPUS[0]} ${x.a.toFixed(1)}, CPU ${PIN_CPUS[1]} ${x.b.toFixed(1)}, both ${x.t.toFixed(1)} MB/s = ${x.over.toFixed(2)}x the faster CPU, ${(100 * x.share).toFixed(0)}% of the summed rates`);
    }
    const over = median(rounds.map((x) => x.over));
    const share = median(rounds.map((x) => x.share));
    console.log(`${m}: two threads = ${over.toFixed(2)}x the faster CPU alone, ${(100 * share).toFixed(0)}% of the two CPUs' summed one-thread rates (medians of ${rounds.length} rounds; 2x on equal CPUs at 100%)`);
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.exit(0);
}

const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);

// ---------------------------------------------------------------- runs
const env = { stageId: 'pii', seed: '0', shard: { index: 0, count: 1 }, baseDir: root, rulesDir: join(root, 'rules'), log: { info() {}, warn: (m) => console.error(m) } };
const ctx = (report) => ({ stageId: 'pii', seed: '0', shard: { index: 0, count: 1 }, report, log: env.log, drop() {}, quarantine() {} });
const options = (workers) => ({ detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, workers });
const BATCH = 256;

// Reference floor (as in ../shared/notes/architecture-anchors.md §5): parse + 8 plain regexes replace + stringify.
const PLAIN8 = [/\b1[3-9]\d{9}\b/g, /\b0\d{2,3}-\d{7,8}\b/g, /\b\d{17}[\dXx]\b/g, /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, /\b(?:62|4\d|5[1-5])\d{14,17}\b/g, /\b(?:\d{1,3}\.){3}\d{1,3}\b/g, /https?:\/\/[^\s"'<>，。]+/g, /\b[EG]\d{8}\b/g];

// One stage per configuration, reused across runs as in a pipeline run (worker threads started and warm).
const stages = new Map();
async function stageFor(workers, mode) {
  const k = `${mode}.${workers}`;
  if (!stages.has(k)) stages.set(k, await piiStage.create(options(workers), env));
  return stages.get(k);
}

async function run(workers, mode) {
  const stage = mode === 'plain8' ? null : await stageFor(workers, mode);
  const report = new StageReport();
  const c = ctx(report);
  let ms = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const slices = [];
  for (let i = 0; i < lines.length; i += BATCH) slices.push(lines.slice(i, i + BATCH));
  if (mode === 'stage') {
    // records parsed first, 32 batches at a time, and moved to the old generation by a full GC
    // (neither timed: otherwise every scavenge during the stage copies the 8,192 parsed records the
    // benchmark holds, a cost of holding them, not of the stage); then handed to the stage as the
    // pipeline runner does: in order, with as many batches in flight as the stage takes (stage.inFlight)
    for (let i = 0; i < slices.length; i += CHUNK) {
      const batches = slices.slice(i, i + CHUNK).map((s) => s.map((l) => JSON.parse(l)));
      if (PROMOTE) globalThis.gc?.();
      const a = performance.now();
      for await (const out of inOrder(batches, async (b) => stage.apply(b, c), stage.inFlight ?? 1)) void out;
      ms += performance.now() - a;
    }
  } else if (mode === 'e2e') {
    const parsed = (async function* () {
      for (const s of slices) yield s.map((l) => JSON.parse(l));
    })();
    for await (const out of inOrder(parsed, async (b) => stage.apply(b, c), stage.inFlight ?? 1)) {
      let s = '';
      for (const r of out) s += JSON.stringify(r) + '\n';
    }
  } else {
    for (const slice of slices) {
      const batch = slice.map((l) => JSON.parse(l));
      for (const r of batch) for (const t of r.turns) for (const re of PLAIN8) t.text = t.text.replace(re, '<PII>');
      let s = '';
      for (const r of batch) s += JSON.stringify(r) + '\n';
    }
  }
  const wallMs = performance.now() - t0;
  if (mode !== 'stage') ms = wallMs;
  const cpu = process.cpuUsage(c0);
  const summary = stage?.summary() ?? { findings: 0, threads: 1 };
  return { mbps: bytes / 1e6 / (ms / 1000), cpuS: (cpu.user + cpu.system) / 1e6, wallS: wallMs / 1000, findings: summary.findings, threads: summary.threads, heapMB: process.memoryUsage().heapUsed / 1e6 };
}

// Calibration: how much of a second core this process gets right now. An ideal CPU-bound job
// (no sharing, no messages) on 2 threads vs 1; 100% means two free cores, 50% means effectively one.
async function parallelEfficiency() {
  const src = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x);`;
  const spin = () => {
    let x = 0;
    for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003;
    return x;
  };
  let t = performance.now();
  spin();
  const one = performance.now() - t;
  t = performance.now();
  const w = new Worker(src, { eval: true });
  const done = new Promise((r) => w.on('message', r));
  spin();
  await done;
  const two = performance.now() - t;
  await w.terminate();
  return one / two;
}

if (ONLY) {
  // one configuration (a --pin child, or a quick look): RUNS runs after a warm-up, one JSON line
  for (const c of ONLY) {
    const [mode, w] = c.split('.');
    await run(Number(w), mode);
    const rs = [];
    for (let i = 0; i < RUNS; i++) rs.push(await run(Number(w), mode));
    const m = median(rs.map((r) => r.mbps));
    const mid = rs.find((r) => r.mbps === m);
    const x = { config: c, cpus: cpuList(), mbps: m, runs: rs.map((r) => r.mbps), cpuS: mid.cpuS, cores: mid.cpuS / mid.wallS, load: loadavg().map((y) => y.toFixed(2)).join(' ') };
    if (process.argv.includes('--json')) console.log('RESULT ' + JSON.stringify(x));
    else {
      // the pool's counters over all runs of this configuration (warm-up included)
      const ps = stages.get(c)?.poolStats?.();
      const pool = ps && ps.workerPieces ? `; pool: ${ps.workerPieces} pieces scanned on the worker, this thread blocked ${ps.blockedMs.toFixed(0)} ms` : '';
      console.log(`${c} CPUs ${x.cpus}: ${m.toFixed(1)} MB/s (runs ${x.runs.map((y) => y.toFixed(1)).join(', ')}), ${x.cpuS.toFixed(2)} CPU-s, ${x.cores.toFixed(2)} cores busy${pool}`);
    }
  }
  for (const st of stages.values()) await st.close();
  process.exit(0);
}
console.log(`pii bench: ${(bytes / 1e6).toFixed(1)} MB, ${lines.length} conversations (${file.replace(root, '')})`);
console.log(`machine: ${availableParallelism()} cores (CPUs ${cpuList()}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other workers share this machine: numbers are under load)`);
console.log(`calibration: an ideal 2-thread CPU job runs at ${(100 * (await parallelEfficiency())).toFixed(0)}% parallel efficiency now (100% = two free cores; 50% = one)`);
const results = {};
const label = { stage: 'stage.apply only        ', e2e: 'parse+apply+stringify   ', plain8: 'floor: parse+8 regex+str' };
for (const [mode, workersList] of [['plain8', [1]], ['stage', [1, 2]], ['e2e', [1, 2]]]) {
  for (const workers of workersList) {
    const xs = [];
    const cpus = [];
    let last;
    await run(workers, mode); // warm-up (JIT, worker start)
    for (let i = 0; i < RUNS; i++) {
      last = await run(workers, mode);
      xs.push(last.mbps);
      cpus.push(last.cpuS);
    }
    results[`${mode}.${workers}`] = median(xs);
    const found = last.findings / (RUNS + 1); // the stage is reused: its summary counts every run
    console.log(
      `${label[mode]} threads=${last.threads}: ${median(xs).toFixed(1)} MB/s wall (runs ${xs.map((x) => x.toFixed(1)).join(', ')}); process CPU ${median(cpus).toFixed(2)} s = ${(bytes / 1e6 / median(cpus)).toFixed(1)} MB per CPU-second; findings per run ${found}; heap ${last.heapMB.toFixed(0)} MB`,
    );
  }
}
console.log(`speed-up with 2 threads (wall): stage ${(results['stage.2'] / results['stage.1']).toFixed(2)}x, end-to-end ${(results['e2e.2'] / results['e2e.1']).toFixed(2)}x`);
console.log(`end-to-end 1 thread vs the 8-regex floor measured in this run: ${(results['e2e.1'] / results['plain8.1']).toFixed(2)}x`);
for (const st of stages.values()) await st.close();
console.log(`calibration after: ideal 2-thread job at ${(100 * (await parallelEfficiency())).toFixed(0)}% parallel efficiency`);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
