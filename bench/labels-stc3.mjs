// Annotator consolidation on STC-3 (19 raters, S on −2..2): label distribution before / after and agreement.
// Build first: npx tsc -b packages/labels ; run: node bench/labels-stc3.mjs [path]
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StageReport } from '../packages/core/dist/index.js';
import { createConsolidateLabels } from '../packages/labels/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2] ?? join(root, '..', 'shared', 'data', 'stc3-dch', 'train_data_cn.json.gz');
if (!existsSync(file)) {
  console.error(`MISSING: ${file} not found — this benchmark needs the STC-3 DCH data (../shared/data/stc3-dch); nothing measured.`);
  process.exit(2);
}
const data = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
// Only the ratings matter here: records carry no dialogue text.
const records = data.map((d, i) => ({
  id: String(d.id),
  turns: [],
  labels: { votes: { S: d.annotations.map((a) => a.quality.S), A: d.annotations.map((a) => a.quality.A), E: d.annotations.map((a) => a.quality.E) } },
  source: { file, index: i },
  meta: {},
}));
const raters = new Set(data.map((d) => d.annotations.length));
console.log(`${file}: ${records.length} dialogues, raters per dialogue: ${[...raters].join(', ')}`);

const base = { path: 'votes.S', target: 'satisfaction', method: 'majority', tie: 'lower', map: { '-2': 1, '-1': 2, '0': 3, '1': 4, '2': 5 }, minVotes: 1, minAgreement: 0, lowAgreement: 'drop', alphaMetric: 'ordinal' };
const pct = (o, total) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, `${v} (${((100 * v) / total).toFixed(1)} %)`]));

function run(label, over) {
  const dir = mkdtempSync(join(tmpdir(), 'labels-bench-'));
  const stage = createConsolidateLabels({ ...base, ...over }, { baseDir: dir });
  stage.fit.observe(records);
  stage.fit.load([JSON.parse(JSON.stringify(stage.fit.state()))]);
  const drops = {};
  const ctx = {
    stageId: 'consolidate-labels', seed: 'b', shard: { index: 0, count: 1 }, report: new StageReport(), log: { info() {}, warn() {} },
    drop: (_r, reason) => (drops[reason] = (drops[reason] ?? 0) + 1),
    quarantine: (r, e) => { throw new Error(`${r.id}: ${e.message}`); },
  };
  const out = stage.apply(structuredClone(records), ctx);
  stage.close();
  const s = stage.summary();
  console.log(`\n== ${label}: ${JSON.stringify(over)}`);
  console.log(`before (raw votes, mapped): ${JSON.stringify(pct(s.before.votesMapped ?? s.before.votes, s.before.votesTotal))}`);
  console.log(`after (${out.length} records): ${JSON.stringify(pct(s.after, out.length))}`);
  console.log(`Fleiss kappa ${s.agreement.fleissKappa} (P̄ ${s.agreement.observed}, P̄e ${s.agreement.expected}); Krippendorff alpha (${s.agreement.alphaMetric}) ${s.agreement.krippendorffAlpha}; mean item agreement ${s.agreement.meanItemAgreement}`);
  console.log(`item agreement by tenths: ${JSON.stringify(s.agreement.itemAgreement)}; dropped ${JSON.stringify(drops)}${s.review ? `; review file ${s.review.records} records` : ''}`);
}

run('S, majority, ties to the lower value (the README fact: ~10/9/66/10/5 %)', {});
run('S, majority, ties to the median', { tie: 'median' });
run('S, median', { method: 'median' });
run('S, rounded mean', { method: 'mean' });
run('S, majority, items under 0.4 agreement to review', { minAgreement: 0.4, lowAgreement: 'review', review: 'review.ndjson' });
run('A (task accomplishment), majority', { path: 'votes.A', target: 'accomplishment' });
run('E (effectiveness), majority', { path: 'votes.E', target: 'effectiveness' });
