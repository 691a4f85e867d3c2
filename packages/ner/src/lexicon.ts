import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `rules/` folder, as seen from `packages/ner/src` or `packages/ner/dist`. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

export type DivisionLevel = 'province' | 'city' | 'district';

export interface Lexicons {
  surnames: Set<string>;
  ambiguousSurnames: Set<string>;
  compoundSurnames: Set<string>;
  /** Common Japanese family names in Chinese characters (2–3 characters), `surnames-ja.txt`. */
  japaneseSurnames: Set<string>;
  givenChars: Set<string>;
  /** Name-likeness of a character in a given name (log-odds from jieba's dictionary; `given-char-scores.txt`). */
  givenScores: Map<string, number>;
  /** Words right after a name that mark a person (说, 表示, 主演 …), longest first. */
  cuesAfter: string[];
  /** Characters typical of transliterated foreign names (斯 克 尔 特 …). */
  translitChars: Set<string>;
  /** Brands, places and words made of transliteration characters that are not people (阿迪达斯, 莫斯科). */
  translitNotNames: string[];
  /** cue → strong? */
  cuesBefore: Map<string, boolean>;
  cuesBeforeMaxLen: number;
  titles: string[];
  /** Full names, aliases and short forms of administrative divisions. */
  divisions: Map<string, { level: DivisionLevel; short: boolean }>;
  divisionMaxLen: number;
  addressCues: Map<string, boolean>;
  addressCueMaxLen: number;
  townSuffixes: string[];
  roadSuffixes: string[];
  poiSuffixes: string[];
  unitSuffixes: string[];
  addressStop: Set<string>;
  /** Characters that cannot start an address part but may occur inside one. */
  addressStopStart: Set<string>;
  en: {
    first: Set<string>;
    firstAmbiguous: Set<string>;
    surnames: Set<string>;
    cuesBefore: string[];
    titles: Set<string>;
    closings: string[];
  };
  org: {
    suffixZh: string[];
    cueBeforeZh: string[];
    cueAfterZh: string[];
    suffixEn: string[];
    cueBeforeEn: string[];
    genericZh: string[];
  };
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function words(text: string): string[] {
  return lines(text).flatMap((l) => l.split(/\s+/)).filter(Boolean);
}

/** `[section]` blocks of one-entry-per-line lists. */
function sections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur = '';
  for (const l of lines(text)) {
    const m = /^\[([\w-]+)\]$/.exec(l);
    if (m) {
      cur = m[1];
      out[cur] = [];
    } else if (cur) out[cur].push(l);
  }
  return out;
}

const byLengthDesc = (a: string, b: string) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);

/** Lexicons added later (a user's older rules/ner copy may lack them): missing means empty. */
function readOptional(dir: string, file: string): string {
  return existsSync(join(dir, file)) ? read(dir, file) : '';
}

function read(dir: string, file: string): string {
  const p = join(dir, file);
  if (!existsSync(p)) throw new Error(`@scrubline/ner: lexicon ${file} not found in ${dir}`);
  return readFileSync(p, 'utf8');
}

/** Strip an administrative suffix to get the short form people write (杭州市 → 杭州). */
function shortForms(name: string): string[] {
  const out: string[] = [];
  for (const suf of ['特别行政区', '自治区', '自治州', '自治县', '地区', '新区', '省', '市', '区', '县', '盟', '旗', '镇']) {
    if (name.endsWith(suf) && name.length - suf.length >= 2) {
      out.push(name.slice(0, name.length - suf.length));
      break;
    }
  }
  return out;
}

/** Loads every lexicon from `<rulesDir>/ner/`. Synchronous; well under a second. */
export function loadLexicons(rulesDir: string = DEFAULT_RULES_DIR): Lexicons {
  const dir = join(rulesDir, 'ner');
  const surnames = new Set(words(read(dir, 'surnames.txt')));
  const ambiguousSurnames = new Set(words(read(dir, 'surnames-ambiguous.txt')));
  for (const s of ambiguousSurnames) surnames.add(s);
  const compoundSurnames = new Set(words(read(dir, 'surnames-compound.txt')));
  const givenChars = new Set(words(read(dir, 'given-chars.txt')).flatMap((w) => [...w]));
  const japaneseSurnames = new Set(words(readOptional(dir, 'surnames-ja.txt')).filter((w) => w.length >= 2 && w.length <= 3));
  const givenScores = new Map<string, number>();
  for (const l of lines(readOptional(dir, 'given-char-scores.txt'))) {
    const [c, v] = l.split(/\s+/);
    if (c && v !== undefined && Number.isFinite(Number(v))) givenScores.set(c, Number(v));
  }
  const cuesAfter = [...new Set(words(readOptional(dir, 'cues-after.txt')))].sort(byLengthDesc);
  const translitChars = new Set(words(readOptional(dir, 'translit-chars.txt')).flatMap((w) => [...w]));
  const translitNotNames = [...new Set(words(readOptional(dir, 'translit-not-names.txt')))];

  const cuesBefore = new Map<string, boolean>();
  for (const l of lines(read(dir, 'cues-before.txt'))) {
    const strong = l.endsWith('!');
    cuesBefore.set(strong ? l.slice(0, -1) : l, strong);
  }
  const titles = lines(read(dir, 'titles-after.txt')).sort(byLengthDesc);

  const divisions = new Map<string, { level: DivisionLevel; short: boolean }>();
  const addDivision = (name: string, level: DivisionLevel, short: boolean) => {
    const prev = divisions.get(name);
    // A full name beats a short form; a higher level beats a lower one for the same string.
    if (!prev || (prev.short && !short)) divisions.set(name, { level, short });
  };
  for (const l of lines(read(dir, 'provinces.txt'))) {
    const [full, ...aliases] = l.split(/\s+/);
    addDivision(full, 'province', false);
    // One-character abbreviations (京, 沪) are too ambiguous to anchor on in free text.
    for (const a of aliases) if (a.length >= 2) addDivision(a, 'province', true);
  }
  const levelFiles: [string, DivisionLevel][] = [
    ['cities.txt', 'city'],
    ['districts.txt', 'district'],
  ];
  for (const [file, level] of levelFiles) {
    for (const w of words(read(dir, file))) {
      const [full, alias] = w.split(':');
      addDivision(full, level, false);
      if (alias) addDivision(alias, level, true);
      for (const s of shortForms(full)) addDivision(s, level, true);
    }
  }
  let divisionMaxLen = 0;
  for (const k of divisions.keys()) divisionMaxLen = Math.max(divisionMaxLen, k.length);

  const addr = sections(read(dir, 'address.txt'));
  const addressCues = new Map<string, boolean>();
  for (const l of addr.cue ?? []) {
    const strong = l.endsWith('!');
    addressCues.set(strong ? l.slice(0, -1) : l, strong);
  }
  let addressCueMaxLen = 0;
  for (const k of addressCues.keys()) addressCueMaxLen = Math.max(addressCueMaxLen, k.length);
  let cuesBeforeMaxLen = 0;
  for (const k of cuesBefore.keys()) cuesBeforeMaxLen = Math.max(cuesBeforeMaxLen, k.length);

  const en = sections(read(dir, 'cues-en.txt'));
  const org = sections(read(dir, 'org.txt'));
  return {
    surnames,
    ambiguousSurnames,
    compoundSurnames,
    japaneseSurnames,
    givenChars,
    givenScores,
    cuesAfter,
    translitChars,
    translitNotNames,
    cuesBefore,
    cuesBeforeMaxLen,
    titles,
    divisions,
    divisionMaxLen,
    addressCues,
    addressCueMaxLen,
    townSuffixes: (addr.town ?? []).sort(byLengthDesc),
    roadSuffixes: (addr.road ?? []).sort(byLengthDesc),
    poiSuffixes: (addr.poi ?? []).sort(byLengthDesc),
    unitSuffixes: (addr.unit ?? []).sort(byLengthDesc),
    addressStop: new Set((addr.stop ?? []).flatMap((l) => l.split(/\s+/)).filter(Boolean)),
    addressStopStart: new Set((addr['stop-start'] ?? []).flatMap((l) => l.split(/\s+/)).filter(Boolean)),
    en: {
      first: new Set(words(read(dir, 'first-names-en.txt'))),
      firstAmbiguous: new Set(words(read(dir, 'first-names-en-ambiguous.txt'))),
      surnames: new Set(words(read(dir, 'surnames-en.txt'))),
      cuesBefore: (en.before ?? []).sort(byLengthDesc),
      titles: new Set(en.titles ?? []),
      closings: (en.closings ?? []).sort(byLengthDesc),
    },
    org: {
      suffixZh: (org['suffix-zh'] ?? []).sort(byLengthDesc),
      cueBeforeZh: (org['cue-before-zh'] ?? []).sort(byLengthDesc),
      cueAfterZh: (org['cue-after-zh'] ?? []).sort(byLengthDesc),
      suffixEn: (org['suffix-en'] ?? []).sort(byLengthDesc),
      cueBeforeEn: (org['cue-before-en'] ?? []).sort(byLengthDesc),
      genericZh: (org['generic-zh'] ?? []).flatMap((l) => l.split(/\s+/)),
    },
  };
}
