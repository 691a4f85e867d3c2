/**
 * Masking shared by everything that prints text or ids into a report (the pii stage's
 * sample context, the residual scan, eval-pii, the HTML page). Reports are read by
 * auditors: no raw personal value may reach them.
 */

/**
 * Placeholders that stay readable: scrubline's own (`[PHONE_1]`, `[EMAIL:3fa9c0de]`, `[PHONE]`, the
 * shapes rules/pii/00-keep.yaml keeps) and the JD export's (`[订单x]`, `[姓名x]`, `[商品快照]`).
 * Nothing with a digit outside `_n`/`:hex` and nothing but ideographs before JD's `x`, so a
 * bracketed identifier (`[G12345678]`, `[13812345678x]`) is not taken for one; a `:hex` part needs a
 * letter a-f, so `[TEL:13812345678]` is not one either (a hash that happens to be all digits is
 * masked in reports, which costs nothing but its readability).
 */
export const PLACEHOLDER_SOURCE = '\\[[A-Z][A-Z_]{1,20}(?:_[0-9]{1,6}|:(?=[0-9]{0,63}[a-f])[0-9a-f]{8,64})?\\]|\\[(?:[\\u4e00-\\u9fff]{1,6}x|商品快照)\\]';

/**
 * Symbols that are letters in disguise (NFKC makes them letters): parenthesised and circled letters ⒜ Ⓐ ⓐ,
 * squared, negative circled and negative squared letters 🄰 🅐 🅰, regional indicators 🇦. A name spelt in them
 * (ⓦⓐⓝⓖ) is masked as letters are.
 */
const LETTER_SYMBOLS = '[\\u249C-\\u24E9\\u{1F130}-\\u{1F189}\\u{1F1E6}-\\u{1F1FF}]';
const LETTER_MASK = new RegExp(`(${PLACEHOLDER_SOURCE})|[^\\s@＠]{0,30}[@＠][^\\s@＠]{0,30}|\\p{N}|\\p{L}\\p{M}*|${LETTER_SYMBOLS}`, 'gu');

/**
 * Masks every letter and number of `s` outside placeholders: digits (any script) → `#`, @-tokens →
 * `*` per character, Latin letters → `x`, other letters (ideographs, any script, with their combining
 * marks) → `＊`. Spaces, punctuation and length stay, so a reader still sees the shape of the text and
 * where a finding sits, but a name or address the detectors missed does not show.
 */
export function maskLetters(s: string): string {
  return s.replace(LETTER_MASK, (m, placeholder?: string) => {
    if (placeholder) return m;
    if (m.length > 1 && (m.includes('@') || m.includes('＠'))) return '*'.repeat([...m].length);
    if (/^\p{N}$/u.test(m)) return '#';
    return /^[A-Za-zＡ-Ｚａ-ｚ]/.test(m) ? 'x' : '＊';
  });
}

/** Digit-like characters in ids: any number, and Chinese numerals (plain and the financial 壹贰叁…). */
const DIGITISH = '\\p{N}〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖';
/**
 * Six or more digits, possibly grouped by short separators: any space, punctuation, symbol or
 * invisible format character (`138-1234-5678`, full-width `１３８－１２３４－５６７８`, `138—1234—5678`,
 * `138·1234·5678`, zero-width spaces).
 */
const digitRunSource = (atLeast: number) => `[${DIGITISH}](?:[\\s\\p{P}\\p{S}\\p{Cf}]{0,2}[${DIGITISH}]){${atLeast - 1},}`;
const DIGIT_RUN = new RegExp(digitRunSource(6), 'u');
const DIGITISH_ALL = new RegExp(`[${DIGITISH}]`, 'gu');
const DIGIT_RUNS = new RegExp(DIGIT_RUN.source, 'gu');

/** Masks the digits of every run of six or more digits grouped by short separators (`138-1234-5678` → `###-####-####`). */
export function maskDigitRuns(s: string): string {
  return s.replace(DIGIT_RUNS, (m) => m.replace(DIGITISH_ALL, '#'));
}
const URL_SHAPE = /[a-z][a-z0-9+.\-]{0,15}:\/\/|www\.|[A-Za-z0-9\-]\.(?:com|cn|net|org|io|me|cc|top|xyz|info|co)(?![A-Za-z0-9])/i;

/**
 * A record (or line) id as a report may show it. Ids like `conv-17`, `r2`, `0001-zh-phone.mobile`
 * show as they are; an id with six or more digits in a run (`s-000123`, a phone number used as the
 * session id) shows with its digits as `#`; an id holding an `@` or shaped like an e-mail or URL, or
 * one with whitespace or over 64 characters (a mis-mapped text column), shows with every letter and
 * digit masked too. Deterministic, so the same id masks the same way everywhere.
 */
export function safeId(id: unknown): string {
  const s = safeKey(id);
  // ids are machine-made; ideographs in one come from a mis-mapped column (a name such as 张伟)
  return HAN.test(s) ? s.replace(HAN_ALL, '＊') : s;
}

/**
 * A file name that came with a record (`source.file` of a canonical record read from NDJSON: data, which may hold
 * anything) as reports and logs show it: an @-token (an e-mail) and a run of nine digits or more (a phone, an ID, a
 * card) masked, and ideographs (a name) as `＊`; paths, dates and batch numbers stay readable
 * (`exports/2024-03-05/chat-000123.jsonl`; `王建国 15923456781.csv` → `＊＊＊ ###########.csv`).
 */
export function safeFile(file: unknown): string {
  return String(file)
    .replace(/[^\s/\\@＠]*[@＠][^\s/\\@＠]*/g, (m) => '*'.repeat([...m].length))
    .replace(LONG_DIGIT_RUNS, (m) => m.replace(DIGITISH_ALL, '#'))
    .replace(HAN_ALL, '＊');
}

/** Nine digits or more, grouped as DIGIT_RUN groups them (a phone, an ID, a card: not a date or a batch number). */
const LONG_DIGIT_RUNS = new RegExp(digitRunSource(9), 'gu');

const HAN = /\p{Script=Han}/u;
const HAN_ALL = /\p{Script=Han}/gu;

/**
 * {@link safeId} without its rule for ideographs: for values that are class names rather than ids
 * (label values as report keys, where 满意 is a class), masked only when they look identifying.
 */
export function safeKey(id: unknown): string {
  const s = String(id);
  if (/[@＠\s]/.test(s) || URL_SHAPE.test(s) || s.length > 64) {
    const cut = [...s];
    return maskLetters(cut.length > 64 ? cut.slice(0, 64).join('') + '…' : s).replace(/\s/g, ' ');
  }
  // a WeChat account's internal id used as a session id (wxid_ab12cd34): the account behind it shows nowhere
  const t = WXID.test(s) ? s.replace(WXID_ALL, (m) => m.slice(0, 5) + maskLetters(m.slice(5))) : s;
  if (DIGIT_RUN.test(t)) return t.replace(DIGITISH_ALL, '#');
  return t;
}

const WXID = /(?<![A-Za-z0-9])wxid_/i;
const WXID_ALL = /(?<![A-Za-z0-9])wxid_[A-Za-z0-9_]+/gi;
