// Start-up of `run --threads` slice workers: from a worker's spawn until its stages are made and it
// starts reading (the manifest's timings.phases[0].startupMs, the slowest slice), over RUNS runs of
// `scrubline run --threads N` on a small input, for two pipelines: pii → bot-filter, and the demo's
// phase 0 (normalise → pii with rules and ner → bot-filter → dedup). Prints each run and the median.
// Usage: pnpm bench slice-startup [--runs 7] [--threads 2] [--mb 20] [--against DIR]   (input from `pnpm bench pii-run --mb 20`;
// wrap it in `flock /tmp/bench.lock` on a shared machine)
//   --against DIR   also runs another checkout's build (e.g. a `git worktree` of the commit before), alternating
//                   run by run with this one, so that the machine's drift hits both alike
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const RUNS = Number(opt('runs', 7));
const THREADS = opt('threads', '2');
const MB = Number(opt('mb', 20));
const dir = join(here, `data/run-${MB}mb-4files`);
if (!existsSync(join(dir, 'done'))) execFileSync(process.execPath, [join(here, 'pii-run.mjs'), '--mb', String(MB), '--files', '4', '--runs', '0'], { stdio: 'ignore' });
const out = existsSync('/dev/shm') ? '/dev/shm/scrubline-slice-startup' : join(here, 'data/slice-startup-out');
mkdirSync(out, { recursive: true });
const bins = [['this build', join(here, '../packages/cli/bin/scrubline.js')]];
if (argv.includes('--against')) bins.push([opt('against'), join(opt('against'), 'packages/cli/bin/scrubline.js')]);

const pipelines = {
  'pii → bot-filter': ['  - use: pii\n    with: { workers: 1 }\n', '  - use: bot-filter\n'],
  'normalise → pii (rules, ner) → bot-filter → dedup': ['  - use: normalise\n', '  - use: pii\n    with: { detectors: [rules, ner], workers: 1 }\n', '  - use: bot-filter\n', '  - use: dedup\n'],
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`slice start-up: ${MB} MB in 4 files, --threads ${THREADS}, ${RUNS} runs each; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [name, steps] of Object.entries(pipelines)) {
  const p = join(out, 'p.yaml');
  writeFileSync(p, `version: 1\nseed: 1\ninput:\n  files: ${dir}/part-*.ndjson\n  format: ndjson\nsteps:\n${steps.join('')}output:\n  path: ${out}/o/records.ndjson\n`);
  const startup = bins.map(() => []);
  const phase0 = bins.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (const [b, [, bin]] of bins.entries()) {
      rmSync(join(out, 'o'), { recursive: true, force: true });
      const res = spawnSync(process.execPath, [bin, 'run', p, '--quiet', '--threads', THREADS], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`${name}: exit ${res.status}\n${res.stderr}`);
      const ph = JSON.parse(readFileSync(join(out, 'o/manifest.json'), 'utf8')).timings.phases[0];
      if (ph.startupMs === undefined) throw new Error(`${name}: phase 0 did not run on slices`);
      startup[b].push(ph.startupMs);
      phase0[b].push(ph.ms);
    }
  }
  for (const [b, [label]] of bins.entries()) {
    console.log(`${name} [${label}]: start-up median ${median(startup[b])} ms (runs ${startup[b].join(', ')}); phase 0 median ${median(phase0[b])} ms`);
  }
}
console.log(`load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
