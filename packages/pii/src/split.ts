import type { PiiSpan, Role } from '@scrubline/core';
import { isDigitLikeCode, TEXT_HAS_LINE_BREAK, TEXT_MAY_HOLD_DIGITS, type KeptSpan, type RuleEngine } from './rules.js';
import { checkResidentId, luhnValid } from './validators.js';

/**
 * Identifiers split over two consecutive turns of one speaker: a chat user who hits enter too soon
 * sends `我留的号码是138` and then `1234 5678`. Each turn alone holds too few digits for any rule,
 * so the pair is checked once more as one text: the end of the first turn (its last digits, with
 * the words before them for cue words) joined to the digits that open the second. A finding that
 * crosses the junction marks both parts, each in its own turn.
 */

/**
 * Closing punctuation allowed after the first part's digits: space, tab, CR, LF and ，。,.!！?？~～… (char codes, not a
 * Set of one-character strings: this runs on every turn with digits).
 */
const isCloser = (c: number): boolean => (c < 128 ? c === 32 || c === 9 || c === 13 || c === 10 || c === 44 || c === 46 || c === 33 || c === 63 || c === 126 : c === 0xff0c || c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff5e || c === 0x2026);
/** Characters without a digit allowed before the second part's digits (后面是, 后面四位, 接上). */
const HEAD_LEAD = 8;
/** Characters of the first turn kept before its digits, for cue words (号码是, 卡号前面是 …). */
const CUE_WINDOW = 16;
/** Words a first part read with the turn before may open with (an answer: 是, 好的，, 我的是, 嗯 …). */
const ANSWER_OPENING = /^[，,、 ]?(?:好的|嗯嗯?|是|我的是|就是|(?:[Ss]ure|OK|[Oo]k)?,? ?(?:[Ii]t'?s|[Ii]t is|[Mm]ine is)?)?[，,、：: ]?$/;
/** Characters of the turn a first part was read with (previousTurnSpans) that a split reads before it. */
const LEAD_CHARS = 32;
/** Fewer digits on either side is a count or a reply, not half of an identifier. */
const MIN_PART_DIGITS = 3;
/**
 * The most turns one identifier is looked for over: a 19-digit card typed four or five digits a turn
 * takes five, an 18-character resident ID typed three a turn six. Six only after a cue for such a
 * number (LONG_CHAIN_CUE): six lists of three digits join into a Luhn-valid 18–19-digit number about
 * one time in ten (review of session 11), a card made of counts. Without the cue, six turns are taken
 * only for a resident ID whose check character, region and birth date are all valid (113 of 20 million
 * random 18-digit strings pass all three, about one in 180,000), never for a card.
 */
const MAX_CHAIN = 6;
/** The most turns a chain may take without LONG_CHAIN_CUE. */
const MAX_CHAIN_UNCUED = 5;
/** Words before the first part that a chain of six turns needs: an ID, card or account number is coming. */
const LONG_CHAIN_CUE = /身份证|证件|证号|卡号|银行卡|信用卡|储蓄卡|借记卡|账号|帐号|护照|执照|信用代码/;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Whether `s` from `at` on is closers only. */
const onlyClosersFrom = (s: string, at: number): boolean => {
  for (let i = at; i < s.length; i++) if (!isCloser(s.charCodeAt(i))) return false;
  return true;
};
const isJoin = (c: number): boolean => c === 32 || c === 45;
const isX = (c: number): boolean => c === 88 || c === 120;
/** A digit as the rules read one: ASCII, full-width (７３９２), or a Chinese numeral (七三九二, 幺, 两). */
const isDigitLike = isDigitLikeCode;
/** A digit of a split identifier's part: ASCII or full-width (我的手机号是１３８ / １２３４５６７８: an IME left in full-width mode). */
const isPartDigit = (c: number): boolean => isDigit(c) || (c >= 0xff10 && c <= 0xff19);
/** A space, dash or dot between digit groups (138 1234 5678, 138-1234-5678, 2019.5.20). */
const isGroupJoin = (c: number): boolean => isJoin(c) || c === 46;
/** [A-Za-z0-9]. */
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** [start, end) of the digits that end `s` (single spaces or dashes between them), then closers only; null if none. Scans backwards: linear. */
function tailDigits(s: string): [number, number] | null {
  let end = s.length;
  while (end > 0 && isCloser(s.charCodeAt(end - 1))) end--;
  if (end === 0 || !isPartDigit(s.charCodeAt(end - 1))) return null;
  let start = end - 1;
  for (;;) {
    if (start > 0 && isPartDigit(s.charCodeAt(start - 1))) start--;
    else if (start > 1 && isJoin(s.charCodeAt(start - 1)) && isPartDigit(s.charCodeAt(start - 2))) start -= 2;
    else break;
  }
  return [start, end];
}

/** [start, end) of the digits that open `s` after at most HEAD_LEAD other characters; null if none. */
function headDigits(s: string): [number, number] | null {
  let start = 0;
  while (start < s.length && start <= HEAD_LEAD && !isPartDigit(s.charCodeAt(start))) start++;
  // a count of digits (后4位5678, 最后2位是78) is words before the part, not the part
  if (start + 2 < s.length && s.charCodeAt(start + 1) === 0x4f4d && isPartDigit(s.charCodeAt(start))) {
    start += 2;
    while (start < s.length && start <= HEAD_LEAD && !isPartDigit(s.charCodeAt(start))) start++;
  }
  if (start >= s.length || !isPartDigit(s.charCodeAt(start))) return null;
  let end = start + 1;
  for (;;) {
    if (end < s.length && isPartDigit(s.charCodeAt(end))) end++;
    else if (end + 1 < s.length && isJoin(s.charCodeAt(end)) && isPartDigit(s.charCodeAt(end + 1))) end += 2;
    else break;
  }
  // a resident ID's check character X closes its digits (char codes, not a regex: this runs on every turn
  // that opens with digits, and a path first taken after V8 has optimised it costs a recompile)
  if (end < s.length && isX(s.charCodeAt(end)) && (end + 1 === s.length || !isAlnum(s.charCodeAt(end + 1)))) end++;
  return [start, end];
}

/** The digits of a middle turn of a chain: words that carry on at most, one digit group, closers (1234 / 然后是1234，); null if it is none. */
function middleDigits(s: string): [number, number] | null {
  const m = headDigits(s);
  // (后4位5678 says the number ends there: a last part, never a middle one)
  return m && CARRY_ON.test(s.slice(0, m[0])) && onlyClosersFrom(s, m[1]) && !COUNTED.test(s.slice(0, m[0])) ? m : null;
}

/** A count of digits before a part (后4位, 最后两位是): the part must hold that many. */
const COUNTED = /([0-9０-９一二三四五六七八九两])位/;
const NUMERAL_VALUE: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
/** How many digits the words before a last part say it holds (后4位 → 4), or -1. */
function countedDigits(words: string): number {
  const m = COUNTED.exec(words);
  if (!m) return -1;
  const c = m[1].charCodeAt(0);
  return c >= 0xff10 ? c - 0xff10 : c <= 57 ? c - 48 : NUMERAL_VALUE[m[1]];
}

/** Whether a part holds fewer than MIN_PART_DIGITS digits (digitCount; stops at that many: parts may be long). */
function fewDigits(s: string): boolean {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isPartDigit(s.charCodeAt(i)) && ++n >= MIN_PART_DIGITS) return false;
  return (s.length > 0 && isX(s.charCodeAt(s.length - 1)) ? n + 1 : n) < MIN_PART_DIGITS;
}

/**
 * The local part of an e-mail address that ends a turn (huming925, wu.wei, zhangwei2020@; closers after it, a full stop
 * among them), after a word boundary: group 1 the part, group 2 an @ typed with it.
 */
const LOCAL_PART_END = /(?<![A-Za-z0-9._%+-])([A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?)([@＠]?)[ \t\r\n，。,.!！?？~～…]*$/;
/** A domain that opens a turn (@outlook.com, @126.com，, 163.com): group 1 an @ typed with it, group 2 the domain. */
const DOMAIN_START = /^([@＠]?)((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:com|cn|net|org|edu|gov|io|me|co|info|top|xyz|cc|hk|tw|mo|jp|uk|us|de|fr|ca|au|nz|kr|sg)(?:\.[a-z]{2})?)(?![A-Za-z0-9-])/i;
/** What may follow a domain alone in its turn: closers and thanks. */
const DOMAIN_ALONE = /^[ \t，。,.!！~～]*(?:(?:谢谢|谢了|多谢|[Tt]hanks|[Tt]hank you|[Tt]hx)[ \t，。,.!！~～]*)?$/;
/** What may come before a local part alone in its turn: nothing, or a few words that answer (是, 我的是, it's). */
const LOCAL_ALONE = /^(?:[ \t]*|.{0,12}(?:是|为|[:：，,]|[Ii]t'?s|[Ii]s|[Mm]ine is)[ \t]*)$/;
/** Words that name an e-mail address. */
const EMAIL_CUE = /邮箱|邮件|电邮|[Ee]-?mail|MAIL|[Mm]ailbox/;
/** Whether `text` may open with the domain half of a split e-mail address: an @ or a letter or digit first, a dot in it. */
function mayJoinEmail(text: string): boolean {
  const c = text.charCodeAt(0);
  return (c === 64 || c === 0xff20 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) && text.indexOf('.') > 0;
}
/** Whether `text` ends in an @, closers after it aside. */
function endsWithAt(text: string): boolean {
  let i = text.length - 1;
  while (i >= 0 && isCloser(text.charCodeAt(i))) i--;
  return i >= 0 && (text.charCodeAt(i) === 64 || text.charCodeAt(i) === 0xff20);
}

/** Digits of a part, a resident ID's closing check character X counted as one (…310 / 02X). */
const digitCount = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isPartDigit(s.charCodeAt(i))) n++;
  return s.length > 0 && isX(s.charCodeAt(s.length - 1)) ? n + 1 : n;
};

const SPLIT_SUFFIX = '.split-turns';
const NO_PARTS: number[] = [];
/** What TurnPairer keeps of a waiting turn. */
interface Slot {
  /** The turn before it (kept when that turn is finished: a question before four turns of a card). */
  before: string;
  /**
   * For a turn that ends in digits: what else a split that begins with it may read before it (earlierLead), taken when
   * it came: the turns that say so may be finished before the split's last part comes.
   */
  earlier: string;
  /** Its flags (CUT; GOES_ON, ENDS_IN_DIGITS, CAN_MIDDLE, IS_WAIT, each with its _READ bit; the run's start above RUN_SHIFT). */
  flags: number;
  /** What a split that begins with it reads before it from the turns around it (leadAround), once read; null until then. */
  lead: string | null;
  /** For a wait of its speaker after a short turn (稍等 / 我找找): the question it waits on, taken when it came; else ''. */
  waitsFor: string;
}
/**
 * Bits of TurnPairer's per-turn flags: a turn out of the roles option before it ends its speaker's run (CUT); whether
 * it lets another speaker's number go on (letsGoOn), ends in digits (tailDigits), is a chain's middle part
 * (middleDigits), is a wait (isWaitReply), each read when first asked (…_READ); above RUN_SHIFT, how many places back
 * the run of its speaker that ends with it begins (runStart).
 */
const CUT = 1;
const GOES_ON_READ = 2;
const GOES_ON = 4;
const ENDS_READ = 8;
const ENDS_IN_DIGITS = 16;
const MIDDLE_READ = 32;
const CAN_MIDDLE = 64;
const WAIT_READ = 128;
const IS_WAIT = 256;
const RUN_SHIFT = 10;
/** The tests behind the flags (TurnPairer.readFlag), on a waiting turn. */
const endsInDigitsTest = (t: PendingTurn): boolean => mayHoldDigits(t) && tailDigits(t.text) !== null;
const canMiddleTest = (t: PendingTurn): boolean => middleDigits(t.text) !== null;
const letsGoOnTest = (t: PendingTurn): boolean => letsGoOn(t.text);
const isWaitTest = (t: PendingTurn): boolean => isWaitReply(t.text);
/** Which spans a chain may take again: those of an earlier split inside it (16 digits of a 19-digit card over five turns). */
type Retake = (span: PiiSpan) => boolean;
const never: Retake = () => false;
/** Whether a span that may not be taken again covers part of [start, end). */
const covered = (spans: readonly PiiSpan[], start: number, end: number, retake: Retake): boolean => spans.some((s) => s.start < end && s.end > start && !retake(s));
/** The turn's spans with `part` in (a span it takes again goes); the part goes first, or last for the chain's first turn. */
function withPart(spans: readonly PiiSpan[], part: PiiSpan, last: boolean, retake: Retake): PiiSpan[] {
  const rest = spans.filter((s) => !(s.start < part.end && s.end > part.start && retake(s)));
  return last ? [...rest, part] : [part, ...rest];
}
/**
 * Words a middle turn of a chain (three or more turns) may open with before its digits: carrying the
 * number on (然后是1234, 接着1949, 后四位是, 尾号), never a new cue (身份证1101…) nor a list of amounts (还有2000).
 */
const CARRY_ON = /^[，,、 ]?(?:然后|接着|后面|后边|接下来|下面|最后|后|尾号)?(?:[0-9０-９一二三四五六七八九两几]位)?(?:的是|是|为)?[:：，, ]?$/;
/** Words before the last part of a chain that list amounts (还有3000, 再3000, 一共…): no split. */
const LISTING = /还有|再|另外|加上|以及|一共|总共|合计|共计|花了|付了|第|价|金额|费|元|块|[¥￥$]|RMB|rmb/;
/** Words right before the first part of a chain that open a list of amounts (一共158, 总共 158, 合计158). */
const LIST_OPENS = /(?:一共|总共|合计|共计|还有)[:：]? ?$/;
/** A unit or currency right after the last part of a chain (3000元, 3000 元, 20%): an amount, not part of an identifier. */
const UNIT_AFTER = /^ ?[元块角毛%％]/;
/** A currency right before the first part of a chain (¥158, ¥ 158, RMB158). */
const CURRENCY_BEFORE = /(?:[¥￥$]|RMB|rmb) ?$/;

/**
 * The spans (one per turn) of an identifier split between `first` and `second`, or null. Parts
 * already covered by a finding of their own turn are left alone.
 */
export function splitSpans(first: string, second: string, firstSpans: readonly PiiSpan[], secondSpans: readonly PiiSpan[], engine: RuleEngine): [PiiSpan, PiiSpan] | null {
  return (splitOver([first, second], [firstSpans, secondSpans], engine)?.spans ?? null) as [PiiSpan, PiiSpan] | null;
}

/**
 * The same over three to MAX_CHAIN turns of one speaker (`号码是138` / `1234` / `5678`; a card typed four
 * digits a turn): every middle turn is one group of digits, maybe after a few words (然后是1234),
 * and nothing else; a finding that takes the first part whole and reaches into the last marks them all.
 */
export function splitChain(texts: readonly string[], spans: readonly (readonly PiiSpan[])[], engine: RuleEngine, retake: Retake = never): PiiSpan[] | null {
  return chainOver(texts, spans, engine, retake)?.spans ?? null;
}

function chainOver(texts: readonly string[], spans: readonly (readonly PiiSpan[])[], engine: RuleEngine, retake: Retake, lead = '', shortAfter: string | null = null, cuedOnly = false, proofOnly = false): Split | null {
  return texts.length >= 3 && texts.length <= MAX_CHAIN ? splitOver(texts, spans, engine, retake, lead, shortAfter, cuedOnly, proofOnly) : null;
}

/**
 * A split identifier: one span per turn. `short`: the finding stops before more digits its last part
 * goes on with (…138 / 1234 5678 read as a card ending at 1234), so it may be another identifier than
 * the one typed in parts: a shorter chain or the pair is preferred where one finds something.
 */
interface Split {
  spans: PiiSpan[];
  short: boolean;
}

/**
 * An identifier over consecutive turns: the digits that end the first, every middle turn whole (one
 * digit group and closers, after words that carry on), the digits that open the last. One span per
 * turn, or null. `shortAfter`: where not null, a part of one or two digits may be one (13816 / 2345 / 78:
 * a number typed in haste) if what came between the parts lets the number go on: '' (nothing, or turns
 * already known to), or another speaker's turn that must (letsGoOn; read only when a part is short). Then
 * the parts must join into a number whose format proves it whole (checksOut), words before must ask for
 * its type, and a short last part must be its turn alone. `cuedOnly`: only a
 * finding whose type such words name (a chain with another speaker's turns between its parts); with
 * `proofOnly`, also one whose check digits prove it whole (no question before asks for anything).
 */
function splitOver(texts: readonly string[], spans: readonly (readonly PiiSpan[])[], engine: RuleEngine, retake: Retake = never, lead = '', shortAfter: string | null = null, cuedOnly = false, proofOnly = false): Split | null {
  const n = texts.length;
  const first = texts[0];
  const last = texts[n - 1];
  const t = tailDigits(first);
  if (!t) return null;
  const h = headDigits(last);
  if (!h) return null;
  // `lead` (the end of the turn before the first part, or the one its reading came from: TurnPairer.leadBefore),
  // only where the last part carries the number on: 我留的号码是138 after it starts another one. A try with a lead
  // follows one without (the caller's): without it, nothing new
  const useLead = lead !== '' && CARRY_ON.test(last.slice(0, h[0]));
  if (lead !== '' && !useLead) return null;
  // listed amounts that happen to join into an identifier (一共158 / 还有2000 / 还有3000元): over three or more turns
  // a list is likelier than a number typed in parts, unless the words say it carries on; after a question, amounts
  // and counts in two turns are no answer either (价格是12800 / 500, 现在是8058 / 9151元)
  // (一共158 / 2000 / 3000: the list's words may also open its first part, right before the digits)
  // (read only where it decides: most pairs are two turns without a lead)
  const listed = (): boolean => LISTING.test(last.slice(0, h[0])) || UNIT_AFTER.test(last.slice(h[1])) || CURRENCY_BEFORE.test(first.slice(0, t[0])) || LIST_OPENS.test(first.slice(Math.max(0, t[0] - 4), t[0]));
  if ((n > 2 || useLead) && listed()) return null;
  // over two turns too: a currency after the last part or before the first is an amount (总共139 / 88888888元, in
  // ASCII or full-width digits), unless the first part's own words name an identifier (手机号码138 / 12345678元)
  if ((UNIT_AFTER.test(last.slice(h[1])) || CURRENCY_BEFORE.test(first.slice(0, t[0]))) && !engine.hasCueWord(first.slice(Math.max(0, t[0] - CUE_WINDOW), t[0]))) return null;
  if (useLead && AMOUNT_AFTER.test(last.slice(h[1]))) return null;
  // a count right after the last part's first digits ends a list over three or more turns (138 / 10214 / 707个; not
  // 5678张先生, nor 5678 100个, where the count follows the number)
  if (n > 2 && COUNT_AFTER.test(last.slice(digitRunEnd(last, h[0])))) return null;
  const parts: [number, number][] = [t];
  for (let i = 1; i < n - 1; i++) {
    const m = middleDigits(texts[i]);
    if (!m) return null;
    parts.push(m);
  }
  parts.push(h);
  const pieces = parts.map(([a, b], i) => texts[i].slice(a, b));
  // a date written with dashes is no last part (订单号 … / 975322 / 2024-03-13签收的; a resident ID's birth date typed as
  // a date is a middle part: 110105 / 1949-12-31 / 0029)
  if (pieces[n - 1].length >= 8 && DATE_SHAPE.test(pieces[n - 1])) return null;
  // (or with dots, slashes or 年: the year alone is the part the digits give, 2024.03.13签收的)
  if (pieces[n - 1].length === 4 && /^(?:19|20)[0-9]{2}$/.test(pieces[n - 1]) && /^[./／年][0-9０-９]/.test(last.slice(h[1]))) return null;
  // 后4位5678: the last part holds as many digits as its words say (2位客人，5678 and 5位5678 are none)
  const counted = countedDigits(last.slice(0, h[0]));
  if (counted >= 0 && digitCount(pieces[n - 1]) !== counted) return null;
  // (a first part is its turn's last digits and a middle part its turn whole: a short last part must be its turn too)
  const hasShort = pieces.some(fewDigits);
  if (hasShort && (shortAfter === null || (shortAfter !== '' && !letsGoOn(shortAfter)) || (digitCount(pieces[n - 1]) < MIN_PART_DIGITS && !(CARRY_ON.test(last.slice(0, h[0])) && onlyClosersFrom(last, h[1]))))) return null;
  if (parts.some(([a, b], i) => covered(spans[i], a, b, retake))) return null;
  const [tailStart, tailEnd] = t;
  const [headStart, headEnd] = h;
  const cue = first.slice(Math.max(0, tailStart - CUE_WINDOW), tailStart);
  const uncued = n > MAX_CHAIN_UNCUED && !LONG_CHAIN_CUE.test(cue);
  // a short part needs words that ask for the type found: its own (我的手机号是13) or the question's (QQ是65 / 026653209 /
  // 我打了10086… makes a Luhn-valid card one time in ten); so do parts with turns between (138 / 嗯 / 1234 / 嗯 / 5678
  // after 请问您购买了几台？ are counts). Without such words, no reading at all
  // (or, over turns between and after no question, check digits that prove the number whole: a Luhn-valid card with an
  // issuer's prefix, a resident ID; such a number has 15 to 19 digits, typed as bare digit groups, the first opening its
  // turn as an answer does and the last ending it: 型号64670 / 326 / 然后呢 / …, a date as a part, 5453，8 are no card;
  // 这几款价格分别是多少？ / 4999 / 嗯 / 3999 / 2999 / 5299 are prices)
  const asked = hasShort || cuedOnly ? (useLead ? [...engine.endCues(cue), ...engine.cuesIn(lead)] : engine.endCues(cue)) : null;
  const total = proofOnly && !hasShort ? pieces.reduce((sum, p) => sum + digitCount(p), 0) : 0;
  const provable = total >= 15 && total <= 19 && pieces.every((p) => BARE_PART.test(p)) && ANSWER_OPENING.test(first.slice(0, t[0])) && onlyClosersFrom(last, h[1]);
  if (asked !== null && asked.length === 0 && !provable) return null;
  // the lead and a line break before the digits: its words are cues, none of its characters is taken
  const prefix = useLead ? lead + '\n' : '';
  const joined = prefix + cue + pieces.join('');
  /** Where the last part starts in `joined`. */
  const junction = joined.length - pieces[n - 1].length;
  for (const s of engine.analyze(joined).spans) {
    // the finding must take the first part whole and reach into the last
    if (s.start >= prefix.length && s.start <= prefix.length + cue.length && s.end > junction) {
      if (uncued && !(s.type === 'PERSON_ID' && checkResidentId(joined.slice(s.start, s.end).replace(/[ -]/g, '')).valid)) continue;
      const rule = s.rule + SPLIT_SUFFIX;
      const typeAsked = asked === null || engine.cuesType(asked, s.type);
      if (!typeAsked && !(provable && (s.type === 'PERSON_ID' || (s.type === 'BANK_CARD' && CARD_ISSUER.test(pieces[0]))))) continue;
      // in the first turn from where the finding starts (a +86 before the digits included)
      // the last part ends where the finding ends, at the end of that digit group: a count after the
      // number (1234 5678 2 个包裹) stays, no digit of the identifier does
      let end = Math.min(headEnd, headStart + (s.end - junction));
      while (end < headEnd && isPartDigit(last.charCodeAt(end))) end++;
      const split = {
        spans: parts.map(([a, b], i) => ({
          type: s.type,
          start: i === 0 ? tailStart - cue.length + (s.start - prefix.length) : a,
          end: i === 0 ? tailEnd : i === n - 1 ? end : b,
          score: s.score,
          rule,
        })),
        short: digitCount(last.slice(end, headEnd)) >= MIN_PART_DIGITS,
      };
      if (hasShort && (split.short || end < headEnd || !checksOut(s.type, texts, split.spans))) continue;
      if (!typeAsked && !checksOut(s.type, texts, split.spans)) continue;
      return split;
    }
  }
  return null;
}

/**
 * Where the chain of each split span begins, as a place in its conversation (a later chain that begins
 * there or before may take it again). One table for all conversations: a split span is a fresh object
 * that only its own conversation's pairer ever looks up. (A field made on the first split changed the
 * pairer's shape once per thread, after V8 had optimised the code that uses it: a recompile.)
 */
const chainStart = new WeakMap<PiiSpan, number>();
/** The end of the turn a finding of previousTurnSpans was read with: a split that takes it again reads its parts with it too. */
const readWith = new WeakMap<PiiSpan, string>();
/** The text a turn's findings were read with (previousTurnSpans), or ''. */
const leadOf = (spans: readonly PiiSpan[]): string => {
  for (const s of spans) {
    const lead = readWith.get(s);
    if (lead !== undefined) return lead;
  }
  return '';
};

/** A turn waiting for its operators: its text, speaker and spans (a split finding may still be added). */
export interface PendingTurn {
  text: string;
  role: Role;
  spans: PiiSpan[];
  /** Text the rules left as it is (a placeholder, a service number). */
  kept?: readonly KeptSpan[];
  /**
   * The text of the turn right before this one when that turn is outside the `roles` option: no pending turn,
   * but the turn before all the same (an agent's question before a customer's answer, only customers scrubbed).
   */
  before?: string;
  /** How many turns out of the roles option lie between this turn and the pending turn before it (job.ts outOfScopeGap). */
  gap?: number;
  /** What the rules' analysis saw in the text (RuleEngine.lastHints); left out: unknown, the text is read. */
  hints?: number;
}

/**
 * The kept text of a finished turn that no finding of it covers: a split or a reading of the turn before may take
 * digits the turn's own analysis kept (11010, a service number's shape, as the first part of a resident ID), and
 * the report counts them as found then, not also as kept.
 */
export function keptLeft(turn: PendingTurn): readonly KeptSpan[] {
  const kept = turn.kept ?? [];
  if (kept.length === 0 || turn.spans.length === 0) return kept;
  return kept.filter((k) => !turn.spans.some((s) => s.start < k.end && k.start < s.end));
}

/** Whether `t` may hold a digit (ASCII, full-width or a Chinese numeral): a turn without one opens with no number. */
const mayHoldDigits = (t: PendingTurn): boolean => t.hints === undefined || (t.hints & TEXT_MAY_HOLD_DIGITS) !== 0;
/** Where the first line break of `t` is, or -1 (not looked for where the analysis saw none). */
const firstLineBreak = (t: PendingTurn): number => (t.hints !== undefined && (t.hints & TEXT_HAS_LINE_BREAK) === 0 ? -1 : t.text.indexOf('\n'));

const PREVIOUS_TURN_SUFFIX = '.previous-turn';
/** Whether `text` is a short nudge (亲？, 在吗？): job.ts reads the question before it in its place, out of the roles option. */
export const isNudge = (text: string): boolean => text.length <= SHORT_REPLY && NUDGE.test(text);
/** Mainland mobile prefixes in use (13x, 145–149, 15x but 154, 16[2567], 17[0-8], 18x, 19x but 194), eleven digits. */
const MOBILE_PREFIX = /^1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])[0-9]{8}$/;
/** A Hong Kong or Macau number after its country code: 852 or 853 and eight digits. */
const HK_MO_WHOLE = /^(?:00)?85[23][2-9][0-9]{7}$/;
/** A landline with its area code (010, 02x, or a three-digit code from 03 on), 7 or 8 digits starting 2–8, an extension. */
const LANDLINE_WHOLE = /^0(?:10|2[0-9]|[3-9][0-9]{2})[2-8][0-9]{6,7}[0-9]{0,5}$/;
/** Whether the parts a split marks (one per text) join into a number its format proves whole: a resident ID, a Luhn-valid card, a mobile or landline. */
function checksOut(type: string, texts: readonly string[], parts: readonly PiiSpan[]): boolean {
  const head = texts[0].slice(parts[0].start, parts[0].end);
  const digits = parts.map((p, i) => texts[i].slice(p.start, p.end)).join('').replace(/[^0-9０-９Xx]/g, '').replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  if (type === 'PERSON_ID') return checkResidentId(digits).valid;
  if (type === 'BANK_CARD') return /^[0-9]{16,19}$/.test(digits) && luhnValid(digits);
  // a phone has no check digit: a mobile's prefix must be one the carriers give out (154 is none), a landline needs
  // its area code (021-6123 / 4567); a country code before either is dropped (+86 138 / 1234 5678)
  if (type === 'PHONE') {
    // a country code only where the number was written with one (+86, 0086, (+86)): 86152947 is a local number
    const international = /^[(（]?(?:\+|00)/.test(head);
    if (international && HK_MO_WHOLE.test(digits)) return true;
    let national = international ? digits.replace(/^(?:00)?86/, '') : digits;
    // the trunk 0 a landline drops after +86 (+86 21 6123 4567, 0086 10 6512 3456)
    if (international && !national.startsWith('0') && !MOBILE_PREFIX.test(national)) national = '0' + national;
    return MOBILE_PREFIX.test(national) || LANDLINE_WHOLE.test(national);
  }
  return false;
}

/**
 * A turn that prompts for what follows: one that is only 您的/你的/your and a few characters (那您的QQ号), or ends in a colon
 * or a question mark (Account number:); 好的，我帮您查一下您的订单 is a statement.
 */
const PROMPT_END = /[:：？?][ ]*$/;
/** Cue words that name a number or an account (QQ号, 订单号码, 手机, order number; 您的快递, 您的订单 name a parcel, an order). */
const NAMES_NUMBER = /(?:号|号码|[Nn]umber|ID|[Nn]o\.?)$|QQ|qq|微信|[Vv][Xx]|邮箱|[Ee]-?mail|手机|电话|账号|帐号|卡号/;
/** A short turn that names what it wants: 您的/你的/your and then cue words only (那您的QQ号, 亲，您的QQ号呢; 好的，您的订单已发货 is none). */
const PROMPT_HEAD = /^(?:(?:亲|好的|嗯|OK|ok)[，, ]?)?(?:那|请问|麻烦|还有)?(?:您的|你的|[Yy]our )(.{1,12}?)[呢吗]?[ ]*$/;
/** The longest acknowledgement or nudge (好的，您请说 …): longer text is none, and the patterns need not read it. */
const SHORT_REPLY = 16;
/** A speaker's nudge after its own question (亲？, 在吗？, 您好？): the answer after it answers the question. */
const NUDGE = /^(?:亲+|亲亲|您好|你好|在吗|在么|还在吗|在不在|hello|Hello|hi|Hi)?[？?～~。.！!，, ]*(?:请问)?(?:亲+|(?:您|你)?还?在线?(?:吗|么)|在不在)?[？?～~。.！! ]*$/;
/** Another speaker's question that asks for the rest of a number typed in parts (还有呢？, 然后呢, 后面呢). */
const ASKS_FOR_REST = /^(?:(?:好的|嗯+)[，, ]?)?(?:还有呢|然后呢|后面呢|后边呢|剩下的呢|接着说|[Aa]nd\??|[Aa]nd the rest\??)[？?。.!！~～ ]*$/;
/**
 * Words that, alone or strung together (好的亲, 嗯嗯好的, 对的，您说, 好的收到), between commas, spaces and closing
 * punctuation, let a number typed in parts go on. (One loop of single words, no quantifier inside it: a turn that
 * fails backtracks little.)
 */
const GO_ON_WORDS = /^[，,、 ？?。.!！~～…]*(?:(?:好的?|好滴|好嘞|好哒|嗯|嗯呢|嗯哼|哦|噢|对|对的|是的|没错|收到|明白|明白了|了解|记下了|记好了|记录了|OK|ok|Ok|okay|亲|您说|你说|请说|请讲|继续|请继续(?:输入|说)?|然后呢|还有呢|后面呢|后边呢|剩下的呢|接着说|在吗|还在吗|您好|你好|[Hh]ello|[Hh]i|[Aa]nd|[Gg]o on|[Yy]es|在的|在呢|我在|在|没关系|不着急|不急|慢慢来|您?慢慢找|我等您|等您|[Nn]ext|[Rr]ight|[Ss]ure|[Mm]m-?hm|[Uu]h-?huh|[Gg]ot it|[Gg]o ahead|[Aa]lright|[Cc]ontinue|Okay|[Tt]hen|[Yy]eah|[Yy]ep)[，,、 ？?。.!！~～…]*)+$/;
/**
 * Whether another speaker's turn between two parts of a number lets it go on: an acknowledgement, a nudge, a question
 * for the rest, or such words strung together. (NUDGE also takes a turn of punctuation or blanks only: 。, ？.)
 */
const letsGoOn = (text: string): boolean => text.length <= SHORT_REPLY && (ACKNOWLEDGEMENT.test(text) || NUDGE.test(text) || ASKS_FOR_REST.test(text) || GO_ON_WORDS.test(text));
/** The other speaker's patience after a wait: send it when found (好的，您找到了发我, 找到后告诉我就行). */
const PATIENCE = /^(?:(?:好的?|嗯+|行|没关系|没事|不着急|不急)[，, ]?)?(?:您|你)?(?:找到了?|找到后|查到了?|查到后)(?:再)?(?:发|告诉)(?:我|给我)(?:就行|就好|哈|哦|吧)?[。.!！~～ ]*$|^(?:[Nn]o problem|[Nn]o worries|[Tt]ake your time|[Oo]f course|[Ss]ure)[,.!~ ]*(?:[Tt]ake your time)?[.!~ ]*$/;
/** Whether `text` is a short acknowledgement (ACKNOWLEDGEMENT; the pattern need not read a long turn). */
const isAcknowledgement = (text: string): boolean => text.length <= SHORT_REPLY && ACKNOWLEDGEMENT.test(text);
/** A reply that asks the other speaker to wait, or consents (稍等, 等一下我找找, 我看看, 好的): the answer follows later. */
const isWaitReply = (text: string): boolean => text.length <= SHORT_REPLY && WAIT_FIRST.has(text.charCodeAt(0)) && (WAIT_REPLY.test(text) || ACKNOWLEDGEMENT.test(text) || WAIT_DONE.test(text) || waitsInParts(text));
/** The end of a wait, before the answer comes (找到了, 好了, found it, here it is): the question still stands. */
const WAIT_DONE = /^(?:(?:好的?|嗯+|OK|ok|Ok)[，, ]?)?(?:找到了|查到了|有了|好了|在这里?)[，,。.!！~～ ]*$|^(?:(?:OK|ok|Ok),? )?(?:[Ff]ound it|[Hh]ere it is|[Gg]ot it)[,.!~ ]*$/;
/**
 * The characters a wait or an acknowledgement opens with (WAIT_REPLY, ACKNOWLEDGEMENT), as char codes: most short turns
 * are neither, and this runs on every turn (text[0] of an ideograph would make a string each time).
 */
const WAIT_FIRST = new Set([...'好嗯哦OoSsWwHhJjLlFfGg请稍等马我去再找看查翻一待收可行您继有在，,。'].map((c) => c.charCodeAt(0)));
/** A wait in parts, in any order (我查一下，稍等; 稍等， 我找找; 稍等。我找找): every part between commas or full stops is a wait or an acknowledgement. */
function waitsInParts(text: string): boolean {
  // (no split: most texts fail at their first part, and this runs on every short turn)
  let any = false;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x3002;
    if (c !== 0xff0c && c !== 44 && c !== 0x3002) continue;
    if (i === text.length && start === 0) return false;
    if (i > start) {
      const part = text.slice(start, i);
      if (!WAIT_REPLY.test(part) && !ACKNOWLEDGEMENT.test(part)) return false;
      any = true;
    }
    start = i + 1;
    while (start < text.length && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 0x3000)) start++;
    i = start - 1;
  }
  return any;
}
const WAIT_REPLY = /^(?=[^，,。.!！~～ ])(?:(?:好的?|嗯+|哦|OK|ok|Ok)[，,、 ]?)?(?:(?:请?稍等|等一?下|等我一下|等等|等会儿?|马上|稍后)(?:一下|片刻)?(?:哈|哦|啊|呀|啦)?[，,、 ]?)?(?:我?(?:去|再)?(?:找|看|查|翻)(?:找|看|查|翻|一下|下)?(?:哈|哦|啊|呀)?)?(?:(?:一会儿?|待会儿?)(?:发|给)(?:你|您)(?:哈|哦)?)?[，,。.!！~～ ]*$|^(?:(?:[Ss]ure|[Oo][Kk]),? )?(?:[Ww]ait(?: a (?:moment|sec(?:ond)?|minute))?|[Hh]old on|[Oo]ne (?:moment|sec(?:ond)?)|[Jj]ust a (?:moment|sec(?:ond)?)|[Ll]et me (?:check|look|find it))[,.!~ ]*$/;
/** Another speaker's turn read as an acknowledgement between a cue and its answer (好的, 嗯嗯, 请继续输入, 收到，您请说); a question is none. */
const ACKNOWLEDGEMENT = /^(?:好的?|好嘞|嗯+|收到|可以|行|OK|ok|Ok|您请说|请说|请继续(?:输入)?|继续)(?:[，, ]?(?:不着急|不急|没事|没关系|慢慢来))?[，,。.!！~～ ]*(?:您请说|请说|请继续(?:输入)?)?[，,。.!！~～ ]*$/;
/**
 * Types whose values hold letters (a WeChat ID, a passport or plate number, a written date of birth …); any
 * other value read with the turn before is digits and a closing check character X, but an order number (SO2024…).
 */
const LETTERED_TYPES = new Set(['WECHAT', 'PASSPORT', 'PERMIT', 'PLATE', 'USCC', 'TRACKING_NO', 'EMAIL', 'URL', 'HANDLE', 'ACCOUNT_ID', 'DOB']);
/** A letter other than a closing check character X, ASCII or full-width. */
const LETTER_IN_NUMBER = /[A-WYZa-wyzＡ-Ｗ\uFF39\uFF3Aａ-ｗ\uFF59\uFF5A]|[XxＸｘ](?!$)/;
/** A product model: capitals, a few digits, a few letters (RTX4090, SM-G9910, GTX1080Ti). */
const MODEL_NAME = /^[A-Z]{1,5}-?[A-Z]?[0-9]{2,5}[A-Za-z]{0,3}$/;
/** A date (2024-03-05, 2024.3.5). */
const DATE_SHAPE = /^(?:19|20)[0-9]{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])$/;
/** A count, a unit or a time right after a number (3000件, 15000万, 2000多, 2024030512点). */
const AMOUNT_AFTER = /^ ?(?:[件个次天台套张条岁斤克米万人刀多点时分秒]|左右|小时|美元|日元|港币|欧元|英镑)/;
/** A part typed as digits only (a resident ID's closing X included): no date, no grouping. */
const BARE_PART = /^(?:[0-9]+|[０-９]+)[Xx]?$/;
/** The first digits of most cards: UnionPay 62, Visa 4, Mastercard 51–55. */
const CARD_ISSUER = /^(?:62|4|5[1-5])/;
/** A count right after a number (707个, 3台). */
const COUNT_AFTER = /^[件个次台套条只]/;
/** Where the digits from `at` end. */
function digitRunEnd(s: string, at: number): number {
  let i = at;
  while (i < s.length && isPartDigit(s.charCodeAt(i))) i++;
  return i;
}
/** An hour or minute right after a number (2024030512点下的, 20240305 10时). */
const TIME_AFTER = /^ ?[点时分秒]/;
/** Letters right after a number: a unit or a currency (15000mAh, 15000 RMB, 15000w). */
const LETTERS_AFTER = /^ ?[A-Za-z]/;

/**
 * Whether a finding read with the turn before looks like an answer, not a model, an amount or a date: `before`
 * and `after` are its turn's text around it. An amount is a number of at most 6 digits next to its unit or
 * currency (a longer one is an identifier even before a name: 308669150930 张伟).
 */
function answerShaped(type: string, value: string, before: string, after: string): boolean {
  if (MODEL_NAME.test(value)) return false;
  if (type !== 'DOB' && DATE_SHAPE.test(value)) return false;
  const digits = digitCount(value);
  if (type === 'ORDER_ID') {
    // an order number with letters (SO2024030512345) has most of it in digits
    const letters = value.length - digits - (value.match(/[^0-9A-Za-z]/g)?.length ?? 0);
    if (letters > 0 && (digits < 6 || letters * 2 > digits)) return false;
  } else if (!LETTERED_TYPES.has(type) && LETTER_IN_NUMBER.test(value)) return false;
  // (an account name, letters first, is no amount: zhang_wei1990 please)
  if (digits <= 6 && !(LETTERED_TYPES.has(type) && /^[A-Za-z]/.test(value)) && (UNIT_AFTER.test(after) || AMOUNT_AFTER.test(after) || LETTERS_AFTER.test(after) || CURRENCY_BEFORE.test(before))) return false;
  // a number glued to letters after it is a unit (15000mAh), one before 点 or 时 a time (2024030512点), whatever its length
  return !/^[A-Za-z]/.test(after) && !TIME_AFTER.test(after);
}

/**
 * Findings in `cur` that the end of the turn before it makes: a number that opens a turn (four digits or
 * more, ASCII, full-width or Chinese numerals, starting in its first 8 characters, outside its own findings)
 * read with the cue words that end `prev`, as if the two were one text with a line break between. An agent
 * asks 麻烦提供一下您的QQ号 and the customer answers 73920561; a customer types 我的订单号是 and sends the number
 * next. Context windows (`before` in rules/pii) then reach back over the turn boundary as they reach back
 * inside a turn; a line break joins no digits, so nothing of the previous turn is taken. Only added: a span
 * of the turn's own analysis, or text its rules kept, is never overruled (so 95631076, a service number's
 * shape, stays kept after 那您的QQ号, as it does alone). Left out: letters in a type without them (RTX4090 is
 * a model, not an order number), amounts (15000元).
 * Where the end of `prev` finds nothing, the cue words its question asks for (RuleEngine.askedCues: 请您将订单号
 * 通过私信方式发送给我,我为您查询 asks for 订单号, further back than a window reaches) are read right before the
 * number instead. A number alone on a later line of the turn is read the same way (…投诉才有用吗？ / 87204316).
 */
function previousTurnSpans(engine: RuleEngine, prev: string, cur: PendingTurn, numberOpens = opensWithNumber(cur)): { spans: PiiSpan[]; lead: string } | null {
  if (prev.length === 0) return null;
  // whether the turn before asks for an account ID, looked up only when an answer needs it (a regex over 120
  // characters of every turn was a tenth of the stage's time)
  let asksId: boolean | undefined;
  const idQuestion = (): boolean => (asksId ??= ID_QUESTION.test(prev.slice(Math.max(0, prev.length - ASKED_TAIL))));
  // the number that opens the turn (with the rest of the turn after it), then each later line that is a number
  // alone (国电信福建公司 非得打12315投诉才有用吗？ / 87204316 / 明早未处理直接12315投诉, after 请提供…联系方式)
  // (an account name may hold a number near its start too: lily_wx7159)
  // (read only where it decides: most turns that open with a number are no account name)
  let token: boolean | undefined;
  const tokenOpens = (): boolean => (token ??= idTokenOpens(cur) && idQuestion());
  const opens = numberOpens || tokenOpens();
  const nl = firstLineBreak(cur);
  // most turns: no number opens them and they hold one line
  if (!opens && nl < 0) return null;
  const taken = nl < 0 ? null : new Taken(cur);
  const openings = taken === null ? [] : numberLines(cur.text, nl, taken);
  if (opens) openings.unshift(0);
  if (openings.length === 0) return null;
  const reader = new AnswerReader(engine, prev, cur, taken ?? new Taken(cur), idQuestion, tokenOpens);
  let found: PiiSpan[] | null = null;
  let lead = '';
  for (const at of openings) {
    // the opening reads the whole turn, but keeps only what starts on its first line (numberLines reads the others)
    const text = at === 0 ? cur.text : cur.text.slice(at, lineEnd(cur.text, at));
    const read = reader.read(at, text);
    if (read) {
      (found ??= []).push(...read.spans);
      lead ||= read.lead;
    }
  }
  return found ? { spans: found, lead } : null;
}

/** Whether a number (uncoveredNumberNearStart) opens `cur`: read once per turn, for every turn before it is read with. */
const opensWithNumber = (cur: PendingTurn): boolean => mayHoldDigits(cur) && uncoveredNumberNearStart(cur);

/**
 * Whether `cur` can hold an answer previousTurnSpans reads, whatever the turn before: a number opening it, an
 * account-name token as its first line, or a later line (the question's own test, ID_QUESTION, comes after).
 */
function mayAnswer(cur: PendingTurn, numberOpens: boolean): boolean {
  return numberOpens || idTokenOpens(cur) || firstLineBreak(cur) >= 0;
}

/**
 * The turn's spans and kept text, sorted, for "does [start, end) overlap one" in O(log n): a turn of 80,000 lines
 * with a number on each asks once per line.
 */
class Taken {
  private readonly starts: number[];
  /** The largest end among the first i + 1 ranges by start. */
  private readonly reach: number[];

  constructor(cur: PendingTurn) {
    const ranges = [...cur.spans, ...(cur.kept ?? [])].sort((x, y) => x.start - y.start);
    this.starts = ranges.map((r) => r.start);
    this.reach = [];
    let max = -1;
    for (const r of ranges) this.reach.push((max = Math.max(max, r.end)));
  }

  overlaps(start: number, end: number): boolean {
    // the last range that starts before `end`; some range up to it reaches past `start`
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && this.reach[lo - 1] > start;
  }
}

/** Whether the digits that open `cur` are text its rules kept (您之前拨打的是哪个电话？ / 10010: a service number answers it). */
function keptAtHead(cur: PendingTurn): boolean {
  const h = headDigits(cur.text);
  return h !== null && overlaps(cur.kept, h[0], h[1]);
}

/** Whether a reading (previousTurnSpans) found the value that opens the turn, not only one on a later line. */
const answersOpening = (read: { spans: PiiSpan[] } | null, text: string): boolean => read !== null && read.spans.some((sp) => sp.start < CUED_VALUE_START && sp.start < lineEnd(text, 0));

/** Reads the openings of one turn as answers to the turn before; the question's cue words are looked for once. */
class AnswerReader {
  private asked: string[] | null = null;
  private datesAsked: boolean | undefined;
  private readonly tail: string;

  constructor(
    private readonly engine: RuleEngine,
    private readonly prev: string,
    private readonly cur: PendingTurn,
    private readonly taken: Taken,
    /** Whether the turn before asks for an account ID (ID_QUESTION): a WeChat ID is read only then. */
    private readonly idQuestion: () => boolean,
    /** Whether an account-name token opens the turn, after a question for an ID (idTokenOpens). */
    private readonly tokenOpens: () => boolean,
  ) {
    this.tail = prev.slice(Math.max(0, prev.length - LEAD_CHARS));
  }

  /** The findings of `text` (at `at` in the turn) read as the answer to the turn before, and what it was read with. */
  read(at: number, text: string): { spans: PiiSpan[]; lead: string } | null {
    const found = this.answerSpans(this.engine.analyzeAfter(this.prev, text), at, text);
    if (found) return { spans: found, lead: this.tail };
    // a question whose cue word is further from its end than a window reaches (请您将订单号通过私信方式发送给我,我为您查询):
    // each of its cue words right before the answer, the last first (订单号或联系方式: a number that is no phone number
    // is still an order number)
    const asked = (this.asked ??= this.engine.askedCues(this.prev));
    for (let i = asked.length - 1; i >= 0; i--) {
      const again = this.answerSpans(this.engine.analyzeAfter(asked[i], text), at, text);
      if (again) return { spans: again, lead: asked[i] };
    }
    // a bare prompt for a WeChat ID, maybe with a courtesy after it (您的vx，我们会及时和您确认时间 / lily_wx7159): the ID
    // word it names, right before an account name that opens the answer (not a number: 您的宽带账号已经恢复正常 /
    // 20150312开始就不能用了 is no answer; nor after a mere mention: 微信号和手机号都可以，请问您的型号是？ / iphone12)
    if (at === 0 && this.tokenOpens()) {
      const prompt = ID_PROMPT.exec(this.prev.slice(Math.max(0, this.prev.length - ASKED_TAIL)));
      const word = prompt ? (prompt.groups!.word ?? prompt.groups!.en) : undefined;
      const named = word ? this.answerSpans(this.engine.analyzeAfter(word, text), at, text) : null;
      if (named) return { spans: named, lead: word! };
    }
    return null;
  }

  /**
   * The spans of a reading (analyzeAfter) of `text`, at `at` in the turn, that the turn takes: answers that open
   * `text`, outside the turn's own spans and kept text; in the turn's offsets.
   */
  private answerSpans(read: PiiSpan[], at: number, text: string): PiiSpan[] | null {
    let found: PiiSpan[] | null = null;
    const firstLine = at === 0 ? lineEnd(text, 0) : text.length;
    for (const s of read) {
      // only the number that opened the reading (a value further in is read with its own turn's words), on its line
      if (s.start >= CUED_VALUE_START || s.start >= firstLine) continue;
      const start = s.start + at;
      const end = s.end + at;
      if (this.taken.overlaps(start, end)) continue;
      // a WeChat ID is any word with a digit (abc123456 after 微信支付还是支付宝？ is no answer)
      if (TOKEN_TYPES.has(s.type) && !this.idQuestion()) continue;
      // a date-shaped answer to a question that also asks for a date is the date (您的会员账号和注册日期是多少？ / 20190312)
      if (COMPACT_DATE.test(text.slice(s.start, s.end)) && (this.datesAsked ??= DATE_QUESTION.test(this.prev.slice(-ASKED_TAIL)))) continue;
      if (!answerShaped(s.type, text.slice(s.start, s.end), text.slice(0, s.start), text.slice(s.end))) continue;
      (found ??= []).push({ type: s.type, start, end, score: s.score, rule: s.rule + PREVIOUS_TURN_SUFFIX });
    }
    return found;
  }
}

/** A date without separators (20190312) or a month (201903); a longer number that starts with one is an order or QQ number as often. */
const COMPACT_DATE = /^(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])?$/;
/**
 * A question that lists a date right after the number it asks for (会员账号和注册日期, 宽带账号，以及办理时间, account number
 * and the date): a date-shaped answer is the date. A date word anywhere else (我们会在第一时间与您联系, 谢谢您的时间和耐心,
 * I'll update you) asks for no date in place of the number.
 */
const DATE_QUESTION = /(?:号|号码|账号|帐号|卡号|ID|[Nn]umber)[，, ]?(?:和|及|以及|、|与|还有|and|&)[^，,。？?！!]{0,8}?(?:日期|时间|哪天|几号|(?<![A-Za-z])[Dd]ate(?![A-Za-z]))/;
/** How much of the question DATE_QUESTION and ID_QUESTION read. */
const ASKED_TAIL = 120;

/** Where `text`'s line that starts at `at` ends. */
function lineEnd(text: string, at: number): number {
  const j = text.indexOf('\n', at);
  return j < 0 ? text.length : j;
}

/**
 * The starts of the lines after the first of `text` (its first line break at `firstBreak`) that hold a number alone
 * (LINE_VALUE_DIGITS digits or more, single spaces or dashes between, blanks around), outside the turn's spans and
 * kept text: an answer sent on a line of its own. The line before must end a sentence, be a short reply or a
 * number too (…投诉才有用吗？ / 87204316, 好的 / 87204316, 12345678 / 23456789): after a label (价格 / 17516, 机器编号 / 4032716) the number is the
 * label's; a unit on the line after (108071 / 块) makes it an amount.
 */
function numberLines(text: string, firstBreak: number, taken: Taken): number[] {
  const out: number[] = [];
  let lineStart = 0;
  for (let nl = firstBreak; nl >= 0; nl = text.indexOf('\n', nl + 1)) {
    const before = text.slice(lineStart, nl);
    lineStart = nl + 1;
    let i = nl + 1;
    const end = lineEnd(text, i);
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      if (isDigitLike(c)) digits++;
      else if ((c === 0x20 || c === 0x2d) && j + 1 < end && isDigitLike(text.charCodeAt(j + 1)) && j > i) continue;
      else break;
    }
    // a resident ID's check character X closes its digits
    if (digits >= 14 && j < end && isX(text.charCodeAt(j))) j++;
    let k = j;
    while (k < end && (isBlank(text.charCodeAt(k)) || text.charCodeAt(k) === 0x0d)) k++;
    if (digits < LINE_VALUE_DIGITS || k !== end) continue;
    if (!LINE_BEFORE_ANSWER.test(before.trimEnd()) && !isAcknowledgement(before.trim())) continue;
    if (UNIT_LINE.test(text.slice(end + 1, lineEnd(text, Math.min(text.length, end + 1))))) continue;
    if (!taken.overlaps(i, j)) out.push(i);
  }
  return out;
}

/** A line that is only a unit or a currency (108071 / 块): the number before it is an amount. */
const UNIT_LINE = /^[ \t]*(?:[元块角件个次天台套张条岁斤克米万人]|块钱|小时|左右|RMB|rmb|USD)[ \t。，,.!！~～]*$/;
const isBlank = (c: number): boolean => c === 0x20 || c === 0x3000 || c === 0x09;
/**
 * A line that ends a sentence (…吗？, …了！, …没问题.), is empty, or is itself a number (a list of answers, one a
 * line): what comes after it on its own line stands alone.
 */
const LINE_BEFORE_ANSWER = /(?:^|[。！？!?.…~～】）)」”"']|^[0-9０-９ -]*[0-9０-９])$/;

/**
 * A number alone on a later line of a turn holds this many digits to be read as an answer: no rule takes a shorter
 * answer (a QQ number has five digits or more), so a line of four is not read at all.
 */
const LINE_VALUE_DIGITS = 5;

/**
 * A value read with the turn before opens its turn: it starts within this many characters (是 / 好的， / 我的是 /
 * 其一： before it). A number further in belongs to what its own turn says (on STC-3 every value found so
 * opened its turn; on the synthetic benchmark, 24 characters read three times as many turns again for nothing).
 */
const CUED_VALUE_START = 8;
/** ... and holds this many digits (single spaces, dashes or dots between them): a time, a count or a price does not. */
const CUED_VALUE_DIGITS = 4;

/**
 * Whether `cur` has a run of CUED_VALUE_DIGITS digits, outside its spans and the text its rules kept (a service
 * number stays one: 客服热线400-800-8888 after 订单编号 is read once), starting in its first CUED_VALUE_START characters.
 */
function uncoveredNumberNearStart(cur: PendingTurn): boolean {
  const text = cur.text;
  const limit = Math.min(text.length, CUED_VALUE_START);
  for (let i = 0; i < limit; i++) {
    // on the first line only: a number on a later line is numberLines' (价格 / 17516 is a price, not an answer)
    if (text.charCodeAt(i) === 0x0a) return false;
    if (!isDigitLike(text.charCodeAt(i))) continue;
    let j = i;
    let digits = 0;
    let group = 0;
    let longest = 0;
    for (;;) {
      if (j < text.length && isDigitLike(text.charCodeAt(j))) {
        digits++;
        if (++group > longest) longest = group;
        j++;
      } else if (j + 1 < text.length && isGroupJoin(text.charCodeAt(j)) && isDigitLike(text.charCodeAt(j + 1))) {
        group = 0;
        j++;
      } else break;
    }
    // a version (1.2.3.4) has no group of three digits; an amount is followed by its unit (共199.00元, 3000件);
    // a run that a finding or kept text starts in is theirs
    if (digits >= CUED_VALUE_DIGITS && longest >= 3 && (digits > 6 || !(UNIT_AFTER.test(text.slice(j, j + 3)) || AMOUNT_AFTER.test(text.slice(j, j + 3)))) && !overlaps(cur.spans, i, i + 1) && !overlaps(cur.kept, i, i + 1)) return true;
    i = j;
  }
  return false;
}

/** An account name alone (zhang_wei1990, chen_lei2048): letters first, a digit or _ in it, as WeChat IDs are. */
const ID_TOKEN = /^[ \t\u3000]*[A-Za-z][A-Za-z0-9_-]{5,19}[ \t\u3000\r，,。.!！~～]*(?:(?:谢谢|谢了|多谢|[Tt]hanks|[Tt]hank you|[Tt]hx|[Pp]ls|[Pp]lease(?: (?:check|hurry|help))?|麻烦(?:您|你|你们)?(?:尽快|快点|帮我)?(?:处理|看看|查一下|查查)?(?:一下)?(?:了|啦)?|(?:尽快|快点)(?:处理|看看)?(?:一下)?)[ \t\u3000\r，,。.!！~～]*){0,2}$/;
/**
 * A bare prompt for a WeChat ID at the end of a turn, maybe with a courtesy after it: 您的vx, 亲，您的微信？,
 * 您的vx，我们会及时和您确认时间, Your WeChat, thanks! It opens a clause (我们会通过您的微信，谢谢 and 已退回您的微信 are
 * statements). Group `word` (or `en`) is the ID word it names.
 */
const ID_PROMPT = /(?:^|[，,。.!！？?~～ :：]|亲|您好|那|请问|麻烦)(?:您|你)的(?<word>微信|[Vv][Xx]|[Vv]信)号?[ ？?呢]{0,3}(?:[，,。.!！ ]+(?:谢谢|感谢|多谢|我们会|我们将|我们这边|稍后|客服会|方便|以便|[Tt]hanks|[Tt]hank you|[Pp]lease)[^。！？!?\n]{0,24})?[。.!！~～ ]*$|(?:^|[.!?,] ?)[Yy]our (?<en>WeChat|[Ww]echat|WECHAT)(?: ID)?[,.]? ?(?:[Tt]hanks|[Tt]hank you|[Pp]lease)?[.!~ ]*$/;
/**
 * A question for an account ID, what a token alone answers: one that names an ID (微信号, vx号, WeChat ID, 账号,
 * username), or asks for a WeChat with a verb that wants a value (请问您的微信是多少, 请留一下您的微信, 您的vx, What is your
 * WeChat?). 微信支付还是支付宝？, 您是在微信小程序下的单吗？ and 请问您用的是微信吗 are none.
 */
const ID_QUESTION = new RegExp(String.raw`(?:微信|[Vv][Xx]|[Vv]信|[Ww]e[Cc]hat|WECHAT)\s?(?:号|账号|帐号|ID|id|Id)|账号|帐号|用户名|[Uu]ser ?name|[Aa]ccount|(?<![A-Za-z])ID(?![A-Za-z])|(?:多少|留|提供|发|告诉|告知|输入|填写|填|报一下|说一下|加|[Ww]hat(?:'s| is)|share|send|give)[^。！？!?\n]{0,12}?(?:微信|[Vv][Xx]|[Vv]信|[Ww]e[Cc]hat)(?!支付|小程序|公众号|群|红包|付|登录|版本|客服|钱包|扫|绑定|零钱|转账)|(?:微信|[Vv][Xx]|[Vv]信|[Ww]e[Cc]hat)(?!支付|小程序|公众号|群|红包|付|登录|版本|客服|钱包|扫|绑定|零钱|转账)[^。！？!?\n]{0,6}?(?:多少|是什么)|` + ID_PROMPT.source);
/** A token's types that need a question for an ID (ID_QUESTION) when read as an answer: a WeChat ID is any word with a digit. */
const TOKEN_TYPES = new Set(['WECHAT']);
const ID_TOKEN_MARK = /[0-9_]/;

/**
 * Whether the first line of `cur` is one account-name token, outside its spans and kept text: an answer to
 * 麻烦您告诉我一下您的微信号 that holds too few digits for uncoveredNumberNearStart, a digit or _ in the token.
 */
function idTokenOpens(cur: PendingTurn): boolean {
  const text = cur.text;
  const c = text.charCodeAt(0);
  // cheap first: a turn that opens with a letter
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 32 || c === 9 || c === 0x3000)) return false;
  const end = text.indexOf('\n');
  const line = end < 0 ? text : text.slice(0, end);
  if (!(line.length <= 40 && ID_TOKEN.test(line)) || overlaps(cur.spans, 0, line.length) || overlaps(cur.kept, 0, line.length)) return false;
  // (the token itself holds the digit or underscore: letters only, an open vocabulary of words, are no ID here)
  const token = /[A-Za-z][A-Za-z0-9_-]*/.exec(line)![0];
  return ID_TOKEN_MARK.test(token);
}

function overlaps(spans: readonly { start: number; end: number }[] | undefined, start: number, end: number): boolean {
  if (spans) for (const s of spans) if (s.start < end && s.end > start) return true;
  return false;
}

/**
 * The turns of one conversation, in order, each handed to `finish` (its operators) once it can no
 * longer be part of a split identifier: a turn pairs with the last turn of its speaker, consecutive
 * or with one turn of another speaker between, or chains with the up to MAX_CHAIN - 1 turns of its speaker
 * right before it (the middle ones digits), consecutive or with one short turn of another speaker between two
 * of them that lets the number go on (runStart); an identifier split over them adds a span to each. A number
 * that opens a turn is also read with the cue words at the end of the turn before (previousTurnSpans).
 * One per conversation; `engine` null (no rule detector) pairs nothing.
 */
export class TurnPairer<T extends PendingTurn> {
  /**
   * The last turns, oldest first, not finished yet, and their places in the conversation: at most MAX_CHAIN - 1 turns
   * of a speaker's run and the other speaker's short turns between them (letsGoOn), or the last two.
   */
  private readonly waiting: T[] = [];
  /** What the pairer keeps of each waiting turn (one object a turn: a push and a shift per turn, not one per field). */
  private readonly slots: Slot[] = [];
  private lastText = '';
  private lastRole: Role | null = null;
  private beforeLastText = '';
  private beforeLastRole: Role | null = null;
  private next = 0;

  constructor(
    private readonly engine: RuleEngine | null,
    private readonly finish: (turn: T) => void,
  ) {}

  push(cur: T): void {
    const w = this.waiting;
    // a turn out of the roles option right before (cur.before) ends this speaker's run, as it would in scope, unless
    // it lets the number go on
    const cut = !!cur.before && !((cur.gap ?? 1) <= 1 && letsGoOn(cur.before));
    // only a turn that opens with digits (after a few words) can end a split identifier
    /** This speaker's turns a chain may take with this one (runStart), as indices into `waiting`; null: not read. */
    let parts: number[] | null = null;
    // an e-mail address typed in two turns (huming925 / @outlook.com): a cheap look at the turns' edges first
    if (this.engine && w.length && mayJoinEmail(cur.text)) this.emailEnding(cur);
    if (this.engine && w.length && mayHoldDigits(cur) && headDigits(cur.text) !== null) this.splitEnding(cur, (parts = cut ? NO_PARTS : this.partsFrom(this.runStart(cur.role, MAX_CHAIN - 1), cur.role)));
    // after the splits: digits that continue a split identifier belong to it, not to a finding of their own
    // (only a turn that can hold an answer is read with any turn before: most open with words and hold one line)
    const numberOpens = this.engine !== null && (w.length > 0 || !!cur.before) && opensWithNumber(cur);
    if (this.engine && (w.length || cur.before) && mayAnswer(cur, numberOpens)) this.readAnswer(cur, numberOpens);
    // (only after a short turn: a wait, a nudge or an acknowledgement is one, and most turns before another are long)
    const shortBefore = cur.before ? cur.before.length <= SHORT_REPLY : w.length > 0 && w[w.length - 1].text.length <= SHORT_REPLY;
    // whether it ends in digits (then read here, it goes into its flags): only such a turn is a chain's first or middle
    // part; read now only where this turn's run can go on over a turn between (runStart): after a short turn, or after
    // this speaker's own (a turn between may lie further back); after another speaker's long turn the run ends there
    const prevSame = !cur.before && w.length > 0 && w[w.length - 1].role === cur.role;
    const readEnds = shortBefore || prevSame;
    const ends = this.engine !== null && readEnds ? (mayHoldDigits(cur) && tailDigits(cur.text) !== null ? ENDS_READ | ENDS_IN_DIGITS : ENDS_READ) : 0;
    const earlierText = shortBefore && (ends & ENDS_IN_DIGITS) !== 0 ? this.earlierLead(cur) : '';
    w.push(cur);
    // (a later turn of this speaker chains with this one and at most MAX_CHAIN - 2 before it)
    // (from the parts read for a split where there are: the same walk; over turns between only from a turn that ends in
    // digits: no chain goes on through one that does not, but this speaker's consecutive turns stay, as a wait's do)
    // (no walk where the turn before is another speaker's that no run goes on over: long, or this one ends in no digits)
    const overBetween = (ends & ENDS_IN_DIGITS) !== 0;
    const runBack = cut ? 0 : parts !== null ? (parts.length > 0 ? w.length - 1 - parts[Math.max(0, parts.length - (MAX_CHAIN - 2))] : 0) : readEnds && (overBetween || prevSame) ? w.length - 1 - this.runStart(cur.role, MAX_CHAIN - 2, w.length - 2, overBetween) : 0;
    // the turn before as a split's lead: another speaker's (a question) or one out of the roles option, never this
    // speaker's own (我的QQ号是2356781940 is no cue for the 100 / 200 / 300 that follow)
    // (through another speaker's nudge, its question before it: 您退款的卡号是多少？ / 亲？ / 6212… / 7370 / …)
    const other = this.lastRole !== cur.role ? (this.beforeLastRole === this.lastRole && isNudge(this.lastText) ? this.beforeLastText : this.lastText) : '';
    const before = cur.before || other;
    // a wait's question, taken now (two waits in a row, maybe with the other's nudge between: 稍等 / 亲？ / 我找找 / the
    // number, the question before the first; that one may be finished by then)
    // (only after a short turn: a wait right after the question waits on its `before`, which waitedAt reads then)
    const wait = shortBefore ? (isWaitReply(cur.text) ? WAIT_READ | IS_WAIT : WAIT_READ) : 0;
    const waitsFor = wait & IS_WAIT ? this.questionWaitedOn(cur, before) : '';
    this.slots.push({ before, earlier: earlierText, flags: (cut ? CUT : 0) | ends | wait | (runBack << RUN_SHIFT), lead: null, waitsFor });
    this.next++;
    this.beforeLastText = this.lastText;
    this.beforeLastRole = this.lastRole;
    this.lastText = cur.text;
    this.lastRole = cur.role;
    // what a later turn can still reach: the last two turns (a pair), the current speaker's last turns (a chain), and
    // over this turn when it lets another speaker's number go on (嗯, 亲？), that speaker's last turns
    // (another speaker's run that can hold a chain's parts: see runStart)
    const n = w.length;
    let back = this.slots[n - 1].flags >> RUN_SHIFT;
    if (n > 1 && this.slots[n - 2].flags >> RUN_SHIFT > 0 && cur.text.length <= SHORT_REPLY && w[n - 2].role !== cur.role && this.letsGoOnAt(n - 1) && this.endsInDigits(n - 2)) back = Math.max(back, 1 + (this.slots[n - 2].flags >> RUN_SHIFT));
    const keep = Math.max(2, back + 1);
    while (w.length > keep) {
      this.slots.shift();
      this.finish(w.shift()!);
    }
  }

  /** Waiting turn i's place in its conversation (the waiting turns' places run on to `next`). */
  private placeOf(i: number): number {
    return this.next - this.waiting.length + i;
  }

  /** Waiting turn i's flag `bit`, its `test` read once (`read`, the bit that says it was). */
  private readFlag(i: number, read: number, bit: number, test: (turn: PendingTurn) => boolean): boolean {
    let f = this.slots[i].flags;
    if ((f & read) === 0) {
      f |= read | (test(this.waiting[i]) ? bit : 0);
      this.slots[i].flags = f;
    }
    return (f & bit) !== 0;
  }

  /** Whether waiting turn i ends in digits (tailDigits): a chain's first part; every part but the last does. */
  private endsInDigits(i: number): boolean {
    return this.readFlag(i, ENDS_READ, ENDS_IN_DIGITS, endsInDigitsTest);
  }

  /** Whether waiting turn i can be a chain's middle part (middleDigits). */
  private canMiddle(i: number): boolean {
    return this.endsInDigits(i) && this.readFlag(i, MIDDLE_READ, CAN_MIDDLE, canMiddleTest);
  }

  /** Findings in `cur` that read as the answer to a question before it (previousTurnSpans): the turn before, or further back. */
  private readAnswer(cur: T, numberOpens: boolean): void {
    const w = this.waiting;
    const engine = this.engine!;
    const p1 = w.length ? w[w.length - 1] : null;
    // the turn before (out of the roles option or a pending one), and this speaker's own turn before that when
    // another speaker's short turn (an acknowledgement) came between (我的订单号是 / 好的 / 308669150930)
    const before = cur.before || p1!.text;
    const own = cur.before ? p1 : p1!.role !== cur.role && w.length > 1 ? w[w.length - 2] : null;
    const p2 = own && own.role === cur.role && (cur.before || p1!.role !== cur.role) && isAcknowledgement(before) ? own : null;
    // or the other speaker's question before its own nudge (请您将订单号私信给我们 / 亲？ / 9163852)
    const asker = !cur.before && p1!.role !== cur.role && w.length > 1 && w[w.length - 2].role === p1!.role && isNudge(before) ? w[w.length - 2] : null;
    let more = previousTurnSpans(engine, before, cur, numberOpens);
    if (!more && p2) more = previousTurnSpans(engine, p2.text, cur, numberOpens);
    if (!more && asker) more = previousTurnSpans(engine, asker.text, cur, numberOpens);
    // or the question this speaker's "wait" answered (请提供订单号 / 稍等，我找找 / 亲，还在吗？ / E2023…)
    if (!more) {
      const waited = this.waitedAt(cur);
      if (waited) more = previousTurnSpans(engine, waited, cur, numberOpens);
    }
    if (more) {
      cur.spans = [...cur.spans, ...more.spans];
      // a split over this turn and the next may take them again (its parts are one identifier; this is a
      // reading), and reads its parts with the same lead (麻烦提供一下您的QQ号 / 73920 / 561)
      const lead = more.lead;
      for (const span of more.spans) {
        chainStart.set(span, this.next);
        readWith.set(span, lead);
      }
    }
  }

  /**
   * An e-mail address split at its @ over two turns of one speaker, consecutive or with one turn between (huming925 /
   * 嗯嗯 / @outlook.com; zhangwei2020@ / 163.com): the local part that ends the first and the domain that opens the
   * second join into an address; both parts are marked EMAIL (rule email.split-turns), and what the second turn's own
   * reading made of the domain (a handle, a link) gives way. A part its own turn already covers stays as it is.
   */
  private emailEnding(cur: T): void {
    const w = this.waiting;
    const at = this.partnerAt(cur);
    if (at < 0) return;
    const partner = w[at];
    // (cheap first: an @ opens this turn or ends the first part)
    const c = cur.text.charCodeAt(0);
    if (c !== 64 && c !== 0xff20 && !endsWithAt(partner.text)) return;
    // (the first turn's last characters only, closers aside: a local part is at most 64 long, and a turn may be long)
    const domain = DOMAIN_START.exec(cur.text);
    if (!domain) return;
    let tail = partner.text.length;
    while (tail > 0 && isCloser(partner.text.charCodeAt(tail - 1))) tail--;
    const from = Math.max(0, tail - 66);
    const local = LOCAL_PART_END.exec(partner.text.slice(from));
    if (!local || (from > 0 && local.index === 0)) return;
    // exactly one @ between the two: at the end of the first part or at the start of the second
    const atFirst = local[2] === '@' || local[2] === '＠';
    const atSecond = domain[1] === '@' || domain[1] === '＠';
    if (atFirst === atSecond) return;
    const localStart = from + local.index;
    const localEnd = localStart + local[1].length + (atFirst ? 1 : 0);
    const domainStart = domain[0].length - domain[2].length - (atSecond ? 1 : 0);
    let domainEnd = domain[0].length;
    if (covered(partner.spans, localStart, localEnd, never)) return;
    // (what the second turn's own reading made of the domain goes, all of it: @qq.com_abc)
    for (const sp of cur.spans) if (sp.start < domainEnd && sp.end > domainStart && sp.end > domainEnd) domainEnd = sp.end;
    // an address, not a word before a site (我在用iphone / @jd.com上买的, RTX4090 / @jd.com 买的): words that name an e-mail
    // before the local part or in the question before it, or both parts alone in their turns
    const alone = DOMAIN_ALONE.test(cur.text.slice(domainEnd)) && LOCAL_ALONE.test(partner.text.slice(0, localStart));
    if (!alone && !EMAIL_CUE.test(partner.text.slice(Math.max(0, localStart - 16), localStart)) && !EMAIL_CUE.test(this.slots[at].before.slice(-ASKED_TAIL))) return;
    const rule = 'email.split-turns';
    const first: PiiSpan = { type: 'EMAIL', start: localStart, end: localEnd, score: 0.9, rule };
    const second: PiiSpan = { type: 'EMAIL', start: domainStart, end: domainEnd, score: 0.9, rule };
    partner.spans = [...partner.spans, first];
    cur.spans = [second, ...cur.spans.filter((sp) => !(sp.start < domainEnd && sp.end > domainStart))];
  }

  /**
   * Where this speaker's turn a pair with `cur` takes waits, as an index into `waiting`, or -1: the last pending turn, or
   * the one before it with one turn of another speaker between; with a turn out of the roles option between, the last
   * pending turn is the one "one turn back" (one turn between at most, in or out of the roles option).
   */
  private partnerAt(cur: T): number {
    const w = this.waiting;
    const n = w.length;
    if (cur.before) return w[n - 1].role === cur.role && (cur.gap ?? 1) <= 1 ? n - 1 : -1;
    if (w[n - 1].role === cur.role) return n - 1;
    return n > 1 && w[n - 2].role === cur.role ? n - 2 : -1;
  }

  /**
   * Splits that `cur` (opening with digits) ends: a chain over `parts` (this speaker's turns before it, as indices into
   * `waiting`; runStart), else a pair with this speaker's turn before.
   */
  private splitEnding(cur: T, parts: readonly number[]): void {
    const w = this.waiting;
    const engine = this.engine!;
    const run = parts.length;
    // the longest chain of this speaker's turns first: an identifier over all of them is longer
    // than one the last two alone would make (a card over four turns, not a landline over two)
    let found = false;
    // a `short` split (see Split) waits: taken only when no shorter chain and no pair finds one
    let fallback: (() => void) | null = null;
    // only chains whose middle turns are digit groups and whose first turn ends in digits can be read (splitOver):
    // over this speaker's turns with short turns of another between, most chains are none
    // (each turn's shape is read once, and the middles' only where a first part ends in digits)
    let middles = -1;
    for (let k = Math.min(run, MAX_CHAIN - 1); k >= 2 && !found; k--) {
      if (!this.endsInDigits(parts[run - k])) continue;
      if (middles < 0) for (middles = 0; middles < k - 1 && this.canMiddle(parts[run - 1 - middles]); ) middles++;
      if (middles < k - 1) continue;
      const chain = [...parts.slice(run - k).map((i) => w[i]), cur];
      const start = this.placeOf(parts[run - k]);
      const retake: Retake = (span) => (chainStart.get(span) ?? -1) >= start;
      const texts = chain.map((t) => t.text);
      const spans = chain.map((t) => t.spans);
      // read with the turn before only where the digits alone find nothing: a negative word there must not undo a split
      // (its turns between, if any, let the number go on: a part may be short; with turns between, words must ask for it)
      // (in the roles option or out of it: a turn out of it between shows as the `before` of the turn after it)
      const between = parts[run - 1] !== w.length - 1 || parts[run - 1] - parts[run - k] !== k - 1 || chain.some((t, i) => i > 0 && !!t.before);
      // (a number its check digits prove may stand without cue words only where the turn before asks for nothing, or
      // only for the rest: 还有呢？)
      const question = this.slots[parts[run - k]].before;
      const proofOnly = between && (question === '' || letsGoOn(question) || !(PROMPT_END.test(question) || engine.asksAboutOther(question) || engine.askedCues(question).length > 0));
      let split = chainOver(texts, spans, engine, retake, '', '', between, proofOnly);
      if (!split) {
        const lead = this.leadBefore(parts[run - k], chain[0]);
        if (lead) split = chainOver(texts, spans, engine, retake, lead, '', between, proofOnly);
      }
      if (!split) continue;
      const take = () => {
        for (const part of split.spans) chainStart.set(part, start);
        chain.forEach((t, i) => (t.spans = withPart(t.spans, split.spans[i], i === 0, retake)));
      };
      if (split.short) fallback ??= take;
      else {
        take();
        found = true;
      }
    }
    if (!found) {
      const p1 = w[w.length - 1];
      const at = this.partnerAt(cur);
      const partner = at >= 0 ? w[at] : null;
      const start = partner ? this.placeOf(at) : -1;
      // a finding read with the turn before the partner (previousTurnSpans) may be taken again
      const retake: Retake = (span) => (chainStart.get(span) ?? -1) >= start;
      // another speaker's turn between the parts (in or out of the roles option)
      const between = cur.before || (partner && partner !== p1 ? p1.text : '');
      // a part may be short where nothing or a turn that lets the number go on comes between (not 请问您购买了几台？: splitOver)
      let split = partner ? splitOver([partner.text, cur.text], [partner.spans, cur.spans], engine, retake, '', between || '') : null;
      let led = false;
      if (partner && !split) {
        const lead = this.leadBefore(at, partner);
        if (lead) led = (split = splitOver([partner.text, cur.text], [partner.spans, cur.spans], engine, retake, lead, between || '')) !== null;
      }
      // a split the first part's own words make (我的手机号是138, 身份证号1101…) stays whatever comes between
      const ownCue = split !== null && engine.hasCueWord(partner!.text.slice(Math.max(0, partner!.text.length - 24)));
      if (split && between && !ownCue) {
        // a split that only an earlier question's cue words make gives way to a newer question for another type that
        // this turn answers (Account number: / 12345678 / 那您的QQ号 / 73920561: two answers); a statement that names
        // another cue word (稍等，正在为您查询订单) asks for nothing, and 请继续输入您的手机号 lets a phone go on
        if (led && this.answersAnother(between, cur, split.spans[0].type)) split = null;
        // across a question about a price, a time or a count, only a number whose check digits prove it whole
        // (请提供一下您的银行卡号 / 6217… / 您说的是哪个价格？ / 29874 stays a card; 您的会员账号是多少？ / 4634611090 /
        // 请问退款多少？ / 1299 and 我买了154 / 您说的是哪个价格？ / 42767718 are answers)
        else if (engine.asksAboutOther(between) && !checksOut(split.spans[0].type, [partner!.text, cur.text], split.spans)) split = null;
      }
      if (split && (!split.short || !fallback)) {
        for (const part of split.spans) chainStart.set(part, start);
        partner!.spans = withPart(partner!.spans, split.spans[0], true, retake);
        cur.spans = withPart(cur.spans, split.spans[1], false, retake);
      } else fallback?.();
    }
  }

  /**
   * Where the turns of `role`'s speaker begin, among the waiting turns up to `last`, that a chain may take with a next
   * turn of theirs: consecutive, or with one short turn of another speaker between two of them that lets the number go
   * on (嗯, 好的, 亲？, 还有呢？: 183 / 亲？ / 2321 / 9681), in or out of the roles option; at most `cap` turns. An index
   * into `waiting`, last + 1 if none. (Only over a turn between whose part before it can be a part at all: a turn
   * without digits is neither a chain's first part nor a middle one; letsGoOn is read only then.)
   */
  private runStart(role: Role, cap: number, last = this.waiting.length - 1, overBetween = true): number {
    const w = this.waiting;
    let first = last + 1;
    for (let i = last, count = 0; i >= 0 && count < cap; i--) {
      if (w[i].role !== role) {
        // one such turn between two of this speaker's, in scope
        // (the cheap tests first: this runs for most turns, and most turns of another speaker are long)
        if (!overBetween || i === 0 || w[i].text.length > SHORT_REPLY || w[i - 1].role !== role || !this.endsInDigits(i - 1) || !this.letsGoOnAt(i)) break;
        continue;
      }
      first = i;
      count++;
      // a turn with one out of the roles option before it begins its run, unless that one lets the number go on
      if ((this.slots[i].flags & CUT) !== 0) break;
    }
    return first;
  }

  /** The waiting turns of `role` from `first` on, as indices into `waiting`. */
  private partsFrom(first: number, role: Role): number[] {
    const w = this.waiting;
    if (first >= w.length) return NO_PARTS;
    const out: number[] = [];
    for (let j = first; j < w.length; j++) if (w[j].role === role) out.push(j);
    return out;
  }

  /** Whether waiting turn i lets another speaker's number go on (letsGoOn). */
  private letsGoOnAt(i: number): boolean {
    return this.readFlag(i, GOES_ON_READ, GOES_ON, letsGoOnTest);
  }

  /**
   * Whether `between` asks for a type other than `type` (a question, or a prompt: 那您的QQ号, Account number:) and
   * `cur` answers it: its opening reads as that answer, or is a kept service number (您之前拨打的是哪个电话？ / 10010).
   * A long turn is a prompt only by its last characters (a colon or a question mark); a prompt `cur` does not answer
   * (Your phone number / 0561) lets the number before go on.
   */
  private answersAnother(between: string, cur: T, type: string): boolean {
    const engine = this.engine!;
    const head = between.length <= 40 ? PROMPT_HEAD.exec(between) : null;
    const prompts = PROMPT_END.test(between) || (head !== null && NAMES_NUMBER.test(head[1]) && engine.isCuePhrase(head[1]));
    const cues = [...engine.askedCues(between), ...(prompts ? engine.endCues(between) : [])];
    return cues.length > 0 && !engine.cuesType(cues, type) && (answersOpening(previousTurnSpans(engine, between, cur), cur.text) || keptAtHead(cur));
  }

  /**
   * What a split whose first part is `first` (waiting at `at`) reads before it: the turn its findings were read
   * with (previousTurnSpans), else the end of the turn before it (麻烦提供一下您的QQ号 /
   * 12210 / 0833: the first part alone is a service number's shape, the question still says what follows).
   */
  private leadBefore(at: number, first: T): string {
    const lead = leadOf(first.spans);
    if (lead) return lead;
    // (the rest is read once a turn: all it reads is fixed when the turn came)
    return (this.slots[at].lead ??= this.leadAround(at, first));
  }

  /** leadBefore's reading of the turns around `first` (waiting at `at`). */
  private leadAround(at: number, first: T): string {
    // the first part must look like an answer: its digits open its turn (是 / 好的， before them at most) and are
    // not text the rules kept (客服电话95588 / 2796元 is no QQ number)
    const t = tailDigits(first.text);
    if (!t || !ANSWER_OPENING.test(first.text.slice(0, t[0])) || overlaps(first.kept, t[0], t[1])) return '';
    const asked = this.leadFrom(this.slots[at].before);
    if (asked) return asked;
    return this.slots[at].earlier ? this.leadFrom(this.slots[at].earlier) : '';
  }

  /**
   * What a split that begins with `cur` (not pushed yet) may read before it besides the turn before: the question this
   * speaker's "wait" answered (您的手机号码是？ / 等一下我找找 / 亲，还在吗？ / 好的 15606780 / 好的 / 8 / 77), or this
   * speaker's own turn of words before the other speaker's acknowledgement (我的手机号是 / 嗯 / 138 / 嗯 / 1234 …); ''.
   */
  private earlierLead(cur: T): string {
    const waited = this.waitedAt(cur);
    if (waited) return waited;
    // (the cheap tests first, each turn's read once: this runs for every turn that ends in digits; a turn that ends in
    // digits is a part itself, not words before one)
    const w = this.waiting;
    const at = cur.before ? w.length - 1 : w.length - 2;
    if (at < 0 || w[at].role !== cur.role || this.endsInDigits(at)) return '';
    const between = cur.before ? (cur.gap ?? 1) <= 1 && letsGoOn(cur.before) : w[at + 1].role !== cur.role && this.letsGoOnAt(at + 1);
    return between ? w[at].text : '';
  }

  /** The end of `before` as a split's lead where it holds a cue word, else the cue words it asks for joined; '' if none. */
  private leadFrom(before: string): string {
    const tail = before.slice(Math.max(0, before.length - LEAD_CHARS));
    // without a cue word it changes nothing, and the split's text stays short; a question further back still
    // says what follows (请问您的QQ号是多少呢,我帮您查一下 / 73920 / 561)
    if (!tail) return '';
    return this.engine!.hasCueWord(tail) ? tail : this.engine!.askedCues(before).join('、');
  }

  /**
   * The question this speaker's own "wait" (稍等, 我找找, 好的) right before `turn` waits on, or with the other speaker's
   * nudge or acknowledgement between (in or out of the roles option); '' if none. It still stands.
   */
  private waitedAt(turn: T): string {
    const at = this.waitBefore(turn, this.waiting.length);
    // (a wait whose question was not taken at its push came right after it: its `before` is the question)
    return at < 0 ? '' : this.slots[at].waitsFor || this.slots[at].before;
  }

  /**
   * Where this speaker's wait right before waiting place `end` (where `turn` is or will be) waits, as an index into
   * `waiting`, or -1: next to it, or with one turn between that leaves the question standing (waitsOn), in or out of the
   * roles option (a question there ends the wait).
   */
  private waitBefore(turn: T, end: number): number {
    if (end === 0) return -1;
    const w = this.waiting;
    // (the wait itself first: most turns are none, and the test of the turn between reads more)
    if (w[end - 1].role === turn.role) return this.isWaitAt(end - 1) && (!turn.before || ((turn.gap ?? 1) <= 1 && this.waitsOn(turn.before))) ? end - 1 : -1;
    return !turn.before && end > 1 && w[end - 2].role === turn.role && this.isWaitAt(end - 2) && this.waitsOnAt(end - 1) ? end - 2 : -1;
  }

  /** The question a wait `cur` (just pushed, its turn before `before`) waits on: that turn, or an earlier wait's question. */
  private questionWaitedOn(cur: T, before: string): string {
    if (before !== '' && !this.waitsOn(before)) return before;
    const prev = this.waitBefore(cur, this.waiting.length - 1);
    return (prev >= 0 ? this.slots[prev].waitsFor || this.slots[prev].before : '') || before;
  }

  /**
   * Whether the other speaker's turn after a wait leaves the question standing: one that lets a number go on
   * (letsGoOn), or one that asks for the answer when it is found (好的，您找到了发我). An allowlist: agents ask without
   * a question mark (您买了几台, 请发一下验证码), and such a turn is a new question.
   */
  private waitsOn(text: string): boolean {
    return text.length <= SHORT_REPLY && (letsGoOn(text) || PATIENCE.test(text));
  }

  /** waitsOn for waiting turn i, its letsGoOn read once. */
  private waitsOnAt(i: number): boolean {
    const text = this.waiting[i].text;
    return text.length <= SHORT_REPLY && (this.letsGoOnAt(i) || PATIENCE.test(text));
  }

  /** Whether waiting turn i is a wait of its speaker (isWaitReply). */
  private isWaitAt(i: number): boolean {
    return this.readFlag(i, WAIT_READ, IS_WAIT, isWaitTest);
  }

  /** Finishes the turns still waiting (call once, after the conversation's last turn). */
  end(): void {
    for (const t of this.waiting) this.finish(t);
    this.waiting.length = 0;
    this.slots.length = 0;
    this.lastText = '';
    this.lastRole = null;
    this.beforeLastText = '';
    this.beforeLastRole = null;
  }
}
