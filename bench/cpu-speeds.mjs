// Are this machine's CPUs equal? Runs the same one-thread `scrubline scrub --threads 1` pinned to each
// CPU in turn, then `--threads 2` on all of them, round by round, and prints each run's wall time.
// The sum of the per-CPU rates is what two threads could give at best right now; the two-thread rate
// as a share of it is the parallel efficiency, which does not depend on which CPU is the baseline.
// Usage: pnpm bench cpu-speeds [--rounds 3] [--mb 100] [--cpus 2,3]  (--cpus: which CPUs, default all; file from `pnpm bench pii-cli`; wrap in flock /tmp/bench.lock)
import { existsSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? Number(argv[argv.indexOf(`--${n}`) + 1]) : d);
const rounds = opt('rounds', 3);
const file = fileURLToPath(new URL(`data/pii-chat-${opt('mb', 100)}mb-cli.jsonl`, import.meta.url));
if (!existsSync(file)) {
  console.log(`${file} is missing: make it with pnpm bench pii-cli`);
  process.exit(0);
}
const bin = fileURLToPath(new URL('../packages/cli/bin/scrubline.js', import.meta.url));
const out = '/tmp/scrubline-cpu-speeds.ndjson';
const mb = statSync(file).size / 1e6;
const cpuIds = argv.includes('--cpus') ? argv[argv.indexOf('--cpus') + 1].split(',').map(Number) : [...Array(availableParallelism()).keys()];
const cpus = cpuIds.length;
const all = cpuIds.join(',');
const run = (cpuList, threads) => {
  const t0 = performance.now();
  const r = spawnSync('taskset', ['-c', cpuList, process.execPath, bin, 'scrub', '--in', file, '--out', out, '--threads', String(threads), '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
};
console.log(`${mb.toFixed(0)} MB, ${cpus} CPUs, load ${loadavg()[0].toFixed(2)}; whole CLI runs incl. process start`);
const rates = { two: [] };
for (const c of cpuIds) rates[c] = [];
for (let r = 0; r < rounds; r++) {
  const line = [];
  for (const c of cpuIds) {
    const s = run(String(c), 1);
    rates[c].push(mb / s);
    line.push(`CPU ${c} alone ${s.toFixed(2)} s`);
  }
  const s = run(all, 2);
  rates.two.push(mb / s);
  line.push(`--threads 2 on ${all} ${s.toFixed(2)} s`);
  console.log(`round ${r + 1}: ${line.join(', ')}`);
}
rmSync(out, { force: true });
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const per = cpuIds.map((c) => med(rates[c]));
const cap = per.reduce((a, b) => a + b, 0);
console.log(`median MB/s: ${per.map((v, i) => `CPU ${cpuIds[i]} ${v.toFixed(1)}`).join(', ')}; --threads 2 ${med(rates.two).toFixed(1)}`);
console.log(`speed-up over the fastest CPU alone ${(med(rates.two) / Math.max(...per)).toFixed(2)}×, over the slowest ${(med(rates.two) / Math.min(...per)).toFixed(2)}×; best possible over the fastest now ${(cap / Math.max(...per)).toFixed(2)}×; efficiency ${((100 * med(rates.two)) / cap).toFixed(0)} % of the CPUs' summed one-thread rates; load ${loadavg()[0].toFixed(2)}`);
