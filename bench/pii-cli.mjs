// End-to-end `scrubline scrub` on a file (process start, read, decode, parse, scrub, serialise,
// write): the stage's own threads (workers=1, workers=2) and the line-parallel mode
// (--threads 1, --threads 2). Wall and CPU seconds from the OS (/usr/bin/time); cores busy =
// CPU-seconds / wall; output checked identical across modes.
// Usage: pnpm bench pii-cli [--mb 100] [--runs 3] [--pin] [--modes line|stage|all] [--chunk-bytes N] [--steady] [--pair]
//   --pin   runs every mode twice: unpinned (any CPU) and pinned with taskset (one-thread modes on
//           CPU 0 alone, so V8's GC and I/O helper threads share that one core; two-thread modes on
//           CPUs 0,1), and prints both side by side. Runs alternate between modes (A B A B …) so a
//           change in machine load hits every mode alike.
//   --steady also runs every mode on the first ~1 MB of the file and prints the rate without the
//           fixed start-up cost (process start, CLI and worker start-up): (wall(N MB) - wall(1 MB)) / (N - 1).
//   --cpus A,B  the CPUs --pin and --pair use (default 0,1).
//   --pair   also runs two independent `--threads 1` processes at once, pinned to CPU 0 and CPU 1,
//           each on the whole file: what two cores give to two processes that share nothing.
// Wrap it in `flock /tmp/bench.lock` on a shared machine.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const MB = Number(opt('mb', 100));
const RUNS = Number(opt('runs', 3));
const PIN = argv.includes('--pin');
const STEADY = argv.includes('--steady');
const PAIR = argv.includes('--pair');
const which = opt('modes', 'all');
const CPUS = opt('cpus', '0,1').split(',');
const chunkBytes = opt('chunk-bytes', undefined);
const base = join(here, 'data/pii-chat-20mb.jsonl');
if (!existsSync(base)) execFileSync(process.execPath, [join(here, 'pii.mjs'), '--mb', '20', '--runs', '1'], { stdio: 'ignore' });
const file = join(here, `data/pii-chat-${MB}mb-cli.jsonl`);
if (!existsSync(file)) {
  const one = readFileSync(base);
  const parts = [];
  for (let b = 0; b < MB * 1e6; b += one.length) parts.push(one);
  writeFileSync(file, Buffer.concat(parts));
}
if (PIN && !existsSync('/usr/bin/taskset')) throw new Error('--pin needs taskset (util-linux)');
// wall, user and system seconds of a command: GNU time where it is installed, else bash's `time`
// (which also counts every child the command waits for)
const timed = existsSync('/usr/bin/time')
  ? (argv) => ['/usr/bin/time', ['-f', '%e %U %S', ...argv]]
  : (argv) => ['bash', ['-c', 'TIMEFORMAT="%R %U %S"; time "$@"', 'timed', ...argv]];
const size = statSync(file).size / 1e6;
const bin = join(here, '../packages/cli/bin/scrubline.js');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`scrub CLI bench: ${size.toFixed(0)} MB (${file.replace(join(here, '..') + '/', '')}), ${availableParallelism()} CPUs visible, median of ${RUNS}; load average before ${load()}`);
const all = [
  ['stage workers=1', 'stage', 1, ['--set', 'workers=1']],
  ['stage workers=2', 'stage', 2, ['--set', 'workers=2']],
  ['line-parallel --threads 1', 'line', 1, ['--threads', '1', ...(chunkBytes ? ['--chunk-bytes', chunkBytes] : [])]],
  ['line-parallel --threads 2', 'line', 2, ['--threads', '2', ...(chunkBytes ? ['--chunk-bytes', chunkBytes] : [])]],
];
const modes = all.filter((m) => which === 'all' || m[1] === which);
/** [label, cpus or null] per pinning variant. */
const variants = (threads) => (PIN ? [['unpinned', null], ['pinned', threads === 1 ? CPUS[0] : CPUS.join(',')]] : [['unpinned', null]]);

const out = `/tmp/scrubline-pii-cli-${process.pid}.ndjson`;
let ref = null;
const results = new Map(); // key → { walls, cpus, loads }
const key = (name, v) => `${name}|${v}`;
for (let i = 0; i < RUNS; i++) {
  for (const [name, , threads, extra] of modes) {
    for (const [v, cpus] of variants(threads)) {
      const [tbin, cmd] = timed([...(cpus ? ['taskset', '-c', cpus] : []), process.execPath, bin, 'scrub', '--in', file, '--out', out, '--quiet', ...extra]);
      const l0 = loadavg()[0];
      const r = spawnSync(tbin, cmd, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr.slice(-500)}`);
      const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
      const h = createHash('sha256').update(readFileSync(out)).digest('hex');
      if (ref === null) ref = h;
      else if (h !== ref) throw new Error(`${name} (${v}): output differs from the first run`);
      const e = results.get(key(name, v)) ?? { walls: [], cpus: [], loads: [], cpuList: cpus ?? `0-${availableParallelism() - 1}` };
      e.walls.push(wall);
      e.cpus.push(user + sys);
      e.loads.push(l0);
      results.set(key(name, v), e);
    }
  }
}
// the same modes on the first ~1 MB: the fixed start-up cost
const small = `/tmp/scrubline-pii-cli-${process.pid}-1mb.ndjson`;
if (STEADY) {
  const buf = readFileSync(file);
  writeFileSync(small, buf.subarray(0, buf.indexOf(10, 1e6) + 1));
}
const smallMB = STEADY ? statSync(small).size / 1e6 : 0;
const smallWalls = new Map();
for (let i = 0; STEADY && i < RUNS; i++) {
  for (const [name, , threads, extra] of modes) {
    for (const [v, cpus] of variants(threads)) {
      const [tbin, cmd] = timed([...(cpus ? ['taskset', '-c', cpus] : []), process.execPath, bin, 'scrub', '--in', small, '--out', out, '--quiet', ...extra]);
      const r = spawnSync(tbin, cmd, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${name} (1 MB): exit ${r.status}`);
      const wall = Number(r.stderr.trim().split('\n').pop().split(' ')[0]);
      smallWalls.set(key(name, v), [...(smallWalls.get(key(name, v)) ?? []), wall]);
    }
  }
}
// two processes that share nothing, one per CPU, at once
const pairRuns = [];
for (let i = 0; PAIR && i < RUNS; i++) {
  const one = (cpu) =>
    new Promise((res, rej) => {
      const p = spawn(...timed(['taskset', '-c', String(cpu), process.execPath, bin, 'scrub', '--in', file, '--out', `${out}.${cpu}`, '--quiet', '--threads', '1']));
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (code) => (code === 0 ? res(err.trim().split('\n').pop().split(' ').map(Number)) : rej(new Error(`pair: exit ${code}`))));
    });
  const t0 = performance.now();
  const [a, b] = await Promise.all([one(CPUS[0]), one(CPUS[1])]);
  pairRuns.push({ wall: (performance.now() - t0) / 1000, cpu: a[1] + a[2] + b[1] + b[2], load: loadavg()[0] });
  for (const c of CPUS) rmSync(`${out}.${c}`, { force: true });
}
rmSync(out, { force: true });
rmSync(small, { force: true });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = {};
for (const [name, , threads] of modes) {
  for (const [v] of variants(threads)) {
    const e = results.get(key(name, v));
    const w = med(e.walls);
    const c = med(e.cpus);
    mbps[key(name, v)] = size / w;
    const sw = smallWalls.get(key(name, v));
    const steady = sw ? `; without start-up (${med(sw).toFixed(2)} s on ${smallMB.toFixed(1)} MB) ${((size - smallMB) / (w - med(sw))).toFixed(1)} MB/s` : '';
    if (sw) mbps[`steady|${key(name, v)}`] = (size - smallMB) / (w - med(sw));
    console.log(
      `${name.padEnd(26)} ${v.padEnd(8)} CPUs ${e.cpuList.padEnd(4)} ${(size / w).toFixed(1).padStart(6)} MB/s wall (${e.walls.join(', ')} s), ` +
        `${c.toFixed(1)} CPU-s = ${(size / c).toFixed(1)} MB per CPU-second, ${(c / w).toFixed(2)} cores busy; 1-min load at start ${e.loads.map((x) => x.toFixed(1)).join(', ')}${steady}`,
    );
  }
}
for (const [v] of variants(1)) {
  const s = (a, b) => (mbps[key(a, v)] && mbps[key(b, v)] ? `${(mbps[key(a, v)] / mbps[key(b, v)]).toFixed(2)}x` : 'n/a');
  const pinNote = v === 'pinned' ? ` (1 thread on CPU ${CPUS[0]}, 2 threads on CPUs ${CPUS.join(',')})` : '';
  console.log(`speed-up 2 vs 1 thread, ${v}${pinNote}: line-parallel ${s('line-parallel --threads 2', 'line-parallel --threads 1')}, stage workers ${s('stage workers=2', 'stage workers=1')}`);
  if (STEADY) {
    const st = (a, b) => (mbps[`steady|${key(a, v)}`] && mbps[`steady|${key(b, v)}`] ? `${(mbps[`steady|${key(a, v)}`] / mbps[`steady|${key(b, v)}`]).toFixed(2)}x` : 'n/a');
    console.log(`  without start-up, ${v}: line-parallel ${st('line-parallel --threads 2', 'line-parallel --threads 1')}, stage workers ${st('stage workers=2', 'stage workers=1')}`);
  }
}
if (PAIR) {
  const w = med(pairRuns.map((r) => r.wall));
  const c = med(pairRuns.map((r) => r.cpu));
  const solo = mbps[key('line-parallel --threads 1', PIN ? 'pinned' : 'unpinned')];
  console.log(
    `two independent --threads 1 processes at once (CPU ${CPUS[0]} and CPU ${CPUS[1]}, ${size.toFixed(0)} MB each): ${((2 * size) / w).toFixed(1)} MB/s together (walls ${pairRuns.map((r) => r.wall.toFixed(2)).join(', ')} s), ` +
      `${c.toFixed(1)} CPU-s, ${(c / w).toFixed(2)} cores busy${solo ? `; ${((2 * size) / w / solo).toFixed(2)}x one process on one core` : ''}; 1-min load ${pairRuns.map((r) => r.load.toFixed(1)).join(', ')}`,
  );
}
console.log(`outputs identical across all runs; load average after ${load()}`);
