import { Trie } from 'opencc-js/core';

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

  const group = (list: string[]): Trie => {
    const t = new Trie();
    // Earlier dictionaries in a group win (opencc-js loads a group in reverse order).
    t.loadDictGroup(list.map((n) => dicts.get(n)!));
    return t;
  };
  const compat = group([COMPAT]);
  const segmentation = pl.segmentation.length ? group(pl.segmentation) : null;
  const chain = pl.chain.map(group);

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
    const normalised = compat.convert(text);
    const segments = segmentation ? segmentation.segment(normalised) : [normalised];
    let out = '';
    for (let s of segments) {
      for (const t of chain) s = t.convert(s);
      out += s;
    }
    return out;
  };

  return { direction, variant, dictionaries: names, needsConversion, convert };
}
