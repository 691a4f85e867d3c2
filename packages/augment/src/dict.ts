import { ScrubError } from '@scrubline/core';

export type DictEncoding = 'utf-8' | 'gbk' | 'gb18030';
export type DictFormat = 'auto' | 'cilin' | 'list';

const CILIN_LINE = /^([A-Za-z]{2}\d{2}[A-Za-z]\d{2})([=#@])\s*(.*)$/;

/**
 * Decodes dictionary bytes. GBK files are read with the GB 18030 decoder (a
 * superset). Invalid bytes are an error, not U+FFFD: a GBK file read as UTF-8
 * must fail loudly. A UTF-8 BOM is dropped.
 */
export function decodeDictionary(bytes: Uint8Array, encoding: DictEncoding, file = '(dictionary)'): string {
  const label = encoding === 'utf-8' ? 'utf-8' : 'gb18030';
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw new ScrubError('SCRUB_ENCODING_MISMATCH', `the dictionary is not valid ${encoding}`, {
      file,
      hint: encoding === 'utf-8' ? 'the original Cilin file is GBK: set encoding: gbk' : 'check the encoding option',
    }, { cause: e });
  }
}

/** Lines without the line end (LF or CRLF), trimmed. */
function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim());
}

/** Synonym groups of a Cilin-format text: only `=` lines; `#` (related) and `@` (single word) lines are skipped. */
export function parseCilin(text: string): { groups: string[][]; skipped: { related: number; single: number; malformed: number } } {
  const groups: string[][] = [];
  const skipped = { related: 0, single: 0, malformed: 0 };
  for (const line of lines(text)) {
    if (!line) continue;
    const m = CILIN_LINE.exec(line);
    if (!m) {
      skipped.malformed++;
      continue;
    }
    if (m[2] === '#') skipped.related++;
    else if (m[2] === '@') skipped.single++;
    else groups.push(m[3].split(/\s+/).filter(Boolean));
  }
  return { groups, skipped };
}

/** Synonym groups of a plain list: one group per line, words separated by spaces, `/`, `,` `，` or `、`; `#` starts a comment. */
export function parseList(text: string): string[][] {
  const groups: string[][] = [];
  for (const raw of lines(text)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    groups.push(line.split(/[\s/,，、]+/).filter(Boolean));
  }
  return groups;
}

export function detectFormat(text: string): 'cilin' | 'list' {
  for (const line of lines(text)) if (line && !line.startsWith('#')) return CILIN_LINE.test(line) ? 'cilin' : 'list';
  return 'list';
}

export interface DictionaryInput {
  name: string;
  groups: string[][];
  /** Lower tiers win: a word found in a tier-0 group uses that group whatever later tiers say. */
  tier: number;
}

export interface SynonymIndexStats {
  groups: number;
  words: number;
  /** Words skipped because they sit in more than one group of the same tier. */
  ambiguous: number;
  /** Words skipped by the exclusion rule (negators, stop words, too short). */
  excluded: number;
  /** Words usable as a source of replacement (have at least one candidate). */
  replaceable: number;
  /** (word, candidate) pairs left out by the candidate filter (e.g. too rare a candidate). */
  filteredPairs: number;
}

/** Decides whether `candidate` may stand for `word` (a group of tier `tier`). */
export type CandidateFilter = (candidate: string, word: string, tier: number) => boolean;

/**
 * word → the other words of its one synonym group. A word that sits in several
 * groups of the same tier is ambiguous (its sense is unknown) and is neither
 * replaced nor used as a replacement in that tier.
 */
export class SynonymIndex {
  private readonly map = new Map<string, readonly string[]>();
  readonly stats: SynonymIndexStats;

  constructor(dicts: DictionaryInput[], exclude: (word: string) => boolean, keep?: CandidateFilter) {
    const byTier = new Map<number, DictionaryInput[]>();
    for (const d of dicts) {
      const list = byTier.get(d.tier) ?? [];
      list.push(d);
      byTier.set(d.tier, list);
    }
    let groups = 0;
    let ambiguous = 0;
    let excluded = 0;
    let filteredPairs = 0;
    const allWords = new Set<string>();
    const claimed = new Set<string>();
    for (const tier of [...byTier.keys()].sort((a, b) => a - b)) {
      // groups of this tier, each word deduplicated within its group
      const tierGroups: string[][] = [];
      for (const d of byTier.get(tier)!) for (const g of d.groups) tierGroups.push([...new Set(g)]);
      groups += tierGroups.length;
      const seen = new Map<string, number>();
      for (const g of tierGroups) for (const w of g) seen.set(w, (seen.get(w) ?? 0) + 1);
      const usable = (w: string) => seen.get(w) === 1 && !exclude(w);
      for (const [w, n] of seen) {
        allWords.add(w);
        if (n > 1) ambiguous++;
        else if (exclude(w)) excluded++;
      }
      for (const g of tierGroups) {
        const ok = g.filter(usable);
        for (const w of ok) {
          if (claimed.has(w)) continue; // an earlier tier decided
          let others = ok.filter((x) => x !== w);
          if (keep) {
            const n = others.length;
            others = others.filter((x) => keep(x, w, tier));
            filteredPairs += n - others.length;
          }
          if (others.length) this.map.set(w, others);
        }
      }
      for (const w of seen.keys()) claimed.add(w);
    }
    this.stats = { groups, words: allWords.size, ambiguous, excluded, replaceable: this.map.size, filteredPairs };
  }

  candidates(word: string): readonly string[] | undefined {
    return this.map.get(word);
  }
}
