// Busy, idle and GC time per thread from V8 CPU profiles (one .cpuprofile per thread), e.g. after
//   node --cpu-prof --cpu-prof-dir=/tmp/prof packages/cli/bin/scrubline.js scrub --in F --out O --threads 2
// Usage: node bench/lib/profile-busy.mjs /tmp/prof
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let total = 0, idle = 0, gc = 0;
  p.samples.forEach((s, i) => {
    const dt = p.timeDeltas[i];
    total += dt;
    if (byId.get(s) === '(idle)') idle += dt;
    if (byId.get(s) === '(garbage collector)') gc += dt;
  });
  console.log(`${f}: from ${new Date(p.startTime / 1000).toISOString().slice(11, 23)} for ${(total / 1e3).toFixed(0)} ms: busy ${((total - idle) / 1e3).toFixed(0)} ms (GC ${(gc / 1e3).toFixed(0)}), idle ${(idle / 1e3).toFixed(0)} ms`);
}
