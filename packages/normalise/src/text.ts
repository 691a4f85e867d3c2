/**
 * Character-level steps: Unicode NFC, zero-width removal, exotic spaces, full-width ASCII, whitespace
 * runs. Each function returns the new text and how many characters it changed, and is cheap on text
 * that has nothing to change (a pre-check before any replace).
 */

export interface StepResult {
  text: string;
  /** Characters changed, removed or (for collapse) whitespace runs rewritten. */
  changes: number;
}

const UNCHANGED = (text: string): StepResult => ({ text, changes: 0 });

// String#normalize has ICU's quick check inside: ~500 MB/s on already-NFC Chinese text, so no pre-check.
export function nfc(text: string): StepResult {
  const out = text.normalize('NFC');
  if (out === text) return UNCHANGED(text);
  return { text: out, changes: Math.max(1, countDiff(text, out)) };
}

// Zero-width and invisible format characters. ZWJ (U+200D) is kept inside emoji sequences
// (👨‍👩‍👧), where it is part of the character a reader sees.
const ZERO_WIDTH_TEST = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const ZERO_WIDTH =
  /[\u00ad\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|(?<![\p{Extended_Pictographic}\ufe0f\u{1f3fb}-\u{1f3ff}])\u200d|\u200d(?!\p{Extended_Pictographic})/gu;

export function removeZeroWidth(text: string): StepResult {
  if (!ZERO_WIDTH_TEST.test(text)) return UNCHANGED(text);
  let n = 0;
  const out = text.replace(ZERO_WIDTH, () => {
    n++;
    return '';
  });
  return { text: out, changes: n };
}

// Ideographic space, no-break spaces, the typographic spaces of U+2000–U+200A, Ogham space mark;
// line and paragraph separators become newlines.
const SPACES = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2028\u2029]/g;
const SPACES_TEST = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2028\u2029]/;

export function normaliseSpaces(text: string): StepResult {
  if (!SPACES_TEST.test(text)) return UNCHANGED(text);
  let n = 0;
  const out = text.replace(SPACES, (c) => {
    n++;
    return c === '\u2028' || c === '\u2029' ? '\n' : ' ';
  });
  return { text: out, changes: n };
}

/** Full-width forms of Chinese sentence punctuation: kept unless `punctuation` is on. */
const CJK_PUNCTUATION = new Set(['，', '！', '？', '：', '；', '（', '）']);
const FULLWIDTH_TEST = /[\uff01-\uff5e]/;

/**
 * Full-width ASCII (U+FF01–U+FF5E) → ASCII: letters, digits and symbols (＠ → @, ＃ → #). With
 * `punctuation: false` the full-width forms that are standard Chinese punctuation (，！？：；（）)
 * stay as they are.
 */
export function halfWidth(text: string, punctuation: boolean): StepResult {
  if (!FULLWIDTH_TEST.test(text)) return UNCHANGED(text);
  let n = 0;
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xff01 || c > 0xff5e) continue;
    const ch = text[i];
    if (!punctuation && CJK_PUNCTUATION.has(ch)) continue;
    out += text.slice(last, i) + String.fromCharCode(c - 0xfee0);
    last = i + 1;
    n++;
  }
  if (n === 0) return UNCHANGED(text);
  return { text: out + text.slice(last), changes: n };
}

const COLLAPSE_TEST = /[ \t\f\v\r]{2,}|[\t\f\v\r]|\n[ \t\n]|[ \t]\n|^[ \t\n]|[ \t\n]$/;

/**
 * Runs of spaces and tabs → one space; CR/CRLF → LF; runs of blank lines → one newline; leading
 * and trailing whitespace trimmed. `changes` counts the whitespace runs rewritten.
 */
export function collapseWhitespace(text: string): StepResult {
  if (!COLLAPSE_TEST.test(text)) return UNCHANGED(text);
  let n = 0;
  const out = text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v]*\n[ \t\f\v\n]*|[ \t\f\v]+/g, (m) => {
      const rep = m.includes('\n') ? '\n' : ' ';
      if (m !== rep) n++;
      return rep;
    });
  const trimmed = out.replace(/^[ \n]+|[ \n]+$/g, (m) => {
    n++;
    return m.length ? '' : m;
  });
  if (trimmed === text) return UNCHANGED(text);
  return { text: trimmed, changes: Math.max(1, n) };
}

/** Characters that differ between two strings: positionally when lengths match, else the changed middle. */
export function countDiff(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === b.length) {
    let n = 0;
    for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) n++;
    return n;
  }
  let p = 0;
  while (p < a.length && p < b.length && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return Math.max(a.length - p - s, b.length - p - s);
}
