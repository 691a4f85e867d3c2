// Why io reads and writes through reused buffers: system time and page faults of reading a file and
// writing 100 MB with a fresh buffer per chunk versus reused ones (each case in its own process).
// Usage: pnpm bench io-buffers [FILE]   (default: bench/data/gen-100mb.jsonl, made by `pnpm bench ingest 100 --keep`)
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const me = fileURLToPath(import.meta.url);
const [mode, file = fileURLToPath(new URL('data/gen-100mb.jsonl', import.meta.url))] = process.argv.slice(2);

async function run(mode) {
  const r0 = process.resourceUsage();
  const t0 = performance.now();
  if (mode.startsWith('read')) {
    const fd = fs.openSync(file, 'r');
    const size = mode === 'read-fresh-1MiB' ? 1 << 20 : 64 * 1024;
    const reused = Buffer.allocUnsafe(size);
    let n;
    while ((n = fs.readSync(fd, mode === 'read-reused-64KiB' ? reused : Buffer.allocUnsafe(size), 0, size, null)) > 0);
  } else {
    const src = Buffer.alloc(400_000, 97);
    const w = fs.createWriteStream('/tmp/scrubline-io-buffers.out', { highWaterMark: 8 << 20 });
    const pool = [];
    for (let i = 0; i < 250; i++) {
      const b = mode === 'write-fresh' ? Buffer.allocUnsafe(1_200_000) : pool.pop() ?? Buffer.allocUnsafe(1_200_000);
      src.copy(b);
      const ok = w.write(b.subarray(0, 400_000), mode === 'write-fresh' ? undefined : () => pool.push(b));
      if (!ok) await new Promise((r) => w.once('drain', r));
    }
    await new Promise((r) => w.end(r));
    fs.rmSync('/tmp/scrubline-io-buffers.out', { force: true });
  }
  const r = process.resourceUsage();
  console.log(`${mode.padEnd(18)} ${(performance.now() - t0).toFixed(0).padStart(5)} ms wall, user ${((r.userCPUTime - r0.userCPUTime) / 1000).toFixed(0)} ms, system ${((r.systemCPUTime - r0.systemCPUTime) / 1000).toFixed(0)} ms, minor faults ${r.minorPageFault - r0.minorPageFault}`);
}

if (mode && mode !== '--') await run(mode);
else {
  if (!fs.existsSync(file)) {
    console.log(`${file} is missing: make it with pnpm bench ingest 100 --keep`);
    process.exit(0);
  }
  console.log(`read ${file} (${(fs.statSync(file).size / 1e6).toFixed(0)} MB, page cache warm after the first pass); write 100 MB in 400 KB batches`);
  for (const m of ['read-fresh-1MiB', 'read-fresh-1MiB', 'read-reused-64KiB', 'write-fresh', 'write-reused']) {
    process.stdout.write(spawnSync(process.execPath, [me, m, file], { encoding: 'utf8' }).stdout);
  }
}
