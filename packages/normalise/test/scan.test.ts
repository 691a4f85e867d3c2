import { describe, expect, it } from 'vitest';
import {
  HAS_NOISE,
  NEED_EMOTICONS,
  NEED_FULLWIDTH,
  NEED_NFC,
  NEED_SPACES,
  NEED_WHITESPACE,
  NEED_ZERO_WIDTH,
  NFC_INERT_RANGES,
  scanText,
} from '../src/scan.js';
import { collapseWhitespace, halfWidth, nfc, normaliseSpaces, removeZeroWidth } from '../src/text.js';
import { handleEmoticons, parseEmoticonLexicon } from '../src/emoticons.js';
import { langStats } from '../src/lang.js';

const lexicon = parseEmoticonLexicon('呵呵\n抱抱\n');

function* codePoints(): Generator<number> {
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (c > 0x3ffff && c < 0xe0000) {
      c = 0xe0000 - 1;
      continue;
    }
    yield c;
  }
}

describe('scan: a step whose flag is not set cannot change the text', () => {
  it('NFC-inert ranges hold no decomposing character, combining mark or composition second', () => {
    const seconds = new Set<number>();
    for (const c of codePoints()) {
      const d = [...String.fromCodePoint(c).normalize('NFD')];
      for (const ch of d.slice(1)) seconds.add(ch.codePointAt(0)!);
    }
    const bad: string[] = [];
    const ranges: [number, number][] = [[0, 0x2ff], ...NFC_INERT_RANGES, [0x1f000, 0x1faff], [0x20000, 0x2f7ff], [0x2fa20, 0x3ffff]];
    for (const [a, b] of ranges) {
      for (let c = a; c <= b; c++) {
        const ch = String.fromCodePoint(c);
        if (ch.normalize('NFC') !== ch || /\p{M}/u.test(ch) || seconds.has(c)) bad.push(c.toString(16));
      }
    }
    expect(bad).toEqual([]);
  });

  it('holds for every code point, alone and between letters', () => {
    const problems: string[] = [];
    for (const c of codePoints()) {
      const ch = String.fromCodePoint(c);
      for (const text of [ch, `a${ch}b`, `中${ch}文`]) {
        const f = scanText(text, null).flags;
        const check = (flag: number, name: string, changed: boolean) => {
          if (!(f & flag) && changed) problems.push(`${name} U+${c.toString(16)} in ${JSON.stringify(text)}`);
        };
        check(NEED_NFC, 'nfc', nfc(text).changes > 0);
        check(NEED_ZERO_WIDTH, 'zeroWidth', removeZeroWidth(text).changes > 0);
        check(NEED_SPACES, 'spaces', normaliseSpaces(text).changes > 0);
        check(NEED_FULLWIDTH, 'fullwidth', halfWidth(text, true).changes > 0);
        check(NEED_WHITESPACE, 'whitespace', collapseWhitespace(text).changes > 0);
        const e = handleEmoticons(text, lexicon, 'map', 'map', '<{name}>', '<{name}>');
        check(NEED_EMOTICONS, 'emoji', e.emoji + e.emoticons > 0);
      }
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
  });

  it('flags whitespace runs, edges and control characters', () => {
    for (const s of [' a', 'a ', 'a  b', 'a\tb', 'a\nb', 'a\r\nb']) expect(scanText(s, null).flags & NEED_WHITESPACE).toBeTruthy();
    expect(scanText('a b 中 文', null).flags & NEED_WHITESPACE).toBe(0);
  });

  it('flags emoticon codes and noise', () => {
    expect(scanText('[呵呵]', null).flags & NEED_EMOTICONS).toBeTruthy();
    expect(scanText('＠张三', null).flags & HAS_NOISE).toBeTruthy();
    expect(scanText('see www.example.com', null).flags & HAS_NOISE).toBeTruthy();
    expect(scanText('见 https://x.cn', null).flags & HAS_NOISE).toBeTruthy();
  });

  it('counts like langStats on noise-free text', () => {
    for (const s of ['HTC Butterfly S 输入法版本号7.12', 'Hello wörld ＡＢＣ', 'ありがとう 谢谢 a', '𠀀𠀁 ok']) {
      const { han, latinWords, other } = scanText(s, null);
      expect({ han, latinWords, other }).toEqual(langStats(s));
    }
    expect(scanText('HTC Butterfly S 输入法版本号7.12', null)).toMatchObject({ han: 6, latinWords: 2, other: 0 });
  });
});

describe('FastTrie gives the same output as opencc-js', () => {
  it('for every t2s variant on real excerpts, gold phrases and an IDS', async () => {
    const OpenCC = await import('opencc-js');
    const { loadChineseConverter } = await import('../src/chinese.js');
    const { readFileSync } = await import('node:fs');
    const texts = readFileSync(new URL('../../../fixtures/normalise/stc3-excerpts.ndjson', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => (JSON.parse(l) as { turns: { text: string }[] }).turns.map((t) => t.text));
    const toTrad = OpenCC.Converter({ from: 'cn', to: 'tw' });
    const extra = ['頭髮乾淨乾隆皇后後面', '軟體網路資訊伺服器', '這是什么 一坏就修', '⿰氵青 ⿱艹化 𠀀', '豈更車', '', 'a'];
    const all = [...texts, ...texts.map(toTrad), ...extra];
    for (const v of ['t', 'tw', 'twp', 'hk', 'hkp'] as const) {
      const ours = await loadChineseConverter('t2s', v);
      const ref = OpenCC.Converter({ from: v, to: 'cn' });
      expect(all.map((s) => ours.convert(s))).toEqual(all.map((s) => ref(s)));
    }
  });
});
