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
  return splitOver([first, second], [firstSpans, secondSpans], engine) as [PiiSpan, PiiSpan] | null;
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
  return splitOver([first, middle, last], spans, engine) as [PiiSpan, PiiSpan, PiiSpan] | null;
}

/**
 * An identifier over consecutive turns: the digits that end the first, every middle turn whole (one
 * digit group and closers, nothing else), the digits that open the last. One span per turn, or null.
 */
function splitOver(texts: readonly string[], spans: readonly (readonly PiiSpan[])[], engine: RuleEngine): PiiSpan[] | null {
  const n = texts.length;
  const first = texts[0];
  const last = texts[n - 1];
  const t = tailDigits(first);
  if (!t) return null;
  const h = headDigits(last);
  if (!h) return null;
  const parts: [number, number][] = [t];
  for (let i = 1; i < n - 1; i++) {
    const m = headDigits(texts[i]);
    if (!m || m[0] !== 0) return null;
    let rest = m[1];
    while (rest < texts[i].length && CLOSERS.has(texts[i][rest])) rest++;
    if (rest !== texts[i].length) return null;
    parts.push(m);
  }
  parts.push(h);
  const pieces = parts.map(([a, b], i) => texts[i].slice(a, b));
  if (pieces.some((p) => digitCount(p) < MIN_PART_DIGITS)) return null;
  if (parts.some(([a, b], i) => covered(spans[i], a, b))) return null;
  const [tailStart, tailEnd] = t;
  const [headStart, headEnd] = h;
  const cue = first.slice(Math.max(0, tailStart - CUE_WINDOW), tailStart);
  const joined = cue + pieces.join('');
  /** Where the last part starts in `joined`. */
  const junction = joined.length - pieces[n - 1].length;
  for (const s of engine.analyze(joined).spans) {
    // the finding must take the first part whole and reach into the last
    if (s.start <= cue.length && s.end > junction) {
      const rule = `${s.rule}.split-turns`;
      // in the first turn from where the finding starts (a +86 before the digits included)
      // the last part ends where the finding ends, at the end of that digit group: a count after the
      // number (1234 5678 2 个包裹) stays, no digit of the identifier does
      let end = Math.min(headEnd, headStart + (s.end - junction));
      while (end < headEnd && isDigit(last.charCodeAt(end))) end++;
      return parts.map(([a, b], i) => ({
        type: s.type,
        start: i === 0 ? tailStart - cue.length + s.start : a,
        end: i === 0 ? tailEnd : i === n - 1 ? end : b,
        score: s.score,
        rule,
      }));
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

