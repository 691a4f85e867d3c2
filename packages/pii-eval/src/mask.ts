/**
 * Masking for everything the harness and the report print: a value becomes its
 * shape (`###-####-####`, `xxxxx##@xx.xxx`), so a reader sees what kind of
 * thing was found or missed without ever seeing the value.
 */

import { maskLetters, PLACEHOLDER_SOURCE } from '@scrubline/core';

const CN_NUMERALS = '〇零一二三四五六七八九十幺两壹贰叁肆伍陆柒捌玖拾';

/** True for characters that carry identifying content: letters, numbers, ideographs. */
export function isIdentifyingChar(ch: string): boolean {
  return /[\p{L}\p{N}]/u.test(ch);
}

/**
 * The shape of a value: digits (ASCII, full-width, circled, Chinese numerals) → `#`,
 * Latin letters → `x`/`X`, other letters and ideographs → `＊`; separators and
 * punctuation stay. Values longer than `max` code points are cut with `…`.
 */
export function shapeMask(value: string, max = 40): string {
  let out = '';
  let n = 0;
  for (const ch of value) {
    if (n++ >= max) {
      out += '…';
      break;
    }
    if (/\p{N}/u.test(ch) || CN_NUMERALS.includes(ch)) out += '#';
    else if (/[A-Za-zＡ-Ｚａ-ｚ]/.test(ch)) out += /[A-ZＡ-Ｚ]/.test(ch) ? 'X' : 'x';
    else if (/\p{L}/u.test(ch)) out += '＊';
    else if (/\p{Extended_Pictographic}/u.test(ch)) out += ch;
    else if (/[\p{M}\u200d\ufe0f]/u.test(ch)) out += ch;
    else if (/[\p{P}\p{S}\p{Z}\s]/u.test(ch)) out += ch === '\n' ? '⏎' : ch;
    else out += '?';
  }
  return out;
}

export interface MaskRange {
  start: number;
  end: number;
  type?: string;
}

/**
 * One line of masked context around `[start, end)` of `text`: the focus span as
 * `⟦TYPE shape⟧`, every other protected range in the window as `⟦TYPE⟧` (the parts of
 * one that overlaps the focus included), and in the remaining context every digit as
 * `#` and every token that mixes letters and digits (or holds an `@`) as its shape.
 * With `letters: true` (text nothing has labelled, like scrubbed output) every letter
 * of the remaining context is masked too (core's maskLetters), placeholders kept.
 * Never returns a raw value.
 */
export function maskContext(text: string, start: number, end: number, opts: { type?: string; window?: number; protect?: MaskRange[]; letters?: boolean } = {}): string {
  const plain = opts.letters ? (s: string) => maskLetters(s).replace(/\n/g, '⏎') : maskPlain;
  const window = opts.window ?? 12;
  let from = Math.max(0, start - window);
  let to = Math.min(text.length, end + window);
  // do not cut a surrogate pair
  if (from > 0 && isLowSurrogate(text.charCodeAt(from))) from--;
  if (to < text.length && isLowSurrogate(text.charCodeAt(to))) to++;
  const ranges: (MaskRange & { focus?: boolean })[] = [];
  for (const r of opts.protect ?? []) {
    if (r.end <= from || r.start >= to) continue;
    if (r.start < end && r.end > start) {
      // overlaps the focus: what lies outside it is still protected
      if (r.start < start) ranges.push({ start: Math.max(r.start, from), end: start, type: r.type });
      if (r.end > end) ranges.push({ start: end, end: Math.min(r.end, to), type: r.type });
      continue;
    }
    ranges.push({ start: Math.max(r.start, from), end: Math.min(r.end, to), type: r.type });
  }
  ranges.push({ start, end, type: opts.type, focus: true });
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = from > 0 ? '…' : '';
  let pos = from;
  for (const r of ranges) {
    if (r.end <= pos && !r.focus) continue;
    const s = Math.max(r.start, pos);
    if (s > pos) out += plain(text.slice(pos, s));
    if (r.focus) out += `⟦${opts.type ? opts.type + ' ' : ''}${shapeMask(text.slice(start, end))}⟧`;
    else out += `⟦${r.type ?? 'PII'}⟧`;
    pos = Math.max(pos, r.end);
  }
  if (pos < to) out += plain(text.slice(pos, to));
  if (to < text.length) out += '…';
  return out;
}

/** Typed placeholders (`[PHONE_1]`, `[EMAIL:3fa9c0de]`, `[PHONE]`), JD placeholders (`[订单x]`) and masked spans (`⟦…⟧`) stay readable. */
const KEEP = new RegExp(`⟦[^⟧\\n]{0,80}⟧|${PLACEHOLDER_SOURCE}`, 'g');

/**
 * Context outside any known span: digits → `#`, mixed alphanumeric and @-tokens → shape,
 * Chinese-numeral runs → `#`, newlines → ⏎; placeholders and already-masked spans stay.
 */
export function maskPlain(s: string): string {
  let out = '';
  let pos = 0;
  for (const m of s.matchAll(KEEP)) {
    out += maskFree(s.slice(pos, m.index)) + m[0];
    pos = m.index! + m[0].length;
  }
  return out + maskFree(s.slice(pos));
}

function maskFree(s: string): string {
  return s
    .replace(/[^\s\p{Script=Han}，。！？、：；（）]*[@＠][^\s\p{Script=Han}，。！？、：；（）]*/gu, (m) => shapeMask(m, 60))
    .replace(/[@＠][^\s@＠，。！？、：；,!?:;()（）\[\]⟦⟧]{1,30}/gu, (m) => shapeMask(m, 60))
    .replace(/[A-Za-z0-9_.\-Ａ-Ｚａ-ｚ０-９]*[0-9０-９][A-Za-z0-9_.\-Ａ-Ｚａ-ｚ０-９]*/g, (m) => shapeMask(m, 60))
    .replace(/[〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖]{4,}/g, (m) => '#'.repeat(m.length))
    .replace(/[\p{N}]/gu, '#')
    .replace(/\n/g, '⏎');
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
