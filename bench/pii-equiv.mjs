// Same spans as another build? Runs the rule engine of this checkout and of another one (e.g. a `git
// worktree` of the commit before a speed change, built) over many texts and compares analyze() (spans and
// kept text) text by text: the fixture corpora, STC-3 and JDDC from ../shared when present, the 20 MB pii
// benchmark chat, and random texts over digits, Chinese numerals, full-width and circled digits, letters,
// separators, cue words, emoji and astral characters. Prints counts only (never a text), and exits 1 on a
// difference, with the first few differences' lengths and span types.
// Usage: pnpm bench pii-equiv --against DIR [--random 200000] [--own-rules]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../packages/core/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const against = opt('against', null);
if (!against) throw new Error('usage: pnpm bench pii-equiv --against DIR (a built checkout)');
const RANDOM = Number(opt('random', 200000));

// --own-rules: each build with the rules/ of its own checkout (a change to the packs, such as a prefilter); by
// default both read this checkout's rules (a change to the code)
const OWN_RULES = argv.includes('--own-rules');
const load = async (dir) => {
  const m = await import(pathToFileURL(join(dir, 'packages/pii/dist/index.js')).href);
  return new m.RuleEngine(m.loadRulePacks(join(OWN_RULES ? dir : root, 'rules')));
};
const [mine, theirs] = [await load(root), await load(against)];

const sets = {};
const fixtures = join(root, 'fixtures/pii');
sets.fixtures = [];
for (const f of readdirSync(fixtures).filter((f) => f.endsWith('.jsonl'))) {
  for (const l of readFileSync(join(fixtures, f), 'utf8').split('\n').filter(Boolean)) {
    const v = JSON.parse(l);
    if (typeof v.text === 'string') sets.fixtures.push(v.text);
    if (Array.isArray(v.turns)) for (const t of v.turns) sets.fixtures.push(t.text);
  }
}
const shared = join(root, '../shared/data');
const stc3 = join(shared, 'stc3-dch/train_data_cn.json.gz');
if (existsSync(stc3)) sets.stc3 = JSON.parse(gunzipSync(readFileSync(stc3)).toString()).flatMap((d) => d.turns.flatMap((t) => t.utterances));
else console.log('../shared/data/stc3-dch not present: STC-3 left out');
const jddc = join(shared, 'jddc-sample/chat_0.1per.txt');
if (existsSync(jddc)) sets.jddc = readFileSync(jddc, 'utf8').split('\n').map((l) => l.split('\t')[6] ?? '');
else console.log('../shared/data/jddc-sample not present: JDDC left out');
const chat = join(here, 'data/pii-chat-20mb.jsonl');
if (existsSync(chat)) sets.chat = readFileSync(chat, 'utf8').split('\n').filter(Boolean).slice(0, 30000).flatMap((l) => JSON.parse(l).turns.map((t) => t.text));
else console.log('bench/data/pii-chat-20mb.jsonl not made yet (pnpm bench pii --mb 20): left out');
const alphabet = [...'〇零一幺两三八九0123456789１３８ 　-，,.:：@aXvQq微信号手机订单卡京A①⑴❶➀ⓞ()（）+_/#V=市区路省粤Ｖ\n', '😀', '1️⃣', '𝟏', '\uD83C', '\uDC00', '㍿', '\u00A0', 'l', 'I', 'O', 'o', 'CA ', '800', '+852', '００'];
// (mulberry32: the linear congruential generator here before computed in doubles, lost precision and repeated
// itself after about 10,000 draws, so "200,000 random texts" were 738 distinct ones)
const rnd = mulberry32(99);
sets.random = [];
for (let k = 0; k < RANDOM; k++) {
  let t = '';
  const n = 5 + Math.floor(rnd() * 30);
  for (let i = 0; i < n; i++) t += alphabet[Math.floor(rnd() * alphabet.length)];
  sets.random.push(t);
}
console.log(`random: ${new Set(sets.random).size} distinct texts of ${RANDOM}`);

let differ = 0;
for (const [name, texts] of Object.entries(sets)) {
  let spans = 0;
  let d = 0;
  for (const t of texts) {
    const a = mine.analyze(t);
    const b = theirs.analyze(t);
    spans += a.spans.length;
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      if (differ + d < 5) console.log(`  differs: a ${t.length}-character text of ${name}: this build ${a.spans.map((s) => s.type).join(',') || '-'}, the other ${b.spans.map((s) => s.type).join(',') || '-'}`);
      d++;
    }
  }
  differ += d;
  console.log(`${name.padEnd(9)} ${String(texts.length).padStart(7)} texts, ${String(spans).padStart(6)} spans: ${d} differ`);
}
console.log(differ ? `${differ} texts differ` : 'identical spans and kept text for every text');
process.exit(differ ? 1 : 0);
