// End-to-end `scrubline scrub` on a file (process start, read, decode, parse, scrub, serialise,
// write): the stage's own threads (workers=1, workers=2) and the line-parallel mode
// (--threads 1, --threads 2). Wall and CPU seconds from the OS; output checked identical.
// Usage: pnpm bench pii-cli [--mb 100] [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (n, d) => (process.argv.includes(`--${n}`) ? Number(process.argv[process.argv.indexOf(`--${n}`) + 1]) : d);
const MB = arg('mb', 100);
const RUNS = arg('runs', 3);
const base = join(here, 'data/pii-chat-20mb.jsonl');
if (!existsSync(base)) execFileSync(process.execPath, [join(here, 'pii.mjs'), '--mb', '20', '--runs', '1'], { stdio: 'ignore' });
const file = join(here, `data/pii-chat-${MB}mb-cli.jsonl`);
if (!existsSync(file)) {
  const one = readFileSync(base);
  const parts = [];
  for (let b = 0; b < MB * 1e6; b += one.length) parts.push(one);
  writeFileSync(file, Buffer.concat(parts));
}
const size = statSync(file).size / 1e6;
const bin = join(here, '../packages/cli/bin/scrubline.js');
console.log(`scrub CLI bench: ${size.toFixed(0)} MB (${file.replace(join(here, '..') + '/', '')}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, median of ${RUNS}`);
const modes = [
  ['stage workers=1', ['--set', 'workers=1']],
  ['stage workers=2', ['--set', 'workers=2']],
  ['line-parallel --threads 1', ['--threads', '1']],
  ['line-parallel --threads 2', ['--threads', '2']],
];
let ref = null;
const res = {};
for (const [name, extra] of modes) {
  const walls = [];
  const cpus = [];
  for (let i = 0; i < RUNS; i++) {
    const out = `/tmp/scrubline-pii-cli-${process.pid}.ndjson`;
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, bin, 'scrub', '--in', file, '--out', out, '--quiet', ...extra], { encoding: 'utf8' });
    const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    walls.push(wall);
    cpus.push(user + sys);
    const h = createHash('sha256').update(readFileSync(out)).digest('hex');
    if (ref === null) ref = h;
    else if (h !== ref) throw new Error(`${name}: output differs from the first mode`);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  res[name] = size / med(walls);
  console.log(`${name.padEnd(28)} ${(size / med(walls)).toFixed(1).padStart(6)} MB/s wall (${walls.join(', ')} s), ${med(cpus).toFixed(1)} CPU-s = ${(size / med(cpus)).toFixed(1)} MB per CPU-second`);
}
console.log(`line-parallel speed-up 2 vs 1 threads: ${(res['line-parallel --threads 2'] / res['line-parallel --threads 1']).toFixed(2)}x; vs stage workers=1: ${(res['line-parallel --threads 2'] / res['stage workers=1']).toFixed(2)}x; outputs identical`);
