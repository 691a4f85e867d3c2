// Traditional → simplified: opencc-js (as loaded by @scrubline/normalise) against chinese-s2t.
//   npx tsc -b packages/normalise && node bench/normalise-t2s.mjs
// Reads real strings from ../shared/data/stc3-dch/train_data_cn.json.gz (skips those parts, saying
// so, when it is missing). Prints quality and speed numbers; the package README quotes them.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { loadChineseConverter } from '../packages/normalise/dist/index.js';

const require = createRequire(new URL('../packages/normalise/package.json', import.meta.url));
const s2tLib = require('chinese-s2t');

const t0 = performance.now();
const ccT = await loadChineseConverter('t2s', 't');
const loadT = performance.now() - t0;
const t1 = performance.now();
const ccTwp = await loadChineseConverter('t2s', 'twp');
const loadTwp = performance.now() - t1;
const t2 = performance.now();
const ccS2t = await loadChineseConverter('s2t', 't');
const loadS2t = performance.now() - t2;

// "opencc-js …" = this package's converter: opencc-js dictionaries through FastTrie (same output
// as opencc-js's own Converter, checked below).
const converters = {
  'opencc-js t→s (t)': (s) => ccT.convert(s),
  'opencc-js t→s (twp)': (s) => ccTwp.convert(s),
  'chinese-s2t t2s': (s) => s2tLib.t2s(s),
};

// 1. Known answers: one-to-many characters where a character table must guess (written from
//    mainland usage, not from either library's output).
const GOLD = `頭髮 头发|發展 发展|乾淨 干净|乾燥 干燥|乾隆 乾隆|幹部 干部|後面 后面|皇后 皇后|麵包 面包|表面 表面|一隻 一只|只有 只有|隻身 只身|儘快 尽快|儘管 尽管|鐘錶 钟表|穿著 穿着|著名 著名|瞭解 了解|了結 了结|複雜 复杂|回復 回复|答覆 答复|衝突 冲突|製造 制造|制度 制度|準備 准备|範圍 范围|裡面 里面|公里 公里|醜陋 丑陋|鬆開 松开|松樹 松树|颱風 台风|臺灣 台湾|檯燈 台灯|捲髮 卷发|試卷 试卷|獲得 获得|收穫 收获|關係 关系|聯繫 联系|係數 系数|徵求 征求|鬥爭 斗争|一斗米 一斗米|沖洗 冲洗|佔用 占用|傢俱 家具|蘋果 苹果|嘆氣 叹气|藉口 借口|夥伴 伙伴|週末 周末|周圍 周围|捨不得 舍不得|宿舍 宿舍|經歷 经历|曆法 历法|嚮導 向导|發怒 发怒|謝謝 谢谢|開機 开机|還款 还款|還是 还是|什麼 什么|怎麼 怎么|這麼 这么|餘額 余额|多餘 多余|乾杯 干杯|麵條 面条|鬍子 胡子|胡同 胡同|衝著 冲着|掛號 挂号|註冊 注册|借據 借据|雲端 云端|電鍋 电锅`
  .split('|')
  .map((p) => p.split(' '));
const VOCAB = `軟體 软件|網路 网络|資訊 信息|伺服器 服务器|影片 视频|滑鼠 鼠标|程式 程序|印表機 打印机|記憶體 内存|螢幕 屏幕|部落格 博客|簡訊 短信|硬碟 硬盘|網際網路 互联网|行動電話 移动电话|計程車 出租车`
  .split('|')
  .map((p) => p.split(' '));

console.log('== dictionaries (lazy, per direction) ==');
console.log(`t2s/t   ${ccT.dictionaries.join(', ')}: ${loadT.toFixed(0)} ms`);
console.log(`t2s/twp ${ccTwp.dictionaries.join(', ')}: +${loadTwp.toFixed(0)} ms`);
console.log(`s2t/t   ${ccS2t.dictionaries.join(', ')}: ${loadS2t.toFixed(0)} ms (only loaded when chinese: s2t)`);

console.log('\n== 1. known answers ==');
for (const [name, fn] of Object.entries(converters)) {
  const wrong = GOLD.filter(([t, s]) => fn(t) !== s);
  const vocab = VOCAB.filter(([t, s]) => fn(t) === s).length;
  console.log(
    `${name.padEnd(22)} characters/phrases: ${GOLD.length - wrong.length}/${GOLD.length} right` +
      `  TW vocabulary → mainland: ${vocab}/${VOCAB.length}` +
      (wrong.length ? `\n${' '.repeat(23)}wrong: ${wrong.map(([t, s]) => `${t}→${fn(t)} (want ${s})`).join(' ')}` : ''),
  );
}

const DATA = new URL('../../shared/data/stc3-dch/train_data_cn.json.gz', import.meta.url);
if (!existsSync(DATA)) {
  console.log('\n../shared/data/stc3-dch/train_data_cn.json.gz is MISSING: the STC-3 measurements (2–5) were NOT run.');
  process.exit(0);
}
const dialogues = JSON.parse(gunzipSync(readFileSync(DATA)).toString('utf8'));
const utts = dialogues.flatMap((d) => d.turns.flatMap((t) => t.utterances)).filter((u) => u.trim());

console.log('\n== check: the package\'s FastTrie (t2s) gives the same output as opencc-js\'s own Converter ==');
const OpenCC = await import(new URL('../packages/normalise/node_modules/opencc-js/dist/esm/full.js', import.meta.url).href);
const refS2t = OpenCC.Converter({ from: 'cn', to: 't' });
const both = [...utts, ...utts.map(refS2t)];
for (const v of ['t', 'tw', 'twp', 'hk', 'hkp']) {
  const ours = await loadChineseConverter('t2s', v);
  const ref = OpenCC.Converter({ from: v, to: 'cn' });
  const differ = both.filter((u) => ours.convert(u) !== ref(u)).length;
  console.log(`t2s ${v.padEnd(4)} ${differ} of ${both.length} strings differ (STC-3 utterances and their opencc s2t forms)`);
}

const tradOpencc = (s) => ccT.needsConversion(s);
const tradS2t = (s) => s2tLib.t2s(s) !== s;
const trad = utts.filter((u) => tradOpencc(u) || tradS2t(u));
const simp = utts.filter((u) => !tradOpencc(u) && !tradS2t(u));
console.log(`\nSTC-3: ${utts.length} non-empty utterances, ${trad.length} hold a traditional character (by either table), ${simp.length} do not`);

console.log('\n== 2. real traditional utterances: traditional characters left after conversion ==');
// "Traditional" by each library's own table: a character the table would still convert. Each
// column is biased towards its own library, so both are shown with the characters behind them.
const tables = { 'OpenCC table': (c) => ccT.needsConversion(c), 'chinese-s2t table': (c) => s2tLib.t2s(c) !== c };
const count = (texts, isTrad) => {
  const by = {};
  let n = 0;
  for (const u of texts) for (const c of u) if (isTrad(c)) { n++; by[c] = (by[c] ?? 0) + 1; }
  const top = Object.entries(by).sort((x, y) => y[1] - x[1]).slice(0, 8).map(([c, k]) => `${c}×${k}`).join(' ');
  return `${n}${top ? ` (${top})` : ''}`;
};
for (const [tname, isTrad] of Object.entries(tables)) console.log(`before conversion, by ${tname}: ${count(trad, isTrad)}`);
for (const [name, fn] of Object.entries(converters)) {
  const out = trad.map(fn);
  console.log(`${name.padEnd(22)} left, by ${Object.entries(tables).map(([tname, isTrad]) => `${tname}: ${count(out, isTrad)}`).join(';  by ')}`);
}
const diffs = [];
for (const u of trad) {
  const a = ccT.convert(u);
  const b = s2tLib.t2s(u);
  if (a === b) continue;
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i] !== b[i]) diffs.push(`${u.slice(Math.max(0, i - 1), i + 2)}: opencc ${a.slice(Math.max(0, i - 1), i + 2)} / chinese-s2t ${b.slice(Math.max(0, i - 1), i + 2)}`);
  }
}
console.log(`opencc (t) and chinese-s2t disagree on ${diffs.length} characters in ${trad.filter((u) => ccT.convert(u) !== s2tLib.t2s(u)).length} utterances:`);
for (const d of [...new Set(diffs)].slice(0, 25)) console.log('  ' + d);

console.log('\n== 3. damage: already-simplified utterances changed by t→s (no fast path) ==');
for (const [name, fn] of Object.entries(converters)) {
  const changed = simp.filter((u) => fn(u) !== u);
  const ex = changed.slice(0, 3).map((u) => {
    const o = fn(u);
    let i = 0;
    while (u[i] === o[i]) i++;
    return `${u.slice(Math.max(0, i - 2), i + 3)}→${o.slice(Math.max(0, i - 2), i + 3)}`;
  });
  console.log(`${name.padEnd(22)} ${changed.length} of ${simp.length} changed${ex.length ? '  e.g. ' + ex.join(' ') : ''}`);
}
const onlyS2t = utts.filter((u) => !tradOpencc(u) && tradS2t(u));
const changes = {};
for (const u of onlyS2t) {
  const o = s2tLib.t2s(u);
  for (let i = 0; i < u.length; i++) if (u[i] !== o[i]) changes[`${u[i]}→${o[i]}`] = (changes[`${u[i]}→${o[i]}`] ?? 0) + 1;
}
console.log(
  `${onlyS2t.length} utterances hold a character that only chinese-s2t's table converts; what it does to them: ` +
    Object.entries(changes).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k}×${n}`).join(' '),
);
console.log('(the stage runs the converter only on text holding a character of the t→s table, so it changes none of these)');

console.log('\n== 4. round trip: simplified STC-3 utterance → traditional → simplified, character accuracy ==');
const generators = {
  'opencc-js s2t': (s) => ccS2t.convert(s),
  'chinese-s2t s2t': (s) => s2tLib.s2t(s),
};
for (const [gname, gen] of Object.entries(generators)) {
  const pairs = simp.map((s) => [s, gen(s)]);
  for (const [name, fn] of Object.entries(converters)) {
    let chars = 0;
    let wrong = 0;
    let sentences = 0;
    let lengthChanged = 0;
    for (const [s, t] of pairs) {
      const back = fn(t);
      if (back === s) sentences++;
      if (back.length !== s.length) {
        lengthChanged++;
        continue;
      }
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) >= 0x3400) {
          chars++;
          if (s[i] !== back[i]) wrong++;
        }
      }
    }
    console.log(
      `via ${gname.padEnd(16)} back with ${name.padEnd(22)} Han chars wrong ${wrong}/${chars} (${((100 * wrong) / chars).toFixed(3)} %), utterances exact ${sentences}/${pairs.length} (${((100 * sentences) / pairs.length).toFixed(1)} %)${lengthChanged ? `, ${lengthChanged} changed length` : ''}`,
    );
  }
}

console.log('\n== 5. speed (one core, CPU time of this process, all non-empty STC-3 utterances, no fast path) ==');
const bytes = utts.reduce((a, u) => a + Buffer.byteLength(u), 0);
const tradBytes = both.slice(utts.length).reduce((a, u) => a + Buffer.byteLength(u), 0);
const speed = (fn, list, b) => {
  for (const u of list) fn(u);
  for (const u of list) fn(u);
  const reps = 3;
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) for (const u of list) fn(u);
  const c = process.cpuUsage(c0);
  return ((reps * b) / 1e6 / ((c.user + c.system) / 1e6)).toFixed(1);
};
const refT = OpenCC.Converter({ from: 't', to: 'cn' });
const all = { ...converters, "opencc-js's own Converter (t)": refT };
for (const [name, fn] of Object.entries(all)) {
  console.log(`${name.padEnd(30)} ${speed(fn, utts, bytes).padStart(6)} MB/s on STC-3 as is, ${speed(fn, both.slice(utts.length), tradBytes).padStart(6)} MB/s on its all-traditional form`);
}
const { statSync } = await import('node:fs');
const dictBytes = (names) => names.reduce((a, n) => a + statSync(new URL(`../packages/normalise/node_modules/opencc-js/dist/esm-lib/dict/${n}.js`, import.meta.url)).size, 0);
const fullBytes = statSync(new URL('../packages/normalise/node_modules/opencc-js/dist/esm/full.js', import.meta.url)).size;
console.log(`\ndictionary source loaded: t2s/t ${(dictBytes(ccT.dictionaries) / 1e3).toFixed(0)} kB, t2s/twp ${(dictBytes(ccTwp.dictionaries) / 1e3).toFixed(0)} kB, s2t/t ${(dictBytes(ccS2t.dictionaries) / 1e3).toFixed(0)} kB; the full 'opencc-js' entry point is ${(fullBytes / 1e3).toFixed(0)} kB`);
