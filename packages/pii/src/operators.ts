import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ScrubError, seededRandom, type PiiSpan } from '@scrubline/core';
import { normalize } from './normalize.js';
import { canonicalValue, type RuleSpec } from './rules.js';
import { gb11643CheckChar, luhnCheckDigit, usccCheckChar, USCC_CHARSET } from './validators.js';

/**
 * Operators: what replaces a finding. None leaves a fragment of the original
 * (mask keeps at most a third of the characters, and only when asked to).
 */
export type OperatorSpec =
  | { kind: 'placeholder'; template?: string }
  | { kind: 'hmac'; template?: string; length?: number }
  | { kind: 'mask'; char?: string; keepStart?: number; keepEnd?: number }
  | { kind: 'redact'; replacement?: string }
  | { kind: 'surrogate' };

export type OperatorInput = OperatorSpec['kind'] | OperatorSpec;

export interface OperatorConfig {
  /** Operator for every type without its own (default: placeholder). */
  operator?: OperatorInput;
  /** Per entity type. */
  operators?: Record<string, OperatorInput>;
  /** HMAC key (bytes or string). Resolve with `resolveHmacKey`, never from a pipeline file. */
  key?: string | Buffer;
  /** Run seed: surrogates are drawn from seededRandom(seed, conversation + type + value). */
  seed?: string;
  /** rule id → canonical mode, for consistency of equal values written differently. */
  canonicalOf?: Map<string, RuleSpec['canonical']>;
}

export const DEFAULT_KEY_ENV = 'SCRUBLINE_PII_KEY';

/**
 * The HMAC key: from the file `keyFile` (relative to baseDir) or else the
 * environment variable `keyEnv` (default SCRUBLINE_PII_KEY). Missing or shorter
 * than 16 characters → SCRUB_CONFIG_INVALID. The key never comes from the
 * pipeline file itself (the options schema has no field for it).
 */
export function resolveHmacKey(o: { keyEnv?: string; keyFile?: string; baseDir?: string; env?: NodeJS.ProcessEnv }): Buffer {
  const envName = o.keyEnv ?? DEFAULT_KEY_ENV;
  let key: string | undefined;
  if (o.keyFile) {
    const path = isAbsolute(o.keyFile) || !o.baseDir ? o.keyFile : join(o.baseDir, o.keyFile);
    try {
      key = readFileSync(path, 'utf8').trim();
    } catch (e) {
      throw new ScrubError('SCRUB_CONFIG_INVALID', 'the HMAC key file cannot be read', { file: path, field: 'keyFile' }, { cause: e });
    }
  } else key = (o.env ?? process.env)[envName];
  if (!key) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', `the hmac operator needs a key: set the environment variable ${envName} or the keyFile option`, {
      field: 'keyEnv',
      hint: 'e.g. export SCRUBLINE_PII_KEY=$(openssl rand -hex 32)',
    });
  }
  if (key.length < 16) throw new ScrubError('SCRUB_CONFIG_INVALID', 'the HMAC key is shorter than 16 characters', { field: o.keyFile ? 'keyFile' : 'keyEnv' });
  return Buffer.from(key, 'utf8');
}

export function toSpec(o: OperatorInput | undefined): OperatorSpec {
  if (!o) return { kind: 'placeholder' };
  return typeof o === 'string' ? ({ kind: o } as OperatorSpec) : o;
}

/** Per-conversation state: numbering and surrogates stay consistent within one scope. */
export class ConversationScope {
  // created on first use: most conversations have no finding
  private numbers: Map<string, number> | null = null;
  private last: Map<string, number> | null = null;
  private surrogates: Map<string, string> | null = null;
  constructor(readonly id: string) {}

  number(type: string, canonical: string): number {
    const k = type + '\u0000' + canonical;
    const numbers = (this.numbers ??= new Map());
    let n = numbers.get(k);
    if (n === undefined) {
      const last = (this.last ??= new Map());
      n = (last.get(type) ?? 0) + 1;
      last.set(type, n);
      numbers.set(k, n);
    }
    return n;
  }

  surrogate(type: string, canonical: string, make: () => string): string {
    const k = type + '\u0000' + canonical;
    const surrogates = (this.surrogates ??= new Map());
    let s = surrogates.get(k);
    if (s === undefined) {
      s = make();
      surrogates.set(k, s);
    }
    return s;
  }
}

/** Canonical form of a found value: normalised, then per the rule's mode (digits only for numbers …). */
export function canonicalOf(value: string, type: string, rule: string, modes?: Map<string, RuleSpec['canonical']>): string {
  const norm = normalize(value, 1).text;
  const mode = modes?.get(rule) ?? DEFAULT_CANONICAL[type] ?? 'raw';
  return canonicalValue(norm, mode).trim();
}

const DEFAULT_CANONICAL: Record<string, RuleSpec['canonical']> = {
  PERSON_ID: 'digits', PHONE: 'digits', BANK_CARD: 'digits', QQ: 'digits', SSN: 'digits', POSTCODE: 'digits',
  EMAIL: 'lower', USCC: 'alnum', PASSPORT: 'alnum', PERMIT: 'alnum', ORDER_ID: 'alnum', TRACKING_NO: 'alnum', ACCOUNT_ID: 'alnum', HANDLE: 'handle',
};

export interface Replacement {
  span: PiiSpan;
  /** Offsets of the replacement in the output text. */
  outStart: number;
  outEnd: number;
  operator: OperatorSpec['kind'];
}

export interface OperatorResult {
  text: string;
  replacements: Replacement[];
}

/**
 * Applies operators to non-overlapping spans (sorted or not) of one text.
 * Use one `scope` per conversation so numbering and surrogates are consistent.
 */
export function applyOperators(text: string, spans: readonly PiiSpan[], scope: ConversationScope, config: OperatorConfig): OperatorResult {
  if (spans.length === 0) return { text, replacements: [] };
  // the rule engine gives resolved spans in order: no copy and sort then
  let inOrder = true;
  for (let i = 1; i < spans.length && inOrder; i++) if (bySpan(spans[i - 1], spans[i]) > 0) inOrder = false;
  const sorted = inOrder ? spans : [...spans].sort(bySpan);
  let out = '';
  let pos = 0;
  const replacements: Replacement[] = [];
  for (const s of sorted) {
    if (s.start < pos) continue; // overlapping spans must be merged before; never cut one short
    out += text.slice(pos, s.start);
    const spec = toSpec(config.operators?.[s.type] ?? config.operator);
    const value = text.slice(s.start, s.end);
    const rep = replaceOne(value, s, spec, scope, config);
    const outStart = out.length;
    out += rep;
    replacements.push({ span: s, outStart, outEnd: out.length, operator: spec.kind });
    pos = s.end;
  }
  out += text.slice(pos);
  return { text: out, replacements };
}

function bySpan(a: PiiSpan, b: PiiSpan): number {
  return a.start - b.start || b.end - a.end;
}

function replaceOne(value: string, s: PiiSpan, spec: OperatorSpec, scope: ConversationScope, config: OperatorConfig): string {
  switch (spec.kind) {
    case 'placeholder': {
      const n = scope.number(s.type, canonicalOf(value, s.type, s.rule, config.canonicalOf));
      // the default template '[{type}_{n}]' without two replace passes
      if (spec.template === undefined) return '[' + s.type + '_' + n + ']';
      return spec.template.replace('{type}', s.type).replace('{n}', String(n));
    }
    case 'hmac': {
      if (!config.key) throw new ScrubError('SCRUB_CONFIG_INVALID', 'the hmac operator has no key', { hint: `set ${DEFAULT_KEY_ENV} or keyFile` });
      const canon = canonicalOf(value, s.type, s.rule, config.canonicalOf);
      const h = createHmac('sha256', config.key).update(`${s.type}\u0000${canon}`).digest('hex').slice(0, Math.min(64, Math.max(8, spec.length ?? 16)));
      return (spec.template ?? '[{type}:{hash}]').replace('{type}', s.type).replace('{hash}', h);
    }
    case 'mask':
      return mask(value, spec);
    case 'redact':
      return spec.replacement ?? '';
    case 'surrogate': {
      const canon = canonicalOf(value, s.type, s.rule, config.canonicalOf);
      return scope.surrogate(s.type, canon, () => {
        const rnd = seededRandom(config.seed ?? '0', `${scope.id}\u0000${s.type}\u0000${canon}`);
        return makeSurrogate(s.type, normalize(value, 1).text, canon, rnd);
      });
    }
    default:
      throw new ScrubError('SCRUB_CONFIG_INVALID', `unknown operator ${(spec as { kind: string }).kind}`, { field: 'operator', hint: 'placeholder, hmac, mask, redact, surrogate' });
  }
}

const SEPARATORS = /[ \-.·/()（）:]/;

/** Masks every character but separators; keeps at most a third of them at the ends. */
export function mask(value: string, spec: { char?: string; keepStart?: number; keepEnd?: number }): string {
  const chars = Array.from(value);
  const maskable = chars.filter((c) => !SEPARATORS.test(c)).length;
  const budget = Math.floor(maskable / 3);
  let keepStart = Math.max(0, spec.keepStart ?? 0);
  let keepEnd = Math.max(0, spec.keepEnd ?? 0);
  if (keepStart + keepEnd > budget) {
    keepStart = Math.min(keepStart, budget);
    keepEnd = Math.max(0, Math.min(keepEnd, budget - keepStart));
  }
  const m = spec.char ?? '*';
  let seen = 0;
  let out = '';
  for (const c of chars) {
    if (SEPARATORS.test(c)) {
      out += c;
      continue;
    }
    out += seen < keepStart || seen >= maskable - keepEnd ? c : m;
    seen++;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Surrogates: format-valid fake values, drawn from a seeded stream
// ---------------------------------------------------------------------------

type Rnd = () => number;
const int = (r: Rnd, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const digits = (r: Rnd, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(r, 0, 9));
  return s;
};
const pick = <T>(r: Rnd, list: readonly T[]): T => list[int(r, 0, list.length - 1)];
const hex = (r: Rnd, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(r, 0, 15)];
  return s;
};
const letters = (r: Rnd, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijkmnpqrstuvwxyz'[int(r, 0, 23)];
  return s;
};

const REGIONS = ['110101', '110105', '310104', '440106', '440305', '330106', '510107', '420102', '320583', '210102', '370102', '610113'];
const PROVINCES = '京津沪渝苏浙皖鲁粤闽川鄂湘豫冀晋辽吉黑';
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const ZH_NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄强', '周杰', '吴婷'];
const EN_NAMES = ['Alex Morgan', 'Sam Taylor', 'Jordan Lee', 'Casey Brown', 'Riley Smith'];

function randomDate(r: Rnd): [number, number, number] {
  const y = int(r, 1955, 2004);
  const m = int(r, 1, 12);
  const d = int(r, 1, 28);
  return [y, m, d];
}
const p2 = (n: number) => String(n).padStart(2, '0');

/** Replaces every digit and letter by a random one of the same kind; keeps separators and CJK. */
function shapeLike(r: Rnd, value: string): string {
  let out = '';
  for (const c of value) {
    if (c >= '0' && c <= '9') out += String(out.length === 0 && c !== '0' ? int(r, 1, 9) : int(r, 0, 9));
    else if (c >= 'A' && c <= 'Z') out += PLATE_LETTERS[int(r, 0, PLATE_LETTERS.length - 1)];
    else if (c >= 'a' && c <= 'z') out += letters(r, 1);
    else out += c;
  }
  return out;
}

function groupLike(original: string, fresh: string): string {
  // re-apply the original's grouping (spaces / dashes between digit groups) to fresh digits
  if (!/[ -]/.test(original)) return fresh;
  let out = '';
  let k = 0;
  for (const c of original) {
    if (/[0-9Xx]/.test(c) && k < fresh.length) out += fresh[k++];
    else if (c === ' ' || c === '-') out += c;
  }
  return out + fresh.slice(k);
}

function surrogateFor(type: string, value: string, canon: string, r: Rnd): string {
  switch (type) {
    case 'PHONE': {
      if (/^(?:86|0086)?1[3-9][0-9]{9}$/.test(canon)) return groupLike(value.replace(/^.*?(?=1[3-9])/, ''), '1' + int(r, 3, 9) + digits(r, 9));
      if (canon.startsWith('0')) return `0${pick(r, ['10', '21', '20', '755', '571', '28'])}-${int(r, 2, 8)}${digits(r, 7)}`;
      if (/^1?[2-9][0-9]{9}$/.test(canon)) return `(${int(r, 2, 9)}${digits(r, 2)}) 555-01${digits(r, 2)}`;
      return shapeLike(r, value);
    }
    case 'PERSON_ID': {
      const [y, m, d] = randomDate(r);
      if (canon.length === 15) return pick(r, REGIONS) + String(y).slice(2) + p2(m) + p2(d) + digits(r, 3);
      const region = /^8[123]0000/.test(canon) ? canon.slice(0, 6) : pick(r, REGIONS);
      const first17 = region + y + p2(m) + p2(d) + digits(r, 3);
      return first17 + gb11643CheckChar(first17);
    }
    case 'BANK_CARD': {
      const n = Math.min(19, Math.max(16, canon.length));
      const body = '62' + digits(r, n - 3);
      return groupLike(value, body + luhnCheckDigit(body));
    }
    case 'EMAIL':
      return `user.${letters(r, 6)}@example.com`;
    case 'IP':
      return value.includes(':') ? `2001:db8::${hex(r, 4)}` : `10.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
    case 'URL':
      return `https://example.com/${letters(r, 8)}`;
    case 'USCC': {
      let first17 = '91' + pick(r, REGIONS);
      for (let i = 0; i < 9; i++) first17 += USCC_CHARSET[int(r, 0, 30)];
      return first17 + usccCheckChar(first17);
    }
    case 'PLATE':
      return PROVINCES[int(r, 0, PROVINCES.length - 1)] + PLATE_LETTERS[int(r, 0, 23)] + digits(r, 5);
    case 'WECHAT':
      return 'wx_' + letters(r, int(r, 6, 10));
    case 'QQ':
      return String(int(r, 1, 9)) + digits(r, Math.max(4, canon.length - 1));
    case 'HANDLE':
      return '@user_' + letters(r, 6);
    case 'SSN':
      return `${int(r, 100, 665)}-${p2(int(r, 1, 99))}-${String(int(r, 1, 9999)).padStart(4, '0')}`;
    case 'DOB': {
      const [y, m, d] = randomDate(r);
      if (value.includes('年')) return `${y}年${m}月${d}日`;
      if (value.includes('/')) return `${p2(m)}/${p2(d)}/${y}`;
      if (value.includes('.')) return `${y}.${p2(m)}.${p2(d)}`;
      return `${y}-${p2(m)}-${p2(d)}`;
    }
    case 'PERSON':
      return /[\u4e00-\u9fff]/.test(value) ? pick(r, ZH_NAMES) : pick(r, EN_NAMES);
    case 'ADDRESS':
      return /[\u4e00-\u9fff]/.test(value) ? `某市某区示例路${int(r, 1, 99)}号` : `${int(r, 1, 999)} Example Street`;
    case 'ORG':
      return /[\u4e00-\u9fff]/.test(value) ? '示例公司' : 'Example Ltd';
    default:
      return shapeLike(r, value);
  }
}

/** A surrogate that neither equals the original nor shares a run of 4 of its digits. */
export function makeSurrogate(type: string, value: string, canon: string, r: Rnd): string {
  const grams = new Set<string>();
  const core = canon.replace(/[^0-9]/g, '');
  for (let i = 0; i + 4 <= core.length; i++) grams.add(core.slice(i, i + 4));
  let s = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    s = surrogateFor(type, value, canon, r);
    const sc = s.replace(/[^0-9]/g, '');
    let clash = s === value || s.toLowerCase() === canon.toLowerCase();
    for (let i = 0; !clash && i + 4 <= sc.length; i++) if (grams.has(sc.slice(i, i + 4))) clash = true;
    if (!clash) return s;
  }
  return `[${type}]`;
}
