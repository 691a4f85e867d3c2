// The pipeline's `pii` step on one and on two threads, end to end with `scrubline run` (process
// start, read, parse, the steps, spill, output). A pipeline of `pii` and one global step
// (bot-filter by default) over canonical NDJSON cut into files; phase 0 (read → pii → the global
// step's fit pass → spill) is where the pii step runs, and the manifest gives its wall time.
// Modes, alternating round by round (A B C A B C …) so a change in machine load hits all alike:
//   one thread      --threads 1, pii workers: 1, pinned to one CPU (each of --cpus in turn with --pin)
//   step's pool     --threads 1, pii workers: 2 (this thread + one worker on each batch)
//   slices          --threads 2: two worker threads, each reading and scrubbing its own files
//   pair (--pair)   two independent one-thread processes at once, pinned to the two CPUs, each on
//                   half the files: what the two cores give two processes that share nothing
//   against (--against DIR)  slices with the build of another checkout (e.g. a `git worktree` of an
//                   earlier commit, built), alternating with this one's
// Output files are checked identical across modes.
// Usage: pnpm bench pii-run [--mb 100] [--files 4] [--runs 3] [--pin] [--cpus 0,1] [--steps pii,bot-filter] [--pair] [--against DIR [--ab]]
// Wrap it in `flock /tmp/bench.lock` on a shared machine.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const MB = Number(opt('mb', 100));
const FILES = Number(opt('files', 4));
const RUNS = Number(opt('runs', 3));
const PIN = argv.includes('--pin');
const CPUS = opt('cpus', '0,1').split(',');
const STEPS = opt('steps', 'pii,bot-filter').split(',');
const PAIR = argv.includes('--pair');
const AGAINST = opt('against', null);
// --ab: only the slices of this build and of --against, alternating (a quicker A/B of two builds)
const AB = argv.includes('--ab');
if (AB && !AGAINST) throw new Error('--ab needs --against DIR');
if (PAIR && FILES < 2) throw new Error('--pair needs --files 2 or more (each process takes half of the files)');
if (PIN && !existsSync('/usr/bin/taskset')) throw new Error('--pin needs taskset (util-linux)');

// input: the pii benchmark's synthetic chat, repeated to MB and cut into FILES files at line ends
const base = join(here, 'data/pii-chat-20mb.jsonl');
if (!existsSync(base)) execFileSync(process.execPath, [join(here, 'pii.mjs'), '--mb', '20', '--runs', '1'], { stdio: 'ignore' });
const dir = join(here, `data/run-${MB}mb-${FILES}files`);
if (!existsSync(join(dir, 'done'))) {
  mkdirSync(dir, { recursive: true });
  const one = readFileSync(base);
  const lines = one.toString('utf8').split('\n').filter(Boolean);
  const target = MB * 1e6;
  let fi = 0;
  let fd = openSync(join(dir, `part-${fi}.ndjson`), 'w');
  let written = 0;
  let copy = 0;
  outer: for (;;) {
    for (const l of lines) {
      // ids stay unique across repeats, so nothing is a duplicate of anything by id
      const line = (copy ? l.replace(/^\{"id":"/, `{"id":"r${copy}-`) : l) + '\n';
      writeSync(fd, line);
      written += Buffer.byteLength(line);
      if (written >= target) break outer;
      if (written >= ((fi + 1) * target) / FILES) {
        closeSync(fd);
        fd = openSync(join(dir, `part-${++fi}.ndjson`), 'w');
      }
    }
    copy++;
  }
  closeSync(fd);
  writeFileSync(join(dir, 'done'), '');
}
let bytes = 0;
for (let i = 0; i < FILES; i++) if (existsSync(join(dir, `part-${i}.ndjson`))) bytes += statSync(join(dir, `part-${i}.ndjson`)).size;
const size = bytes / 1e6;
// --runs 0: only make the input (slice-startup uses it so)
if (RUNS === 0) process.exit(0);

const out = existsSync('/dev/shm') ? '/dev/shm/scrubline-pii-run' : join(here, 'data/pii-run-out');
const bin = join(here, '../packages/cli/bin/scrubline.js');
const pipeline = (workers) => {
  const p = join(out, `p-${workers}.yaml`);
  mkdirSync(out, { recursive: true });
  const steps = STEPS.map((s) => (s === 'pii' ? `  - use: pii\n    with: { workers: ${workers} }\n` : `  - use: ${s}\n`)).join('');
  writeFileSync(p, `version: 1\nseed: 1\ninput:\n  files: ${dir}/part-*.ndjson\n  format: ndjson\nsteps:\n${steps}output:\n  path: ${out}/o-${workers}/records.ndjson\n`);
  return p;
};

// the pair: the first and the second half of the files, each in its own pipeline file
const half = (k) => {
  const p = join(out, `pair-${k}.yaml`);
  mkdirSync(join(out, `pair-${k}`), { recursive: true });
  const files = [...Array(FILES).keys()].filter((i) => (k === 0 ? i < FILES / 2 : i >= FILES / 2)).map((i) => join(dir, `part-${i}.ndjson`));
  const steps = STEPS.map((s) => (s === 'pii' ? `  - use: pii\n    with: { workers: 1 }\n` : `  - use: ${s}\n`)).join('');
  writeFileSync(p, `version: 1\nseed: 1\ninput:\n  files: [${files.map((f) => JSON.stringify(f)).join(', ')}]\n  format: ndjson\nsteps:\n${steps}output:\n  path: ${out}/pair-${k}/records.ndjson\n`);
  return p;
};
const pairFiles = PAIR ? [half(0), half(1)] : [];
const modes = [
  ...(AB ? [] : PIN ? CPUS.map((c) => [`one thread (CPU ${c})`, ['taskset', '-c', c], pipeline(1), '1']) : [['one thread', [], pipeline(1), '1']]),
  ...(AB ? [] : [["step's pool (workers 2)", PIN ? ['taskset', '-c', CPUS.join(',')] : [], pipeline(2), '1']]),
  ['slices (--threads 2)', PIN ? ['taskset', '-c', CPUS.join(',')] : [], pipeline(1), '2'],
  ...(AGAINST ? [[`slices, ${AGAINST.split('/').filter(Boolean).pop()}`, PIN ? ['taskset', '-c', CPUS.join(',')] : [], pipeline(1), '2', join(AGAINST, 'packages/cli/bin/scrubline.js')]] : []),
  ...(PAIR && !AB ? [['pair of processes', null, null, 'pair']] : []),
];
/** Runs a command to its end: its exit code. */
const runAsync = (cmd) =>
  new Promise((res) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (c) => res(c ?? 1));
  });
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`pii-run bench: ${size.toFixed(0)} MB in ${FILES} files, steps ${STEPS.join(' → ')}, ${availableParallelism()} CPUs visible, median of ${RUNS}; load average before ${load()}`);

const results = modes.map(() => ({ phase0: [], total: [], warm: [], hash: null }));
for (let r = 0; r < RUNS; r++) {
  for (const [i, [label, prefix, p, threads, otherBin]] of modes.entries()) {
    if (threads === 'pair') {
      // both halves at once; phase 0 of the pair = the later of the two, the whole run likewise
      const t0 = process.hrtime.bigint();
      const codes = await Promise.all(pairFiles.map((f, k) => runAsync(['taskset', '-c', CPUS[k], process.execPath, bin, 'run', f, '--quiet', '--threads', '1'])));
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (codes.some((c) => c !== 0)) throw new Error(`pair: exit codes ${codes}`);
      const ms = Math.max(...[0, 1].map((k) => JSON.parse(readFileSync(join(out, `pair-${k}/manifest.json`), 'utf8')).timings.phases[0].ms));
      results[i].phase0.push(ms);
      results[i].warm.push(ms);
      results[i].total.push(wall);
      console.log(`  round ${r + 1} ${label.padEnd(26)} phase 0 ${(ms / 1000).toFixed(2)} s = ${(size / (ms / 1000)).toFixed(1)} MB/s; whole run ${(wall / 1000).toFixed(2)} s`);
      continue;
    }
    const workers = p.endsWith('p-2.yaml') ? 2 : 1;
    rmSync(join(out, `o-${workers}`), { recursive: true, force: true });
    const cmd = [...prefix, process.execPath, otherBin ?? bin, 'run', p, '--quiet', '--threads', threads];
    const t0 = process.hrtime.bigint();
    const res = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${label}: exit ${res.status}\n${res.stderr}`);
    const manifest = JSON.parse(readFileSync(join(out, `o-${workers}/manifest.json`), 'utf8'));
    const ph = manifest.timings.phases.find((x) => x.phase === 0);
    // units of input (up to 8 per thread since the pool; one per thread before), on 2 threads
    if (threads === '2' && (ph.slices < 2 || (ph.threads ?? ph.slices) !== 2)) throw new Error(`slices mode ran phase 0 on ${ph.slices} unit(s), ${ph.threads ?? ph.slices} thread(s)`);
    const hash = createHash('sha256').update(readFileSync(join(out, `o-${workers}/records.ndjson`))).digest('hex');
    const m = results[i];
    if (m.hash && m.hash !== hash) throw new Error(`${label}: output differs between runs`);
    m.hash = hash;
    m.phase0.push(ph.ms);
    m.total.push(wall);
    // slices: phase 0 counts from the workers' start; without the slowest thread's start-up (modules,
    // stages) it compares with the other modes, whose stages were made before phase 0 (since the
    // pool, this thread works while the worker starts: the wall time is then the number to read)
    m.warm.push(ph.ms - (ph.startupMs ?? 0));
    const warm = ph.startupMs !== undefined ? ` (${((ph.ms - ph.startupMs) / 1000).toFixed(2)} s after ${(ph.startupMs / 1000).toFixed(2)} s start-up)` : '';
    console.log(`  round ${r + 1} ${label.padEnd(26)} phase 0 ${(ph.ms / 1000).toFixed(2)} s${warm} = ${(size / (ph.ms / 1000)).toFixed(1)} MB/s; whole run ${(wall / 1000).toFixed(2)} s`);
  }
}
const hashes = new Set(results.filter((m) => m.hash).map((m) => m.hash));
if (hashes.size !== 1) throw new Error('the modes wrote different output');
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rate = (ms) => size / (ms / 1000);
if (AB) {
  const [a, b] = results.map((m) => m.phase0);
  const per = a.map((ms, r) => b[r] / ms);
  console.log(`\nphase 0 medians: this build ${(med(a) / 1000).toFixed(2)} s (${rate(med(a)).toFixed(1)} MB/s), ${modes[1][0]} ${(med(b) / 1000).toFixed(2)} s; best: ${(Math.min(...a) / 1000).toFixed(2)} s vs ${(Math.min(...b) / 1000).toFixed(2)} s`);
  console.log(`per round, ${modes[1][0]} / this build: ${per.map((x) => x.toFixed(3)).join(', ')}; median ${med(per).toFixed(3)}`);
  process.exit(0);
}
const ones = modes.map((m, i) => (m[3] === '1' && m[2]?.endsWith('p-1.yaml') ? rate(med(results[i].phase0)) : null)).filter((x) => x !== null);
const best = Math.max(...ones);
const sum = PIN ? ones.reduce((a, b) => a + b, 0) : 2 * best;
console.log(`\nphase 0 (read, ${STEPS.join(', ')} fit, spill), medians; output identical in every mode:`);
modes.forEach(([label], i) => {
  const p0 = rate(med(results[i].phase0));
  const whole = rate(med(results[i].total));
  const warm = rate(med(results[i].warm));
  const after = warm !== p0 ? `; after start-up ${warm.toFixed(1)} MB/s, ${(warm / best).toFixed(2)}×` : '';
  console.log(`  ${label.padEnd(26)} ${p0.toFixed(1).padStart(6)} MB/s  ${(p0 / best).toFixed(2)}× the faster one thread, ${((100 * p0) / sum).toFixed(0)} % of ${PIN ? 'the summed one-thread rates' : 'twice one thread'}${after}; whole run ${whole.toFixed(1)} MB/s (${(whole / rate(med(results[0].total))).toFixed(2)}×)`);
});
console.log(`load average after ${load()}`);

// The host's speed can move between rounds: the same mode's medians then come from different rounds.
// Ratios within a round (runs minutes apart) are the steadier measure: each mode against the faster
// one-thread run of its own round, and against the pair of processes of its own round.
const oneIdx = modes.map((m, i) => (m[3] === '1' && m[2]?.endsWith('p-1.yaml') ? i : -1)).filter((i) => i >= 0);
const pairIdx = modes.findIndex((m) => m[3] === 'pair');
const lowMed = (a) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
console.log('\nper round (phase 0 wall; x = the faster one-thread run of the same round / this mode):');
modes.forEach(([label], i) => {
  if (oneIdx.includes(i)) return;
  const per = [];
  for (let r = 0; r < RUNS; r++) {
    const one = Math.min(...oneIdx.map((j) => results[j].phase0[r]));
    const x = one / results[i].phase0[r];
    const xw = one / results[i].warm[r];
    const ofPair = pairIdx >= 0 && pairIdx !== i ? ` = ${((100 * results[pairIdx].phase0[r]) / results[i].warm[r]).toFixed(0)} % of the pair` : '';
    per.push({ x, xw, text: `${x.toFixed(2)}×${xw !== x ? ` (${xw.toFixed(2)}× after start-up${ofPair})` : ofPair}` });
  }
  console.log(`  ${label.padEnd(26)} ${per.map((p) => p.text).join('; ')}; lower median ${lowMed(per.map((p) => p.x)).toFixed(2)}×${per[0].xw !== per[0].x ? `, after start-up ${lowMed(per.map((p) => p.xw)).toFixed(2)}×` : ''}`);
});
