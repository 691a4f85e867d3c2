// NER tier throughput (one core, the calling thread) and lexicon load time.
// Build first: npx tsc -b packages/ner.   Run: pnpm bench ner   (or node bench/ner.mjs)
// Corpus: the JDDC sample messages (../shared) when present, else the synthetic fixtures; repeated to ≥ 8 MB.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages/ner/dist/index.js');
if (!existsSync(dist)) {
  console.error('packages/ner/dist is missing: run `npx tsc -b packages/ner` first');
  process.exit(2);
}
const t0 = performance.now();
const { loadLexicons, createNerDetector, jiebaSegmenter } = await import(dist);
const tImport = performance.now() - t0;
const t1 = performance.now();
loadLexicons();
const tLex = performance.now() - t1;
const t2 = performance.now();
const seg = jiebaSegmenter();
const tSeg = performance.now() - t2;
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
console.log(`import ${tImport.toFixed(0)} ms; rules/ner lexicons ${tLex.toFixed(0)} ms; jieba dictionary ${tSeg.toFixed(0)} ms (${seg ? 'loaded' : 'NOT available'})`);

const jddc = join(root, '../shared/data/jddc-sample/chat_0.1per.txt');
let texts;
let source;
if (existsSync(jddc)) {
  texts = readFileSync(jddc, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[6] ?? '').filter(Boolean);
  source = 'JDDC sample messages';
} else {
  const dir = join(root, 'fixtures/ner');
  texts = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text));
  source = 'fixtures/ner (JDDC sample MISSING in ../shared)';
}
const oneBytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
const reps = Math.max(1, Math.ceil((8 * 1024 * 1024) / oneBytes));
for (const [label, opts] of [
  ['default (chat)', {}],
  ['segmenter: false', { segmenter: false }],
  ['fullSegmentation: true', { fullSegmentation: true }],
]) {
  const det = createNerDetector(opts);
  for (const t of texts.slice(0, 2000)) det.detect(t); // warm-up
  let spans = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) for (const t of texts) spans += det.detect(t).length;
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const mb = (oneBytes * reps) / 1e6;
  // Wall-clock MB/s is what a user sees; MB per CPU-second is the one-core rate when the machine is shared.
  console.log(
    `${label.padEnd(24)} ${source}: ${mb.toFixed(1)} MB UTF-8 in ${s.toFixed(2)} s wall = ${(mb / s).toFixed(2)} MB/s; ${cpuS.toFixed(2)} CPU-s = ${(mb / cpuS).toFixed(2)} MB/CPU-s (${spans} spans)`,
  );
}
