import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { defineStage, ScrubError, seededRandom, type Role, type ScrublinePlugin, type Stage } from '@scrubline/core';
import { expandTrain } from '@scrubline/split';
import { augmentRecord, isNegation, type Protection, type Tokenizer } from './augment.js';
import { decodeDictionary, detectFormat, parseCilin, parseList, SynonymIndex, type CandidateFilter, type DictEncoding, type DictFormat, type DictionaryInput } from './dict.js';
import { jiebaFrequencies, loadJieba } from './jieba.js';

export * from './augment.js';
export * from './dict.js';
export { jiebaFrequencies, loadJieba } from './jieba.js';

export interface DictionarySpec {
  path: string;
  encoding?: DictEncoding;
  format?: DictFormat;
}

export interface AugmentOptions {
  /** Variants per train record (at most; a variant equal to the record or an earlier one is not emitted). */
  variants: number;
  replaceRate: number;
  maskRate: number;
  dropRate: number;
  maskToken: string;
  /** General synonym dictionaries (Cilin format or plain lists), relative to the pipeline folder. */
  dictionaries: (string | DictionarySpec)[];
  /** Use rules/augment/cs-synonyms.txt (takes precedence over `dictionaries`). */
  csSynonyms: boolean;
  /** More protected-word lists (one word per line, UTF-8), relative to the pipeline folder; rules/augment/negators.txt and stopwords.txt always apply. */
  protectFiles: string[];
  negatorPrefixes: string;
  /** Words after a negator that are protected too (不|满意). */
  negationScope: number;
  /** General dictionaries only: a candidate rarer than this in jieba's dictionary is not used (Cilin has many archaic words). */
  minCandidateFreq: number;
  /** General dictionaries only: a candidate must be at least this share as frequent as the word it replaces. */
  candidateFreqRatio: number;
  /** Words shorter than this (in characters) are neither replaced nor used as replacements. */
  minWordLength: number;
  /** Turn roles that are augmented. */
  roles: Role[];
  /** Regex (source) of spans never touched: PII placeholders. */
  protectPattern: string;
  /** jieba HMM for unknown words. */
  hmm: boolean;
}

export const DEFAULT_PROTECT_PATTERN = String.raw`\[[^\[\]\r\n]{1,40}\]|#E-[A-Za-z]+|<[A-Z][A-Z0-9_]*>|https?://\S+`;

export const augmentStage = defineStage<AugmentOptions>({
  name: 'augment',
  description: 'Train-only augmentation: N variants per record by synonym replacement (Cilin-format dictionaries + a customer-service list), masking and dropping of jieba words; placeholders, negators and labels untouched.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      variants: { description: 'variants per train record (at most)', type: 'integer', minimum: 0, maximum: 100, default: 2 },
      replaceRate: { description: 'probability of replacing a word that has synonyms', type: 'number', minimum: 0, maximum: 1, default: 0.3 },
      maskRate: { description: 'probability of masking an eligible word', type: 'number', minimum: 0, maximum: 1, default: 0 },
      dropRate: { description: 'probability of dropping an eligible word', type: 'number', minimum: 0, maximum: 1, default: 0 },
      maskToken: { description: 'text that replaces a masked word', type: 'string', default: '[MASK]' },
      dictionaries: {
        description: 'Cilin-format or list synonym files: path or {path, encoding: utf-8|gbk, format}',
        type: 'array',
        default: [],
        items: {
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: {
                path: { type: 'string', minLength: 1 },
                encoding: { enum: ['utf-8', 'gbk', 'gb18030'], default: 'utf-8' },
                format: { enum: ['auto', 'cilin', 'list'], default: 'auto' },
              },
            },
          ],
        },
      },
      csSynonyms: { description: 'use rules/augment/cs-synonyms.txt (wins over dictionaries)', type: 'boolean', default: true },
      protectFiles: { description: 'more protected-word lists (one word a line)', type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      negatorPrefixes: { description: 'words starting with one of these characters are negations', type: 'string', default: '不没别未无非莫勿甭' },
      negationScope: { description: 'words after a negation that stay untouched', type: 'integer', minimum: 0, maximum: 10, default: 1 },
      minCandidateFreq: { description: 'general dictionaries: skip candidates rarer than this in jieba\'s dictionary', type: 'integer', minimum: 0, default: 100 },
      candidateFreqRatio: { description: 'general dictionaries: a candidate must be this share as frequent as the word', type: 'number', minimum: 0, default: 0.05 },
      minWordLength: { description: 'shorter words are neither replaced nor replacements', type: 'integer', minimum: 1, default: 2 },
      roles: { description: 'turn roles to augment', type: 'array', items: { enum: ['customer', 'agent', 'bot', 'system'] }, default: ['customer', 'agent'] },
      protectPattern: { description: 'regex of spans never touched (PII placeholders)', type: 'string', minLength: 1, default: DEFAULT_PROTECT_PATTERN },
      hmm: { description: 'jieba HMM for unknown words', type: 'boolean', default: false },
    },
  },
  example: {
    variants: 2,
    replaceRate: 0.3,
    maskRate: 0.05,
    dropRate: 0.05,
    maskToken: '[MASK]',
    dictionaries: [{ path: '../shared/dict/cilin_ex_hit_gbk_crlf.txt', encoding: 'gbk', format: 'cilin' }],
    csSynonyms: true,
    protectFiles: [],
    negatorPrefixes: '不没别未无非莫勿甭',
    negationScope: 1,
    minCandidateFreq: 100,
    candidateFreqRatio: 0.05,
    minWordLength: 2,
    roles: ['customer', 'agent'],
    protectPattern: DEFAULT_PROTECT_PATTERN,
    hmm: false,
  },
  create: (o, env) => createAugment(o, { seed: env.seed, baseDir: env.baseDir, rulesDir: env.rulesDir }),
});

function readText(path: string, encoding: DictEncoding, shown: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'a file of the augment stage cannot be read', { file: shown }, { cause: e });
  }
  return decodeDictionary(bytes, encoding, shown);
}

function wordList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export interface AugmentResources {
  index: SynonymIndex;
  protection: Protection;
  /** Words of the customer-service list (added to jieba's dictionary). */
  domainWords: string[];
  dictionaries: { name: string; groups: number; skipped?: Record<string, number> }[];
}

/** Loads dictionaries and protected words as the stage does (exported for tools and tests). */
export function loadResources(o: AugmentOptions, paths: { baseDir: string; rulesDir: string }): AugmentResources {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(paths.baseDir, p));
  const negators = new Set(wordList(readText(join(paths.rulesDir, 'augment', 'negators.txt'), 'utf-8', 'rules/augment/negators.txt')));
  const protectedWords = new Set(wordList(readText(join(paths.rulesDir, 'augment', 'stopwords.txt'), 'utf-8', 'rules/augment/stopwords.txt')));
  for (const f of o.protectFiles) for (const w of wordList(readText(abs(f), 'utf-8', f))) protectedWords.add(w);
  let placeholder: RegExp;
  try {
    placeholder = new RegExp(o.protectPattern, 'gu');
  } catch (e) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', 'protectPattern is not a valid regular expression', { field: 'protectPattern' }, { cause: e });
  }
  const protection: Protection = { placeholder, negators, words: protectedWords, negatorPrefixes: o.negatorPrefixes, negationScope: o.negationScope };
  const exclude = (w: string) => [...w].length < o.minWordLength || protectedWords.has(w) || isNegation(w, protection);
  const dicts: DictionaryInput[] = [];
  const info: AugmentResources['dictionaries'] = [];
  let domainWords: string[] = [];
  if (o.csSynonyms) {
    const groups = parseList(readText(join(paths.rulesDir, 'augment', 'cs-synonyms.txt'), 'utf-8', 'rules/augment/cs-synonyms.txt'));
    dicts.push({ name: 'rules/augment/cs-synonyms.txt', groups, tier: 0 });
    info.push({ name: 'rules/augment/cs-synonyms.txt', groups: groups.length });
    domainWords = [...new Set(groups.flat())];
  }
  for (const d of o.dictionaries) {
    const spec: DictionarySpec = typeof d === 'string' ? { path: d } : d;
    const text = readText(abs(spec.path), spec.encoding ?? 'utf-8', spec.path);
    const format = !spec.format || spec.format === 'auto' ? detectFormat(text) : spec.format;
    if (format === 'cilin') {
      const { groups, skipped } = parseCilin(text);
      dicts.push({ name: spec.path, groups, tier: 1 });
      info.push({ name: spec.path, groups: groups.length, skipped });
    } else {
      const groups = parseList(text);
      dicts.push({ name: spec.path, groups, tier: 1 });
      info.push({ name: spec.path, groups: groups.length });
    }
  }
  let keep: CandidateFilter | undefined;
  if (dicts.some((d) => d.tier > 0) && (o.minCandidateFreq > 0 || o.candidateFreqRatio > 0)) {
    const needed = new Set<string>();
    for (const d of dicts) if (d.tier > 0) for (const g of d.groups) for (const w of g) needed.add(w);
    const freq = jiebaFrequencies(needed);
    keep = (cand, word, tier) => {
      if (tier === 0) return true; // the customer-service list is curated
      const fc = freq.get(cand) ?? 0;
      return fc >= o.minCandidateFreq && fc >= o.candidateFreqRatio * (freq.get(word) ?? 0);
    };
  }
  return { index: new SynonymIndex(dicts, exclude, keep), protection, domainWords, dictionaries: info };
}

export function createAugment(o: AugmentOptions, env: { seed: string; baseDir: string; rulesDir: string }, tokenizer?: Tokenizer): Stage {
  const t0 = performance.now();
  const res = loadResources(o, env);
  const dictMs = performance.now() - t0;
  // jieba loads on the first batch, so that `scrubline plan` and option checks stay fast
  let tokenize: Tokenizer | undefined = tokenizer;
  let jiebaLoadMs: number | null = null;
  const tok: Tokenizer = (text) => {
    if (!tokenize) {
      const j = loadJieba(res.domainWords, o.hmm);
      tokenize = j.tokenize;
      jiebaLoadMs = j.loadMs;
    }
    return tokenize(text);
  };
  const totals = { augmented: 0, variants: 0, unchanged: 0, replaced: 0, masked: 0, dropped: 0 };
  return {
    apply: (batch, ctx) =>
      expandTrain(batch, ctx.report, (r) => {
        if (r.meta.augmented === true) {
          ctx.report.count('already-augmented');
          return [];
        }
        const res2 = augmentRecord(r, o, tok, res.index, res.protection, (k) => seededRandom(ctx.seed, `augment\u0000${r.id}\u0000${k}`));
        totals.augmented++;
        totals.variants += res2.variants.length;
        totals.unchanged += res2.unchanged;
        totals.replaced += res2.ops.replaced;
        totals.masked += res2.ops.masked;
        totals.dropped += res2.ops.dropped;
        ctx.report.count('records.augmented');
        ctx.report.count('variants', res2.variants.length);
        if (res2.unchanged) ctx.report.count('variants.unchanged', res2.unchanged);
        ctx.report.count('words.replaced', res2.ops.replaced);
        ctx.report.count('words.masked', res2.ops.masked);
        ctx.report.count('words.dropped', res2.ops.dropped);
        return res2.variants;
      }),
    summary: () => ({
      options: { variants: o.variants, replaceRate: o.replaceRate, maskRate: o.maskRate, dropRate: o.dropRate, minWordLength: o.minWordLength, roles: o.roles },
      dictionaries: res.dictionaries,
      index: res.index.stats,
      protectedWords: res.protection.words.size + res.protection.negators.size,
      dictionaryLoadMs: Math.round(dictMs),
      jiebaLoadMs: jiebaLoadMs === null ? null : Math.round(jiebaLoadMs),
      totals,
    }),
  };
}

export const augmentPlugin: ScrublinePlugin = { name: 'augment', stages: [augmentStage] };
