/**
 * Normalisation before matching, with an offset map back to the original.
 *
 * - full-width ASCII letters, digits and the identifier punctuation (＠．－＋＿／) → ASCII;
 *   the Chinese sentence punctuation ，。！？；：（）、 stays, so URLs and numbers end there;
 * - ideographic and other Unicode spaces → ' ';
 * - circled / parenthesised / dingbat digits (①⑴⒈❶➀➊⓪) → ASCII digits; keycaps 1️⃣ → 1
 *   (U+FE0F and U+20E3 are dropped);
 * - other compatibility characters → NFKC, code point by code point (㍿ → 株式会社);
 * - Chinese numerals 〇零一二三四五六七八九, 幺 (1), 两 (2), 壹贰叁肆伍陆柒捌玖 → digits, only
 *   inside a run of at least `minNumeralRun` numeral characters (digits may be mixed in,
 *   single spaces or dashes may separate them): 一三八一二三四五六七八 → 13812345678.
 *
 * Offsets: `start[i]` is the UTF-16 offset in the original text of the character that
 * produced normalised code unit i, `end[i]` the end of it. A span [s, e) of the
 * normalised text maps back to [start[s], end[e - 1]) of the original.
 */

export interface Normalized {
  /** The text the patterns run on. */
  text: string;
  /** null when `text` is the original (nothing changed): offsets are the identity. */
  start: Int32Array | null;
  end: Int32Array | null;
}

const CN_DIGITS: Record<string, string> = {
  '〇': '0', '零': '0', '一': '1', '幺': '1', '壹': '1', '二': '2', '两': '2', '贰': '2', '三': '3', '叁': '3',
  '四': '4', '肆': '4', '五': '5', '伍': '5', '六': '6', '陆': '6', '七': '7', '柒': '7', '八': '8', '捌': '8',
  '九': '9', '玖': '9',
};

// Characters whose presence means the slow path must run (everything the loop below changes).
// Chinese numerals are checked separately (they are common in ordinary text).
const NEEDS_WORK = /[\ufe0f\u20e3\u00a0-\u00bf\u2000-\u200a\u202f\u205f\u2070-\u209f\u2100-\u218f\u2460-\u24ff\u2776-\u2793\u3000\u3200-\u33ff\uf900-\ufaff\ufb00-\ufb4f\ufe30-\ufe6f\uff00-\uffef\ud835]/;
const NUMERAL_RUN = /[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9][ -]?[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9][ -]?[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9][ -]?[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9][ -]?[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9]/;
const HAS_CN_NUMERAL = /[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖]/;

/** Full-width punctuation kept as is (it ends URLs, numbers and e-mails in Chinese text). */
const KEEP_WIDE = new Set([0xff0c, 0xff01, 0xff1f, 0xff1b, 0xff08, 0xff09, 0xff3b, 0xff3d, 0xff5b, 0xff5d, 0xff02, 0xff07, 0xff5e, 0xff05, 0xff1a]);

function mapChar(cp: number, ch: string): string {
  if (cp < 0xa0) return ch;
  if (cp >= 0xff01 && cp <= 0xff5e) return KEEP_WIDE.has(cp) ? ch : String.fromCharCode(cp - 0xfee0);
  if (cp === 0x3000 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x202f || cp === 0x205f || cp === 0xa0) return ' ';
  if (cp >= 0x2460 && cp <= 0x2468) return String.fromCharCode(cp - 0x2460 + 49); // ①-⑨
  if (cp === 0x24ea || cp === 0x24ff || cp === 0x1f10b || cp === 0x1f10c) return '0'; // ⓪ ⓿
  if (cp >= 0x2474 && cp <= 0x247c) return String.fromCharCode(cp - 0x2474 + 49); // ⑴-⑼
  if (cp >= 0x2488 && cp <= 0x2490) return String.fromCharCode(cp - 0x2488 + 49); // ⒈-⒐
  if (cp >= 0x2776 && cp <= 0x277e) return String.fromCharCode(cp - 0x2776 + 49); // ❶-❾
  if (cp >= 0x2780 && cp <= 0x2788) return String.fromCharCode(cp - 0x2780 + 49); // ➀-➈
  if (cp >= 0x278a && cp <= 0x2792) return String.fromCharCode(cp - 0x278a + 49); // ➊-➒
  if (cp >= 0x24f5 && cp <= 0x24fd) return String.fromCharCode(cp - 0x24f5 + 49); // ⓵-⓽
  if (cp === 0xfe0f || cp === 0x20e3) return ''; // emoji variation selector, keycap: 1️⃣ → 1
  if (cp >= 0x4e00 && cp <= 0x9fff) return ch;
  if (cp >= 0x3001 && cp <= 0x303f) return ch;
  const n = ch.normalize('NFKC');
  return n;
}

/**
 * Returns the normalised text and its offset maps. Fast path: text without any
 * character to change comes back as is, with null maps.
 */
export function normalize(text: string, minNumeralRun = 5): Normalized {
  const work = NEEDS_WORK.test(text);
  const numerals = HAS_CN_NUMERAL.test(text) && NUMERAL_RUN.test(text);
  if (!work && !numerals) return { text, start: null, end: null };
  // pass 1: character mapping
  let out = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const ch = w === 1 ? text[i] : text.slice(i, i + 2);
    const m = work ? mapChar(cp, ch) : ch;
    // a dropped character (keycap U+20E3, U+FE0F) belongs to the character before it
    if (m.length === 0 && ends.length > 0) ends[ends.length - 1] = i + w;
    for (let k = 0; k < m.length; k++) {
      starts.push(i);
      ends.push(i + w);
    }
    out += m;
    i += w;
  }
  // pass 2: Chinese numerals inside numeral runs (same length: one code unit each)
  if (numerals || HAS_CN_NUMERAL.test(out)) out = convertNumeralRuns(out, minNumeralRun);
  return { text: out, start: Int32Array.from(starts), end: Int32Array.from(ends) };
}

const NUMERAL_CHARS = /[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖0-9]/;

function convertNumeralRuns(s: string, minRun: number): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (!NUMERAL_CHARS.test(s[i])) {
      out += s[i++];
      continue;
    }
    // extend the run: numeral chars, single separators between them
    let j = i;
    let count = 0;
    let hasCn = false;
    let last = i;
    while (j < s.length) {
      const c = s[j];
      if (NUMERAL_CHARS.test(c)) {
        count++;
        if (CN_DIGITS[c]) hasCn = true;
        last = j;
        j++;
      } else if ((c === ' ' || c === '-') && j + 1 < s.length && NUMERAL_CHARS.test(s[j + 1])) {
        j++;
      } else break;
    }
    const run = s.slice(i, last + 1);
    if (hasCn && count >= minRun) {
      let conv = '';
      for (const c of run) conv += CN_DIGITS[c] ?? c;
      out += conv;
    } else out += run;
    i = last + 1;
  }
  return out;
}

/** Maps a span of the normalised text back to original UTF-16 offsets. */
export function toOriginal(n: Normalized, start: number, end: number): [number, number] {
  if (!n.start || !n.end) return [start, end];
  return [n.start[start], n.end[end - 1]];
}
