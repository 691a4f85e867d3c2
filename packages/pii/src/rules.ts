import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleYaml, ScrubError, type PiiSpan } from '@scrubline/core';
import { mayNormalize, NORMALISE_TABLE, normalizeOrNull, readLettersAsDigits } from './normalize.js';
import { VALIDATORS } from './validators.js';
import { enableRegexpFallback } from './safety.js';

/** Entity types of the rule packs (the NER tier adds PERSON, ADDRESS, ORG). */
export const ENTITY_TYPES = [
  'PERSON_ID', 'PHONE', 'BANK_CARD', 'EMAIL', 'IP', 'URL', 'USCC', 'PASSPORT', 'PERMIT', 'PLATE', 'WECHAT', 'QQ', 'POSTCODE', 'DOB',
  'ORDER_ID', 'TRACKING_NO', 'HANDLE', 'SSN', 'ACCOUNT_ID',
] as const;

export interface WordWindow {
  words: string[];
  /** Characters before the span searched for a word (default 12). */
  before?: number;
  /** Characters after the span (default 6). */
  after?: number;
}

/** One rule of a YAML pack. */
/** How a found value is normalised before allow-lists, validators and operators read it (placeholder numbering, hmac, surrogates). */
export const CANONICAL_MODES = ['digits', 'alnum', 'lower', 'raw', 'handle', 'phone-cn', 'phone-nanp', 'phone-uk'] as const;
export type CanonicalMode = (typeof CANONICAL_MODES)[number];

export interface RuleSpec {
  id: string;
  /** Entity type, or for `action: keep` the kind of kept text (PLACEHOLDER, SERVICE_NUMBER, BRAND_HANDLE). */
  type: string;
  /** V8 regex source without flags; every quantifier bounded (checked at load). */
  pattern: string;
  /** Named capture group that is the value (the rest of the match is the cue). */
  group?: string;
  /** Cheap prefilter: the text must contain a digit / '@' / an ASCII letter / '[' / ':' for the rule to run. */
  needs?: Need | Need[];
  /**
   * Cheap prefilter: the longest run of digits in the text (digits joined by single spaces,
   * dots or dashes count as one run) must be at least this long for the rule to run.
   */
  minDigits?: number;
  /** Cheap prefilter: the longest run of ASCII letters and digits must be at least this long. */
  minAlnum?: number;
  action?: 'detect' | 'keep';
  validator?: string;
  base?: number;
  checksumBonus?: number;
  checksumPenalty?: number;
  context?: WordWindow & { bonus?: number };
  negative?: WordWindow & { penalty?: number };
  /** Regexes on the canonical value: a match is kept (allow-listed), not redacted. */
  allow?: string[];
  /** Lexicon file (one value per line, `#` comments) next to the pack: exact canonical values kept. */
  allowFile?: string;
  /** Also keep values that start with a lexicon entry (brand accounts: @小米手机 after 小米). */
  allowPrefix?: boolean;
  /**
   * With allowPrefix: what must follow the lexicon entry (a regex for the whole rest), so that
   * @中国电信福建公司 is kept and @华为张工 (a private handle that starts with a brand) is not.
   */
  allowPrefixRest?: string;
  /** How the value is canonicalised for validation, allow-lists and operator consistency. */
  canonical?: CanonicalMode;
  /** Cue words: the rule runs only when one of them occurs somewhere in the text (cheap prefilter). */
  trigger?: string[];
  /**
   * Words one of which every match of the pattern holds (ASCII letters in either case): the rule runs only on a
   * text that has one. A prefilter and nothing more: unlike trigger words, they cue nothing (analyzeAfter,
   * askedCues). A gate that leaves out a word the pattern can match without loses findings; test a new one
   * (packages/pii/test/rule-gates.test.ts checks the shipped ones).
   */
  gate?: string[];
  /** Trailing characters trimmed off a match (URLs: `.,;:!?)'"]`). */
  trimEnd?: string;
  /** A character class the match extends over past the pattern's bound (in code, linear): long URLs stay whole. */
  extendWhile?: string;
  /** Tie-break between overlapping findings of equal length (cue-anchored rules: 1). */
  priority?: number;
  enabled?: boolean;
}

export interface TypeSpec {
  threshold?: number;
  enabled?: boolean;
}

export interface RulePack {
  pack: string;
  description?: string;
  types?: Record<string, TypeSpec>;
  rules: RuleSpec[];
  /**
   * Request words (提供, 告知, 私信, 多少 …): a sentence at the end of a turn that holds one and a cue word asks for
   * a value, and a number that opens the next turn is read as its answer however far the cue word is from the
   * end (RuleEngine.askedCues). The words of all packs loaded count.
   */
  requests?: string[];
  /** Phrases that hold a request word and request nothing (添麻烦, 麻烦您了). */
  notRequests?: string[];
  /** Words that make an item of a clause ask about a time, a count, a sum or a reason, not for a cue word's value (什么时候, 总价, balance). */
  notAsking?: string[];
  /** Lexicons the pack's rules name, already read (so a worker thread needs no file access). */
  lexicons?: Record<string, string[]>;
}

/** A finding before conflict resolution, in normalised-text offsets. */
interface Candidate {
  type: string;
  start: number;
  end: number;
  score: number;
  rule: string;
  validated: boolean;
  priority: number;
  order: number;
}

/** Text that stays as it is and is counted: placeholders, service numbers, brand accounts. */
export interface KeptSpan {
  kind: string;
  rule: string;
  start: number;
  end: number;
}

export interface Analysis {
  spans: PiiSpan[];
  kept: KeptSpan[];
}

/**
 * Whether a word before a value can make a finding of `r` that the value's own text does not: the rule runs only
 * where its trigger or context words occur, or its lowest score (a failed checksum, a negative word nearby)
 * leaves it under its threshold unless its context carries it. (A context word of any other rule only raises
 * the score of a finding made anyway.)
 */
function cueCanAdd(r: CompiledRule): boolean {
  if (r.keep) return false;
  if (r.requireList >= 0) return true;
  const lowest = r.base - (r.validator ? r.penalty : 0) - (r.neg ? r.neg.penalty : 0);
  return !!r.ctx && lowest < r.threshold - 1e-9;
}

/** The context window most rules have (`before: 16`), and that a trigger word read by a rule's own pattern gets. */
const NEAR_CUE = 16;
/** How much of the end of a turn askedCues reads, and in how many sentences (a question, then 谢谢. or 我们为您核实.). */
const ASKED_REACH = 120;
const ASKED_SENTENCES = 3;
/** A cue word that follows its value (生的, 生，): it asks for nothing (askedCues). */
const NOT_ASKED = /[的，,。]$/;
/** Where one item of a clause ends and the next begins (订单号和支付金额, order number and the amount). */
const ITEM_JOIN = /(?:以及|和|及|或|与|、| and | or )/y;
/** A fee, price or sum of what a cue word names (电话费, 订单额): no identifier is asked for. */
const FEE_AFTER = /^[费价额钱]/;
const NO_WORDS: string[] = [];

/** Whether `s[i]` ends a sentence: 。！？；, a line break, or a full stop that is not a decimal point (1.5元). */
function endsSentence(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff1b || c === 0x21 || c === 0x3f || c === 0x3b || c === 0x0a) return true;
  return c === 0x2e && !(isDigitCode(s.charCodeAt(i - 1)) && isDigitCode(s.charCodeAt(i + 1)));
}

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
/** ？ or ? (NaN past the end of a text: none). */
const isQuestionMark = (c: number): boolean => c === 0xff1f || c === 0x3f;

/** [start, stop) of the last sentence of text[0, end), its closing punctuation left out (stop 0: none). */
function lastSentence(text: string, end: number): [number, number] {
  let stop = end;
  while (stop > 0 && endsSentence(text, stop - 1)) stop--;
  let start = stop;
  while (start > 0 && !endsSentence(text, start - 1)) start--;
  return [start, stop];
}

/** A short lower-case word glued to ASCII letters is inside another word (ems in problems), as wordIn reads context words. */
function glued(s: string, i: number, len: number): boolean {
  return len <= 3 && /^[a-z]+$/.test(s.slice(i, i + len)) && (isAsciiLetter(s.charCodeAt(i - 1)) || isAsciiLetter(s.charCodeAt(i + len)));
}
const NO_SPANS: PiiSpan[] = Object.freeze([]) as unknown as PiiSpan[];
/** The shared result for text with nothing found (read-only: frozen). */
const EMPTY: Analysis = Object.freeze({ spans: Object.freeze([]) as unknown as PiiSpan[], kept: Object.freeze([]) as unknown as KeptSpan[] });

export interface RuleEngineOptions {
  /** Pack names to use (file names without .yaml); default every pack found. */
  packs?: string[];
  /** Threshold overrides per entity type. */
  thresholds?: Record<string, number>;
  /** Entity types switched off. */
  disable?: string[];
  /** Rule ids switched off. */
  disableRules?: string[];
  /** Minimum count of numeral characters for Chinese numerals to become digits (default 5). */
  minNumeralRun?: number;
}

/**
 * A rule ready to scan. Every instance has every property, set in the same order (absent ones
 * undefined), and the spec's fields the scan reads are copied in: the rule loop runs once per turn
 * for every rule, and rules of different shapes made those loads megamorphic (≈8 % of a one-thread
 * profile).
 */
interface CompiledRule {
  id: string;
  type: string;
  group: string | undefined;
  /** The group ends the match (only lookarounds follow it): its place comes from the match's end, without the `d` flag. */
  groupAtEnd: boolean;
  trimEnd: string | undefined;
  priority: number;
  canonical: RuleSpec['canonical'];
  re: RegExp;
  order: number;
  keep: boolean;
  validator: ((v: string) => boolean) | undefined;
  ctx: { re: RegExp; before: number; after: number; bonus: number } | undefined;
  neg: { re: RegExp; before: number; after: number; penalty: number } | undefined;
  allow: RegExp[] | undefined;
  allowSet: Set<string> | undefined;
  /** Words a value may start with (then it is allowed), and their lengths: a few set lookups instead of one test per word. */
  allowPrefixes: Set<string> | undefined;
  allowPrefixLengths: Int32Array | undefined;
  allowPrefixRest: RegExp | undefined;
  extend: RegExp | undefined;
  threshold: number;
  base: number;
  bonus: number;
  penalty: number;
  needs: number;
  minDigits: number;
  minAlnum: number;
  /** base (+ checksum bonus) stays under the threshold: only a context word can carry it. */
  needsContext: boolean;
  /** Word lists (index into the engine's lists) one of which must occur in the text; -1 = none. */
  requireList: number;
  /** The list of the rule's gate words (RuleSpec.gate), one of which must occur in the text; -1 = none. */
  gateList: number;
  /** An allow-list or validator reads the canonical value. */
  needsValue: boolean;
}

export type Need = 'digit' | 'at' | 'alpha' | 'bracket' | 'colon' | 'dot' | 'dash' | 'plus' | 'digitsep' | 'any';
const NEED_DIGIT = 1;
const NEED_AT = 2;
const NEED_ALPHA = 4;
const NEED_BRACKET = 8;
const NEED_COLON = 16;
const NEED_DOT = 32;
const NEED_DASH = 64;
const NEED_PLUS = 128;
/** A digit, one joiner (space, dot, dash, comma, 、, ·, an emoji), a digit. */
const NEED_DIGITSEP = 256;
/** A line break: no rule needs one (left out of the rules' features); the turn readers ask (TEXT_HAS_LINE_BREAK). */
const NEED_NEWLINE = 512;

// What the features pass saw in the text the last `analyze` read, as it was given (RuleEngine.lastHints): the turn
// readers (split.ts) skip their own reading of a turn when it says there is nothing to find.
/** Some character that may be a digit: ASCII, a Chinese numeral, or a character normalising maps (full-width digits among them). */
export const TEXT_MAY_HOLD_DIGITS = 1;
/** A line break. */
export const TEXT_HAS_LINE_BREAK = 2;
const NEED_BITS: Record<Need, number> = {
  digit: NEED_DIGIT, at: NEED_AT, alpha: NEED_ALPHA, bracket: NEED_BRACKET, colon: NEED_COLON, dot: NEED_DOT, dash: NEED_DASH, plus: NEED_PLUS,
  digitsep: NEED_DIGITSEP, any: 0,
};

interface Features {
  bits: number;
  /** NORMALISE_TABLE bits of the code units ≥ U+00A0, or'ed, and the digits and Chinese numerals counted (normalize.ts's pre-count). */
  normalise: number;
  numeralish: number;
  /** Longest digit run (single space, dot or dash separators join digits into one run). */
  maxRun: number;
  /** Longest run of ASCII letters and digits. */
  maxAlnum: number;
}

const FEAT: Features = { bits: 0, normalise: 0, numeralish: 0, maxRun: 0, maxAlnum: 0 };

// What `features` does with each UTF-16 code unit, in one table lookup: its kind (low 4 bits) and
// NORMALISE_TABLE's bits (above)
const K_OTHER = 0;
const K_DIGIT = 1;
const K_HIGH_SURROGATE = 2;
const K_JOINER = 3;
const K_JOINER_DOT = 4;
const K_JOINER_DASH = 5;
const K_ALPHA = 6;
const K_AT = 7;
/** The need bit of each mark kind from K_AT on: @ [ : + and the line break */
const MARK_BITS = [NEED_AT, NEED_BRACKET, NEED_COLON, NEED_PLUS, NEED_NEWLINE];
// built on first use (≈ 12 ms, one pass over the BMP): commands that load this package and scan nothing
// (normalise, dedup …) do not pay for it
let CHAR_CLASS: Uint8Array | null = null;
function charClass(): Uint8Array {
  const t = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) {
    let kind = K_OTHER;
    if (c >= 48 && c <= 57) kind = K_DIGIT;
    else if (c >= 0xd800 && c <= 0xdbff) kind = K_HIGH_SURROGATE;
    else if (c === 46) kind = K_JOINER_DOT;
    else if (c === 45) kind = K_JOINER_DASH;
    else if (c === 32 || c === 44 || c === 0xff0c || c === 0x3001 || c === 0xb7 || c === 0x30fb || (c >= 0xdc00 && c <= 0xdfff)) kind = K_JOINER;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) kind = K_ALPHA;
    else if (c === 64) kind = K_AT;
    else if (c === 91) kind = K_AT + 1;
    else if (c === 58) kind = K_AT + 2;
    else if (c === 43) kind = K_AT + 3;
    else if (c === 10) kind = K_AT + 4;
    t[c] = kind | (c >= 0xa0 ? NORMALISE_TABLE[c] << 4 : 0);
  }
  return (CHAR_CLASS = t);
}

/**
 * Whether code unit `c` is a digit as the turn readers (split.ts) count one: ASCII, full-width, or a Chinese numeral
 * from U+3007 on (NORMALISE_TABLE). Read from the features table, whose lines the text's analysis has just loaded (a
 * look-up in NORMALISE_TABLE per character of every turn's opening missed the cache).
 */
export function isDigitLikeCode(c: number): boolean {
  const x = (CHAR_CLASS ?? charClass())[c];
  return (x & 15) === K_DIGIT || (c >= 0x3007 && (x & 32) !== 0) || (c >= 0xff10 && c <= 0xff19);
}

/**
 * One pass over a text: which character kinds occur, the longest digit and alphanumeric runs, and
 * normalisation's pre-count (so a text that needs no normalising is read once; into `out`: no allocation).
 */
function features(s: string, out: Features): void {
  let bits = 0;
  let run = 0;
  let maxRun = 0;
  let alnum = 0;
  let maxAlnum = 0;
  let sep = 0; // separators since the last digit
  let normalise = 0;
  let numeralish = 0;
  const table = CHAR_CLASS ?? charClass();
  for (let i = 0; i < s.length; i++) {
    const x = table[s.charCodeAt(i)];
    // NORMALISE_TABLE's bits above the kind: a character to map, a Chinese numeral
    normalise |= x >> 4;
    numeralish += x >> 5;
    const kind = x & 15;
    if (kind === K_OTHER) {
      sep = 2;
      alnum = 0;
      continue;
    }
    if (kind === K_DIGIT) {
      numeralish++;
      bits |= NEED_DIGIT;
      // one joiner between digits (a space, dot, dash, comma, 、 or ·, or an emoji): a grouped number
      if (sep === 1 && run > 0) bits |= NEED_DIGITSEP;
      run = sep <= 1 ? run + 1 : 1;
      sep = 0;
      if (run > maxRun) maxRun = run;
      if (++alnum > maxAlnum) maxAlnum = alnum;
      continue;
    }
    if (kind === K_HIGH_SURROGATE) {
      // the first half of an astral character (an emoji): its second half counts as one joiner
      alnum = 0;
      continue;
    }
    if (kind <= K_JOINER_DASH) {
      // space . - , ， 、 · ・ and an emoji join digit runs (138，1234，5678; 176🌸0682🌸9629) for the prefilters
      sep++;
      alnum = 0;
      if (kind === K_JOINER_DOT) bits |= NEED_DOT;
      else if (kind === K_JOINER_DASH) bits |= NEED_DASH;
      continue;
    }
    sep = 2;
    if (kind === K_ALPHA) {
      bits |= NEED_ALPHA;
      if (++alnum > maxAlnum) maxAlnum = alnum;
      continue;
    }
    alnum = 0;
    bits |= MARK_BITS[kind - K_AT];
  }
  out.bits = bits;
  out.normalise = normalise;
  out.numeralish = numeralish;
  out.maxRun = maxRun;
  out.maxAlnum = maxAlnum;
}

/** Packs already read elsewhere (the main thread), by rules folder and pack names. */
const preloaded = new Map<string, RulePack[]>();
const packsKey = (rulesDir: string, names?: string[]) => `${rulesDir}\u0000${names && names.length ? names.join(',') : '*'}`;

/**
 * Hands this thread packs that `loadRulePacks(rulesDir, names)` would read (a scrub worker gets
 * them from the main thread, so all workers scrub with the same packs).
 */
export function preloadRulePacks(rulesDir: string, names: string[] | undefined, packs: RulePack[]): void {
  preloaded.set(packsKey(rulesDir, names), packs);
}

/** Reads `rulesDir/pii/*.yaml` (or the named packs) with the lexicons they name. */
export function loadRulePacks(rulesDir: string, names?: string[]): RulePack[] {
  const given = preloaded.get(packsKey(rulesDir, names));
  if (given) return given;
  const { dir, available } = packFolder(rulesDir);
  const wanted = names && names.length ? names : available;
  for (const name of wanted) {
    if (!available.includes(name)) {
      throw new ScrubError('SCRUB_CONFIG_INVALID', `unknown PII rule pack "${name}"`, { field: 'rules', hint: `available: ${available.join(', ')}` });
    }
  }
  return wanted.map((name) => readRulePack(dir, name));
}

/** The packs folder of `rulesDir` and its pack names, sorted. */
function packFolder(rulesDir: string): { dir: string; available: string[] } {
  const dir = join(rulesDir, 'pii');
  if (!existsSync(dir)) throw new ScrubError('SCRUB_CONFIG_INVALID', `no PII rule packs: ${dir} does not exist`, { hint: 'pass --rules-dir or set rulesDir' });
  return { dir, available: readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort() };
}

function readRulePack(dir: string, name: string): RulePack {
  const file = join(dir, `${name}.yaml`);
  let pack: RulePack;
  try {
    pack = parseRuleYaml(readFileSync(file, 'utf8')) as RulePack;
  } catch (e) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', `rule pack ${name} is not valid YAML`, { file }, { cause: e });
  }
  if (!pack || !Array.isArray(pack.rules)) throw new ScrubError('SCRUB_CONFIG_INVALID', `rule pack ${name} has no rules list`, { file });
  pack.pack ??= name;
  pack.lexicons = {};
  for (const r of pack.rules) {
    if (r.allowFile && !pack.lexicons[r.allowFile]) {
      const lf = join(dir, r.allowFile);
      let list: string;
      try {
        list = readFileSync(lf, 'utf8');
      } catch (e) {
        throw new ScrubError('SCRUB_CONFIG_INVALID', `rule pack ${name} names an allow list that cannot be read`, { file: lf, field: `rules.${r.id}.allowFile` }, { cause: e });
      }
      pack.lexicons[r.allowFile] = list
        .split('\n')
        .map((l) => l.replace(/#.*$/, '').trim())
        .filter(Boolean);
    }
  }
  return pack;
}

/**
 * Calls `at(c, i, depth)` for each character of a pattern from `from` on that is outside a character
 * class and not escaped, and for each escape outside a class (`c` is then `\\`, its character at i + 1);
 * `depth` counts the groups open before `c`. Stops where `at` returns true: that index, or -1.
 */
function walkPattern(source: string, from: number, at: (c: string, i: number, depth: number) => boolean): number {
  let depth = 0;
  let inClass = false;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      if (!inClass && at(c, i, depth)) return i;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (at(c, i, depth)) return i;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return -1;
}

/** As walkPattern, for the `(`, `)` and `|` of a pattern only. */
const walkGroups = (source: string, from: number, at: (c: string, i: number, depth: number) => boolean): number =>
  walkPattern(source, from, (c, i, depth) => (c === '(' || c === ')' || c === '|') && at(c, i, depth));

/** Where the group opened at `open` (a `(`) closes: the index of its `)`, or -1. */
const closingParen = (source: string, open: number): number => walkGroups(source, open, (c, _, depth) => c === ')' && depth === 1);

/**
 * Whether named group `name` ends every match of `source`: it is not inside another group, and only
 * lookaheads follow it (`(?<v>…)(?![0-9])`). Its place is then the match's end less its length.
 */
export function groupEndsMatch(source: string, name: string): boolean {
  const open = source.indexOf(`(?<${name}>`);
  // the group named once, plainly: a name written with escapes (`(?<\u0076>`) could be the real one
  if (open < 0 || source.indexOf(`(?<${name}>`, open + 1) >= 0 || source.includes('(?<\\')) return false;
  // not nested (an enclosing group could be quantified or go on after it), and no top-level
  // alternative before it (the match could end elsewhere)
  if (walkGroups(source, 0, (c, i, depth) => i === open ? depth !== 0 : c === '|' && depth === 0) >= 0) return false;
  let i = closingParen(source, open);
  if (i < 0) return false;
  i++;
  // the group itself quantified (`(?<v>…)?`, `{0,2}`) could match empty or repeat: not taken
  if (i < source.length && '?*+{'.includes(source[i])) return false;
  while (i < source.length) {
    if (!source.startsWith('(?=', i) && !source.startsWith('(?!', i)) return false;
    const close = closingParen(source, i);
    if (close < 0) return false;
    i = close + 1;
  }
  return true;
}

/**
 * Rejects pattern features that can backtrack catastrophically or defeat V8's
 * linear-time fallback: unbounded quantifiers (`*`, `+`, `{n,}`) and
 * backreferences. Bounded quantifiers keep every attempt O(bound).
 */
export function checkPatternSafety(source: string): string | null {
  let problem: string | null = null;
  walkPattern(source, 0, (c, i) => {
    if (c === '\\') {
      if (/[1-9k]/.test(source[i + 1] ?? '')) problem = 'backreferences are not allowed';
    } else if (c === '*' || c === '+') problem = `unbounded quantifier "${c}" at ${i}: use {0,N} / {1,N}`;
    else if (c === '{') {
      const m = /^\{(\d*),(\d*)\}/.exec(source.slice(i));
      if (m && m[2] === '') problem = `unbounded quantifier "${m[0]}" at ${i}`;
    }
    return problem !== null;
  });
  return problem;
}

interface TrieNode {
  end: boolean;
  next: Map<string, TrieNode>;
}

/** Regex source matching any of `words` (lower-case), factored as a trie; longest word wins. */
export function trieRegex(words: string[]): string {
  const root: TrieNode = { end: false, next: new Map() };
  for (const w of words) {
    let n = root;
    for (const ch of w) {
      let child = n.next.get(ch);
      if (!child) n.next.set(ch, (child = { end: false, next: new Map() }));
      n = child;
    }
    n.end = true;
  }
  const lit = (c: string) => (/[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const emit = (n: TrieNode): string => {
    const alts = [...n.next].map(([c, child]) => lit(c) + emit(child));
    if (alts.length === 0) return '';
    const body = alts.length === 1 ? alts[0] : `(?:${alts.join('|')})`;
    return n.end ? `(?:${body})?` : body;
  };
  return emit(root);
}

/**
 * Finds every occurrence of a set of words, ASCII letters in either case, overlapping ones included: the longest
 * word at each position, as `trieRegex`'s regex of the lower-cased words finds it. The words are lower-cased (the
 * engine's are already); their trie is walked over UTF-16 code units from each position whose character begins
 * some word (one table look-up per character). A walk allocates nothing, where a sticky regex made a match array
 * per try (the gating words' scan was a tenth of the pii step's time that way). No word, or an empty one: the
 * regex scan (an empty word matches everywhere; no word, nowhere).
 */
export class WordScanner {
  /** Per BMP code unit: the root's child for it, + 1 (0: no word starts with it). */
  readonly first: Int32Array;
  /** The trie's edges below the root, grouped by node (node n's are childStart[n] up to childStart[n + 1]): few per node, read in a row. */
  private readonly childStart: Int32Array;
  private readonly childCode: Uint16Array;
  private readonly childNode: Int32Array;
  /** Per node: the length of the word that ends there (0: none), and the word itself. */
  private readonly wordLength: Int32Array;
  readonly wordOf: (string | null)[] = [];
  /** An empty word matches everywhere: then the regex of the plain scan, as trieRegex reads it. */
  private readonly global: RegExp | null = null;

  /** Whether this scanner reads with the plain regex scan (an empty word): `longestAt` finds nothing then. */
  get plain(): boolean {
    return this.global !== null;
  }

  constructor(words: readonly string[]) {
    this.first = new Int32Array(65536);
    const next: Map<number, number>[] = [new Map()];
    this.wordOf.push(null);
    if (words.some((w) => w.length === 0)) this.global = new RegExp(trieRegex(words.map((w) => w.toLowerCase())), 'g');
    else {
      // an upper-case ASCII letter read as its lower case: otherwise it would share the child its lower case
      // made for both cases, and one word's ending would be reached through the other's letter
      for (const w of words.map((x) => x.toLowerCase())) {
        let n = 0;
        for (let i = 0; i < w.length; i++) {
          const c = w.charCodeAt(i);
          let child = next[n].get(c);
          if (child === undefined) {
            child = next.length;
            next.push(new Map());
            this.wordOf.push(null);
            next[n].set(c, child);
            // trieRegex matches a lower-case ASCII letter in either case (the engine lower-cases its words)
            if (c >= 97 && c <= 122) next[n].set(c - 32, child);
          }
          n = child;
        }
        this.wordOf[n] = w;
      }
      for (const [c, child] of next[0]) this.first[c] = child + 1;
    }
    this.childStart = new Int32Array(next.length + 1);
    let edges = 0;
    for (let n = 0; n < next.length; n++) {
      this.childStart[n] = edges;
      if (n > 0) edges += next[n].size;
    }
    this.childStart[next.length] = edges;
    this.childCode = new Uint16Array(edges);
    this.childNode = new Int32Array(edges);
    for (let n = 1; n < next.length; n++) {
      let k = this.childStart[n];
      for (const [c, child] of next[n]) {
        this.childCode[k] = c;
        this.childNode[k++] = child;
      }
    }
    this.wordLength = Int32Array.from(this.wordOf, (w) => (w === null ? 0 : w.length));
  }

  /** The node where the longest word starting at `i` ends, or -1. */
  longestAt(s: string, i: number): number {
    if (i < 0 || i >= s.length) return -1;
    let n = this.first[s.charCodeAt(i)] - 1;
    if (n < 0) return -1;
    const { childStart, childCode, childNode, wordLength } = this;
    let best = -1;
    for (let j = i + 1; ; j++) {
      if (wordLength[n] !== 0) best = n;
      if (j >= s.length) break;
      const c = s.charCodeAt(j);
      const stop = childStart[n + 1];
      let k = childStart[n];
      while (k < stop && childCode[k] !== c) k++;
      if (k === stop) break;
      n = childNode[k];
    }
    return best;
  }

  /** The word that starts at `i` (the longest), as written there, or null. */
  wordAt(s: string, i: number): string | null {
    if (this.global !== null) {
      const m = this.plainAt(s, i);
      return m === null ? null : m[0];
    }
    const n = this.longestAt(s, i);
    return n < 0 ? null : s.slice(i, i + this.wordLength[n]);
  }

  /** Calls `onMatch` with each match (overlapping matches included), left to right. */
  scan(s: string, onMatch: (word: string, index: number) => void): void {
    if (this.global !== null) {
      const re = this.global;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        onMatch(m[0], m.index);
        re.lastIndex = m.index + 1;
      }
      return;
    }
    for (let i = 0; i < s.length; i++) {
      const n = this.longestAt(s, i);
      if (n >= 0) onMatch(s.slice(i, i + this.wordLength[n]), i);
    }
  }

  private sticky: RegExp | null = null;

  private plainAt(s: string, i: number): RegExpExecArray | null {
    const sticky = (this.sticky ??= new RegExp(this.global!.source, 'y'));
    sticky.lastIndex = i;
    return sticky.exec(s);
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A word list as one alternation, ASCII letters case-insensitive without the `i` flag. */
function wordsRegex(words: string[]): RegExp {
  const alts = [...new Set(words)]
    .sort((a, b) => b.length - a.length)
    .map((w) =>
      escapeRe(w).replace(/[A-Za-z]/g, (ch) => `[${ch.toUpperCase()}${ch.toLowerCase()}]`),
    );
  // global: windowHas steps through the matches in a window (a word inside an English word is skipped)
  return new RegExp(alts.join('|'), 'g');
}

const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * The canonical form of a value under a rule's mode. The phone modes drop the country code so
 * that one number written with and without it is one value: `phone-cn` strips +86 / 0086 / 86
 * (a landline written after the country code gets its trunk 0 back: +86 10 62345678 ≡
 * 010-62345678; a mobile becomes its 11 digits), `phone-nanp` the 1 of an 11-digit number,
 * `phone-uk` turns +44 / 0044 into the trunk 0 and drops a written "(0)".
 */
export function canonicalValue(value: string, mode: RuleSpec['canonical']): string {
  switch (mode) {
    case 'digits':
      return value.replace(/[^0-9Xx]/g, '').toUpperCase();
    case 'alnum':
      return value.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'handle':
      return value.replace(/^@/, '');
    case 'phone-cn': {
      let d = value.replace(/[^0-9]/g, '');
      // Hong Kong, Macau, Taiwan: 00852 … is +852 …
      if (/^00(?:85[23]|886)/.test(d)) return d.slice(2);
      if (/^(?:85[23]|886)/.test(d)) return d;
      if (d.startsWith('0086')) d = d.slice(4);
      // 86 and at least 9 digits (a bare mainland number starts with 1 or 0, never with 86)
      else if (d.startsWith('86') && d.length >= 11) d = d.slice(2);
      else return d;
      // a mobile (its extension digits may follow: 18830566568转2146) keeps no trunk 0; a landline gets it back
      return d.startsWith('0') || /^1[3-9][0-9]{9}/.test(d) ? d : '0' + d;
    }
    case 'phone-nanp': {
      const d = value.replace(/[^0-9]/g, '');
      // area codes start with 2-9, so a leading 1 is the country code (an extension may follow the ten digits)
      return d.length >= 11 && d[0] === '1' ? d.slice(1) : d;
    }
    case 'phone-uk': {
      const d = value.replace(/[(（]0[)）]/g, '').replace(/[^0-9]/g, '');
      if (d.startsWith('0044')) return '0' + d.slice(4);
      return d.startsWith('44') ? '0' + d.slice(2) : d;
    }
    case 'raw':
    case undefined:
      return value;
    default: {
      // every mode of RuleSpec['canonical'] has its case (a new one without it does not compile);
      // a mode outside the type (a YAML typo) reads the value as is, as it always did
      const unknown: never = mode;
      void unknown;
      return value;
    }
  }
}

/** The rule engine: compiled packs; `analyze(text)` finds spans and kept text. Pure and reusable. */
export class RuleEngine {
  /** Detector name in core's registry. */
  readonly name = 'rules';
  readonly rules: CompiledRule[] = [];
  readonly packs: string[];
  private readonly minNumeralRun: number;
  /** Canonical-mode of each rule id, for operators. */
  readonly canonicalOf = new Map<string, RuleSpec['canonical']>();
  /** Distinct word lists that gate rules (trigger words, required context words). */
  private readonly lists: string[][] = [];
  private readonly listKeys = new Map<string, number>();
  /** One global scan for every gating word (a trie-shaped regex); matched word → lists it proves present. */
  private wordScan: WordScanner | null = null;
  private wordMarks = new Map<string, number[]>();
  /**
   * How far back before a value its rules read words: the widest context or negative window (at least 16,
   * which covers a cue that a rule's own pattern puts right before the value). The part of a previous
   * turn that can matter to a value at the start of the next (analyzeAfter).
   */
  private readonly maxContextBefore: number;
  /** Every trigger and context word of the rules, and the rules (by order) each one cues (analyzeAfter). */
  private readonly cueScan: WordScanner | null;
  /** The same for the words of rules whose window reaches further back than 16 characters (dates of birth …). */
  private readonly farCueScan: WordScanner | null;
  private readonly cuedBy = new Map<string, number[]>();
  /** Per rule (by order): how far back from a value a cue word of it may be (its context window; a trigger word, read by the rule's own pattern right before the value, 16). */
  private readonly cueReach: Int32Array;
  private cuedBuf: Uint8Array | null = null;
  /** The packs' request words, the phrases holding one that request nothing, and the words of a clause that asks about something else (askedCues). */
  private readonly requestScan: WordScanner | null;
  private readonly notRequestScan: WordScanner | null;
  private readonly notAskingScan: WordScanner | null;

  constructor(packs: RulePack[], options: RuleEngineOptions = {}) {
    enableRegexpFallback();
    this.packs = packs.map((p) => p.pack);
    this.minNumeralRun = options.minNumeralRun ?? 5;
    const thresholds: Record<string, number> = {};
    const disabledTypes = new Set(options.disable ?? []);
    for (const p of packs) {
      for (const [t, spec] of Object.entries(p.types ?? {})) {
        if (spec.threshold !== undefined && spec.threshold !== null) {
          if (typeof spec.threshold !== 'number' || !Number.isFinite(spec.threshold)) {
            throw new ScrubError('SCRUB_CONFIG_INVALID', `PII type ${t}: threshold must be a number`, { field: `${p.pack}.types.${t}.threshold` });
          }
          thresholds[t] = spec.threshold;
        }
        if (spec.enabled === false) disabledTypes.add(t);
      }
    }
    Object.assign(thresholds, options.thresholds ?? {});
    const disabledRules = new Set(options.disableRules ?? []);
    let order = 0;
    const seen = new Set<string>();
    const cueWords = new Map<string, number[]>();
    /** Rules gated by trigger words (by order). */
    const triggered = new Set<number>();
    for (const p of packs) {
      for (const spec of p.rules) {
        if (spec.enabled === false || disabledRules.has(spec.id)) continue;
        const keep = spec.action === 'keep';
        if (!keep && disabledTypes.has(spec.type)) continue;
        if (seen.has(spec.id)) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule id ${spec.id} appears twice`, { field: `rules.${spec.id}` });
        seen.add(spec.id);
        const rule = this.compile(spec, p, order++, thresholds[spec.type] ?? 0.5, keep);
        this.rules.push(rule);
        if (cueCanAdd(rule)) {
          for (const w of [...(spec.trigger ?? []), ...(spec.context?.words ?? [])]) if (w) cueWords.set(w.toLowerCase(), [...(cueWords.get(w.toLowerCase()) ?? []), order - 1]);
          if (spec.trigger?.length) triggered.add(order - 1);
        }
        this.canonicalOf.set(spec.id, spec.canonical ?? 'raw');
      }
    }
    this.buildWordScan();
    let reach = NEAR_CUE;
    for (const r of this.rules) reach = Math.max(reach, r.ctx?.before ?? 0, r.neg?.before ?? 0);
    this.maxContextBefore = reach;
    // a trigger word anywhere in a text lets its rule run on all of it (and the rule's own pattern may put the
    // cue 17 or more characters before the value: 'Account number: '): the whole tail is in reach
    this.cueReach = Int32Array.from(this.rules, (r, i) => (triggered.has(i) ? 2 * reach : Math.max(NEAR_CUE, r.ctx?.before ?? 0)));
    // a word cues the rules of every cue word inside it (leftmost-longest matching may hide the shorter one)
    for (const w of cueWords.keys()) {
      const rules = new Set<number>();
      for (const [v, rs] of cueWords) if (w.includes(v)) for (const i of rs) rules.add(i);
      this.cuedBy.set(w, [...rules]);
    }
    this.cueScan = cueWords.size ? new WordScanner([...cueWords.keys()]) : null;
    const list = (key: 'requests' | 'notRequests' | 'notAsking') => [...new Set(packs.flatMap((p) => (Array.isArray(p[key]) ? p[key] : [])).filter((w): w is string => typeof w === 'string' && w.length > 0).map((w) => w.toLowerCase()))];
    const requests = list('requests');
    this.requestScan = requests.length && this.cueScan ? new WordScanner(requests) : null;
    const notRequests = list('notRequests');
    this.notRequestScan = notRequests.length ? new WordScanner(notRequests) : null;
    const notAsking = list('notAsking');
    this.notAskingScan = notAsking.length ? new WordScanner(notAsking) : null;
    const far = [...this.cuedBy].filter(([, rules]) => rules.some((i) => this.cueReach[i] > NEAR_CUE)).map(([w]) => w);
    this.farCueScan = far.length ? new WordScanner(far) : null;
  }

  /**
   * `raw` as the rules read it, for looking up words: normalised only where normalising maps a character (a Chinese
   * numeral run, the common case in a tail holding a phone number, keeps the length and no cue word holds one).
   */
  private asRulesRead(raw: string): string {
    features(raw, FEAT);
    return (FEAT.normalise & 1) !== 0 ? (normalizeOrNull(raw, this.minNumeralRun)?.text ?? raw) : raw;
  }

  /**
   * What a question at the end of `prev` asks for: the cue words of the last sentence (of its last ASKED_SENTENCES,
   * within its last ASKED_REACH characters) that asks for one with a request word of the packs, in order
   * (您好,请提供您的订单号,我们为您核实,谢谢. → 订单号; 请将您的订单号或联系方式私信给我们 → 订单号, 联系方式), or none.
   * Read right before an answer (analyzeAfter(word, answer)) a word stands as if the customer had typed 订单号
   * 9163852: the rules' windows (16 characters) are for words inside one turn, and an agent's question often ends
   * in a courtesy longer than that. Left out: a cue word with a negative word of its rules or a fee right after it
   * (订单金额, 电话费, 订单额 ask for no identifier), and one of one character or ending in 的 or a comma (生的, 生，:
   * words that follow a date).
   */
  askedCues(prev: string): string[] {
    const requests = this.requestScan;
    const cues = this.cueScan;
    if (requests === null || cues === null || prev.length === 0) return NO_WORDS;
    const raw = prev.slice(Math.max(0, prev.length - ASKED_REACH));
    const text = this.asRulesRead(raw);
    let end = text.length;
    for (let n = 0; n < ASKED_SENTENCES; n++) {
      const [start, stop] = lastSentence(text, end);
      if (stop === 0) break;
      const words = this.askedIn(text, start, stop);
      if (words.length) return words;
      end = start;
    }
    return NO_WORDS;
  }

  /**
   * The cue words the sentence text[start, stop) asks for (askedCues). A cue word is asked for by a request word
   * before it in the sentence (请提供您的姓名、联系电话), or after it in the same clause (订单号发我下, 您的手机号？: a
   * question mark at the end asks as a request word does), unless its clause asks about a time, a sum or a reason
   * (a `notAsking` word: 您的QQ号是什么时候被盗的, 订单的总价, account balance); 您的订单已经提交,请问还有什么可以帮您？
   * asks for no order number. A `notRequest` phrase (添麻烦) holds a request word that requests nothing.
   */
  private askedIn(text: string, start: number, stop: number): string[] {
    const requests = this.requestScan!;
    const cues = this.cueScan!;
    const words: string[] = [];
    /**
     * The clause's cue phrases, each with whether a request word came before it and its item (the clause's parts
     * joined by 和, 及, 或, 、, and …: 订单号和支付金额 asks for the order number), and the clause's last request.
     */
    const clause: { phrase: string; at: number; requested: boolean; item: number }[] = [];
    /** The items of the clause a notAsking word stands in. */
    const blocked = new Set<number>();
    let item = 0;
    let lastRequest = -1;
    let requested = false;
    const close = (questionMark: boolean) => {
      for (const c of clause) if (!blocked.has(c.item) && (c.requested || c.at < lastRequest || questionMark) && !words.includes(c.phrase)) words.push(c.phrase);
      clause.length = 0;
      lastRequest = -1;
      blocked.clear();
      item = 0;
    };
    for (let at = start; at < stop; ) {
      const c = text.charCodeAt(at);
      if (c === 0xff0c || c === 0x2c || c === 0xff1a || c === 0x3a) {
        close(false);
        at++;
        continue;
      }
      ITEM_JOIN.lastIndex = at;
      const join = ITEM_JOIN.exec(text);
      if (join !== null) {
        item++;
        at += join[0].length;
        continue;
      }
      const skip = this.notRequestScan?.wordAt(text, at) ?? null;
      if (skip !== null) {
        at += skip.length;
        continue;
      }
      const off = this.notAskingScan?.wordAt(text, at) ?? null;
      if (off !== null && !glued(text, at, off.length)) {
        blocked.add(item);
        at += off.length;
        continue;
      }
      const cue = cues.wordAt(text, at);
      const request = requests.wordAt(text, at);
      if (request !== null && (cue === null || request.length > cue.length)) {
        if (!glued(text, at, request.length)) {
          requested = true;
          lastRequest = at;
        }
        at += request.length;
        continue;
      }
      if (cue === null) {
        at++;
        continue;
      }
      // cue words next to each other (a space between at most) are one phrase: order number, 联系电话号码
      let after = at + cue.length;
      for (;;) {
        const k = text.charCodeAt(after) === 0x20 ? after + 1 : after;
        const next = k < stop ? cues.wordAt(text, k) : null;
        if (next === null) break;
        after = k + next.length;
      }
      const phrase = text.slice(at, after);
      if (phrase.length > 1 && !NOT_ASKED.test(phrase) && !FEE_AFTER.test(text.slice(after, after + 1)) && !glued(text, at, cue.length) && !this.negatedAfter(phrase, text, after, Math.min(stop, after + 4))) {
        clause.push({ phrase, at, requested, item });
      }
      at = after;
    }
    close(isQuestionMark(text.charCodeAt(stop)));
    return words;
  }

  /** Whether a negative word of a rule that `phrase` cues stands in text[from, to) (订单金额; 订单号和手机号 is not one). */
  private negatedAfter(phrase: string, text: string, from: number, to: number): boolean {
    return from < to && this.someCuedRule(phrase, (r) => r.neg !== undefined && wordIn(r.neg.re, text, from, to));
  }

  /** Whether a rule that a cue word of `phrase` cues passes `test`. */
  private someCuedRule(phrase: string, test: (rule: CompiledRule) => boolean): boolean {
    const scanner = this.cueScan;
    if (scanner === null) return false;
    for (let at = 0; at < phrase.length; ) {
      const w = scanner.wordAt(phrase, at);
      if (w === null) {
        at++;
        continue;
      }
      for (const i of this.cuedBy.get(w.toLowerCase()) ?? []) if (test(this.rules[i])) return true;
      at += w.length;
    }
    return false;
  }

  /**
   * Whether the last sentence of `s` is a question about a price, a time or a reason (a `notAsking` word in a
   * sentence with a request word or a question mark: 您说的是哪个价格？): the numbers that answer it are no identifier.
   */
  asksAboutOther(s: string): boolean {
    const off = this.notAskingScan;
    if (off === null || s.length === 0) return false;
    const raw = s.slice(Math.max(0, s.length - ASKED_REACH));
    const [start, stop] = lastSentence(raw, raw.length);
    let about = false;
    let asks = isQuestionMark(raw.charCodeAt(stop));
    for (let at = start; at < stop; ) {
      const skip = this.notRequestScan?.wordAt(raw, at) ?? null;
      if (skip !== null) {
        at += skip.length;
        continue;
      }
      const w = off.wordAt(raw, at);
      if (w !== null && !glued(raw, at, w.length)) {
        about = true;
        at += w.length;
        continue;
      }
      const r = this.requestScan?.wordAt(raw, at) ?? null;
      if (r !== null && !glued(raw, at, r.length)) {
        asks = true;
        at += r.length;
        continue;
      }
      at++;
    }
    return about && asks;
  }

  /** The cue words in the last 16 characters of `s` (as normalising reads them): what a number right after it is read with. */
  endCues(s: string): string[] {
    return this.cuesFrom(s, NEAR_CUE);
  }

  /** The cue words anywhere in `s` (as normalising reads it; a split's lead, at most a few dozen characters). */
  cuesIn(s: string): string[] {
    return this.cuesFrom(s, s.length);
  }

  /** The cue words in the last `reach` characters of `s`, as normalising reads them. */
  private cuesFrom(s: string, reach: number): string[] {
    const scanner = this.cueScan;
    if (scanner === null || s.length === 0) return NO_WORDS;
    const raw = s.slice(Math.max(0, s.length - 2 * reach));
    const text = this.asRulesRead(raw);
    const out: string[] = [];
    for (let at = Math.max(0, text.length - reach); at < text.length; ) {
      const w = scanner.wordAt(text, at);
      if (w === null || glued(text, at, w.length)) at++;
      else {
        out.push(w);
        at += w.length;
      }
    }
    return out;
  }

  /** Whether `s` is cue words only (spaces, 号 and 号码 between or after them): QQ号, 订单号码, order number. */
  isCuePhrase(s: string): boolean {
    const scanner = this.cueScan;
    if (scanner === null || s.length === 0) return false;
    let any = false;
    for (let at = 0; at < s.length; ) {
      const w = scanner.wordAt(s, at);
      if (w !== null) {
        any = true;
        at += w.length;
      } else if (s.charCodeAt(at) === 0x20) at++;
      else if (s.startsWith('号码', at)) at += 2;
      else if (s.charCodeAt(at) === 0x53f7) at++;
      // 码 after a word that ends in 号 (手机号 + 码)
      else if (s.charCodeAt(at) === 0x7801 && s.charCodeAt(at - 1) === 0x53f7) at++;
      else return false;
    }
    return any;
  }

  /** Whether one of `words` (askedCues, endCues; a phrase of cue words counts each) cues a rule of entity type `type`. */
  cuesType(words: readonly string[], type: string): boolean {
    return words.some((phrase) => this.someCuedRule(phrase, (r) => r.type === type));
  }

  /** Whether `s` holds a trigger or context word that can change what a rule finds after it (cueCanAdd). */
  hasCueWord(s: string): boolean {
    const scanner = this.cueScan;
    if (!scanner) return false;
    for (let at = 0; at < s.length; at++) if (scanner.wordAt(s, at) !== null) return true;
    return false;
  }

  /**
   * The spans that `text` gets when read after `prev` (the turn before), as in `analyze(tail + '\n' + text)`
   * with `tail` the last 2 × maxContextBefore characters of `prev`, that start in `text` (offsets are `text`'s).
   * Only the rules that a trigger word of the tail, or a context word of it within the rule's window, cues run
   * there (with the keep rules), and only when the two texts hold the digits the rule's prefilter asks for:
   * any other rule finds in `text` what `analyze(text)` finds, so a caller adds what does not overlap those
   * spans (split.ts). Words are looked for in the tail as the rules read it (normalised: ＱＱ号 is QQ号).
   */
  analyzeAfter(prev: string, text: string): PiiSpan[] {
    const scanner = this.cueScan;
    if (!scanner || prev.length === 0 || text.length === 0) return NO_SPANS;
    // twice the widest window of the original: what normalising shortens (an emoji's variation selector) still
    // leaves the window whole
    const raw = prev.slice(Math.max(0, prev.length - 2 * this.maxContextBefore));
    const tail = this.asRulesRead(raw);
    /** Where `text` starts in the joined text the rules read. */
    const off = tail.length + 1;
    let cued: Uint8Array | null = null;
    // most windows are 16 characters: further back, only the words of the wider ones and the trigger words are looked for
    const near = Math.max(0, tail.length - NEAR_CUE);
    for (let at = this.farCueScan ? 0 : near; at < tail.length; at++) {
      const word = (at < near ? this.farCueScan! : scanner).wordAt(tail, at);
      if (word === null) continue;
      const rules = this.cuedBy.get(word.toLowerCase());
      if (!rules) continue;
      for (let k = 0; k < rules.length; k++) {
        const i = rules[k];
        // only where the rule's window, from the start of `text` on, reaches back to the word
        if (at + this.cueReach[i] < off) continue;
        if (cued === null) (cued = this.cuedBuf ??= new Uint8Array(this.rules.length)).fill(0);
        cued[i] = 1;
      }
    }
    if (cued === null) return NO_SPANS;
    // the rules' digit prefilter reads the longest digit run of the whole text (a line break joins none): the
    // turn's, and the tail's where the turn's is too short for a cued rule
    this.prepare(text);
    const textRun = FEAT.maxRun;
    let tailRun = -1;
    let any = false;
    for (let i = 0; i < cued.length; i++) {
      if (cued[i] === 0) continue;
      const min = this.rules[i].minDigits;
      if (min > textRun) {
        if (tailRun < 0) {
          this.prepare(raw);
          tailRun = FEAT.maxRun;
        }
        if (min > tailRun) {
          cued[i] = 0;
          continue;
        }
      }
      any = true;
    }
    if (!any) return NO_SPANS;
    const out: PiiSpan[] = [];
    const rawOff = raw.length + 1;
    for (const sp of this.analyzeOnly(raw + '\n' + text, cued).spans) {
      if (sp.start >= rawOff) out.push({ ...sp, start: sp.start - rawOff, end: sp.end - rawOff });
    }
    return out;
  }

  private wordList(words: string[]): number {
    const key = [...new Set(words)].sort().join('\u0000');
    let i = this.listKeys.get(key);
    if (i === undefined) {
      i = this.lists.length;
      this.lists.push(key.split('\u0000'));
      this.listKeys.set(key, i);
    }
    return i;
  }

  /**
   * All gating words in one trie-shaped regex (ASCII letters case-insensitive; about 4× faster
   * than a flat alternation in V8). A word marks every list holding it or a word inside it, so
   * leftmost-longest matching cannot hide a shorter word of another list.
   */
  private buildWordScan(): void {
    if (this.lists.length === 0) return;
    const words = [...new Set(this.lists.flat().map((w) => w.toLowerCase()))];
    for (const w of words) {
      const marks: number[] = [];
      this.lists.forEach((list, li) => {
        if (list.some((v) => w.includes(v.toLowerCase()))) marks.push(li);
      });
      this.wordMarks.set(w, marks);
    }
    this.wordScan = new WordScanner(words);
  }

  /** Which gating word lists occur in the text. */
  private presentBuf: Uint8Array | null = null;
  private readonly candBuf: Candidate[] = [];
  private readonly keptBuf: KeptSpan[] = [];

  private listsPresent(s: string): Uint8Array {
    const present = (this.presentBuf ??= new Uint8Array(this.lists.length));
    present.fill(0);
    const scanner = this.wordScan;
    if (!scanner) return present;
    if (scanner.plain) {
      scanner.scan(s, (word) => {
        const marks = this.wordMarks.get(word.toLowerCase());
        if (marks) for (const li of marks) present[li] = 1;
      });
      return present;
    }
    // the word as the trie holds it (lower-case): no match text to cut and lower-case per word found
    const first = scanner.first;
    for (let i = 0; i < s.length; i++) {
      if (first[s.charCodeAt(i)] === 0) continue;
      const n = scanner.longestAt(s, i);
      if (n < 0) continue;
      const marks = this.wordMarks.get(scanner.wordOf[n]!);
      if (marks) for (const li of marks) present[li] = 1;
    }
    return present;
  }

  private compile(spec: RuleSpec, pack: RulePack, order: number, threshold: number, keep: boolean): CompiledRule {
    const where = { field: `${pack.pack}.${spec.id}` };
    if (!spec.id || !spec.type || !spec.pattern) throw new ScrubError('SCRUB_CONFIG_INVALID', 'a PII rule needs id, type and pattern', where);
    // numbers as numbers: a YAML value read as text (`base: "0.2"`, `+.2` under the core schema) would
    // turn a score into a string and pass every threshold; a fractional prefilter length would miscount
    for (const [field, value, kind] of [
      ['base', spec.base, 'score'],
      ['checksumBonus', spec.checksumBonus, 'score'],
      ['checksumPenalty', spec.checksumPenalty, 'score'],
      ['priority', spec.priority, 'number'],
      ['minDigits', spec.minDigits, 'count'],
      ['minAlnum', spec.minAlnum, 'count'],
      ['context.bonus', spec.context?.bonus, 'score'],
      ['context.before', spec.context?.before, 'count'],
      ['context.after', spec.context?.after, 'count'],
      ['negative.penalty', spec.negative?.penalty, 'score'],
      ['negative.before', spec.negative?.before, 'count'],
      ['negative.after', spec.negative?.after, 'count'],
    ] as const) {
      // left empty (`base:` or `~`): the default, as before
      if (value === undefined || value === null) continue;
      const ok = typeof value === 'number' && Number.isFinite(value) && (kind !== 'count' || (Number.isInteger(value) && value >= 0));
      if (!ok) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: ${field} must be ${kind === 'count' ? 'a whole number ≥ 0' : 'a number'}`, { field: `${pack.pack}.${spec.id}.${field}` });
    }
    const unsafe = checkPatternSafety(spec.pattern);
    if (unsafe) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: ${unsafe}`, where);
    let re: RegExp;
    try {
      // match indices (`d`) cost about 40 % more per match: only where the group's place cannot be read from the match's end
      re = new RegExp(spec.pattern, spec.group && !groupEndsMatch(spec.pattern, spec.group) ? 'gd' : 'g');
    } catch (e) {
      throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: invalid pattern`, where, { cause: e });
    }
    if (spec.canonical !== undefined && !(CANONICAL_MODES as readonly string[]).includes(spec.canonical)) {
      throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: unknown canonical mode ${String(spec.canonical)}`, { ...where, hint: CANONICAL_MODES.join(', ') });
    }
    let validator: ((v: string) => boolean) | undefined;
    if (spec.validator) {
      validator = VALIDATORS[spec.validator];
      if (!validator) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: unknown validator ${spec.validator}`, { ...where, hint: Object.keys(VALIDATORS).join(', ') });
    }
    let needs = 0;
    for (const n of Array.isArray(spec.needs) ? spec.needs : [spec.needs ?? 'any']) {
      if (!(n in NEED_BITS)) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: unknown needs '${n}'`, { ...where, hint: Object.keys(NEED_BITS).join(', ') });
      needs |= NEED_BITS[n];
    }
    const c: CompiledRule = {
      id: spec.id,
      type: spec.type,
      group: spec.group,
      groupAtEnd: !!spec.group && !re.hasIndices,
      trimEnd: spec.trimEnd,
      priority: spec.priority ?? 0,
      canonical: spec.canonical,
      re,
      order,
      keep,
      validator,
      ctx: undefined,
      neg: undefined,
      allow: undefined,
      allowSet: undefined,
      allowPrefixes: undefined,
      allowPrefixLengths: undefined,
      allowPrefixRest: undefined,
      extend: undefined,
      threshold,
      base: spec.base ?? (keep ? 1 : 0.5),
      bonus: spec.checksumBonus ?? 0.3,
      penalty: spec.checksumPenalty ?? 0.3,
      needs,
      minDigits: spec.minDigits ?? 0,
      minAlnum: spec.minAlnum ?? 0,
      needsContext: false,
      requireList: -1,
      gateList: -1,
      needsValue: false,
    };
    if (spec.context?.words?.length) {
      c.ctx = { re: wordsRegex(spec.context.words), before: spec.context.before ?? 12, after: spec.context.after ?? 6, bonus: spec.context.bonus ?? 0.3 };
    }
    if (spec.negative?.words?.length) {
      c.neg = { re: wordsRegex(spec.negative.words), before: spec.negative.before ?? 6, after: spec.negative.after ?? 0, penalty: spec.negative.penalty ?? 0.5 };
    }
    c.needsContext = !keep && !!c.ctx && c.base + (validator ? c.bonus : 0) < threshold - 1e-9;
    if (spec.trigger?.length) c.requireList = this.wordList(spec.trigger);
    else if (c.needsContext) c.requireList = this.wordList(spec.context!.words);
    if (spec.gate !== undefined && spec.gate !== null) {
      if (!Array.isArray(spec.gate) || spec.gate.length === 0 || !spec.gate.every((w) => typeof w === 'string' && w.length > 0)) {
        throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: gate must be a list of words (not empty)`, { field: `${pack.pack}.${spec.id}.gate` });
      }
      c.gateList = this.wordList(spec.gate);
    }
    // trigger and gate words are found lower-cased, ASCII letters in either case: one with another capital (Σ, Ü)
    // would never be found as written, and its rule would silently stop finding anything
    for (const field of ['trigger', 'gate'] as const) {
      const words: unknown[] = Array.isArray(spec[field]) ? spec[field]! : [];
      const capital = words.find((w) => typeof w === 'string' && [...w].some((ch) => ch.charCodeAt(0) > 127 && ch.toLowerCase() !== ch));
      if (capital !== undefined) {
        throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: ${field} word "${capital}" has a capital letter outside ASCII, which is never found (words are read in lower case, only ASCII letters in either case)`, { field: `${pack.pack}.${spec.id}.${field}` });
      }
    }
    if (spec.extendWhile) c.extend = new RegExp(`^${spec.extendWhile}$`);
    if (spec.allow?.length) c.allow = spec.allow.map((a) => new RegExp(a));
    if (spec.allowFile) {
      c.allowSet = new Set(pack.lexicons?.[spec.allowFile] ?? []);
      if (spec.allowPrefix) {
        const words = [...c.allowSet].filter((w) => w.length >= 2);
        c.allowPrefixes = new Set(words);
        c.allowPrefixLengths = Int32Array.from(new Set(words.map((w) => w.length))).sort();
      }
    }
    if (spec.allowPrefixRest !== undefined) {
      if (!c.allowPrefixes) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: allowPrefixRest needs allowFile and allowPrefix`, where);
      const unsafeRest = checkPatternSafety(spec.allowPrefixRest);
      if (unsafeRest) throw new ScrubError('SCRUB_CONFIG_INVALID', `PII rule ${spec.id}: allowPrefixRest: ${unsafeRest}`, where);
      c.allowPrefixRest = new RegExp(`^(?:${spec.allowPrefixRest})$`);
    }
    c.needsValue = !!(c.allow || c.allowSet || c.allowPrefixes || c.validator);
    return c;
  }

  /**
   * The rules a text's features let through (character kinds, longest digit run, longest alphanumeric
   * run), in rule order; one list per distinct answer, so a turn does not test every rule. The runs are
   * keyed by how many distinct thresholds they reach (a few values, not every length).
   */
  private readonly rulesByFeatures = new Map<number, CompiledRule[]>();
  private digitSteps: Int32Array | null = null;
  private alnumSteps: Int32Array | null = null;
  private rulesFor(have: number, maxRun: number, maxAlnum: number): CompiledRule[] {
    const digitSteps = (this.digitSteps ??= Int32Array.from(new Set(this.rules.map((r) => r.minDigits))).sort());
    const alnumSteps = (this.alnumSteps ??= Int32Array.from(new Set(this.rules.map((r) => r.minAlnum))).sort());
    let d = 0;
    while (d < digitSteps.length && digitSteps[d] <= maxRun) d++;
    let a = 0;
    while (a < alnumSteps.length && alnumSteps[a] <= maxAlnum) a++;
    const key = (have * (digitSteps.length + 1) + d) * (alnumSteps.length + 1) + a;
    let list = this.rulesByFeatures.get(key);
    if (!list) {
      list = this.rules.filter((r) => (r.needs & have) === r.needs && r.minDigits <= maxRun && r.minAlnum <= maxAlnum);
      this.rulesByFeatures.set(key, list);
    }
    return list;
  }

  /** Spans (original UTF-16 offsets, resolved: no overlaps) and the kept text. */
  analyze(text: string): Analysis {
    return this.analyzeOnly(text, null);
  }

  /**
   * TEXT_MAY_HOLD_DIGITS and TEXT_HAS_LINE_BREAK of the text the last `analyze` read (as given, before normalising):
   * read it right after the call. (The features pass sees them anyway; the turn readers would read the text again.)
   */
  lastHints = 0;

  /** Offset maps of the last text `prepare` normalised, or null. */
  private prepared: ReturnType<typeof normalizeOrNull> = null;

  /** The text as the rules read it, with its features in FEAT and its offset maps in `prepared`. */
  private prepare(text: string): string {
    features(text, FEAT);
    this.lastHints = ((FEAT.bits & NEED_DIGIT) !== 0 || FEAT.numeralish !== 0 || (FEAT.normalise & 1) !== 0 ? TEXT_MAY_HOLD_DIGITS : 0) | ((FEAT.bits & NEED_NEWLINE) !== 0 ? TEXT_HAS_LINE_BREAK : 0);
    // most texts need no normalising: the pre-count above says so without a second pass
    const n = mayNormalize(FEAT.normalise, FEAT.numeralish, this.minNumeralRun) ? normalizeOrNull(text, this.minNumeralRun) : null;
    this.prepared = n;
    let s = text;
    if (n) features((s = n.text), FEAT);
    // letters typed for digits in a mobile number (only where digits and letters both occur): same
    // length, so the offsets stay as they are
    if ((FEAT.bits & (NEED_DIGIT | NEED_ALPHA)) === (NEED_DIGIT | NEED_ALPHA)) {
      const read = readLettersAsDigits(s);
      if (read !== s) features((s = read), FEAT);
    }
    return s;
  }

  /** `analyze` with only the rules `only` marks (by order) and the keep rules; null: all rules. */
  private analyzeOnly(text: string, only: Uint8Array | null): Analysis {
    if (text.length === 0) {
      this.lastHints = 0;
      return EMPTY;
    }
    const s = this.prepare(text);
    const n = this.prepared;
    // (a line break is no rule's need)
    const have = FEAT.bits & ~NEED_NEWLINE;
    const maxRun = FEAT.maxRun;
    const maxAlnum = FEAT.maxAlnum;
    if (have === 0) return EMPTY;
    // shared scratch lists (analyze is synchronous and not re-entrant): no two arrays per turn
    const cands = this.candBuf;
    const kept = this.keptBuf;
    // (left filled only by a throw: setting an array's length is a runtime call even when it changes nothing)
    if (cands.length !== 0) cands.length = 0;
    if (kept.length !== 0) kept.length = 0;
    let present: Uint8Array | null = null;
    const rules = this.rulesFor(have, maxRun, maxAlnum);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (only !== null && only[r.order] === 0 && !r.keep) continue;
      // trigger words, or the context words a rule cannot pass its threshold without, must occur somewhere
      if (r.requireList >= 0) {
        present ??= this.listsPresent(s);
        if (!present[r.requireList]) continue;
      }
      // words its pattern cannot match without (a prefilter: most texts with digits hold no address word or province)
      if (r.gateList >= 0) {
        present ??= this.listsPresent(s);
        if (!present[r.gateList]) continue;
      }
      this.scan(r, s, cands, kept);
    }
    if (cands.length === 0 && kept.length === 0) return EMPTY;
    const resolved = resolve(cands, kept);
    const spans: PiiSpan[] = resolved.map((c) => {
      const a = n?.start ? n.start[c.start] : c.start;
      const b = n?.end ? n.end[c.end - 1] : c.end;
      return { type: c.type, start: a, end: b, score: Math.round(c.score * 1000) / 1000, rule: c.rule };
    });
    const keptOut = kept.map((k) => {
      const a = n?.start ? n.start[k.start] : k.start;
      const b = n?.end ? n.end[k.end - 1] : k.end;
      return { ...k, start: a, end: b };
    });
    cands.length = 0;
    kept.length = 0;
    return { spans, kept: keptOut };
  }

  /** Detector contract: the resolved spans only. */
  detect(text: string): PiiSpan[] {
    const spans = this.analyze(text).spans;
    return spans.length ? spans : [];
  }

  private scan(r: CompiledRule, s: string, cands: Candidate[], kept: KeptSpan[]): void {
    const re = r.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      let start = m.index;
      let end = start + m[0].length;
      if (r.groupAtEnd) {
        const v = m.groups?.[r.group!];
        if (v === undefined) continue;
        start = end - v.length;
      } else if (r.group) {
        const ix = m.indices?.groups?.[r.group];
        if (!ix) continue;
        [start, end] = ix;
      }
      if (r.extend) {
        while (end < s.length && r.extend.test(s[end])) end++;
        if (end > re.lastIndex) re.lastIndex = end;
      }
      if (r.trimEnd) {
        while (end > start && r.trimEnd.indexOf(s[end - 1]) >= 0) end--;
        if (end - start < 2) continue;
      }
      if (r.keep) {
        kept.push({ kind: r.type, rule: r.id, start, end });
        continue;
      }
      // the canonical value only where an allow-list or a validator reads it
      const value = r.needsValue ? canonicalValue(s.slice(start, end), r.canonical) : '';
      if (
        (r.allow && r.allow.some((a) => a.test(value))) ||
        (r.allowSet && r.allowSet.has(value)) ||
        (r.allowPrefixes && startsWithAllowed(value, r.allowPrefixes, r.allowPrefixLengths!, r.allowPrefixRest))
      ) {
        kept.push({ kind: 'ALLOWED_' + r.type, rule: r.id, start, end });
        continue;
      }
      let score = r.base;
      let validated = !r.validator;
      if (r.validator) {
        if (r.validator(value)) {
          score += r.bonus;
          validated = true;
        } else score -= r.penalty;
      }
      if (r.ctx && windowHas(r.ctx.re, s, start, end, r.ctx.before, r.ctx.after)) {
        score += r.ctx.bonus;
        validated = true;
      }
      if (r.neg && windowHas(r.neg.re, s, start, end, r.neg.before, r.neg.after)) score -= r.neg.penalty;
      if (score > 1) score = 1;
      if (score < r.threshold) continue;
      cands.push({ type: r.type, start, end, score, rule: r.id, validated, priority: r.priority, order: r.order });
    }
  }
}

/** Whether `value` starts with one of `words` (their lengths in `lengths`) and the rest, if `rest` is given, matches it. */
function startsWithAllowed(value: string, words: Set<string>, lengths: Int32Array, rest: RegExp | undefined): boolean {
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i];
    if (n > value.length) break;
    if (words.has(value.slice(0, n)) && (!rest || rest.test(value.slice(n)))) return true;
  }
  return false;
}

function windowHas(re: RegExp, s: string, start: number, end: number, before: number, after: number): boolean {
  if (before > 0 && wordIn(re, s, Math.max(0, start - before), start)) return true;
  if (after > 0 && wordIn(re, s, end, Math.min(s.length, end + after))) return true;
  return false;
}

/**
 * Whether a word of `re` lies in s[a, b) as a word: a short lower-case match glued to other letters is the inside of
 * an English word (ems in "problems", ip in "ship", id in "video"), not the word. Longer words and upper-case ones
 * users glue count (bankcard, cellphone, myQQ, EMSno, IDcard).
 */
function wordIn(re: RegExp, s: string, a: number, b: number): boolean {
  const w = s.slice(a, b);
  re.lastIndex = 0;
  for (let m = re.exec(w); m !== null; m = re.exec(w)) {
    const i = a + m.index;
    const j = i + m[0].length;
    const inside = m[0].length <= 3 && /^[a-z]+$/.test(m[0]) && (isAsciiLetter(s.charCodeAt(i - 1)) || isAsciiLetter(s.charCodeAt(j)));
    if (!inside) return true;
    re.lastIndex = m.index + 1;
  }
  return false;
}

/**
 * Conflict resolution. Candidates inside kept text (a service number, a brand
 * account, a placeholder) are dropped, except cue-anchored ones (priority ≥ 1); kept text that overlaps a candidate
 * without containing it is dropped instead (a finding is never cut short).
 * Overlapping candidates merge into their union, labelled with the best member:
 * the longest validated one, then the highest score, then rule order. So no
 * redaction leaves part of an identifier in clear.
 */
function resolve(cands: Candidate[], kept: KeptSpan[]): Candidate[] {
  let list = cands;
  if (kept.length) {
    // a cue-anchored finding (QQ 95631076, 订单号 …) is not overruled by kept text of the same digits
    list = cands.filter((c) => c.priority >= 1 || !kept.some((k) => k.start <= c.start && c.end <= k.end));
    for (let i = kept.length - 1; i >= 0; i--) {
      const k = kept[i];
      if (list.some((c) => c.start < k.end && k.start < c.end)) kept.splice(i, 1);
    }
    kept.sort((a, b) => a.start - b.start || b.end - a.end);
    // kept spans themselves may overlap (a placeholder rule and an allow-list): keep the outermost
    for (let i = kept.length - 1; i > 0; i--) {
      const prev = kept[i - 1];
      if (kept[i].start < prev.end) kept.splice(i, 1);
    }
  }
  if (list.length <= 1) return list;
  // a stable sort leaves a list already in order as it is: skip it then (no temporary copy)
  let sorted = true;
  for (let i = 1; i < list.length && sorted; i++) if (byPosition(list[i - 1], list[i]) > 0) sorted = false;
  if (!sorted) list.sort(byPosition);
  const out: Candidate[] = [];
  // one cluster of overlapping candidates at a time (sorted by start: the first one starts it)
  let first = list[0];
  let best = first;
  let cEnd = first.end;
  let maxScore = first.score;
  let size = 1;
  const flush = () => {
    out.push(size === 1 ? first : { ...best, start: first.start, end: cEnd, score: maxScore });
  };
  for (let i = 1; i < list.length; i++) {
    const c = list[i];
    if (c.start < cEnd) {
      size++;
      if (better(c, best)) best = c;
      if (c.score > maxScore) maxScore = c.score;
      if (c.end > cEnd) cEnd = c.end;
    } else {
      flush();
      first = best = c;
      cEnd = c.end;
      maxScore = c.score;
      size = 1;
    }
  }
  flush();
  return out;
}

function byPosition(a: Candidate, b: Candidate): number {
  return a.start - b.start || b.end - a.end || b.score - a.score || a.order - b.order;
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.validated !== b.validated) return a.validated;
  const la = a.end - a.start;
  const lb = b.end - b.start;
  if (la !== lb) return la > lb;
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.score !== b.score) return a.score > b.score;
  return a.order < b.order;
}
