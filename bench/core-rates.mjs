// How fast is each CPU right now? Virtual CPUs of one machine can differ by 1.5× and drift (host
// load, shared physical cores), which decides any "one core vs two" comparison. Runs the same
// short single-threaded job (regex scans and JSON, like the pii stage) pinned to each CPU, round by
// round, and prints the median time per CPU and the two fastest CPUs on different physical cores (for
// `--cpus` of the other benches).
// Usage: pnpm bench core-rates [--cpus 0-15 | 2,3,5] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const list = (s) => s.split(',').flatMap((p) => (p.includes('-') ? ((a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i))(...p.split('-').map(Number)) : [Number(p)]));
const cpus = list(opt('cpus', `0-${availableParallelism() - 1}`));
const rounds = Number(opt('rounds', 3));
const job = `
const re = /1[3-9]\\d{9}|[\\w.]+@[\\w.]+/g;
const text = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ t: '您好，我的手机是1380013' + String(i).padStart(4, '0') + '，邮箱a' + i + '@x.cn' })));
const t0 = performance.now();
let n = 0;
for (let k = 0; k < 600; k++) { for (const r of JSON.parse(text)) n += (r.t.match(re) || []).length; }
process.stdout.write(String(performance.now() - t0) + ' ' + n);`;
const times = new Map(cpus.map((c) => [c, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of cpus) {
    const p = spawnSync('taskset', ['-c', String(c), process.execPath, '-e', job], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`CPU ${c}: ${p.stderr}`);
    times.get(c).push(Number(p.stdout.split(' ')[0]));
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows = cpus.map((c) => [c, med(times.get(c))]);
console.log(rows.map(([c, ms]) => `CPU ${c} ${ms.toFixed(0)} ms`).join(', '));
const sorted = [...rows].sort((a, b) => a[1] - b[1]);
// two hardware threads of one physical core share its execution units: a pair of them cannot show what
// two cores give, so the pair picked is the fastest two CPUs on different cores (Linux topology files)
const siblings = (c) => {
  try {
    return list(readFileSync(`/sys/devices/system/cpu/cpu${c}/topology/thread_siblings_list`, 'utf8').trim());
  } catch {
    return [c];
  }
};
const shared = cpus.filter((c) => siblings(c).length > 1).map((c) => `${c}:${siblings(c).join('+')}`);
console.log(shared.length ? `CPUs sharing a core: ${shared.join(' ')}` : 'no two of these CPUs share a core (per /sys topology)');
const first = sorted[0][0];
const apart = sorted.slice(1).find(([c]) => !siblings(first).includes(c))?.[0];
const second = apart ?? sorted[1]?.[0];
if (second === undefined) console.log(`one CPU given (${first}): no pair`);
else {
  if (apart === undefined) console.log('every other CPU given shares a core with the fastest: the pair below does');
  console.log(`slowest/fastest ${(sorted.at(-1)[1] / sorted[0][1]).toFixed(2)}×; fastest two: ${first},${second}`);
}
