// Canned messages in the JDDC sample: what the bot-filter stage finds.
// Build first: npx tsc -b packages/botfilter ; run: node bench/botfilter-jddc.mjs [path]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { StageReport } from '../packages/core/dist/index.js';
import { createBotFilter } from '../packages/botfilter/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2] ?? join(root, '..', 'shared', 'data', 'jddc-sample', 'chat_0.1per.txt');
if (!existsSync(file)) {
  console.error(`MISSING: ${file} not found — this benchmark needs the JDDC sample (../shared/data/jddc-sample); nothing measured.`);
  process.exit(2);
}

// Group the row-per-message TSV (session_id, user_id, waiter_send, transfer, repeat, sku, content) into records.
const records = [];
let cur = null;
let line = 0;
for (const row of readFileSync(file, 'utf8').split('\n')) {
  line++;
  if (!row) continue;
  const f = row.split('\t');
  if (f.length !== 7) throw new Error(`line ${line}: ${f.length} fields, expected 7`);
  const [session, , waiter, , , , content] = f;
  if (!cur || cur.id !== session) {
    cur = { id: session, turns: [], labels: {}, source: { file, line }, meta: {} };
    records.push(cur);
  }
  cur.turns.push({ role: waiter === '1' ? 'agent' : 'customer', text: content });
  cur.source.lastLine = line;
}
const agentTurns = records.reduce((n, r) => n + r.turns.filter((t) => t.role === 'agent').length, 0);
const env = { rulesDir: join(root, 'rules'), baseDir: root };
const base = { rules: [], disable: [], action: 'tag', relabel: false, dropEmpty: true, top: 25 };

async function run(label, frequency, action = 'tag') {
  const stage = await createBotFilter({ ...base, action, frequency: { enabled: true, roles: ['agent'], minShare: 0, capacity: 50000, ...frequency } }, env);
  const t0 = performance.now();
  stage.fit.observe(records);
  stage.fit.load([JSON.parse(JSON.stringify(stage.fit.state()))]);
  let dropped = 0;
  const ctx = {
    stageId: 'bot-filter', seed: 'bench', shard: { index: 0, count: 1 }, report: new StageReport(), log: { info() {}, warn() {} },
    drop: () => dropped++, quarantine: () => { throw new Error('quarantine'); },
  };
  const out = stage.apply(structuredClone(records), ctx);
  const ms = performance.now() - t0;
  const s = stage.summary();
  const freqTurns = s.frequency.top.reduce((n, t) => n + t.turns, 0);
  console.log(`\n== ${label}: ${JSON.stringify(frequency)} action=${action}`);
  console.log(`sessions ${s.frequency.sessions}, agent turns counted ${s.frequency.turns} (all agent turns ${agentTurns}), tracked ${s.frequency.tracked}, exact=${s.frequency.exact}`);
  console.log(`frequent canned messages: ${s.frequency.frequent}, their turns: ${freqTurns} = ${(100 * freqTurns / agentTurns).toFixed(1)} % of all agent messages (${(100 * s.frequency.frequentTurnShare).toFixed(1)} % of counted ones)`);
  console.log(`canned turns by rule: ${JSON.stringify(s.turns.byRule)}`);
  console.log(`turns dropped: ${s.turns.dropped}; conversations dropped (no customer content): ${dropped}; out ${out.length}; ${ms.toFixed(0)} ms`);
  for (const t of s.frequency.top) console.log(`  ${String(t.turns).padStart(4)} turns / ${String(t.sessions).padStart(4)} sessions  ${t.text}`);
}

console.log(`${file}: ${records.length} sessions, ${records.reduce((n, r) => n + r.turns.length, 0)} messages, ${agentTurns} agent messages`);
// Baseline without the stage: raw agent texts compared byte for byte (no trimming), >= 10 occurrences.
const raw = new Map();
for (const r of records) for (const t of r.turns) if (t.role === 'agent') raw.set(t.text, (raw.get(t.text) ?? 0) + 1);
const rawHits = [...raw.values()].filter((n) => n >= 10);
const rawTurns = rawHits.reduce((a, b) => a + b, 0);
console.log(`raw byte-exact baseline: ${rawHits.length} agent messages seen >= 10 times, ${rawTurns} turns = ${(100 * rawTurns / agentTurns).toFixed(1)} % of agent messages`);
// The shared README's fact: agent messages seen >= 10 times (by occurrence, any length).
await run('>= 10 occurrences, any length (the README fact; NFKC/whitespace-normalised)', { minSessions: 1, minTurns: 10, minChars: 0 });
// Stage defaults: >= 10 sessions, normalised utterances of >= 4 characters (短 replies such as 好的 / 是的 stay).
await run('stage defaults', { minSessions: 10, minTurns: 0, minChars: 4 });
await run('stage defaults, drop-turn', { minSessions: 10, minTurns: 0, minChars: 4 }, 'drop-turn');
