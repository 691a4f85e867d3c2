// PII evaluation: runs the `rules` detector (@scrubline/pii) over the labelled fixture corpus
// fixtures/pii/corpus.jsonl through the eval-pii harness and prints per-type precision / recall / F2
// (exact and overlap), the leak, and the misses and false alarms grouped by type and case (MASKED).
// Build first: npx tsc -b packages/pii-eval   Run: pnpm bench pii-eval [--types A,B] [--all] [--json FILE]
// Targets (issue 3): recall >= 99.5 %, precision >= 98 % on the structured types; leak <= 0.1 %.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages/pii-eval/dist/index.js');
if (!existsSync(dist)) {
  console.error('packages/pii-eval/dist is missing: run `npx tsc -b packages/pii-eval` first (it builds @scrubline/pii too)');
  process.exit(2);
}
const { evaluate, detectAll, parseGold, STRUCTURED_TYPES } = await import(dist);
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const corpusPath = arg('--gold') ?? join(root, 'fixtures/pii/corpus.jsonl');
const gold = parseGold(readFileSync(corpusPath, 'utf8'), corpusPath);
const types = arg('--types')?.split(',') ?? [...STRUCTURED_TYPES];
const showAll = process.argv.includes('--all');

const t0 = performance.now();
const pred = await detectAll(gold, { detectors: ['rules'], rulesDir: join(root, 'rules'), baseDir: root, log: { info() {}, warn: (m) => console.error('warning:', m) } });
const ms = performance.now() - t0;
const chars = gold.reduce((n, g) => n + g.text.length, 0);
const r = evaluate(gold, pred, { types, maxList: 100000 });

const pct = (x, d = 2) => (100 * x).toFixed(d).padStart(d + 4);
console.log(`# eval-pii on ${corpusPath.replace(root, '')}: ${gold.length} turns, ${chars} chars, detector rules (${ms.toFixed(0)} ms, ${((chars * 2) / 1e6 / (ms / 1000)).toFixed(1)} MB/s UTF-16, one thread, cold start included)`);
console.log('type           gold  pred | exact  P       R      F2 | overlap P       R      F2 | leak %');
for (const t of [...r.types, { type: 'OVERALL', ...r.overall }]) {
  console.log(
    `${t.type.padEnd(12)} ${String(t.overlap.gold).padStart(5)} ${String(t.overlap.pred).padStart(5)} | ${pct(t.exact.precision)} ${pct(t.exact.recall)} ${pct(t.exact.f2)} | ${pct(t.overlap.precision)} ${pct(t.overlap.recall)} ${pct(t.overlap.f2)} | ${pct(t.leak.share, 3)}`,
  );
}
const o = r.overall;
console.log(`\nleak: ${o.leak.leakedChars} of ${o.leak.goldChars} identifying gold characters uncovered (${(100 * o.leak.share).toFixed(3)} %)`);
console.log(`hard-negative lines flagged: ${r.negativeLinesFlagged} of ${r.linesWithoutGold}`);
const ok = (b) => (b ? 'MET' : 'NOT MET');
console.log(`targets: recall ${(100 * o.overlap.recall).toFixed(2)} % >= 99.5 % ${ok(o.overlap.recall >= 0.995)}; precision ${(100 * o.overlap.precision).toFixed(2)} % >= 98 % ${ok(o.overlap.precision >= 0.98)}; leak ${(100 * o.leak.share).toFixed(3)} % <= 0.1 % ${ok(o.leak.share <= 0.001)}`);

const tagOf = (id) => id.split('-').slice(2).join('-');
function grouped(title, list) {
  const groups = new Map();
  for (const f of list) {
    const k = `${f.type} ${f.kind}${f.otherTypes ? ' as ' + f.otherTypes.join('/') : ''} [${tagOf(f.id)}]`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(f);
  }
  console.log(`\n## ${title}: ${list.length}`);
  for (const [k, fs] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${String(fs.length).padStart(4)}  ${k}`);
    for (const f of fs.slice(0, showAll ? fs.length : 3)) console.log(`          ${f.id.split('-')[0]}  ${f.masked}${f.rule ? `  (${f.rule})` : ''}`);
  }
}
grouped('misses and partial covers (gold not fully covered by a prediction of its type)', r.misses);
grouped('false alarms (predictions with no gold span of their type)', r.falseAlarms);
const jsonOut = arg('--json');
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify(r, null, 1));
  console.log(`\nfull result (masked) written to ${jsonOut}`);
}
