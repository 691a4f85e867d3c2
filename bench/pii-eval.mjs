// PII evaluation: runs the `rules` detector (@scrubline/pii) over the labelled fixture corpus
// fixtures/pii/corpus.jsonl through the eval-pii harness and prints per-type precision / recall / F2
// (exact and overlap), the leak, and the misses and false alarms grouped by type and case (MASKED).
// Then, out of sample: the same cases with other values (generator seeds 1..3, written to a temp folder).
// Then the residual scan over the corpus scrubbed by the pii stage, and, when ../shared/data/stc3-dch is
// present and the CLI is built, over STC-3 DCH scrubbed by `scrubline run` (pii → residual-scan).
// Build first: npx tsc -b packages/pii-eval packages/report (and packages/cli for STC-3)
// Run: pnpm bench pii-eval [--types A,B] [--all] [--json FILE] [--gold FILE] [--no-heldout] [--no-stc3]
// Targets (issue 3): recall >= 99.5 %, precision >= 98 % on the structured types; leak <= 0.1 %.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
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

const detectOptions = { detectors: ['rules'], rulesDir: join(root, 'rules'), baseDir: root, log: { info() {}, warn: (m) => console.error('warning:', m) } };
const t0 = performance.now();
const pred = await detectAll(gold, detectOptions);
const ms = performance.now() - t0;
const chars = gold.reduce((n, g) => n + g.text.length, 0);
const r = evaluate(gold, pred, { types, maxList: 100000 });

// precision / recall are null (n/a) where there is nothing to divide by
const pct = (x, d = 2) => (x === null || x === undefined ? 'n/a' : (100 * x).toFixed(d)).padStart(d + 4);
const tagOf = (id) => id.split('-').slice(2).join('-');
function printTable(r) {
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
  grouped('misses and partial covers (gold not fully covered by a prediction of its type)', r.misses);
  grouped('false alarms (predictions with no gold span of their type)', r.falseAlarms);
}
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
console.log(`# eval-pii on ${corpusPath.replace(root, '')}: ${gold.length} turns, ${chars} chars, detector rules (${ms.toFixed(0)} ms, cold start included)`);
printTable(r);
const jsonOut = arg('--json');
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify(r, null, 1));
  console.log(`\nfull result (masked) written to ${jsonOut}`);
}

// --- out of sample: other seeds of the generator -------------------------------------------------
if (!process.argv.includes('--no-heldout') && !arg('--gold')) {
  const dir = mkdtempSync(join(tmpdir(), 'pii-heldout-'));
  console.log('\n## held-out corpora (same cases, other values: fixtures/pii/generate.mjs --seed N)');
  for (const seed of [1, 2, 3]) {
    const out = join(dir, `seed-${seed}.jsonl`);
    const g = spawnSync(process.execPath, [join(root, 'fixtures/pii/generate.mjs'), '--seed', String(seed), '--out', out], { encoding: 'utf8' });
    if (g.status !== 0) {
      console.log(`  seed ${seed}: generator failed: ${g.stderr.trim()}`);
      continue;
    }
    const hg = parseGold(readFileSync(out, 'utf8'), out);
    const hr = evaluate(hg, await detectAll(hg, detectOptions), { types, maxList: 100000 });
    const ho = hr.overall;
    console.log(`  seed ${seed}: ${hg.length} turns, ${ho.overlap.gold} spans: overlap P ${(100 * ho.overlap.precision).toFixed(2)} % R ${(100 * ho.overlap.recall).toFixed(2)} % F2 ${(100 * ho.overlap.f2).toFixed(2)} %, exact R ${(100 * ho.exact.recall).toFixed(2)} %, leak ${(100 * ho.leak.share).toFixed(3)} %, negatives flagged ${hr.negativeLinesFlagged}/${hr.linesWithoutGold}`);
    for (const f of [...hr.misses, ...hr.falseAlarms]) console.log(`      ${f.kind.padEnd(11)} ${f.type}${f.otherTypes ? ' as ' + f.otherTypes.join('/') : ''} [${tagOf(f.id)}]  ${f.masked}`);
  }
}

// --- challenge set: other phrasings, written after the rules were tuned on corpus.jsonl; review set: the
// cases a review found in session 5 (the rules were tuned on it, so it is a regression check) ---------
for (const [name, what] of [['challenge', 'phrasings the main corpus does not use'], ['review', 'review findings of session 5; tuned on, not out of sample'], ['review2', 'second review of session 5: out of sample when written (94.5 % recall), tuned on since'], ['review3', 'third review of session 5: out of sample when written (89.3 % recall; 13 turns hold halves of numbers split over two turns), partly tuned on since'], ['conversations', 'session 13: identifiers typed over turns and numbers answering the turn before, with hard negatives after the same cues; detected as conversations']]) {
  const setPath = join(root, `fixtures/pii/${name}.jsonl`);
  if (arg('--gold') || !existsSync(setPath)) continue;
  const cg = parseGold(readFileSync(setPath, 'utf8'), setPath);
  console.log(`\n# ${name} set fixtures/pii/${name}.jsonl: ${cg.length} turns (${what})`);
  printTable(evaluate(cg, await detectAll(cg, detectOptions), { types, maxList: 100000 }));
}

// --- residual scan after scrubbing ------------------------------------------------------------------
const reportDist = join(root, 'packages/report/dist/index.js');
if (existsSync(reportDist)) {
  const { scanResidual, parseAllowList } = await import(reportDist);
  const { scrubText } = await import(join(root, 'packages/pii/dist/index.js'));
  const allow = parseAllowList(readFileSync(join(root, 'rules/report/residual-allow.txt'), 'utf8'), 'residual-allow.txt', (p) => readFileSync(join(root, 'rules/report', p), 'utf8'));
  const byShape = {};
  const allowed = {};
  for (const g of gold) {
    for (const c of scanResidual(scrubText(g.text, { rulesDir: join(root, 'rules') }).text, { allow })) {
      const o = c.allowed ? allowed : byShape;
      o[c.shape] = (o[c.shape] ?? 0) + 1;
    }
  }
  console.log(`\n## residual scan of the scrubbed corpus: ${JSON.stringify(byShape)} (allowed: ${JSON.stringify(allowed)})`);
} else console.log('\n(packages/report/dist missing: build it for the residual-scan numbers)');

const stc3 = join(root, '..', 'shared', 'data', 'stc3-dch', 'train_data_cn.json.gz');
const cli = join(root, 'packages/cli/bin/scrubline.js');
if (process.argv.includes('--no-stc3')) {
  // skipped on request
} else if (!existsSync(stc3)) console.log(`\n(STC-3 residual scan skipped: ${stc3} is missing — it lives in ../shared, outside the repository)`);
else if (!existsSync(join(root, 'packages/cli/dist'))) console.log('\n(STC-3 residual scan skipped: build the CLI first, npx tsc -b packages/cli)');
else {
  const dir = mkdtempSync(join(tmpdir(), 'pii-stc3-'));
  const yaml = `version: 1
seed: 42
input:
  files: ${stc3}
  format: json
  shape: documents
  documents:
    id: id
    idPrefix: "stc3-"
    turns: turns
    role:
      path: sender
      map: { customer: customer, helpdesk: agent }
    text:
      path: utterances
      join: "\\n"
steps:
  - use: pii
  - use: residual-scan
output:
  path: ${join(dir, 'out.ndjson')}
  report: ${join(dir, 'report.json')}
  html: ${join(dir, 'report.html')}
`;
  writeFileSync(join(dir, 'p.yaml'), yaml);
  const t1 = performance.now();
  const run = spawnSync(process.execPath, [cli, 'run', join(dir, 'p.yaml'), '--quiet'], { encoding: 'utf8', cwd: root });
  if (run.status !== 0) console.log(`\nSTC-3 run failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-2).join(' ')}`);
  else {
    const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const pii = rep.stages.find((s) => s.use === 'pii')?.summary;
    const res = rep.stages.find((s) => s.use === 'residual-scan')?.summary;
    console.log(`\n## STC-3 DCH (${rep.manifest.counts.input} conversations, ${res.scanned.turns} turns, ${res.scanned.chars} chars; pii + residual-scan in ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
    console.log(`  pii replaced ${pii?.findings} span(s): ${JSON.stringify(pii?.byType)}; kept ${JSON.stringify(pii?.keptByKind)}`);
    console.log(`  residual scan: ${res.findings} finding(s) in ${res.recordsFlagged} record(s): ${JSON.stringify(res.byShape)}; allowed ${JSON.stringify(res.allowed)}`);
    console.log(`  target (zero unredacted mobile, e-mail, resident ID): mobile ${res.byShape.mobile ?? 0}, email ${res.byShape.email ?? 0}, resident-id ${res.byShape['resident-id'] ?? 0}`);
    const bySample = {};
    for (const s of res.samples) (bySample[s.shape] ??= []).push(s.masked);
    for (const [shape, list] of Object.entries(bySample)) console.log(`  e.g. ${shape}: ${list.slice(0, 3).join('  |  ')}`);
    console.log(`  HTML report: ${join(dir, 'report.html')}`);
  }
}
