// NER tier evaluation: per-type precision / recall / F2 (overlap and exact matching) and gold-character
// coverage, on the synthetic chat fixtures (fixtures/ner/*.jsonl) and, when ../shared is present, on the
// Weibo NER dev set (PER.NAM → PERSON, LOC/GPE.NAM → places) and the Resume NER dev set (NAME → PERSON).
// Build first: npx tsc -b packages/ner.   Run: pnpm bench ner-eval   (or node bench/ner-eval.mjs [--misses])
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages/ner/dist/index.js');
if (!existsSync(dist)) {
  console.error('packages/ner/dist is missing: run `npx tsc -b packages/ner` first');
  process.exit(2);
}
const { createNerDetector, scoreSpans } = await import(dist);
const { convertWeibo, convertResume } = await import(join(root, 'packages/ner/scripts/convert-ner-data.mjs'));
const showMisses = process.argv.includes('--misses');

const pct = (x) => (100 * x).toFixed(1).padStart(5) + '%';
function table(title, items, detector, onlyTypes, listMisses = true) {
  const t0 = performance.now();
  const scored = items.map((it) => ({ id: it.id, gold: it.spans, pred: detector.detect(it.text) }));
  const ms = performance.now() - t0;
  const rep = scoreSpans(scored, onlyTypes);
  console.log(`\n## ${title}: ${items.length} texts, ${items.reduce((a, it) => a + it.spans.length, 0)} gold spans (${ms.toFixed(0)} ms)`);
  console.log('type      gold  pred    tp  precision  recall     F2   exactP  exactR  gold-char coverage');
  for (const [t, s] of Object.entries(rep.types)) {
    console.log(
      `${t.padEnd(8)} ${String(s.gold).padStart(5)} ${String(s.pred).padStart(5)} ${String(s.tp).padStart(5)}  ${pct(s.precision)}    ${pct(s.recall)} ${pct(s.f2)}  ${pct(s.exactPrecision)}  ${pct(s.exactRecall)}  ${pct(s.charCoverage)}`,
    );
  }
  if (showMisses && listMisses) {
    const byId = new Map(items.map((it) => [it.id, it.text]));
    // Fixture text is synthetic; for ../shared data only offsets and lengths are printed.
    const synthetic = title.startsWith('fixtures');
    for (const m of rep.misses) console.log('  miss  ', m.id, m.type, m.start, m.end, synthetic ? byId.get(m.id).slice(m.start, m.end) : `len=${m.end - m.start}`);
    for (const f of rep.falseAlarms) console.log('  false ', f.id, f.type, f.start, f.end, f.rule, synthetic ? byId.get(f.id).slice(f.start, f.end) : `len=${f.end - f.start}`);
  }
  return rep;
}

const readJsonl = (p) => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const fixDir = join(root, 'fixtures/ner');
const fixtures = readdirSync(fixDir).filter((f) => f.endsWith('.jsonl')).sort().flatMap((f) => readJsonl(join(fixDir, f)));
const det = createNerDetector();
table('fixtures/ner (all)', fixtures, det);
table('fixtures/ner zh only', fixtures.filter((x) => x.id.includes('-zh-')), det);
table('fixtures/ner en only', fixtures.filter((x) => x.id.includes('-en-')), det);
table('fixtures/ner holdout only (written after the detector, see fixtures/ner/README.md)', fixtures.filter((x) => x.id.startsWith('holdout-')), det);

const shared = join(root, '../shared/data/ner');
const weiboPath = join(shared, 'weiboNER_2nd_conll.dev');
const resumePath = join(shared, 'resume.dev.char.bmes');
if (existsSync(weiboPath)) {
  const weibo = convertWeibo(readFileSync(weiboPath, 'utf8'));
  // Tuning split by post index (the number in the id, weibo-dev-0001 = first post): rules were tuned while
  // looking at the EVEN half's misses only; the ODD half is held out (its misses are never printed).
  const postNo = (it) => Number(it.id.slice(it.id.lastIndexOf('-') + 1));
  const weiboEven = weibo.filter((it) => postNo(it) % 2 === 0);
  const weiboOdd = weibo.filter((it) => postNo(it) % 2 === 1);
  table('Weibo NER dev (PER.NAM → PERSON, ORG.NAM → ORG)', weibo, det, ['PERSON', 'ORG'], false);
  table('Weibo NER dev EVEN posts (tuning half)', weiboEven, det, ['PERSON']);
  table('Weibo NER dev ODD posts (held out)', weiboOdd, det, ['PERSON'], false);
  const social = createNerDetector({ fullSegmentation: true });
  table('Weibo NER dev, fullSegmentation: true', weibo, social, ['PERSON'], false);
  table('Weibo NER dev, fullSegmentation: true, EVEN posts (tuning half)', weiboEven, social, ['PERSON']);
  table('Weibo NER dev, fullSegmentation: true, ODD posts (held out)', weiboOdd, social, ['PERSON'], false);
  table('Weibo NER dev, social profile (mentions + fullSegmentation)', weibo, createNerDetector({ fullSegmentation: true, mentions: true }), ['PERSON'], false);
  table('Weibo NER dev, mentions only', weibo, createNerDetector({ mentions: true }), ['PERSON'], false);
  table('Weibo NER dev places (LOC/GPE.NAM → ADDRESS, places: true)', weibo, createNerDetector({ places: true }), ['ADDRESS'], false);
} else console.log(`\n## Weibo NER dev: MISSING (${weiboPath}); not evaluated`);
if (existsSync(resumePath)) {
  table('Resume NER dev (NAME → PERSON)', convertResume(readFileSync(resumePath, 'utf8')), det, ['PERSON']);
} else console.log(`\n## Resume NER dev: MISSING (${resumePath}); not evaluated`);

// False-alarm proxy on real chat: JD already replaced names and addresses with [姓名x] / [地址x], so PERSON and
// ADDRESS spans found in the JDDC sample are (almost all) false alarms. Counts only; no text is printed.
const jddcPath = join(root, '../shared/data/jddc-sample/chat_0.1per.txt');
if (existsSync(jddcPath)) {
  const texts = readFileSync(jddcPath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[6] ?? '').filter(Boolean);
  const counts = {};
  const rules = {};
  for (const t of texts) for (const s of det.detect(t)) {
    counts[s.type] = (counts[s.type] ?? 0) + 1;
    rules[s.rule] = (rules[s.rule] ?? 0) + 1;
  }
  console.log(`\n## JDDC sample (names/addresses pre-masked by JD): ${texts.length} messages; spans found (mostly false alarms):`);
  console.log(' ', JSON.stringify(counts), JSON.stringify(rules));
} else console.log(`\n## JDDC sample: MISSING (${jddcPath}); false-alarm proxy not run`);
