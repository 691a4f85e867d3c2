#!/usr/bin/env node
// `pnpm bench <name> [args]` runs bench/<name>.mjs on the built packages.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const [name, ...args] = process.argv.slice(2);
const list = readdirSync(new URL('../bench/', import.meta.url)).filter((f) => f.endsWith('.mjs')).map((f) => f.replace(/\.mjs$/, ''));
if (!name || !list.includes(name)) {
  console.log(`usage: pnpm bench <name> [args]\nbenchmarks: ${list.sort().join(', ')}`);
  process.exit(name ? 2 : 0);
}
if (!existsSync(new URL('../packages/cli/dist/main.js', import.meta.url))) {
  console.log('building first (pnpm run build)…');
  spawnSync('pnpm', ['run', 'build'], { stdio: 'inherit' });
}
const r = spawnSync(process.execPath, ['--enable-experimental-regexp_engine-on-excessive-backtracks', new URL(`../bench/${name}.mjs`, import.meta.url).pathname, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
