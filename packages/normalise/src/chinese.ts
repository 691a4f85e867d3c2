import { Trie } from 'opencc-js/core';
import type { TriggerTable } from './scan.js';

/**
 * Traditional ↔ simplified conversion on top of opencc-js, loading only the dictionaries that the
 * chosen direction and variant need (lazily, by dynamic import of `opencc-js/dict/<Name>`).
 * The full `opencc-js` entry point pulls in ~1.2 MB of dictionaries (STPhrases alone is 1 MB); the
 * t→s direction needs ~70–100 KB.
 */
export type ChineseDirection = 't2s' | 's2t' | 'off';
/**
 * OpenCC locale of the traditional side: `t` OpenCC standard traditional (characters + a few
 * hundred phrases), `tw` / `hk` with regional glyph variants, `twp` / `hkp` with regional
 * vocabulary too (軟體 → 软件, 網路 → 网络 for t2s; the reverse for s2t).
 */
export type ChineseVariant = 't' | 'tw' | 'twp' | 'hk' | 'hkp';

export interface ChineseConverter {
  readonly direction: Exclude<ChineseDirection, 'off'>;
  readonly variant: ChineseVariant;
  /** Dictionaries that were loaded, in load order. */
  readonly dictionaries: readonly string[];
  /** Code points that this direction's character table changes (the fast-path test). */
  readonly trigger: TriggerTable;
  /** True when `text` holds at least one character that this direction's character table changes. */
  needsConversion(text: string): boolean;
  /** Converts without the fast path (phrase segmentation, then the conversion chain). */
  convert(text: string): string;
}

interface Plan {
  segmentation: string[];
  chain: string[][];
  /** Character tables whose keys mark a text as "needs conversion". */
  trigger: string[];
}

const COMPAT = 'CJK_Compatibility_Ideographs';

// Mirrors opencc-js 1.4.2's preset configs (t2cn / cn2t), so results equal `OpenCC.Converter({from, to})`.
function plan(direction: 't2s' | 's2t', variant: ChineseVariant): Plan {
  if (direction === 't2s') {
    const ts = ['TSPhrases', 'TSCharacters'];
    switch (variant) {
      case 't':
        return { segmentation: [], chain: [ts], trigger: ['TSCharacters'] };
      case 'tw':
        return { segmentation: ['TSPhrases'], chain: [['TWVariantsRevPhrases', 'TWVariantsRev'], ts], trigger: ['TSCharacters'] };
      case 'twp':
        return { segmentation: ['TSPhrases'], chain: [['TWPhrasesRev', 'TWVariantsRevPhrases', 'TWVariantsRev'], ts], trigger: ['TSCharacters'] };
      case 'hk':
        return { segmentation: ['TSPhrases'], chain: [['HKVariantsRevPhrases', 'HKVariantsRev'], ts], trigger: ['TSCharacters'] };
      case 'hkp':
        return { segmentation: ['TSPhrases'], chain: [['HKPhrasesRev', 'HKVariantsRevPhrases', 'HKVariantsRev'], ts], trigger: ['TSCharacters'] };
    }
  }
  const st = ['STPhrases', 'STPhrases_GeneratedFromRegionalPhrases', 'STCharacters'];
  const seg = ['STPhrases', 'STPhrases_GeneratedFromRegionalPhrases'];
  switch (variant) {
    case 't':
      return { segmentation: [], chain: [st], trigger: ['STCharacters'] };
    case 'tw':
      return { segmentation: seg, chain: [st, ['TWVariantsPhrases', 'TWVariants']], trigger: ['STCharacters'] };
    case 'twp':
      return { segmentation: seg, chain: [st, ['TWPhrases', 'TWVariantsPhrases', 'TWVariants']], trigger: ['STCharacters'] };
    case 'hk':
      return { segmentation: seg, chain: [st, ['HKVariantsPhrases', 'HKVariants']], trigger: ['STCharacters'] };
    case 'hkp':
      return { segmentation: seg, chain: [st, ['HKPhrases', 'HKVariantsPhrases', 'HKVariants']], trigger: ['STCharacters'] };
  }
}

const dictCache = new Map<string, Promise<string>>();

function loadDict(name: string): Promise<string> {
  let p = dictCache.get(name);
  if (!p) {
    p = import(`opencc-js/dict/${name}`).then((m: { default: string }) => m.default);
    dictCache.set(name, p);
  }
  return p;
}

const converterCache = new Map<string, Promise<ChineseConverter>>();

/** Loads (once per process) the dictionaries for `direction` + `variant` and builds the converter. */
export function loadChineseConverter(direction: 't2s' | 's2t', variant: ChineseVariant = 't'): Promise<ChineseConverter> {
  const key = `${direction}:${variant}`;
  let p = converterCache.get(key);
  if (!p) {
    p = build(direction, variant);
    converterCache.set(key, p);
    p.catch(() => converterCache.delete(key));
  }
  return p;
}

async function build(direction: 't2s' | 's2t', variant: ChineseVariant): Promise<ChineseConverter> {
  const pl = plan(direction, variant);
  const names = [...new Set([COMPAT, ...pl.segmentation, ...pl.chain.flat(), ...pl.trigger])];
  const dicts = new Map<string, string>();
  for (const [i, text] of (await Promise.all(names.map(loadDict))).entries()) dicts.set(names[i], text);

  // opencc-js's own tries: for s2t (its 50 000-phrase table walks faster as a tree), and for any
  // text holding an Ideographic Description Sequence (U+2FF0–U+2FFF), which opencc-js treats as
  // one unit and FastTrie does not. Built on first use.
  let reference: ((text: string) => string) | null = null;
  const referenceConvert = (text: string): string => {
    if (!reference) {
      const group = (list: string[]): Trie => {
        const t = new Trie();
        t.loadDictGroup(list.map((n) => dicts.get(n)!));
        return t;
      };
      const rc = group([COMPAT]);
      const rs = pl.segmentation.length ? group(pl.segmentation) : null;
      const rch = pl.chain.map(group);
      reference = (s: string) => {
        const n = rc.convert(s);
        const segs = rs ? rs.segment(n) : [n];
        return segs.map((seg) => rch.reduce((acc, t) => t.convert(acc), seg)).join('');
      };
    }
    return reference(text);
  };

  // t2s: FastTrie, the same conversion about 3× faster on STC-3 (bench/normalise-t2s.mjs checks equality).
  const fast = (list: string[]): FastTrie => new FastTrie(list.map((n) => dicts.get(n)!));
  const compat = direction === 't2s' ? fast([COMPAT]) : null;
  const segmentation = direction === 't2s' && pl.segmentation.length ? fast(pl.segmentation) : null;
  const chain = direction === 't2s' ? pl.chain.map(fast) : [];
  if (direction === 's2t') referenceConvert('');

  // Bitmap of code points (BMP and beyond, by code point) whose character entry changes them.
  const trigger = new Set<number>();
  const bmp = new Uint8Array(0x10000);
  for (const n of [COMPAT, ...pl.trigger]) {
    for (const entry of dicts.get(n)!.split('|')) {
      const sp = entry.indexOf(' ');
      const from = entry.slice(0, sp);
      const to = entry.slice(sp + 1).split(' ')[0];
      if (from === to) continue;
      const cp = from.codePointAt(0)!;
      if (cp < 0x10000) bmp[cp] = 1;
      else trigger.add(cp);
    }
  }

  const needsConversion = (text: string): boolean => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x3400) continue;
      if (c >= 0xd800 && c <= 0xdbff) {
        const cp = text.codePointAt(i)!;
        if (cp > 0xffff) {
          if (trigger.has(cp)) return true;
          i++;
          continue;
        }
      }
      if (bmp[c] === 1) return true;
    }
    return false;
  };

  const convert = (text: string): string => {
    if (compat === null || IDS.test(text)) return referenceConvert(text);
    const normalised = compat.convert(text);
    if (!segmentation) {
      let out = normalised;
      for (const t of chain) out = t.convert(out);
      return out;
    }
    let out = '';
    for (let seg of segmentation.segment(normalised)) {
      for (const t of chain) seg = t.convert(seg);
      out += seg;
    }
    return out;
  };

  return { direction, variant, dictionaries: names, trigger: { bmp, astral: trigger }, needsConversion, convert };
}

const IDS = /[\u2ff0-\u2fff]/;

/**
 * The same longest-match conversion as opencc-js's `Trie` (same dictionaries, same priority: the
 * first dictionary of a group wins on equal keys), built for speed: a table of one-unit keys, a hash
 * map of longer keys, per first UTF-16 unit a bit set of the key lengths that start with it, and a
 * set of the first two units of longer keys, instead of a tree of Maps walked code point by code
 * point with an object per match. Equality with opencc-js is checked in the tests and by
 * bench/normalise-t2s.mjs.
 */
export class FastTrie {
  /** Keys of two or more UTF-16 units. */
  private readonly map = new Map<string, string>();
  /** Replacement of each one-unit key, by code unit. */
  private readonly single: (string | undefined)[] = new Array(0x10000);
  /** Per first code unit: bit k set when a key of k + 1 units starts with it (keys ≤ 32 units). */
  private readonly lengths = new Uint32Array(0x10000);
  /** First two code units of every longer key (c0 * 65536 + c1): most positions fail here, early. */
  private readonly pairs = new Set<number>();

  constructor(group: readonly string[]) {
    // Later dictionaries first, so that earlier ones overwrite them (as opencc-js's loadDictGroup).
    for (const dict of [...group].reverse()) {
      if (!dict) continue;
      for (const entry of dict.split('|')) {
        const sp = entry.indexOf(' ');
        if (sp <= 0) continue;
        if (sp > 32) throw new Error(`opencc dictionary key longer than 32 code units: ${entry.slice(0, 40)}`);
        const key = entry.slice(0, sp);
        const rest = entry.slice(sp + 1);
        const sp2 = rest.indexOf(' ');
        const value = sp2 < 0 ? rest : rest.slice(0, sp2);
        const f = key.charCodeAt(0);
        if (key.length === 1) this.single[f] = value;
        else {
          this.map.set(key, value);
          this.pairs.add(f * 0x10000 + key.charCodeAt(1));
        }
        this.lengths[f] |= 1 << (key.length - 1);
      }
    }
  }

  /** Replacement found by the last `longest` call. */
  private found = '';

  /** End of the longest key of two or more units at `i` (its value in `found`), or -1. */
  private longest(s: string, i: number, mask: number): number {
    const room = s.length - i;
    if (room < 32) mask &= (1 << room) - 1;
    mask &= ~1;
    if (mask === 0 || !this.pairs.has(s.charCodeAt(i) * 0x10000 + s.charCodeAt(i + 1))) return -1;
    while (mask !== 0) {
      const len = 32 - Math.clz32(mask);
      mask &= ~(1 << (len - 1));
      const v = this.map.get(s.substring(i, i + len));
      if (v !== undefined) {
        this.found = v;
        return i + len;
      }
    }
    return -1;
  }

  /** Longest match at `i`: [end, replacement] or null. */
  private match(s: string, i: number): [number, string] | null {
    const f = s.charCodeAt(i);
    const mask = this.lengths[f];
    if (mask === 0) return null;
    if (mask !== 1) {
      const end = this.longest(s, i, mask);
      if (end > 0) return [end, this.found];
    }
    const one = this.single[f];
    return one === undefined ? null : [i + 1, one];
  }

  convert(s: string): string {
    const n = s.length;
    let out = '';
    let last = 0;
    for (let i = 0; i < n; ) {
      const f = s.charCodeAt(i);
      const mask = this.lengths[f];
      if (mask !== 0) {
        let end = mask === 1 ? -1 : this.longest(s, i, mask);
        let v = this.found;
        if (end < 0) {
          const one = this.single[f];
          if (one !== undefined) {
            // A one-unit key that maps to itself changes nothing: step over it like unmatched text.
            if (one.length === 1 && one.charCodeAt(0) === f) {
              i++;
              continue;
            }
            end = i + 1;
            v = one;
          }
        }
        if (end > 0) {
          if (i > last) out += s.slice(last, i);
          out += v;
          i = last = end;
          continue;
        }
      }
      i += f >= 0xd800 && f <= 0xdbff ? codeUnits(s, i) : 1;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  /** opencc-js `Trie.segment`: each match is a segment; runs of unmatched text are one segment. */
  segment(s: string): string[] {
    const n = s.length;
    const out: string[] = [];
    let orig = -1;
    for (let i = 0; i < n; ) {
      const m = this.lengths[s.charCodeAt(i)] !== 0 ? this.match(s, i) : null;
      if (m !== null) {
        if (orig >= 0) {
          out.push(s.slice(orig, i));
          orig = -1;
        }
        out.push(s.slice(i, m[0]));
        i = m[0];
      } else {
        if (orig < 0) orig = i;
        i += codeUnits(s, i);
      }
    }
    if (orig >= 0) out.push(s.slice(orig));
    return out;
  }
}

function codeUnits(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}
