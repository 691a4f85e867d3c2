// Augment stage throughput on the JDDC sample with the real Cilin dictionaries.
// Build first: npx tsc -b packages/augment ; run: pnpm bench augment [rounds]  (or node bench/augment.mjs [rounds])
// Prints jieba load time, dictionary load times (UTF-8 and GBK/CRLF Cilin), and records/s of the augment stage.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { StageReport, checkOptions } from '../packages/core/dist/index.js';
import { augmentStage, createAugment, jiebaFrequencies, loadJieba, loadResources } from '../packages/augment/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared');
const data = join(shared, 'data', 'jddc-sample', 'chat_0.1per.txt');
const cilinUtf8 = join(shared, 'dict', 'cilin_ex_utf8.txt');
const cilinGbk = join(shared, 'dict', 'cilin_ex_hit_gbk_crlf.txt');
for (const f of [data, cilinUtf8, cilinGbk]) {
  if (!existsSync(f)) {
    console.error(`MISSING: ${f} not found — this benchmark needs ../shared (JDDC sample and Cilin); nothing measured.`);
    process.exit(2);
  }
}
const rounds = Number(process.argv[2] ?? 3);

// JDDC row-per-message TSV → one record per session, all in train.
const base = [];
let cur = null;
for (const row of readFileSync(data, 'utf8').split('\n')) {
  if (!row) continue;
  const f = row.split('\t');
  if (f.length !== 7) continue;
  const [session, , waiter, , , , content] = f;
  if (!cur || cur.id !== session) {
    cur = { id: session, turns: [], labels: { satisfaction: 3 }, source: { file: 'chat_0.1per.txt' }, meta: { split: 'train' } };
    base.push(cur);
  }
  cur.turns.push({ role: waiter === '1' ? 'agent' : 'customer', text: content });
}
const turns = base.reduce((n, r) => n + r.turns.length, 0);
const chars = base.reduce((n, r) => n + r.turns.reduce((m, t) => m + t.text.length, 0), 0);

const env = { seed: 'bench', baseDir: root, rulesDir: join(root, 'rules') };
// the stage's own defaults (filled by its options schema), with the rates of this benchmark
const common = { variants: 2, replaceRate: 0.3, maskRate: 0.05, dropRate: 0.05 };
const withDefaults = (o) => {
  const problems = checkOptions(augmentStage.optionsSchema, o, 'augment');
  if (problems.length) throw new Error(JSON.stringify(problems));
  return o;
};

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (shared with other workers: numbers above ~${cpus().length} are under load)`);
console.log(`corpus: JDDC sample, ${base.length} sessions, ${turns} turns, ${chars} chars`);

// 1. jieba load (first load includes the module and the 5 MB default dictionary; later ones reuse the dictionary bytes)
const j1 = loadJieba();
const j2 = loadJieba();
console.log(`jieba load: first ${j1.loadMs.toFixed(0)} ms, again ${j2.loadMs.toFixed(0)} ms`);

// 2. dictionaries (the general-dictionary candidate filter needs jieba's word frequencies, parsed once)
const tf = performance.now();
const freqs = jiebaFrequencies(); // the whole map, for the figure; the stage parses only its dictionaries' words
console.log(`jieba word frequencies: ${freqs.size} words parsed in ${(performance.now() - tf).toFixed(0)} ms (once per process)`);
for (const [label, spec] of [
  ['Cilin UTF-8', { path: cilinUtf8, encoding: 'utf-8', format: 'cilin' }],
  ['Cilin GBK/CRLF', { path: cilinGbk, encoding: 'gbk', format: 'cilin' }],
]) {
  const t0 = performance.now();
  const res = loadResources(withDefaults({ ...common, dictionaries: [spec] }), env);
  const ms = performance.now() - t0;
  const d = res.dictionaries.find((x) => x.name === spec.path);
  console.log(
    `${label}: ${ms.toFixed(0)} ms, ${d.groups} '=' groups (skipped ${JSON.stringify(d.skipped)}), index ${JSON.stringify(res.index.stats)}`,
  );
}

// 3. throughput of the stage (jieba + Cilin GBK + customer-service list), variants = 2
for (const variants of [1, 2]) {
  const stage = createAugment(withDefaults({ ...common, variants, dictionaries: [{ path: cilinGbk, encoding: 'gbk', format: 'cilin' }] }), env);
  const rates = [];
  let lastOut = 0;
  let report;
  for (let round = 0; round < rounds; round++) {
    const batch = structuredClone(base);
    report = new StageReport();
    const ctx = { stageId: 'augment', seed: 'bench', shard: { index: 0, count: 1 }, report, log: console, drop() {}, quarantine() {} };
    const t0 = performance.now();
    let out = 0;
    for (let i = 0; i < batch.length; i += 256) out += stage.apply(batch.slice(i, i + 256), ctx).length;
    const s = (performance.now() - t0) / 1000;
    rates.push(batch.length / s);
    lastOut = out;
  }
  rates.sort((a, b) => a - b);
  const med = rates[Math.floor(rates.length / 2)];
  const c = report.toJSON().counters;
  console.log(
    `augment variants=${variants}: median ${med.toFixed(0)} records/s in (${(med * turns / base.length).toFixed(0)} turns/s, ${((med * chars) / base.length / 1e6).toFixed(2)} M chars/s) over ${rounds} rounds [min ${rates[0].toFixed(0)}, max ${rates[rates.length - 1].toFixed(0)}]; out ${lastOut} records; ` +
      `load ${loadavg()[0].toFixed(1)}; variants ${c.variants ?? 0}, unchanged ${c['variants.unchanged'] ?? 0}, words replaced ${c['words.replaced'] ?? 0}, masked ${c['words.masked'] ?? 0}, dropped ${c['words.dropped'] ?? 0}; jieba load in stage ${stage.summary().jiebaLoadMs} ms`,
  );
}
