#!/usr/bin/env node
// Runs the whole vitest suite and prints the plain closing line CI reads:
// `N passed, N failed` (vitest's own summary is not read by CI).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const out = 'test-results.json';
rmSync(out, { force: true });
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(out, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  // a suite that failed to load counts as failed, not as silently absent
  for (const s of json.testResults ?? []) if (s.status === 'failed' && (s.assertionResults ?? []).length === 0) failed++;
  if (json.numPendingTests || json.numTodoTests) console.log(`(${json.numPendingTests + json.numTodoTests} skipped or todo)`);
} catch {
  failed = Math.max(failed, 1);
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
