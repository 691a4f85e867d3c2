#!/usr/bin/env node
// Linear-time fallback for patterns that backtrack too much (V8's experimental
// engine); it must be set before any RegExp is compiled, and NODE_OPTIONS
// does not accept it. Rules are written without the u/i flags so it applies.
import v8 from 'node:v8';
v8.setFlagsFromString('--enable-experimental-regexp_engine-on-excessive-backtracks');
// `scrub --threads N`: its workers start loading their modules now, beside the CLI's own imports
const { prestartFilterWorkers } = await import('@scrubline/pii/early-workers');
prestartFilterWorkers(process.argv.slice(2));
// `run --threads N`: its slice workers likewise
const { prestartSliceWorkers } = await import('../dist/early-slices.js');
prestartSliceWorkers(process.argv.slice(2));
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
