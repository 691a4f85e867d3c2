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
 *   single spaces, dashes or commas may separate them): 一三八一二三四五六七八 → 13812345678.
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

// Characters whose presence means the slow path must run (everything mapChar changes). The
// full-width punctuation kept as is (，！？；：（）…) and ￥ are left out, so ordinary Chinese text
// takes the fast path. Chinese numerals are checked separately (they are common in ordinary text).
const NEEDS_WORK_SRC =
  '[\\ufe0f\\u20e3\\u00a0-\\u00bf\\u2000-\\u200a\\u202f\\u205f\\u2070-\\u209f\\u2100-\\u218f\\u2460-\\u24ff\\u2776-\\u2793\\u3000' +
  '\\u3200-\\u33ff\\uf900-\\ufaff\\ufb00-\\ufb4f\\ufe30-\\ufe6f\\uff03\\uff04\\uff06\\uff0a\\uff0b\\uff0d-\\uff19\\uff1c-\\uff1e\\uff20-\\uff3a' +
  '\\uff3c\\uff3e-\\uff5a\\uff5c\\uff5f-\\uffdc\\ud835\\ud83c]';
const NEEDS_WORK_G = new RegExp(NEEDS_WORK_SRC, 'g');

/** Per BMP code unit: 1 = needs mapping (NEEDS_WORK_SRC), 2 = Chinese numeral. One table lookup per character. */
export const NORMALISE_TABLE = (() => {
  const t = new Uint8Array(65536);
  const body = NEEDS_WORK_SRC.slice(1, -1);
  const re = /\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const lo = parseInt(m[1], 16);
    const hi = m[2] ? parseInt(m[2], 16) : lo;
    for (let c = lo; c <= hi; c++) t[c] = 1;
  }
  for (const ch of Object.keys(CN_DIGITS)) t[ch.charCodeAt(0)] |= 2;
  return t;
})();
const TABLE = NORMALISE_TABLE;
const HAS_CN_NUMERAL = /[〇零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖]/;

/** A digit or a Chinese numeral, by UTF-16 code unit (TABLE bit 2: no one-character strings made). */
function isNumeralCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (TABLE[c] & 2) !== 0;
}

/** One separator inside a spoken number (幺三八 一二三四, 幺三八-一二三四, 幺三八，一二三四), by code unit: space, -, ，, `,`. */
function isRunSepCode(c: number): boolean {
  return c === 32 || c === 45 || c === 0xff0c || c === 44;
}

const isNumeral = (c: string): boolean => isNumeralCode(c.charCodeAt(0));
const isRunSep = (c: string): boolean => isRunSepCode(c.charCodeAt(0));

/** True when some Chinese numeral sits in a run of at least `minRun` numerals/digits (single space or dash between). */
function hasNumeralRun(s: string, minRun: number): boolean {
  let covered = -1;
  for (let i = 0; i < s.length; i++) {
    if ((TABLE[s.charCodeAt(i)] & 2) === 0 || i <= covered) continue;
    let count = 1;
    let j = i - 1;
    while (j >= 0) {
      const c = s.charCodeAt(j);
      if (isNumeralCode(c)) count++;
      else if (!(isRunSepCode(c) && j > 0 && isNumeralCode(s.charCodeAt(j - 1)))) break;
      j--;
    }
    let k = i + 1;
    while (k < s.length) {
      const c = s.charCodeAt(k);
      if (isNumeralCode(c)) count++;
      else if (!(isRunSepCode(c) && k + 1 < s.length && isNumeralCode(s.charCodeAt(k + 1)))) break;
      k++;
    }
    if (count >= minRun) return true;
    covered = k;
  }
  return false;
}

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
  return normalizeOrNull(text, minNumeralRun) ?? { text, start: null, end: null };
}

/**
 * Whether `normalizeOrNull` may change a text, from its pre-count (NORMALISE_TABLE bits or'ed over
 * its code units ≥ U+00A0, and its digits and Chinese numerals counted): false means it returns null.
 */
export function mayNormalize(flags: number, numeralish: number, minNumeralRun = 5): boolean {
  return (flags & 1) !== 0 || ((flags & 2) !== 0 && numeralish >= minNumeralRun);
}

/** As `normalize`, but null when nothing changes (no allocation on the common path). */
export function normalizeOrNull(text: string, minNumeralRun = 5): Normalized | null {
  let flags = 0;
  /** Chinese numerals and ASCII digits in the text: fewer than `minNumeralRun` make no run (一下, 一共 …). */
  let numeralish = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xa0) {
      const t = TABLE[c];
      flags |= t;
      numeralish += t >> 1;
    } else if (c >= 48 && c <= 57) numeralish++;
  }
  const work = (flags & 1) !== 0;
  const numerals = (flags & 2) !== 0 && numeralish >= minNumeralRun && hasNumeralRun(text, minNumeralRun);
  if (!work && !numerals) return null;
  // pass 1: character mapping; unchanged stretches are copied in bulk
  let out = '';
  let starts = new Int32Array(text.length + 16);
  let ends = new Int32Array(text.length + 16);
  let n = 0;
  const grow = (need: number) => {
    if (n + need <= starts.length) return;
    const cap = Math.max(starts.length * 2, n + need);
    const s2 = new Int32Array(cap);
    s2.set(starts);
    starts = s2;
    const e2 = new Int32Array(cap);
    e2.set(ends);
    ends = e2;
  };
  const copy = (from: number, to: number) => {
    if (to <= from) return;
    grow(to - from);
    for (let k = from; k < to; k++) {
      starts[n] = k;
      ends[n++] = k + 1;
    }
    out += text.slice(from, to);
  };
  let pos = 0;
  if (work) {
    NEEDS_WORK_G.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = NEEDS_WORK_G.exec(text)) !== null) {
      const i = m.index;
      if (i < pos) continue; // low half of a pair already consumed
      copy(pos, i);
      const cp = text.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const ch = w === 1 ? text[i] : text.slice(i, i + 2);
      const rep = mapChar(cp, ch);
      // a dropped character (keycap U+20E3, U+FE0F) belongs to the character before it
      if (rep.length === 0 && n > 0) ends[n - 1] = i + w;
      grow(rep.length);
      for (let k = 0; k < rep.length; k++) {
        starts[n] = i;
        ends[n++] = i + w;
      }
      out += rep;
      pos = i + w;
      NEEDS_WORK_G.lastIndex = pos;
    }
  }
  copy(pos, text.length);
  // pass 2: Chinese numerals inside numeral runs (same length: one code unit each)
  if (numerals || (work && HAS_CN_NUMERAL.test(out) && hasNumeralRun(out, minNumeralRun))) out = convertNumeralRuns(out, minNumeralRun);
  return { text: out, start: starts.subarray(0, n), end: ends.subarray(0, n) };
}

function convertNumeralRuns(s: string, minRun: number): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (!isNumeral(s[i])) {
      out += s[i++];
      continue;
    }
    // extend the run: numeral chars, single separators between them
    let j = i;
    let count = 0;
    let cn = 0;
    let last = i;
    while (j < s.length) {
      const c = s[j];
      if (isNumeral(c)) {
        count++;
        if (CN_DIGITS[c] && !(c >= '0' && c <= '9')) cn++;
        last = j;
        j++;
      } else if (isRunSep(c) && j + 1 < s.length && isNumeral(s[j + 1])) {
        j++;
      } else break;
    }
    let from = i;
    let to = last + 1;
    // a lone Chinese numeral at the edge of a digit run is a word (13008780031一天, 第一 2 次), not a digit
    if (cn === 1) {
      if (CN_DIGITS[s[from]] && !isAsciiDigit(s[from])) {
        out += s[from];
        from++;
        cn = 0;
        count--;
      } else if (CN_DIGITS[s[to - 1]] && !isAsciiDigit(s[to - 1])) {
        const tail = s[to - 1];
        const body = s.slice(from, to - 1);
        out += body; // digits and separators unchanged
        out += tail;
        i = to;
        continue;
      }
    }
    const run = s.slice(from, to);
    if (cn > 0 && count >= minRun) {
      let conv = '';
      for (const c of run) conv += CN_DIGITS[c] ?? c;
      out += conv;
    } else out += run;
    i = to;
  }
  return out;
}

function isAsciiDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Maps a span of the normalised text back to original UTF-16 offsets. */
export function toOriginal(n: Normalized, start: number, end: number): [number, number] {
  if (!n.start || !n.end) return [start, end];
  return [n.start[start], n.end[end - 1]];
}

/** A digit next to a letter typed for one (l, I for 1; O, o for 0): the cheap test before the run scan. */
const LEET_NEAR_DIGIT = /[0-9][lIOo]|[lIOo][0-9]/;
/** Runs of digits and such letters, single spaces or dashes between, not inside a word. */
const LEET_RUN_G = /(?<![A-Za-z0-9])[0-9lIOo](?:[ -]?[0-9lIOo]){10,13}(?![A-Za-z0-9])/g;

/**
 * Mainland mobile numbers typed with letters for digits (l39O23llO65, l8l O6l6 l282: a broken
 * keypad, or an evasion) read as digits: a run of digits and l/I/O/o that becomes 1[3-9] and nine
 * digits, with at least half of it real digits. Only those runs change, letter for digit, so the
 * text keeps its length and every offset (O2O 1234567 and model names stay as they are).
 */
export function readLettersAsDigits(s: string): string {
  if (!LEET_NEAR_DIGIT.test(s)) return s;
  LEET_RUN_G.lastIndex = 0;
  let out: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = LEET_RUN_G.exec(s)) !== null) {
    const run = m[0];
    let digits = 0;
    let letters = 0;
    let mapped = '';
    for (const c of run) {
      if (c >= '0' && c <= '9') {
        digits++;
        mapped += c;
      } else if (c === 'l' || c === 'I') {
        letters++;
        mapped += '1';
      } else if (c === 'O' || c === 'o') {
        letters++;
        mapped += '0';
      } else mapped += c;
    }
    if (letters === 0 || digits < letters || !/^1[3-9][0-9]{9}$/.test(mapped.replace(/[ -]/g, ''))) continue;
    out = (out ?? s).slice(0, m.index) + mapped + (out ?? s).slice(m.index + run.length);
  }
  return out ?? s;
}
