// Runs the CLI's main() in this process and prints wall time and peak RSS as JSON
// on the last line (used by bench/ingest.mjs so that RSS is the CLI's own).
import v8 from 'node:v8';
v8.setFlagsFromString('--enable-experimental-regexp_engine-on-excessive-backtracks');
const { main } = await import('../../packages/cli/dist/main.js');
const t0 = performance.now();
const code = await main(process.argv.slice(2));
const ms = performance.now() - t0;
const mu = process.memoryUsage();
process.stderr.write(JSON.stringify({ code, ms, maxRssMB: process.resourceUsage().maxRSS / 1024, endHeapTotalMB: Math.round(mu.heapTotal / 1e6), endExternalMB: Math.round(mu.external / 1e6), endArrayBuffersMB: Math.round(mu.arrayBuffers / 1e6) }) + "\n");
process.exitCode = code;
