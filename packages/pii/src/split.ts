import type { PiiSpan, Role } from '@scrubline/core';
import type { RuleEngine } from './rules.js';

/**
 * Identifiers split over two consecutive turns of one speaker: a chat user who hits enter too soon
 * sends `我留的号码是138` and then `1234 5678`. Each turn alone holds too few digits for any rule,
 * so the pair is checked once more as one text: the end of the first turn (its last digits, with
 * the words before them for cue words) joined to the digits that open the second. A finding that
 * crosses the junction marks both parts, each in its own turn.
 */

/** Closing punctuation allowed after the first part's digits. */
const CLOSERS = new Set([...' \t\r\n，。,.!！?？~～…']);
/** Characters without a digit allowed before the second part's digits (后面是, 后面四位, 接上). */
const HEAD_LEAD = 8;
/** Characters of the first turn kept before its digits, for cue words (号码是, 卡号前面是 …). */
const CUE_WINDOW = 16;
/** Fewer digits on either side is a count or a reply, not half of an identifier. */
const MIN_PART_DIGITS = 3;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isJoin = (c: number): boolean => c === 32 || c === 45;

/** [start, end) of the digits that end `s` (single spaces or dashes between them), then closers only; null if none. Scans backwards: linear. */
function tailDigits(s: string): [number, number] | null {
  let end = s.length;
  while (end > 0 && CLOSERS.has(s[end - 1])) end--;
  if (end === 0 || !isDigit(s.charCodeAt(end - 1))) return null;
  let start = end - 1;
  for (;;) {
    if (start > 0 && isDigit(s.charCodeAt(start - 1))) start--;
    else if (start > 1 && isJoin(s.charCodeAt(start - 1)) && isDigit(s.charCodeAt(start - 2))) start -= 2;
    else break;
  }
  return [start, end];
}

/** [start, end) of the digits that open `s` after at most HEAD_LEAD other characters; null if none. */
function headDigits(s: string): [number, number] | null {
  let start = 0;
  while (start < s.length && start <= HEAD_LEAD && !isDigit(s.charCodeAt(start))) start++;
  if (start >= s.length || !isDigit(s.charCodeAt(start))) return null;
  let end = start + 1;
  for (;;) {
    if (end < s.length && isDigit(s.charCodeAt(end))) end++;
    else if (end + 1 < s.length && isJoin(s.charCodeAt(end)) && isDigit(s.charCodeAt(end + 1))) end += 2;
    else break;
  }
  // a resident ID's check character X closes its digits
  if (end < s.length && (s[end] === 'X' || s[end] === 'x') && !/[A-Za-z0-9]/.test(s[end + 1] ?? '')) end++;
  return [start, end];
}

const digitCount = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isDigit(s.charCodeAt(i))) n++;
  return n;
};

const covered = (spans: readonly PiiSpan[], start: number, end: number): boolean => spans.some((s) => s.start < end && s.end > start);

/**
 * The spans (one per turn) of an identifier split between `first` and `second`, or null. Parts
 * already covered by a finding of their own turn are left alone.
 */
export function splitSpans(first: string, second: string, firstSpans: readonly PiiSpan[], secondSpans: readonly PiiSpan[], engine: RuleEngine): [PiiSpan, PiiSpan] | null {
  const t = tailDigits(first);
  if (!t) return null;
  const h = headDigits(second);
  if (!h) return null;
  const [tailStart, tailEnd] = t;
  const [headStart, headEnd] = h;
  const tail = first.slice(tailStart, tailEnd);
  const head = second.slice(headStart, headEnd);
  if (digitCount(tail) < MIN_PART_DIGITS || digitCount(head) < MIN_PART_DIGITS) return null;
  if (covered(firstSpans, tailStart, tailEnd) || covered(secondSpans, headStart, headEnd)) return null;
  const cue = first.slice(Math.max(0, tailStart - CUE_WINDOW), tailStart);
  const joined = cue + tail + head;
  const junction = cue.length + tail.length;
  for (const s of engine.analyze(joined).spans) {
    // the finding must take the first part whole and reach into the second
    if (s.start <= cue.length && s.end > junction) {
      const rule = `${s.rule}.split-turns`;
      // in the first turn from where the finding starts (a +86 before the digits included)
      // the second part ends where the finding ends, at the end of that digit group: a count after the
      // number (1234 5678 2 个包裹) stays, no digit of the identifier does
      let end = Math.min(headEnd, headStart + (s.end - junction));
      while (end < headEnd && isDigit(second.charCodeAt(end))) end++;
      return [
        { type: s.type, start: tailStart - cue.length + s.start, end: tailEnd, score: s.score, rule },
        { type: s.type, start: headStart, end, score: s.score, rule },
      ];
    }
  }
  return null;
}

/**
 * The same over three turns of one speaker (`号码是138` / `1234` / `5678`): the middle turn is one
 * group of digits and nothing else; a finding that takes the first part whole and reaches into the
 * third marks all three.
 */
export function splitSpans3(
  first: string,
  middle: string,
  last: string,
  spans: readonly [readonly PiiSpan[], readonly PiiSpan[], readonly PiiSpan[]],
  engine: RuleEngine,
): [PiiSpan, PiiSpan, PiiSpan] | null {
  const m = headDigits(middle);
  if (!m || m[0] !== 0) return null;
  let rest = m[1];
  while (rest < middle.length && CLOSERS.has(middle[rest])) rest++;
  if (rest !== middle.length) return null;
  const t = tailDigits(first);
  const h = headDigits(last);
  if (!t || !h) return null;
  const tail = first.slice(t[0], t[1]);
  const mid = middle.slice(0, m[1]);
  const head = last.slice(h[0], h[1]);
  if (digitCount(tail) < MIN_PART_DIGITS || digitCount(mid) < MIN_PART_DIGITS || digitCount(head) < MIN_PART_DIGITS) return null;
  if (covered(spans[0], t[0], t[1]) || covered(spans[1], 0, m[1]) || covered(spans[2], h[0], h[1])) return null;
  const cue = first.slice(Math.max(0, t[0] - CUE_WINDOW), t[0]);
  const joined = cue + tail + mid + head;
  const j1 = cue.length + tail.length;
  const j2 = j1 + mid.length;
  for (const s of engine.analyze(joined).spans) {
    if (s.start <= cue.length && s.end > j2) {
      const rule = `${s.rule}.split-turns`;
      let end = Math.min(h[1], h[0] + (s.end - j2));
      while (end < h[1] && isDigit(last.charCodeAt(end))) end++;
      return [
        { type: s.type, start: t[0] - cue.length + s.start, end: t[1], score: s.score, rule },
        { type: s.type, start: 0, end: m[1], score: s.score, rule },
        { type: s.type, start: h[0], end, score: s.score, rule },
      ];
    }
  }
  return null;
}

/** A turn waiting for its operators: its text, speaker and spans (a split finding may still be added). */
export interface PendingTurn {
  text: string;
  role: Role;
  spans: PiiSpan[];
}

/**
 * The turns of one conversation, in order, each handed to `finish` (its operators) once the two turns
 * after it are seen: a turn pairs with the last turn of its speaker, consecutive or with one turn of
 * another speaker between, and an identifier split over the two adds a span to each. One per
 * conversation; `engine` null (no rule detector) pairs nothing.
 */
export class TurnPairer<T extends PendingTurn> {
  private p1: T | null = null;
  private p2: T | null = null;

  constructor(
    private readonly engine: RuleEngine | null,
    private readonly finish: (turn: T) => void,
  ) {}

  push(cur: T): void {
    const { p1, p2 } = this;
    const partner = p1 && p1.role === cur.role ? p1 : p1 && p2 && p2.role === cur.role ? p2 : null;
    if (partner && this.engine) {
      // three turns of one speaker, the middle one digits only (138 / 1234 / 5678), first: the
      // identifier over all three is longer than one the last two alone would make
      const three = p1 && p2 && p1.role === cur.role && p2.role === cur.role ? splitSpans3(p2.text, p1.text, cur.text, [p2.spans, p1.spans, cur.spans], this.engine) : null;
      if (three) {
        p2!.spans = [...p2!.spans, three[0]];
        p1!.spans = [three[1], ...p1!.spans];
        cur.spans = [three[2], ...cur.spans];
      } else {
        const split = splitSpans(partner.text, cur.text, partner.spans, cur.spans, this.engine);
        if (split) {
          partner.spans = [...partner.spans, split[0]];
          cur.spans = [split[1], ...cur.spans];
        }
      }
    }
    if (p2) this.finish(p2);
    this.p2 = p1;
    this.p1 = cur;
  }

  /** Finishes the turns still waiting (call once, after the conversation's last turn). */
  end(): void {
    if (this.p2) this.finish(this.p2);
    if (this.p1) this.finish(this.p1);
    this.p1 = this.p2 = null;
  }
}

