import { maskLetters } from '@scrubline/core';

/**
 * Masking for report samples. The normalise stage may run before the PII stages, so a sample can
 * hold raw personal values: diff samples (`diffSample`, below) hide every letter and digit with
 * core's `maskLetters`.
 */

/** Marks the changed part of a sample window (chosen as unlikely in chat text; not a data placeholder). */
const CHANGE_OPEN = '⟪';
const CHANGE_CLOSE = '⟫';

/**
 * The changed window of `before` → `after` with a little context on each side, every letter and
 * digit masked (core's `maskLetters`, applied to each piece: it masks letter by letter, so a cut
 * anywhere cannot leave part of a value readable), the changed part between ⟪ ⟫.
 *
 * Why letters are masked and not only digit runs / e-mails / handles / URLs: normalise runs before
 * the pii stages, and a name or an address is letters, so a window around a change can hold one in
 * clear, and auditors read the report. With letters masked a sample still shows what kind of
 * change a step made — spaces and punctuation stay as they are (U+3000 → space, `！` → `!`), the
 * length of the changed part shows, emoji stay — and where it happened (source file and line, turn), which is enough to look the text up with access to the
 * data. A script conversion (謝 → 谢) or a width change of letters (Ａ → A) shows only as ＊ → ＊ or
 * x → x: the characters themselves cannot be shown without showing text, and the step's counters
 * say how much it changed.
 */
export function diffSample(before: string, after: string, context = 12, max = 60): { before: string; after: string } {
  let p = 0;
  while (p < before.length && p < after.length && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  // never cut a surrogate pair (an astral letter would show as half a pair, unmasked)
  if (p > 0 && isHighSurrogate(before.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  if (s > 0 && isLowSurrogate(before.charCodeAt(before.length - s))) s--;
  const window = (t: string): string => {
    const start = startOf(t, Math.max(0, p - context));
    const end = endOf(t, Math.min(t.length, t.length - s + context));
    const mid = maskLetters(t.slice(p, t.length - s));
    let w = maskLetters(t.slice(start, p)) + CHANGE_OPEN + mid + CHANGE_CLOSE + maskLetters(t.slice(t.length - s, end));
    if (w.length > max) w = w.slice(0, isHighSurrogate(w.charCodeAt(max - 1)) ? max - 1 : max) + '…';
    return (start > 0 ? '…' : '') + w + (end < t.length && !w.endsWith('…') ? '…' : '');
  };
  return { before: window(before), after: window(after) };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** A cut position moved off the middle of a surrogate pair (to its start / past its end). */
function startOf(t: string, i: number): number {
  return i > 0 && isLowSurrogate(t.charCodeAt(i)) ? i - 1 : i;
}

function endOf(t: string, i: number): number {
  return i < t.length && isLowSurrogate(t.charCodeAt(i)) ? i + 1 : i;
}
