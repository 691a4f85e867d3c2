// Are this machine's CPUs equal? Runs the same one-thread `scrubline scrub --threads 1` pinned to each
// CPU in turn, then `--threads 2` on all of them, round by round, and prints each run's wall time.
// The sum of the per-CPU rates is what two threads could give at best right now; the two-thread rate
// as a share of it is the parallel efficiency, which does not depend on which CPU is the baseline.
// --marginal M also runs every case on an M MB file (the 100 MB one repeated) and prints the marginal
// rate (M - 100) / (t(M) - t(100)): the steady rate without fixed costs (process start, module loading,
// each worker's JIT warm-up), which a longer input approaches.
// Usage: pnpm bench cpu-speeds [--rounds 3] [--mb 100] [--cpus 2,3] [--marginal 300]  (--cpus: which CPUs, default all; file from `pnpm bench pii-cli`; wrap in flock /tmp/bench.lock)
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
// output on a RAM disk where there is one: a slow disk's write-back would throttle the larger runs
const out = existsSync('/dev/shm') ? '/dev/shm/scrubline-cpu-speeds.ndjson' : '/tmp/scrubline-cpu-speeds.ndjson';
const mb = statSync(file).size / 1e6;
const marginal = opt('marginal', 0);
const bigFile = fileURLToPath(new URL(`data/pii-chat-${marginal}mb-cli.jsonl`, import.meta.url));
if (marginal && !existsSync(bigFile)) {
  const one = readFileSync(file);
  writeFileSync(bigFile, Buffer.concat(Array(Math.max(2, Math.round(marginal / mb))).fill(one)));
}
const bigMb = marginal ? statSync(bigFile).size / 1e6 : 0;
const cpuIds = argv.includes('--cpus') ? argv[argv.indexOf('--cpus') + 1].split(',').map(Number) : [...Array(availableParallelism()).keys()];
const cpus = cpuIds.length;
const all = cpuIds.join(',');
const run = (cpuList, threads, input = file) => {
  const t0 = performance.now();
  const r = spawnSync('taskset', ['-c', cpuList, process.execPath, bin, 'scrub', '--in', input, '--out', out, '--threads', String(threads), '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
};
console.log(`${mb.toFixed(0)} MB, ${cpus} CPUs, load ${loadavg()[0].toFixed(2)}; whole CLI runs incl. process start`);
const rates = { two: [] };
const steady = { two: [] };
for (const c of cpuIds) rates[c] = [];
for (const c of cpuIds) steady[c] = [];
/** One case: the whole-run rate, and with --marginal the rate between the two sizes. */
const measure = (cpuList, threads, key, line, label) => {
  const s = run(cpuList, threads);
  rates[key].push(mb / s);
  if (!marginal) return line.push(`${label} ${s.toFixed(2)} s`);
  const sBig = run(cpuList, threads, bigFile);
  steady[key].push((bigMb - mb) / (sBig - s));
  line.push(`${label} ${s.toFixed(2)} s / ${sBig.toFixed(2)} s`);
};
for (let r = 0; r < rounds; r++) {
  const line = [];
  for (const c of cpuIds) measure(String(c), 1, c, line, `CPU ${c} alone`);
  measure(all, 2, 'two', line, `--threads 2 on ${all}`);
  console.log(`round ${r + 1}${marginal ? ` (${mb.toFixed(0)} MB / ${bigMb.toFixed(0)} MB)` : ''}: ${line.join(', ')}`);
}
rmSync(out, { force: true });
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const summary = (rs, what) => {
  const per = cpuIds.map((c) => med(rs[c]));
  const cap = per.reduce((a, b) => a + b, 0);
  console.log(`${what}: median MB/s ${per.map((v, i) => `CPU ${cpuIds[i]} ${v.toFixed(1)}`).join(', ')}; --threads 2 ${med(rs.two).toFixed(1)}`);
  console.log(`  speed-up over the fastest CPU alone ${(med(rs.two) / Math.max(...per)).toFixed(2)}×, over the slowest ${(med(rs.two) / Math.min(...per)).toFixed(2)}×; best possible over the fastest now ${(cap / Math.max(...per)).toFixed(2)}×; efficiency ${((100 * med(rs.two)) / cap).toFixed(0)} % of the CPUs' summed one-thread rates`);
};
summary(rates, `whole runs of ${mb.toFixed(0)} MB`);
if (marginal) summary(steady, `marginal (${mb.toFixed(0)} → ${bigMb.toFixed(0)} MB)`);
console.log(`load ${loadavg()[0].toFixed(2)}`);
