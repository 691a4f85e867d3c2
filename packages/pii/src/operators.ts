import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ScrubError, seededRandom, type PiiSpan } from '@scrubline/core';
import { normalize, readLettersAsDigits } from './normalize.js';
import { canonicalValue, type RuleSpec } from './rules.js';
import {
  gb11643CheckChar,
  gb11714CheckChar,
  hkidCheckChar,
  isValidHkid,
  isValidTaiwanId,
  luhnCheckDigit,
  s10CheckDigit,
  taiwanIdCheckDigit,
  usccCheckChar,
  USCC_CHARSET,
} from './validators.js';

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

/** A default placeholder (keep.placeholder.scrubline's shape, any number of digits: numbering has no bound): its type and number. */
const PLACEHOLDER_IN_TEXT = /\[([A-Z][A-Z_]{1,20})_([0-9]{1,12})\]/g;

/** Whether `text` has a `[` followed by a capital A–Z (where a default placeholder could start): no regex for most texts. */
function holdsPlaceholderStart(text: string): boolean {
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) {
    const c = text.charCodeAt(i + 1);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/** Calls `each` with every default placeholder of `text` (its whole text, type and number). */
function eachPlaceholder(text: string, each: (whole: string, type: string, n: number) => void): void {
  if (!holdsPlaceholderStart(text)) return;
  PLACEHOLDER_IN_TEXT.lastIndex = 0;
  for (let m = PLACEHOLDER_IN_TEXT.exec(text); m !== null; m = PLACEHOLDER_IN_TEXT.exec(text)) each(m[0], m[1], Number(m[2]));
}

/** The default placeholders in `text`, joined ('' when none): what a scope reserves of a turn it does not scrub. */
export function placeholderTokens(text: string): string {
  let out = '';
  eachPlaceholder(text, (whole) => (out += whole));
  return out;
}

/** Per-conversation state: numbering and surrogates stay consistent within one scope. */
export class ConversationScope {
  // created on first use: most conversations have no finding
  private numbers: Map<string, number> | null = null;
  private last: Map<string, number> | null = null;
  private surrogates: Map<string, string> | null = null;
  /** Per type: keys of the surrogates handed out and of the originals seen (no two values share a fake). */
  private taken: Map<string, Set<string>> | null = null;
  constructor(readonly id: string) {}

  /**
   * Takes the numbers of the placeholders already in `texts` (`[PHONE_1]`, `[PERSON_ID_2]`: a conversation scrubbed
   * before), so that a value found now gets a number after them, not one that already stands for another value.
   * Placeholders of a custom template are not recognised.
   */
  reservePlaceholders(texts: Iterable<string>): void {
    for (const text of texts) this.reservePlaceholdersIn(text);
  }

  /** reservePlaceholders for one text. */
  reservePlaceholdersIn(text: string): void {
    eachPlaceholder(text, (_, type, n) => {
      const last = (this.last ??= new Map());
      if (n > (last.get(type) ?? 0)) last.set(type, n);
    });
  }

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

  /** Marks `key` taken for `type`: no surrogate of this conversation will have it (an original's key). */
  reserve(type: string, key: string): void {
    const all = (this.taken ??= new Map());
    let taken = all.get(type);
    if (!taken) all.set(type, (taken = new Set()));
    taken.add(key);
  }

  /**
   * The surrogate of (type, canonical), made on first use. `make` gets a test for keys already
   * taken in this conversation (surrogates handed out, and `keys.original`s of the values seen):
   * it draws again until its candidate's key is free. `keys.of` gives a surrogate's key
   * (default: lower-case letters, digits and CJK of it).
   */
  surrogate(
    type: string,
    canonical: string,
    make: (taken: (key: string) => boolean) => string,
    keys: { of?: (surrogate: string) => string; original?: string } = {},
  ): string {
    const k = type + '\u0000' + canonical;
    const surrogates = (this.surrogates ??= new Map());
    let s = surrogates.get(k);
    if (s === undefined) {
      if (keys.original !== undefined) this.reserve(type, keys.original);
      const taken = this.taken?.get(type);
      s = make((key) => taken !== undefined && taken.has(key));
      this.reserve(type, (keys.of ?? surrogateKey)(s));
      surrogates.set(k, s);
    }
    return s;
  }
}

/** What makes two surrogates (or a surrogate and an original) the same value: letters, digits and CJK, lower-cased. */
export function surrogateKey(s: string): string {
  return s.toLowerCase().replace(/[^0-9a-z\u3400-\u9fff]/g, '');
}

/** Canonical form of a found value: normalised, then per the rule's mode (digits only for numbers …). */
export function canonicalOf(value: string, type: string, rule: string, modes?: Map<string, RuleSpec['canonical']>): string {
  // as the recognizers read it: a mobile typed with letters for digits is that mobile
  return canonicalValue(readLettersAsDigits(normalize(value, 1).text), modeOf(type, rule, modes)).trim();
}

function modeOf(type: string, rule: string, modes?: Map<string, RuleSpec['canonical']>): RuleSpec['canonical'] {
  return modes?.get(rule) ?? DEFAULT_CANONICAL[type] ?? 'raw';
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
  // every original of the text is taken before the first surrogate is drawn: a fake never
  // repeats a value written later in the same text (李 → 杨 next to a real 杨)
  for (const s of sorted) {
    if (toSpec(config.operators?.[s.type] ?? config.operator).kind === 'surrogate') {
      scope.reserve(s.type, surrogateSubject(text.slice(s.start, s.end), s, config).key);
    }
  }
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
      const subj = surrogateSubject(value, s, config);
      const canon = subj.canon;
      // one fake per value and conversation (a phone's national number, re-written in each spelling's layout)
      const made = scope.surrogate(
        s.type,
        canon,
        (taken) => drawSurrogate(subj, seededRandom(config.seed ?? '0', `${scope.id}\u0000${s.type}\u0000${canon}`), taken),
        { original: subj.key, of: subj.phone ? (x) => x : surrogateKey },
      );
      return render(subj, made);
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
type PhoneMode = 'phone-cn' | 'phone-nanp' | 'phone-uk';
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
/** Mainland area codes without the trunk 0: two digits (010, 02x) and three. */
const AREA2 = ['10', '20', '21', '22', '23', '24', '25', '27', '28', '29'];
const AREA3 = ['311', '351', '371', '431', '451', '471', '512', '532', '551', '571', '591', '731', '755', '769', '771', '871', '898', '931', '951', '991'];
// Names, addresses and organisations: combinations (surname × given names …), so a conversation
// with many distinct values still gets a distinct fake for each.
const ZH_SURNAMES = Array.from('王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔');
const ZH_GIVEN = Array.from('伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞宇浩凯欣怡婷雪琳晨博文斌鑫佳颖嘉然俊峰辉健彬雯倩瑶琪睿轩晓亮波宁');
const EN_FIRST = ['Alex', 'Sam', 'Jordan', 'Casey', 'Riley', 'Taylor', 'Morgan', 'Jamie', 'Avery', 'Quinn', 'Drew', 'Parker', 'Reese', 'Rowan', 'Skyler', 'Emerson', 'Hayden', 'Kendall', 'Logan', 'Peyton', 'Robin', 'Sage', 'Blair', 'Cameron', 'Dakota', 'Ellis', 'Finley', 'Harper', 'Jesse', 'Kai', 'Lane', 'Marlow', 'Noel', 'Oakley', 'Remy', 'Shawn', 'Toby', 'Wren', 'Zion', 'Adrian'];
const EN_LAST = ['Smith', 'Brown', 'Lee', 'Taylor', 'Morgan', 'Walker', 'Young', 'Hill', 'Green', 'Baker', 'Adams', 'Nelson', 'Carter', 'Mitchell', 'Roberts', 'Turner', 'Phillips', 'Campbell', 'Parker', 'Evans', 'Edwards', 'Collins', 'Stewart', 'Morris', 'Rogers', 'Reed', 'Cook', 'Bell', 'Murphy', 'Bailey', 'Cooper', 'Howard', 'Ward', 'Cox', 'Richardson', 'Wood', 'Watson', 'Brooks', 'Bennett', 'Gray'];
const ZH_DISTRICTS = ['东城', '西湖', '南山', '北辰', '青山', '江北', '河西', '城南', '新华', '长安', '和平', '高新'];
const ZH_ROADS = ['建设', '人民', '解放', '和平', '中山', '长江', '黄河', '文化', '学府', '光明', '幸福', '振兴', '团结', '新华', '育才', '春晖'];
const EN_STREETS = ['Example', 'Maple', 'Cedar', 'Oak', 'Pine', 'Elm', 'Lake', 'Hill', 'River', 'Park', 'Sunset', 'Willow', 'Harbor', 'Meadow', 'Spring', 'Forest'];
const EN_STREET_KINDS = ['Street', 'Road', 'Avenue', 'Lane', 'Drive'];
const ZH_ORG_NAMES = ['示例', '样例', '华信', '恒达', '嘉禾', '瑞丰', '远景', '博元', '启明', '同舟', '宏图', '锦程', '天成', '鼎盛', '星河', '云帆', '青禾', '明德', '安泰', '汇通'];
const ZH_ORG_KINDS = ['科技', '贸易', '物流', '餐饮', '传媒', '电子', '建材', '咨询', '服饰', '食品', '教育', '医药', '网络', '文化', '家居', '环保'];
const ZH_ORG_FORMS = ['有限公司', '股份有限公司', '集团有限公司', '有限责任公司', '商行'];
const EN_ORG_NAMES = ['Example', 'Northwind', 'Bluefield', 'Silverline', 'Brightway', 'Cedarpoint', 'Harborview', 'Summit', 'Maplewood', 'Riverstone', 'Oakridge', 'Clearwater', 'Redrock', 'Greenfield', 'Ironbridge', 'Lakeside'];
const EN_ORG_KINDS = ['Trading', 'Logistics', 'Systems', 'Foods', 'Media', 'Labs', 'Partners', 'Works', 'Holdings', 'Digital', 'Supplies', 'Consulting'];
const EN_ORG_FORMS = ['Ltd', 'Inc', 'LLC', 'Co', 'Group'];
const HAN = /[\u4e00-\u9fff]/;

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

/**
 * Replaces every digit by a random one and keeps the letters: document and carrier letters (E of
 * a passport, SF of a waybill, C of an exit permit) say what the number is, the digits who it is.
 */
function digitsLike(r: Rnd, value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    out += c >= '0' && c <= '9' ? String(i === 0 && c !== '0' ? int(r, 1, 9) : int(r, 0, 9)) : c;
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

/** What a surrogate replaces: the value (normalised), its canonical form, and for a phone its national number. */
interface Subject {
  type: string;
  value: string;
  canon: string;
  /** A phone: the mode its national number is read in. */
  phone: PhoneMode | null;
  /** A phone's national number (country code dropped, trunk 0 kept); otherwise the canonical value. */
  national: string;
  /** The original's key among the conversation's taken keys. */
  key: string;
}

const PHONE_MODES: ReadonlySet<RuleSpec['canonical']> = new Set<RuleSpec['canonical']>(['phone-cn', 'phone-nanp', 'phone-uk']);

/** The phone mode of a rule, or for a rule still on `digits` the one its digits look like. */
function phoneModeOf(mode: RuleSpec['canonical'], value: string): PhoneMode {
  if (PHONE_MODES.has(mode)) return mode as PhoneMode;
  const d = value.replace(/[^0-9]/g, '');
  if (/\+\s*44|[(（]0[)）]/.test(value) || d.startsWith('0044')) return 'phone-uk';
  if (/^(?:0086|86)?1[3-9][0-9]{9}$/.test(d) || d.startsWith('0') || /^(?:0086|86)[0-9]{9}/.test(d)) return 'phone-cn';
  return /^1?[2-9][0-9]{9}$/.test(d) ? 'phone-nanp' : 'phone-cn';
}

function surrogateSubject(value: string, s: PiiSpan, config: OperatorConfig): Subject {
  const norm = readLettersAsDigits(normalize(value, 1).text);
  const mode = modeOf(s.type, s.rule, config.canonicalOf);
  return subject(s.type, norm, canonicalValue(norm, mode).trim(), mode);
}

function subject(type: string, value: string, canon: string, mode: RuleSpec['canonical']): Subject {
  if (type === 'PHONE') {
    const phone = phoneModeOf(mode, value);
    const national = canonicalValue(value, phone);
    if (national.length >= 4) return { type, value, canon, phone, national, key: national };
  }
  return { type, value, canon, phone: null, national: canon, key: surrogateKey(value) };
}

/** The digits of a phone's national number that identify it: a mainland landline's area code aside. */
function phoneIdentifying(mode: PhoneMode, national: string): string {
  // a Hong Kong / Macau / Taiwan number's country code and first digit say where, not who
  const hk = mode === 'phone-cn' ? /^(?:00)?(?:85[23]|886)[0-9]/.exec(national) : null;
  if (hk) return national.slice(hk[0].length);
  if (mode === 'phone-cn' && national[0] === '0') return national.slice(national[1] === '1' || national[1] === '2' ? 3 : 4);
  return national;
}

/** The digits of a value (or surrogate) that identify it: a residence permit's region prefix 810000/820000/830000 aside. */
function identifying(type: string, s: string): string {
  const d = s.replace(/[^0-9]/g, '');
  return type === 'PERSON_ID' && d.length === 18 && /^8[123]0000/.test(d) ? d.slice(6) : d;
}

/** A fake national number of the same kind and length as `national`. */
function phoneNumber(mode: PhoneMode, national: string, r: Rnd): string {
  if (mode === 'phone-cn') {
    // Hong Kong, Macau, Taiwan (+852 / +853 / +886; phone-cn drops the 00 of 00852): the country code and the number's first digit
    // (mobile or fixed line) kept, the rest new
    const hk = /^((?:00)?(?:85[23]|886)[0-9])[0-9]{7,9}$/.exec(national);
    if (hk) return hk[1] + digits(r, national.length - hk[1].length);
    // a mobile, and the digits of its extension (a platform's privacy number: 18830566568转2146)
    const mobile = /^1[3-9][0-9]{9}([0-9]{0,5})$/.exec(national);
    if (mobile) return '1' + int(r, 3, 9) + digits(r, 9) + digits(r, mobile[1].length);
    if (national[0] === '0' && national.length >= 8) {
      const area = national[1] === '1' || national[1] === '2' ? pick(r, AREA2) : pick(r, AREA3);
      return '0' + area + int(r, 2, 8) + digits(r, national.length - area.length - 2);
    }
  } else if (mode === 'phone-nanp' && /^[2-9][0-9]{9}[0-9]{0,5}$/.test(national)) {
    // no N11 or 9x area code, no N11 exchange; an extension's digits after the ten
    return `${int(r, 2, 9)}${int(r, 0, 8)}${int(r, 0, 9)}${int(r, 2, 9)}${int(r, 0, 8)}${int(r, 0, 9)}${digits(r, 4)}${digits(r, national.length - 10)}`;
  } else if (mode === 'phone-uk' && /^0[127][0-9]{8,9}$/.test(national)) {
    const head = national[1] === '2' ? '020' : '0' + national[1];
    return head + digits(r, national.length - head.length);
  }
  return (national[0] === '0' ? '0' : String(int(r, 1, 9))) + digits(r, national.length - 1);
}

/**
 * A phone number written in the layout of `value`: its country code and separators kept, the
 * national digits from `fake` (without its trunk 0 where `value` has none: +86 10 …).
 */
function renderPhone(subj: Subject, fake: string): string {
  const { value, national } = subj;
  if (!/^[0-9]+$/.test(fake) || fake.length !== national.length) return fake;
  // a UK "(0)" is written trunk, not a digit of the number
  const literal = new Uint8Array(value.length);
  if (subj.phone === 'phone-uk') for (const m of value.matchAll(/[(（]0[)）]/g)) literal.fill(1, m.index!, m.index! + m[0].length);
  let d = '';
  for (let i = 0; i < value.length; i++) if (!literal[i] && value[i] >= '0' && value[i] <= '9') d += value[i];
  let fill: string;
  if (d.endsWith(national)) fill = fake;
  else if (national[0] === '0' && fake[0] === '0' && d.endsWith(national.slice(1))) fill = fake.slice(1);
  else return fake;
  const cc = d.length - fill.length;
  let out = '';
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (!literal[i] && c >= '0' && c <= '9') out += n++ < cc ? c : fill[n - 1 - cc];
    else out += c;
  }
  return out;
}

function render(subj: Subject, made: string): string {
  return subj.phone ? renderPhone(subj, made) : made;
}

function personName(r: Rnd, value: string, longer: boolean): string {
  if (HAN.test(value)) {
    const n = Array.from(value.replace(/[^\u4e00-\u9fff]/g, '')).length;
    const given = n <= 1 && !longer ? 0 : n <= 2 ? 1 : 2;
    let s = pick(r, ZH_SURNAMES);
    for (let i = 0; i < given; i++) s += pick(r, ZH_GIVEN);
    return s;
  }
  const words = value.trim().split(/\s+/).length;
  return words <= 1 && !longer ? pick(r, EN_FIRST) : `${pick(r, EN_FIRST)} ${pick(r, EN_LAST)}`;
}

/** One candidate surrogate (for a phone: its national number). `attempt` widens small shapes late. */
function surrogateFor(subj: Subject, r: Rnd, attempt: number): string {
  const { type, value, canon } = subj;
  if (subj.phone) return phoneNumber(subj.phone, subj.national, r);
  switch (type) {
    case 'PERSON_ID': {
      const [y, m, d] = randomDate(r);
      if (canon.length === 15) return pick(r, REGIONS) + String(y).slice(2) + p2(m) + p2(d) + digits(r, 3);
      // a residence permit keeps its prefix 810000/820000/830000 (what kind of permit, not whose)
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
      // documentation ranges: 2001:db8::/32, and 3fff::/20 (RFC 9637) on every other attempt, for an
      // original that itself starts 2001: or 2001:db8 (the shared digits would veto every draw)
      if (!value.includes(':')) return `10.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
      return attempt % 2 === 0 ? `2001:db8::${hex(r, 4)}` : `3fff:${hex(r, 3)}::${hex(r, 4)}`;
    case 'URL':
      return `https://example.com/${letters(r, 8)}`;
    case 'USCC': {
      // registration authority and kind kept (91 company, 92 sole trader …); region, and an
      // organisation code with its GB 11714 check character, then the GB 32100 check character
      const head = /^[0-9A-HJ-NPQRTUWXY]{2}/.test(canon) ? canon.slice(0, 2) : '91';
      let org8 = '';
      for (let i = 0; i < 8; i++) org8 += USCC_CHARSET[i === 0 ? int(r, 0, 9) : int(r, 0, 30)];
      const first17 = head + pick(r, REGIONS) + org8 + gb11714CheckChar(org8);
      return first17 + usccCheckChar(first17);
    }
    case 'TRACKING_NO': {
      // a UPU S10 item id keeps its service and country letters and gets its check digit
      const s10 = /^([A-Z]{2})[0-9]{9}([A-Z]{2})$/.exec(canon);
      if (s10) {
        const serial = digits(r, 8);
        return s10[1] + serial + s10CheckDigit(serial) + s10[2];
      }
      return digitsLike(r, value);
    }
    case 'PERMIT': {
      // Hong Kong ID: letters and the check's brackets as written, new digits, the check character for them
      const hk = /^([A-Za-z]{1,2})[0-9]{6}(\(?)[0-9Aa](\)?)$/.exec(value);
      if (hk && isValidHkid(value)) {
        const body = hk[1].toUpperCase() + digits(r, 6);
        return body + hk[2] + hkidCheckChar(body) + hk[3];
      }
      // Taiwan ID: letter and sex digit kept, new serial, the check digit for them
      if (/^[A-Z][12][0-9]{8}$/.test(canon) && isValidTaiwanId(canon)) {
        const first9 = canon.slice(0, 2) + digits(r, 7);
        return first9 + taiwanIdCheckDigit(first9);
      }
      return digitsLike(r, value);
    }
    case 'PASSPORT':
      return digitsLike(r, value);
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
      // a one-character (surname-only) or one-word name has few fakes: after a while, take a fuller one
      return personName(r, value, attempt >= MAX_ATTEMPTS / 2);
    case 'ADDRESS':
      return HAN.test(value)
        ? `某市${pick(r, ZH_DISTRICTS)}区${pick(r, ZH_ROADS)}路${int(r, 1, 199)}号`
        : `${int(r, 1, 999)} ${pick(r, EN_STREETS)} ${pick(r, EN_STREET_KINDS)}`;
    case 'ORG':
      return HAN.test(value)
        ? pick(r, ZH_ORG_NAMES) + pick(r, ZH_ORG_KINDS) + pick(r, ZH_ORG_FORMS)
        : `${pick(r, EN_ORG_NAMES)} ${pick(r, EN_ORG_KINDS)} ${pick(r, EN_ORG_FORMS)}`;
    default:
      return shapeLike(r, value);
  }
}

const MAX_ATTEMPTS = 64;

/**
 * A surrogate for `subj` (a phone: its national number): never the original, sharing no run of 4
 * of the original's identifying digits, and (with `taken`) no fake another value of the
 * conversation already has. Draws again from the same stream until one fits, so the result is
 * a function of the seed and what the conversation holds; `[TYPE]` when none does.
 */
function drawSurrogate(subj: Subject, r: Rnd, taken?: (key: string) => boolean): string {
  const ident = (s: string) => (subj.phone ? phoneIdentifying(subj.phone, s) : identifying(subj.type, s));
  const grams = new Set<string>();
  const core = ident(subj.national);
  for (let i = 0; i + 4 <= core.length; i++) grams.add(core.slice(i, i + 4));
  const canonLower = subj.canon.toLowerCase();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const s = surrogateFor(subj, r, attempt);
    const key = subj.phone ? s : surrogateKey(s);
    if (s === subj.value || s.toLowerCase() === canonLower || key === subj.key || taken?.(key)) continue;
    const sc = ident(s);
    let clash = false;
    for (let i = 0; !clash && i + 4 <= sc.length; i++) if (grams.has(sc.slice(i, i + 4))) clash = true;
    if (!clash) return s;
  }
  return `[${subj.type}]`;
}

/**
 * A surrogate for one value (`value` normalised, `canon` its canonical form): format-valid by the
 * validator that recognises the original, never equal to it and sharing no run of 4 of its
 * identifying digits. `mode` is the finding's canonical mode (phones: the country code is kept as
 * written); `taken` rejects keys the conversation already uses.
 */
export function makeSurrogate(
  type: string,
  value: string,
  canon: string,
  r: Rnd,
  opts: { mode?: RuleSpec['canonical']; taken?: (key: string) => boolean } = {},
): string {
  const subj = subject(type, value, canon, opts.mode ?? DEFAULT_CANONICAL[type] ?? 'raw');
  return render(subj, drawSurrogate(subj, r, opts.taken));
}
