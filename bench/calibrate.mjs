// How much two threads can give on this machine right now: the same job twice, one after the
// other on one thread and then on two worker threads, for a pure compute loop and for an
// allocation-heavy job (JSON parse + stringify of chat-like records: the garbage collector works
// too, as in the scrub). Prints wall, process CPU-seconds and cores busy for each, and the load.
// Usage: pnpm bench calibrate [--pin]   (--pin: re-runs itself under taskset -c 0,1)
// Wrap it in `flock /tmp/bench.lock` on a shared machine.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const compute = () => {
  let x = 0;
  for (let i = 0; i < 3e8; i++) x = (x + i * 7) % 1000003;
  return x;
};
const alloc = () => {
  const rec = { id: 'c1', turns: Array.from({ length: 8 }, (_, t) => ({ role: t % 2 ? 'agent' : 'customer', text: '您好，请问有什么可以帮您？订单编号12345，电话13800000000'.repeat(2) })), meta: {} };
  const line = JSON.stringify(rec);
  let n = 0;
  for (let i = 0; i < 2.5e5; i++) n += JSON.stringify(JSON.parse(line)).length;
  return n;
};
const jobs = { compute, alloc };

if (!isMainThread) parentPort.postMessage(jobs[workerData]());
else if (process.argv.includes('--pin')) {
  const r = spawnSync('taskset', ['-c', '0,1', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  const cpus = (/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8')) ?? [])[1] ?? '?';
  console.log(`CPUs ${cpus}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  for (const name of Object.keys(jobs)) {
    let t = performance.now();
    let c = cpu();
    jobs[name]();
    jobs[name]();
    const one = performance.now() - t;
    const oneCpu = cpu() - c;
    t = performance.now();
    c = cpu();
    await Promise.all([0, 1].map(() => new Promise((r) => new Worker(new URL(import.meta.url), { workerData: name }).once('message', r))));
    const two = performance.now() - t;
    const twoCpu = cpu() - c;
    console.log(
      `${name.padEnd(8)} 2 jobs one after the other ${one.toFixed(0)} ms (${oneCpu.toFixed(2)} CPU-s, ${(oneCpu / (one / 1000)).toFixed(2)} cores busy), ` +
        `on 2 threads ${two.toFixed(0)} ms (${twoCpu.toFixed(2)} CPU-s, ${(twoCpu / (two / 1000)).toFixed(2)} cores busy): speed-up ${(one / two).toFixed(2)}x`,
    );
  }
  console.log(`load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
