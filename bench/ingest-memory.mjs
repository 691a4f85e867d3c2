// RSS and V8 heap sampled every second during one ingest, to show whether memory grows with the input.
// Usage: pnpm bench ingest-memory bench/data/ingest-tsv.yaml   (configs written by `pnpm bench ingest … --keep`)
import v8 from 'node:v8';
import { rmSync } from 'node:fs';

const cfg = process.argv[2];
if (!cfg) {
  console.log('usage: pnpm bench ingest-memory <ingest config.yaml>  (e.g. bench/data/ingest-tsv.yaml after pnpm bench ingest 1000 --keep)');
  process.exit(0);
}
const { main } = await import('../packages/cli/dist/main.js');
const t0 = performance.now();
const mb = (n) => (n / 1e6).toFixed(0);
const rows = [];
const iv = setInterval(() => {
  const m = process.memoryUsage();
  rows.push(`${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  rss ${mb(m.rss).padStart(4)} MB  heap ${mb(m.heapTotal).padStart(4)} MB (used ${mb(m.heapUsed).padStart(3)})  array buffers ${mb(m.arrayBuffers).padStart(3)} MB`);
}, 1000);
const out = '/tmp/scrubline-ingest-memory.ndjson';
const code = await main(['ingest', cfg, '--out', out, '--quiet']);
clearInterval(iv);
rmSync(out, { force: true });
for (const r of rows) console.log(r);
console.log(`exit ${code}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${((performance.now() - t0) / 1000).toFixed(1)} s; heap spaces at the end: ${v8.getHeapSpaceStatistics().filter((s) => s.space_size > 1e6).map((s) => `${s.space_name} ${mb(s.space_size)} MB`).join(', ')}`);
