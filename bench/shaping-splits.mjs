// Split, balance and augment on the real corpora: split sizes per label, class counts before/after balancing,
// augmentation counts. Build first: npx tsc -b packages/split packages/balance packages/augment packages/labels
// run: pnpm bench shaping-splits   (or node bench/shaping-splits.mjs)
// STC-3 has 19 raw votes per dialogue; consolidation is another stage (labels), so this script takes the
// majority vote of S (ties to the lower value, labels' consolidate) + 3 as a stand-in label, as ../shared/README.md describes it.
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { StageReport, checkOptions } from '../packages/core/dist/index.js';
import { createSplit } from '../packages/split/dist/index.js';
import { createBalance } from '../packages/balance/dist/index.js';
import { augmentStage, createAugment } from '../packages/augment/dist/index.js';
import { consolidate } from '../packages/labels/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared');
const stc3 = join(shared, 'data', 'stc3-dch', 'train_data_cn.json.gz');
const jddc = join(shared, 'data', 'jddc-sample', 'chat_0.1per.txt');
const cilin = join(shared, 'dict', 'cilin_ex_utf8.txt');
for (const f of [stc3, jddc, cilin]) {
  if (!existsSync(f)) {
    console.error(`MISSING: ${f} not found — this script needs ../shared; nothing measured.`);
    process.exit(2);
  }
}
const seed = 'bench-seed';
const withDefaults = (stage, o) => {
  const problems = checkOptions(stage.optionsSchema, o, stage.name);
  if (problems.length) throw new Error(JSON.stringify(problems));
  return o;
};
const ctx = (id) => ({ stageId: id, seed, shard: { index: 0, count: 1 }, report: new StageReport(), log: console, drop() { throw new Error('drop'); }, quarantine() { throw new Error('quarantine'); } });
const fit = async (stage, records) => {
  stage.fit.observe(records);
  await stage.fit.load([JSON.parse(JSON.stringify(stage.fit.state()))]);
};
const table = (o) => Object.entries(o).map(([k, v]) => `${k}:${v}`).join(' ');

// --- STC-3 ---
const docs = JSON.parse(gunzipSync(readFileSync(stc3)).toString('utf8'));
const stc = docs.map((d) => {
  const best = consolidate(d.annotations.map((a) => a.quality.S), 'majority', 'lower').value;
  return {
    id: `stc3-${d.id}`,
    turns: d.turns.map((t) => ({ role: t.sender === 'customer' ? 'customer' : 'agent', text: t.utterances.join('\n') })),
    labels: { satisfaction: best + 3 },
    source: { file: 'train_data_cn.json.gz' },
    meta: {},
  };
});
console.log(`STC-3: ${stc.length} dialogues; stand-in label = majority S + 3`);
const split = createSplit({ ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'labels.satisfaction', groupPath: 'id', stratify: true, salt: '' }, seed);
await fit(split, stc);
const split1 = split.apply(stc, ctx('split'));
const plan = split.summary().plan;
for (const s of ['train', 'validation', 'test']) console.log(`  split ${s}: ${plan.splits[s].records} records; per label ${table(plan.splits[s].labels)}`);

for (const opts of [{ strategy: 'uniform', power: 1 }, { strategy: 'inverse', maxFactor: 3, power: 1 }, { strategy: 'inverse', maxFactor: 3, power: 0.5 }]) {
  const bal = createBalance({ labelPath: 'labels.satisfaction', ...opts }, seed, root);
  const records = structuredClone(split1);
  await fit(bal, records);
  const out = bal.apply(records, ctx('balance'));
  const sum = bal.summary();
  const after = {};
  for (const r of out) if (r.meta.split === 'train') after[r.labels.satisfaction] = (after[r.labels.satisfaction] ?? 0) + 1;
  console.log(`  balance ${JSON.stringify(opts)}: train before ${table(Object.fromEntries(Object.entries(sum.classes).map(([k, v]) => [k, v.before])))} → after ${table(after)} (planned ${table(Object.fromEntries(Object.entries(sum.classes).map(([k, v]) => [k, v.target])))}); weights ${table(sum.weights)}; weights without oversampling ${table(sum.weightsBeforeOversampling)}`);
}

const aug = createAugment(
  withDefaults(augmentStage, { variants: 2, replaceRate: 0.3, maskRate: 0.05, dropRate: 0.05, dictionaries: [cilin] }),
  { seed, baseDir: root, rulesDir: join(root, 'rules') },
);
const c = ctx('augment');
const t0 = performance.now();
const augOut = aug.apply(structuredClone(split1), c);
const ms = performance.now() - t0;
const leaked = augOut.filter((r) => r.meta.augmented && r.meta.split !== 'train').length;
console.log(`  augment variants=2 on ${split1.length} records: out ${augOut.length}; ${table(c.report.toJSON().counters)}; augmented outside train: ${leaked}; ${ms.toFixed(0)} ms`);

// --- JDDC: grouping by customer ---
const sessions = new Map();
for (const row of readFileSync(jddc, 'utf8').split('\n')) {
  const f = row.split('\t');
  if (f.length !== 7) continue;
  let r = sessions.get(f[0]);
  if (!r) sessions.set(f[0], (r = { id: `jddc-${f[0]}`, turns: [], labels: {}, source: { file: 'chat_0.1per.txt' }, meta: { customerId: f[1] } }));
  r.turns.push({ role: f[2] === '1' ? 'agent' : 'customer', text: f[6] });
}
const jd = [...sessions.values()];
const perCustomer = new Map();
for (const r of jd) perCustomer.set(r.meta.customerId, (perCustomer.get(r.meta.customerId) ?? 0) + 1);
const multi = [...perCustomer.values()].filter((n) => n > 1);
console.log(`JDDC: ${jd.length} sessions, ${perCustomer.size} customers, ${multi.length} with >1 session (${multi.reduce((a, b) => a + b, 0)} sessions)`);
for (const groupPath of ['id', 'meta.customerId']) {
  const sp = createSplit({ ratios: { train: 0.8, validation: 0.1, test: 0.1 }, labelPath: 'labels.satisfaction', groupPath, stratify: true, salt: '' }, seed);
  await fit(sp, jd);
  const out = sp.apply(structuredClone(jd), ctx('split'));
  const splitsOf = new Map();
  for (const r of out) (splitsOf.get(r.meta.customerId) ?? splitsOf.set(r.meta.customerId, new Set()).get(r.meta.customerId)).add(r.meta.split);
  const crossing = [...splitsOf.values()].filter((s) => s.size > 1).length;
  const p = sp.summary().plan;
  console.log(`  groupPath=${groupPath}: train ${p.splits.train.records} / validation ${p.splits.validation.records} / test ${p.splits.test.records}; customers in more than one split: ${crossing}`);
}
