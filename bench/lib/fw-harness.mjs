// N filter workers in one process, each scrubbing the first MB megabytes of the file in full (not a share), to
// see whether workers of one process slow each other: compare per-worker CPU for N=1 and N=2, and two
// N=1 processes at once. Usage: node bench/lib/thread-cpu.mjs node bench/lib/fw-harness.mjs FILE N [MB=50]
import { readFileSync } from 'node:fs';
import { startFilterWorker, workerScript } from '../../packages/pii/dist/early-workers.js';
import { loadRulePacks } from '../../packages/pii/dist/rules.js';
import { piiStage } from '../../packages/pii/dist/index.js';
import { assertOptions } from '../../packages/core/dist/index.js';
const options = {};
assertOptions(piiStage.optionsSchema, options, 'options');
const [file, nArg, mbArg] = process.argv.slice(2);
const n = Number(nArg ?? 1);
const all = readFileSync(file);
// whole lines only
const buf = all.subarray(0, all.lastIndexOf(10, Math.min(all.length, Number(mbArg ?? 50) * 1e6)) + 1);
const chunks = [];
for (let s = 0; s < buf.length; ) {
  let e = buf.indexOf(10, Math.min(buf.length - 1, s + (1 << 20)));
  if (e < 0) e = buf.length - 1;
  chunks.push(buf.subarray(s, e + 1));
  s = e + 1;
}
const rulesDir = new URL('../../rules', import.meta.url).pathname;
const packs = loadRulePacks(rulesDir);
const t0 = performance.now();
await Promise.all(Array.from({ length: n }, async () => {
  const w = startFilterWorker(workerScript('filter-worker'));
  w.postMessage({ config: { options, seed: '0', rulesDir, baseDir: process.cwd(), file: 'x', imports: [], packs } });
  await new Promise((r) => w.on('message', (m) => m.ready && r()));
  let next = 0;
  let done = 0;
  await new Promise((resolve) => {
    const send = () => {
      const c = chunks[next];
      const copy = new Uint8Array(c.length);
      copy.set(c);
      w.postMessage({ seq: next++, bytes: copy, firstLine: 1 }, [copy.buffer]);
    };
    w.on('message', (m) => {
      if (m.seq === undefined) return;
      if (m.error) throw new Error(m.error);
      done++;
      if (next < chunks.length) send();
      else if (done === chunks.length) resolve();
    });
    send();
    send();
  });
  await w.terminate();
}));
console.log(`n=${n}: ${(performance.now() - t0).toFixed(0)} ms wall`);
