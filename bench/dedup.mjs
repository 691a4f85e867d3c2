// Near-duplicate index throughput and memory on generated conversations.
// Build first: npx tsc -b packages/dedup ; run: node --expose-gc bench/dedup.mjs [records=200000] [numPerm=128] [bands=16] [shards=4]
import { createDedup } from '../packages/dedup/dist/index.js';
import { mulberry32 } from '../packages/core/dist/index.js';

const N = Number(process.argv[2] ?? 200_000);
const numPerm = Number(process.argv[3] ?? 128);
const bands = Number(process.argv[4] ?? 16);
const shards = Number(process.argv[5] ?? 4);
const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.log('(no --expose-gc: memory figures include garbage; run `node --expose-gc bench/dedup.mjs` for tighter ones)');
const mib = (b) => (b / 2 ** 20).toFixed(1);
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// Synthetic corpus: random CJK "words", 2 % near copies (one changed character), 1 % exact copies.
const r = mulberry32(7);
const cjk = () => String.fromCharCode(0x4e00 + Math.floor(r() * 6000));
const words = Array.from({ length: 8000 }, () => cjk() + cjk() + cjk() + cjk());
const turn = (n) => Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join('');
const records = [];
let plantedNear = 0;
let plantedExact = 0;
for (let i = 0; i < N; i++) {
  const roll = r();
  const turns = [];
  if (i > 100 && roll < 0.03) {
    const src = records[Math.floor(r() * records.length)];
    for (const t of src.turns) turns.push({ ...t });
    if (roll < 0.01) plantedExact++;
    else {
      const a = [...turns[0].text];
      a[Math.floor(r() * a.length)] = cjk();
      turns[0].text = a.join('');
      plantedNear++;
    }
  } else {
    for (let k = 0; k < 6; k++) turns.push({ role: k % 2 ? 'agent' : 'customer', text: turn(4 + Math.floor(r() * 8)) });
  }
  records.push({ id: `bench-${i}`, turns, labels: {}, source: { file: 'bench' }, meta: {} });
}
const chars = records.reduce((n, x) => n + x.turns.reduce((m, t) => m + t.text.length, 0), 0);
console.log(`${N} conversations, ${(chars / N).toFixed(0)} chars each on average; planted ${plantedExact} exact and ${plantedNear} near copies; numPerm ${numPerm}, bands ${bands}, ${shards} shards; node ${process.version}`);
const options = { exact: true, near: true, threshold: 0.8, numPerm, bands, shingle: 5, maxCandidates: 100 };

const base = mem();
const stages = Array.from({ length: shards }, (_, i) => createDedup(options, i));
const per = Math.ceil(N / shards);
let t0 = performance.now();
stages.forEach((s, i) => s.fit.observe(records.slice(i * per, (i + 1) * per)));
const observeMs = performance.now() - t0;
const afterObserve = mem();
t0 = performance.now();
const json = stages.map((s) => JSON.stringify(s.fit.state()));
const stateMs = performance.now() - t0;
const stateBytes = json.reduce((n, s) => n + Buffer.byteLength(s), 0);
const states = json.map((s) => JSON.parse(s));
json.length = 0;
const beforeLoad = mem();
t0 = performance.now();
stages[0].fit.load(states);
const loadMs = performance.now() - t0;
let dropped = 0;
const ctx = { stageId: 'dedup', seed: 'b', shard: { index: 0, count: shards }, report: { count() {}, sample() {} }, log: { info() {}, warn() {} }, drop: () => dropped++, quarantine() {} };
t0 = performance.now();
for (let at = 0; at < per; at += 256) stages[0].apply(records.slice(at, Math.min(at + 256, per)), ctx);
const applyMs = performance.now() - t0;
const s = stages[0].summary();
console.log(`observe (shingle + MinHash + band keys): ${(N / (observeMs / 1000)).toFixed(0)} records/s (${observeMs.toFixed(0)} ms); ${((chars / (observeMs / 1000)) / 1e6).toFixed(1)} M chars/s`);
console.log(`collectors' memory after observe: ${mib(afterObserve - base)} MiB (${((afterObserve - base) / N).toFixed(0)} B/record incl. id strings and growth slack)`);
console.log(`state JSON: ${mib(stateBytes)} MiB for all shards (${(stateBytes / N).toFixed(0)} B/record), serialised in ${stateMs.toFixed(0)} ms`);
console.log(`load (merge ${shards} shards, exact + LSH + verify + union-find): ${loadMs.toFixed(0)} ms = ${(N / (loadMs / 1000)).toFixed(0)} records/s; index ${mib(s.indexBytes)} MiB = ${s.bytesPerRecord} B/record (state arrays ${s.params.stateBytesPerRecord} B/record)`);
console.log(`process heap+arrayBuffers before load ${mib(beforeLoad)} MiB; rss ${mib(process.memoryUsage().rss)} MiB`);
console.log(`found: ${s.exactDuplicates} exact, ${s.nearDuplicates} near (planted ${plantedExact} / ${plantedNear}; an exact copy of a near copy counts as near, since the original is kept); candidates ${s.candidatePairs}, verified ${s.verifiedPairs}; LSH 50 % point J≈${s.params.lshThreshold}`);
console.log(`apply shard 0: ${(per / (applyMs / 1000)).toFixed(0)} records/s, dropped ${dropped}`);
