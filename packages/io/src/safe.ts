/**
 * Field values in error messages. Errors and quarantine entries are read by people who may not see
 * the data (auditors, CI logs), and a misconfigured column can put message text, a name or a phone
 * number where a code was expected: so an error never shows a cell's value, only its shape —
 * `describeValue('客服小王')` is "a 4-character value (4 CJK characters)". With the file, line and
 * field of the error that is enough to find the cell and to tell a wrong column (a long CJK value
 * where a role code belongs) from a missing map entry (a short code).
 */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'no value';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
  const s = String(v);
  if (s === '') return 'an empty value';
  const chars = [...s];
  const counts = new Map<string, number>();
  for (const ch of chars) {
    const c = classOf(ch);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const parts = CLASSES.filter((c) => counts.has(c)).map((c) => plural(counts.get(c)!, c));
  return `a ${chars.length}-character value (${parts.join(', ')})`;
}

const CLASSES = ['digit', 'Latin letter', 'CJK character', 'other letter', 'space', 'punctuation or symbol', 'control or other character'] as const;
type CharClass = (typeof CLASSES)[number];

function classOf(ch: string): CharClass {
  if (/\p{Nd}/u.test(ch)) return 'digit';
  if (/[A-Za-zＡ-Ｚａ-ｚ]/u.test(ch)) return 'Latin letter';
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(ch)) return 'CJK character';
  if (/\p{L}/u.test(ch)) return 'other letter';
  if (/\s/u.test(ch)) return 'space';
  if (/[\p{P}\p{S}]/u.test(ch)) return 'punctuation or symbol';
  return 'control or other character';
}

function plural(n: number, what: CharClass): string {
  return `${n} ${what === 'punctuation or symbol' ? (n === 1 ? what : 'punctuation marks or symbols') : n === 1 ? what : `${what}s`}`;
}

/**
 * The keys of a role map for an error message, quoted. Config values are not data, so they may be
 * shown: the person fixing the error sees which values the map expects.
 */
export function allowedValues(map: Record<string, unknown>, max = 20): string {
  const keys = Object.keys(map);
  if (keys.length === 0) return 'the map is empty';
  const shown = keys.slice(0, max).map((k) => `'${k}'`).join(', ');
  return `the map has ${shown}${keys.length > max ? ` and ${keys.length - max} more` : ''}`;
}

/**
 * A header cell, for the list of columns in a missing-column hint: shown when it looks like a column
 * name (short, no digit run, no @, no space), otherwise its shape. Only used once the row is known
 * to be a header (it names another mapped column); a data row's cells never go through here.
 */
export function headerName(v: string): string {
  if (v.length <= 24 && !/\d{5}|@|\s/.test(v)) return v;
  return `(${describeValue(v)})`;
}
