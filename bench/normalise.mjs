// Throughput of the `normalise` stage on one core.
//   npx tsc -b packages/normalise && node bench/normalise.mjs     (or: pnpm bench normalise)
// Data: the STC-3 DCH dialogues (../shared/data/stc3-dch/train_data_cn.json.gz) as canonical
// records, repeated to ~9 MB of text; when that file is missing, a generated corpus (said so below).
// MB/s = UTF-8 megabytes of turn text per second of `apply` (records already parsed; no I/O), the
// median of ROUNDS rounds. The main number divides by this process's CPU time (user + system), which
// stays meaningful on a machine shared with other jobs; the wall-clock figure is printed beside it
// and is only comparable on an idle machine.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { StageReport } from '../packages/core/dist/index.js';
import { loadChineseConverter, normaliseStage } from '../packages/normalise/dist/index.js';

const DATA = new URL('../../shared/data/stc3-dch/train_data_cn.json.gz', import.meta.url);
const REPEAT = Number(process.env.REPEAT ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 2);
const rulesDir = new URL('../rules/', import.meta.url).pathname;

function stc3() {
  const dialogues = JSON.parse(gunzipSync(readFileSync(DATA)).toString('utf8'));
  return dialogues.map((d, i) => ({
    id: `stc3-${i}`,
    turns: d.turns.map((t) => ({ role: t.sender === 'customer' ? 'customer' : 'agent', text: t.utterances.join(' ') })),
    labels: {},
    source: { file: 'stc3' },
    meta: {},
  }));
}

function generated() {
  // Deterministic synthetic chat text with the features the stage handles.
  const parts = ['您好', '请问', '订单', '什么时候', '发货', '谢谢', '[呵呵]', '😤', '　', 'ＶＩＰ', '還沒收到', '網路', 'please check', '[订单x]', '，', '！', ' '];
  const out = [];
  let x = 7;
  for (let i = 0; i < 3000; i++) {
    const turns = [];
    for (let j = 0; j < 6; j++) {
      let s = '';
      for (let k = 0; k < 30; k++) {
        x = (x * 1103515245 + 12345) >>> 0;
        s += parts[x % parts.length];
      }
      turns.push({ role: j % 2 ? 'agent' : 'customer', text: j === 5 && i % 10 === 0 ? '' : s });
    }
    out.push({ id: `gen-${i}`, turns, labels: {}, source: { file: 'gen' }, meta: {} });
  }
  return out;
}

const base = existsSync(DATA) ? stc3() : generated();
console.log(existsSync(DATA) ? 'data: STC-3 DCH (real)' : 'data: ../shared/data/stc3-dch is MISSING — using a GENERATED corpus');
const records = [];
for (let r = 0; r < REPEAT; r++) for (const rec of base) records.push({ ...rec, id: `${rec.id}-${r}` });
const textBytes = records.reduce((a, r) => a + r.turns.reduce((b, t) => b + Buffer.byteLength(t.text), 0), 0);
const ndjsonBytes = records.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)) + 1, 0);

// Worst case: every conversation in traditional script (opencc-js s2t of the same corpus).
const s2t = await loadChineseConverter('s2t', 't');
const traditional = records.map((r) => ({ ...r, turns: r.turns.map((t) => ({ ...t, text: s2t.convert(t.text) })) }));

const env = { stageId: 'normalise', seed: 's', shard: { index: 0, count: 1 }, baseDir: process.cwd(), rulesDir, log: { info() {}, warn() {} } };
const batches = (list) => {
  const out = [];
  for (let i = 0; i < list.length; i += 256) out.push(list.slice(i, i + 256));
  return out;
};

// Configurations are measured in turns (round 1 of each, round 2 of each, …) so that the load from
// other jobs on a shared machine spreads over all of them alike.
const configs = [
  ['defaults (t2s/t, width, spaces, keep emoticons)', {}, records],
  ['map emoticons + emoji, samples: 5', { emoticons: 'map', emoji: 'map', samples: 5 }, records],
  ['chinese: off', { chinese: 'off' }, records],
  ['chineseVariant: twp', { chineseVariant: 'twp' }, records],
  ['worst case: all text traditional (defaults)', {}, traditional],
];
const runs = [];
for (const [label, options, list] of configs) {
  runs.push({ label, stage: await normaliseStage.create({ ...options }, env), bs: batches(list), wall: [], cpu: [], counters: null });
}
for (let round = -WARMUP; round < ROUNDS; round++) {
  for (const r of runs) {
    const report = new StageReport();
    const ctx = { ...env, report, drop() {}, quarantine() {} };
    const c0 = process.cpuUsage();
    const t = performance.now();
    for (const b of r.bs) r.stage.apply(b.slice(), ctx);
    const wall = (performance.now() - t) / 1000;
    const c = process.cpuUsage(c0);
    if (round < 0) continue; // warm-up: lets V8 finish optimising before the clock counts
    r.wall.push(wall);
    r.cpu.push((c.user + c.system) / 1e6);
    r.counters = report.counters;
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbs = (sec, bytes = textBytes) => (bytes / 1e6 / sec).toFixed(1);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores; ${records.length} conversations, ${(textBytes / 1e6).toFixed(2)} MB of turn text (${(ndjsonBytes / 1e6).toFixed(2)} MB as NDJSON), median of ${ROUNDS} rounds after ${WARMUP} warm-up, node ${process.version}`);
for (const r of runs) {
  console.log(
    `${r.label.padEnd(44)} ${mbs(median(r.cpu)).padStart(6)} MB/s per CPU-second (${mbs(median(r.cpu), ndjsonBytes)} NDJSON-equivalent);` +
      ` wall clock ${mbs(median(r.wall))} MB/s`,
  );
}
console.log('defaults, counters of one round:', JSON.stringify(runs[0].counters));
