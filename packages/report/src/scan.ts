import { checkResidentId, isValidLegacyResidentId, luhnValid } from '@scrubline/pii';

/**
 * The residual scan: an independent, high-recall sweep for text that still looks
 * identifying after scrubbing. It shares no code with the recognizers on purpose:
 * shapes only (digit runs, @ signs, URL-like strings, e-mail shapes, ID-like
 * tokens), every pattern bounded so that pathological input stays linear. Check
 * digits (GB 11643, Luhn) only sort a digit run into resident-id / card-like; a
 * run that fails them is still reported, as `digits`.
 */

export const RESIDUAL_SHAPES = [
  'email', 'url', 'ipv6', 'ipv4', 'handle', 'plate', 'id-like', 'mobile', 'resident-id', 'card-like', 'landline', 'digits',
] as const;
export type ResidualShape = (typeof RESIDUAL_SHAPES)[number];

export interface ResidualCandidate {
  shape: ResidualShape;
  /** UTF-16 offsets in the scanned text, end exclusive. */
  start: number;
  end: number;
  /** Why it is not counted as residual (built-in `date`/`version`, or `allow-list`). */
  allowed?: string;
}

export interface AllowRule {
  /** A shape, or `*` for any. */
  shape: string;
  re: RegExp;
}

export interface ScanOptions {
  /** Digit runs shorter than this (after removing separators) are ignored (default 7). */
  minDigits?: number;
  /** Shapes looked for (default all). */
  shapes?: readonly string[];
  /** Candidates matching one of these (whole candidate, folded text) are allowed. */
  allow?: AllowRule[];
}

/**
 * Typed placeholders the pii operators write (`[PHONE_1]`, `[PHONE:3fa9…]`, `[PHONE]`) and
 * placeholders already in exports (JD's `[订单x]`, `[姓名x]`, `[USERID_[数字x]` …).
 */
const PLACEHOLDER = /\[[A-Z][A-Z0-9_]{1,30}(?:_[0-9]{1,6}|:[0-9A-Za-z]{4,64})?\]|\[[^\[\]\n]{1,12}x\]|\[USERID_|\[ORDERID_/g;

const CN_DIGIT: Record<string, string> = { 〇: '0', 零: '0', 一: '1', 幺: '1', 二: '2', 两: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };

/**
 * Folds look-alike characters one code unit for one code unit (so offsets stay):
 * full-width ASCII → ASCII, ideographic space → space, circled digits → digits,
 * Chinese numerals → digits inside runs of four or more numerals and digits. Placeholders become U+0001 so they neither match nor join runs.
 */
export function foldForScan(text: string): string {
  let folded = FOLDABLE.test(text) ? text.replace(FOLDABLE_G, foldChar) : text;
  // letters typed for digits (l39O23llO65, l8l O6l6 l282): l/I → 1, O/o → 0 in runs that are mostly digits
  if (LEET_NEAR.test(folded)) folded = folded.replace(LEET_RUN_G, foldLeetRun);
  // Chinese numerals only inside runs (一三八一二三四…), not in ordinary words (一下, 两个)
  if (CN_RUN.test(folded)) folded = folded.replace(CN_RUN_G, (run) => run.replace(/./g, (ch) => CN_DIGIT[ch] ?? ch));
  return folded.includes('[') ? folded.replace(PLACEHOLDER, (m) => '\u0001'.repeat(m.length)) : folded;
}

const FOLDABLE = /[\uff01-\uff5e\u3000\u2460-\u2468\u24ea]/;
const LEET_NEAR = /[0-9][lIOo]|[lIOo][0-9]/;
/** Runs of digits and l/I/O/o (single spaces or dashes between) of 7 to 23 characters, not inside a word. */
const LEET_RUN_G = /(?<![A-Za-z0-9])[0-9lIOo](?:[ -]?[0-9lIOo]){6,22}(?![A-Za-z0-9])/g;

function foldLeetRun(run: string): string {
  let digits = 0;
  let letters = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 32 && c !== 45) letters++;
  }
  // at least half digits and four of them: a number typed with letters, not a word
  return letters > 0 && digits >= letters && digits >= 4 ? run.replace(/[lI]/g, '1').replace(/[Oo]/g, '0') : run;
}
const CN_RUN = /[〇零一幺二两三四五六七八九0-9]{4,}/;
const CN_RUN_G = new RegExp(CN_RUN.source, 'g');
const FOLDABLE_G = new RegExp(FOLDABLE.source, 'g');

function foldChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c >= 0xff01 && c <= 0xff5e) return String.fromCharCode(c - 0xfee0);
  if (c === 0x3000) return ' ';
  if (c >= 0x2460 && c <= 0x2468) return String(c - 0x2460 + 1);
  if (c === 0x24ea) return '0';
  return ch;
}

const PRIORITY: Record<ResidualShape, number> = {
  email: 0, url: 1, ipv6: 2, ipv4: 3, handle: 4, plate: 5, 'id-like': 6, 'resident-id': 7, mobile: 7, 'card-like': 7, landline: 7, digits: 7,
};

const EMAIL = /[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,6}\.[A-Za-z]{2,12}(?![A-Za-z])/g;
const URL_RE = /(?:[A-Za-z][A-Za-z0-9+.\-]{0,15}:\/\/|www\.)[^\s\p{Script=Han}，。！？、；：“”‘’（）《》【】\u0001]{1,2000}|(?<![A-Za-z0-9.@\-])[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.(?:com|cn|net|org|io|me|cc|top|xyz|info|co)(?:\.cn)?(?:\/[^\s\p{Script=Han}，。！？、；：“”‘’（）《》【】\u0001]{0,2000})?(?![A-Za-z0-9])/gu;
const HANDLE = /@[^\s@，。！？、：；,!?:;()（）\u0001\[\]]{1,30}/g;
const IPV4 = /(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])/g;
const IPV6 = /(?<![0-9A-Za-z:])[0-9A-Fa-f:]{6,45}(?![0-9A-Za-z:])/g;
const PLATE = /[京津沪渝黑吉辽新藏青蒙晋冀豫甘陕川贵云宁苏浙皖鲁赣鄂湘粤闽桂琼][A-HJ-NP-Z][·•. ]?[A-HJ-NP-Z0-9]{5,6}(?![A-Za-z0-9])/g;
const TOKEN = /(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{6,64}(?![A-Za-z0-9_\-])/g;
const DIGIT_RUN = /[0-9](?:[ \-.·—_/()+]{0,2}[0-9]){4,80}/g;
const VERSION_CUE = /(版本|版本号|version|ver|[vV])\s?[:：]?\s?$/;
const VERSION_AFTER = /^\s?(版本|版)/;
const DATE = /^(19|20)[0-9]{2}[\-/.](0?[1-9]|1[0-2])[\-/.](0?[1-9]|[12][0-9]|3[01])(?![0-9])/;

/** Finds the candidates in one text (non-overlapping, by priority then position). */
export function scanResidual(text: string, options: ScanOptions = {}): ResidualCandidate[] {
  const minDigits = options.minDigits ?? 7;
  const want = options.shapes ? new Set(options.shapes) : null;
  const f = foldForScan(text);
  const found: ResidualCandidate[] = [];
  const push = (shape: ResidualShape, start: number, end: number, allowed?: string) => {
    if (!want || want.has(shape)) found.push({ shape, start, end, ...(allowed ? { allowed } : {}) });
  };
  const has = (needle: RegExp) => needle.test(f);

  if (f.includes('@')) {
    for (const m of f.matchAll(EMAIL)) push('email', m.index!, m.index! + m[0].length);
    for (const m of f.matchAll(HANDLE)) push('handle', m.index!, m.index! + m[0].length);
  }
  if (f.includes('.') || f.includes('/')) {
    for (const m of f.matchAll(URL_RE)) push('url', m.index!, m.index! + m[0].replace(/[.,;:!?)'"\]]+$/, '').length);
  }
  if (f.includes(':')) {
    for (const m of f.matchAll(IPV6)) if (looksIpv6(m[0])) push('ipv6', m.index!, m.index! + m[0].length);
  }
  if (/[0-9]/.test(f)) {
    for (const m of f.matchAll(IPV4)) {
      if (!m[0].split('.').every((o) => Number(o) <= 255)) continue;
      const before = f.slice(Math.max(0, m.index! - 8), m.index!);
      const after = f.slice(m.index! + m[0].length, m.index! + m[0].length + 4);
      push('ipv4', m.index!, m.index! + m[0].length, VERSION_CUE.test(before) || VERSION_AFTER.test(after) ? 'version' : undefined);
    }
    if (has(/[京津沪渝黑吉辽新藏青蒙晋冀豫甘陕川贵云宁苏浙皖鲁赣鄂湘粤闽桂琼]/)) {
      for (const m of f.matchAll(PLATE)) if ((m[0].match(/[0-9]/g)?.length ?? 0) >= 3) push('plate', m.index!, m.index! + m[0].length);
    }
    for (const m of f.matchAll(TOKEN)) {
      const t = m[0];
      if (!/[A-Za-z]/.test(t)) continue;
      if (/^[0-9]{17}[Xx]$/.test(t)) push(checkResidentId(t.toUpperCase()).valid ? 'resident-id' : 'id-like', m.index!, m.index! + t.length);
      else if ((t.match(/[0-9]/g)?.length ?? 0) >= 5) push('id-like', m.index!, m.index! + t.length);
    }
    for (const m of f.matchAll(DIGIT_RUN)) {
      const raw = m[0];
      let digits = raw.replace(/[^0-9]/g, '');
      if (digits.length < minDigits) continue;
      let start = m.index!;
      let end = start + raw.length;
      // a leading '+' or '(' belongs to the number
      while (start > 0 && /[+(]/.test(f[start - 1])) start--;
      let shape: ResidualShape = 'digits';
      const national = digits.replace(/^(0086|86)(?=1[3-9][0-9]{9}$)/, '');
      if (/^1[3-9][0-9]{9}$/.test(national)) shape = 'mobile';
      else if (digits.length === 17 && /[Xx]/.test(f[end] ?? '') && checkResidentId(digits + 'X').valid) {
        shape = 'resident-id';
        end++;
      } else if ((digits.length === 18 && checkResidentId(digits).valid) || (digits.length === 15 && isValidLegacyResidentId(digits))) shape = 'resident-id';
      else if (digits.length >= 16 && digits.length <= 19 && luhnValid(digits)) shape = 'card-like';
      else if (/^0[1-9][0-9]{8,10}$/.test(digits)) shape = 'landline';
      const cue = raw.includes('.') && (VERSION_CUE.test(f.slice(Math.max(0, start - 8), start)) || VERSION_AFTER.test(f.slice(end, end + 4)));
      push(shape, start, end, DATE.test(raw) ? 'date' : cue ? 'version' : undefined);
    }
  }

  // allow-list, then keep the best non-overlapping candidates
  for (const c of found) {
    if (c.allowed) continue;
    const value = f.slice(c.start, c.end);
    if (options.allow?.some((a) => (a.shape === '*' || a.shape === c.shape) && a.re.test(value))) c.allowed = 'allow-list';
  }
  found.sort((a, b) => PRIORITY[a.shape] - PRIORITY[b.shape] || a.start - b.start || b.end - a.end);
  // occupancy array: linear in the candidates' total length (a 1 MB line of `a@a@…` has 500,000 of them)
  const used = new Uint8Array(text.length + 1);
  const taken: ResidualCandidate[] = [];
  for (const c of found) {
    let free = true;
    for (let i = c.start; i < c.end; i++) if (used[i]) { free = false; break; }
    if (!free) continue;
    used.fill(1, c.start, c.end);
    taken.push(c);
  }
  return taken.sort((a, b) => a.start - b.start);
}

function looksIpv6(s: string): boolean {
  const colons = s.split(':').length - 1;
  if (colons < 2) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  if (dbl.length === 1 && colons !== 7) return false;
  const groups = s.split(':').filter(Boolean);
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  // at least one group with a hex letter or 3+ digits: times like 12:30::45 are not addresses
  return groups.length >= 2 && groups.some((g) => /[A-Fa-f]/.test(g) || g.length >= 3);
}

/**
 * Parses `<shape> <regex>` lines (comments with #); the regex must match the whole candidate.
 * `<shape> file:<path>` reads a lexicon (one literal per line, # comments) through `readLexicon`;
 * `<shape> prefix:<path> [rest]` matches a lexicon word followed by `rest` (a regex; anything when absent);
 * for the `handle` shape each literal is matched with its leading `@`.
 */
export function parseAllowList(content: string, file = 'allow-list', readLexicon?: (path: string) => string): AllowRule[] {
  const out: AllowRule[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected "<shape> <regex>"`);
    let source = m[2];
    // file:<lexicon> matches its words exactly; prefix:<lexicon> anything that starts with one of them
    // (the pii stage's `allowPrefix`, e.g. @中国联通广东 for 中国联通), so both keep the same accounts
    const lex = /^(file|prefix):/.exec(source);
    if (lex) {
      if (!readLexicon) throw new Error(`${file}:${i + 1}: lexicon files are not available here`);
      // prefix:<lexicon> <rest>: what must follow the word (the pii stage's allowPrefixRest)
      const [path, ...restParts] = source.slice(lex[0].length).trim().split(/\s+/);
      const rest = restParts.join(' ');
      if (rest && lex[1] !== 'prefix') throw new Error(`${file}:${i + 1}: only prefix: takes a rest pattern`);
      let text: string;
      try {
        text = readLexicon(path);
      } catch {
        throw new Error(`${file}:${i + 1}: cannot read the lexicon ${path}`);
      }
      let words = text.split('\n').map((w) => w.trim()).filter((w) => w && !w.startsWith('#'));
      if (lex[1] === 'prefix') words = words.filter((w) => w.length >= 2);
      if (!words.length) continue;
      source = (m[1] === 'handle' ? '@' : '') + `(?:${words.map(escapeRegExp).join('|')})` + (lex[1] === 'prefix' ? (rest ? `(?:${rest})` : '.*') : '');
    }
    try {
      out.push({ shape: m[1], re: new RegExp(`^(?:${source})$`, 'u') });
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid regex (${(e as Error).message})`);
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/-]/g, '\\$&');
}
