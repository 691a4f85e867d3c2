import type { ConversationRecord, Role } from '@scrubline/core';
import type { SynonymIndex } from './dict.js';

/** Splits a text into words (jieba in the stage; any function in tests). Must return pieces that concatenate to the text. */
export type Tokenizer = (text: string) => string[];

export interface AugmentRates {
  /** Probability that a word with synonyms is replaced by one of them. */
  replaceRate: number;
  /** Probability that an eligible word (not replaced) becomes `maskToken`. */
  maskRate: number;
  /** Probability that an eligible word (not replaced, not masked) is dropped. */
  dropRate: number;
  maskToken: string;
}

export interface Protection {
  /** Spans never touched nor tokenized: PII placeholders such as `[PHONE_1]`, `[订单x]`. Must be a global regex. */
  placeholder: RegExp;
  /** Negators and contrast markers: never replaced, masked or dropped. */
  negators: ReadonlySet<string>;
  /** Stop words: never replaced, masked or dropped (never used to delete words). */
  words: ReadonlySet<string>;
  /** A word starting with one of these characters is a negation (不想, 没有, 别再) and is protected. */
  negatorPrefixes: string;
  /** Words after a negation that are protected too (不|满意: 满意 stays, or the meaning flips). */
  negationScope: number;
}

export interface OpCounts {
  replaced: number;
  masked: number;
  dropped: number;
}

const HAS_WORD_CHAR = /[\p{L}]/u;

export function isNegation(word: string, p: Protection): boolean {
  return p.negators.has(word) || (p.negatorPrefixes.length > 0 && p.negatorPrefixes.includes(word[0]));
}

/** Pieces of `text`: placeholders as protected pieces, the rest as plain text. */
export function segment(text: string, placeholder: RegExp): { text: string; protected: boolean }[] {
  const out: { text: string; protected: boolean }[] = [];
  let last = 0;
  placeholder.lastIndex = 0;
  for (let m = placeholder.exec(text); m; m = placeholder.exec(text)) {
    if (m[0].length === 0) {
      placeholder.lastIndex++;
      continue;
    }
    if (m.index > last) out.push({ text: text.slice(last, m.index), protected: false });
    out.push({ text: m[0], protected: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), protected: false });
  return out;
}

/** A text cut once into pieces: placeholders and words (by the tokenizer), reused by every variant. */
export interface PreparedText {
  text: string;
  pieces: { text: string; placeholder: boolean }[];
}

export function prepareText(text: string, tokenize: Tokenizer, placeholder: RegExp): PreparedText {
  const pieces: PreparedText['pieces'] = [];
  for (const seg of segment(text, placeholder)) {
    if (seg.protected) {
      pieces.push({ text: seg.text, placeholder: true });
      continue;
    }
    const words = tokenize(seg.text);
    // a tokenizer that loses characters: keep the piece whole and untouched
    if (words.join('') !== seg.text) pieces.push({ text: seg.text, placeholder: true });
    else for (const w of words) pieces.push({ text: w, placeholder: false });
  }
  return { text, pieces };
}

/**
 * One augmented version of a prepared text. Placeholders and protected words
 * stay as they are, and so do the `negationScope` words after a negation
 * (不|满意); every other word is replaced by a synonym (replaceRate, when it
 * has one), else masked (maskRate), else dropped (dropRate). A text that would
 * be left empty is kept as it was.
 */
export function augmentPrepared(
  prepared: PreparedText,
  index: SynonymIndex,
  protection: Protection,
  rates: AugmentRates,
  rnd: () => number,
  counts: OpCounts,
): string {
  let out = '';
  const local: OpCounts = { replaced: 0, masked: 0, dropped: 0 };
  let scope = 0; // words still inside a negation's scope
  for (const { text: w, placeholder } of prepared.pieces) {
    if (placeholder) {
      out += w;
      continue;
    }
    if (!HAS_WORD_CHAR.test(w)) {
      // punctuation ends a negation's scope; spaces and digits do not
      if (/[\p{P}]/u.test(w)) scope = 0;
      out += w;
      continue;
    }
    if (isNegation(w, protection)) {
      scope = protection.negationScope;
      out += w;
      continue;
    }
    if (scope > 0) {
      scope--;
      out += w;
      continue;
    }
    if (protection.words.has(w)) {
      out += w;
      continue;
    }
    const syn = index.candidates(w);
    if (syn && rates.replaceRate > 0 && rnd() < rates.replaceRate) {
      out += syn[Math.floor(rnd() * syn.length)];
      local.replaced++;
      continue;
    }
    if (rates.maskRate + rates.dropRate > 0) {
      const r = rnd();
      if (r < rates.maskRate) {
        out += rates.maskToken;
        local.masked++;
        continue;
      }
      if (r < rates.maskRate + rates.dropRate) {
        local.dropped++;
        continue;
      }
    }
    out += w;
  }
  if (out.trim() === '' && prepared.text.trim() !== '') return prepared.text;
  counts.replaced += local.replaced;
  counts.masked += local.masked;
  counts.dropped += local.dropped;
  return out;
}

export interface VariantOptions extends AugmentRates {
  variants: number;
  roles: readonly Role[];
}

/**
 * Up to `variants` augmented copies of a record, ids `<id>#aug<k>` (k = 1..N),
 * `meta.augmented = true`. Labels, roles, timestamps and every other field are
 * copied as they are. A variant equal to the record or to an earlier variant is
 * not emitted (its k is skipped). `rng(k)` gives the random stream of variant k.
 */
export function augmentRecord(
  record: ConversationRecord,
  o: VariantOptions,
  tokenize: Tokenizer,
  index: SynonymIndex,
  protection: Protection,
  rng: (k: number) => () => number,
): { variants: ConversationRecord[]; unchanged: number; ops: OpCounts } {
  const ops: OpCounts = { replaced: 0, masked: 0, dropped: 0 };
  const seen = new Set<string>([JSON.stringify(record.turns.map((t) => t.text))]);
  const variants: ConversationRecord[] = [];
  let unchanged = 0;
  const prepared = o.variants > 0 ? record.turns.map((t) => (o.roles.includes(t.role) ? prepareText(t.text, tokenize, protection.placeholder) : null)) : [];
  for (let k = 1; k <= o.variants; k++) {
    const rnd = rng(k);
    const vOps: OpCounts = { replaced: 0, masked: 0, dropped: 0 };
    const texts = record.turns.map((t, i) => (prepared[i] ? augmentPrepared(prepared[i]!, index, protection, o, rnd, vOps) : t.text));
    const key = JSON.stringify(texts);
    if (seen.has(key)) {
      unchanged++;
      continue;
    }
    seen.add(key);
    const v = structuredClone(record);
    v.id = `${record.id}#aug${k}`;
    v.turns.forEach((t, i) => (t.text = texts[i]));
    v.meta = { ...v.meta, augmented: true, augmentedFrom: record.id, augmentOps: vOps };
    variants.push(v);
    ops.replaced += vOps.replaced;
    ops.masked += vOps.masked;
    ops.dropped += vOps.dropped;
  }
  return { variants, unchanged, ops };
}
