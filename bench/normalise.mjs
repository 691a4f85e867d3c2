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

async function measure(label, options, list) {
  const stage = await normaliseStage.create({ ...options }, env);
  const bs = batches(list);
  const wall = [];
  const cpu = [];
  let counters;
  for (let round = -WARMUP; round < ROUNDS; round++) {
    const report = new StageReport();
    const ctx = { ...env, report, drop() {}, quarantine() {} };
    const c0 = process.cpuUsage();
    const t = performance.now();
    for (const b of bs) stage.apply(b.slice(), ctx);
    const c = process.cpuUsage(c0);
    if (round < 0) continue; // warm-up: lets V8 finish optimising before the clock counts
    wall.push((performance.now() - t) / 1000);
    cpu.push((c.user + c.system) / 1e6);
    counters = report.counters;
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mbs = (sec, bytes = textBytes) => (bytes / 1e6 / sec).toFixed(1);
  console.log(
    `${label.padEnd(44)} ${mbs(median(cpu)).padStart(6)} MB/s per CPU-second (${mbs(median(cpu), ndjsonBytes)} NDJSON-equivalent);` +
      ` wall clock ${mbs(median(wall))} MB/s`,
  );
  return counters;
}

console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
console.log(`${records.length} conversations, ${(textBytes / 1e6).toFixed(2)} MB of turn text (${(ndjsonBytes / 1e6).toFixed(2)} MB as NDJSON), ${ROUNDS} rounds, node ${process.version}`);
const c = await measure('defaults (t2s/t, width, spaces, keep emoticons)', {}, records);
await measure('map emoticons + emoji, samples: 5', { emoticons: 'map', emoji: 'map', samples: 5 }, records);
await measure('chinese: off', { chinese: 'off' }, records);
await measure('chineseVariant: twp', { chineseVariant: 'twp' }, records);
await measure('worst case: all text traditional (defaults)', {}, traditional);
console.log('defaults, counters of the last round:', JSON.stringify(c));
