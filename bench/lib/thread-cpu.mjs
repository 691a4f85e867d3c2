// CPU seconds per thread of a command (user and system, from /proc, sampled every 20 ms until it
// exits): shows what the main thread, each worker and V8's / libuv's helper threads cost.
// Usage: node bench/lib/thread-cpu.mjs node packages/cli/bin/scrubline.js scrub --in F --out O --threads 2
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const [, , ...cmd] = process.argv;
const p = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
const last = new Map();
const TICK = 100; // USER_HZ
const poll = () => {
  try {
    for (const t of readdirSync(`/proc/${p.pid}/task`)) {
      const s = readFileSync(`/proc/${p.pid}/task/${t}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      last.set(t, { comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), u: Number(f[11]), s: Number(f[12]) });
    }
  } catch {
    // the process or a thread ended between listing and reading
  }
};
const iv = setInterval(poll, 20);
p.on('exit', () => {
  clearInterval(iv);
  let total = 0;
  for (const [t, v] of last) {
    total += v.u + v.s;
    if (v.u + v.s > 0) console.log(`${t} ${v.comm.padEnd(16)} user ${(v.u / TICK).toFixed(2)} sys ${(v.s / TICK).toFixed(2)}`);
  }
  console.log(`total of the threads seen before exit ${(total / TICK).toFixed(2)} s (threads that ended between samples are missing)`);
});
