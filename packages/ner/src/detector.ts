import { detectors, type Detector, type DetectorDefinition, type DetectContext, type PiiSpan } from '@scrubline/core';
import { join, isAbsolute } from 'node:path';
import { existsSync } from 'node:fs';
import { loadLexicons, DEFAULT_RULES_DIR, type Lexicons } from './lexicon.js';
import { jiebaSegmenter } from './segmenter.js';
import { ChinesePersonRecognizer } from './person-zh.js';
import { AddressRecognizer } from './address.js';
import { EnglishPersonRecognizer, OrgRecognizer } from './english.js';

export const NER_TYPES = ['PERSON', 'ADDRESS', 'ORG'] as const;
export type NerType = (typeof NER_TYPES)[number];

/**
 * Whether the pii stage should anonymise each NER type by default. ORG is a quasi-identifier that is
 * detected and reported, but brand and company names are the subject of customer service, not PII.
 */
export const NER_DEFAULT_ANONYMISE: Readonly<Record<NerType, boolean>> = Object.freeze({ PERSON: true, ADDRESS: true, ORG: false });

export interface NerOptions {
  /** Entity types to emit (default: all three). */
  types?: NerType[];
  /** Drop spans scored below this (default 0). */
  minScore?: number;
  /** Also emit bare province/city names as ADDRESS (rule `ner.address.place`, score 0.4); off by default. */
  places?: boolean;
  /** Use @node-rs/jieba segmentation/POS evidence (default true; falls back to lexicon-only when it cannot load). */
  segmenter?: boolean;
  /**
   * Also run the segmenter over the whole text and accept its 3+ character name tokens (nr/nrfg/nrt), e.g.
   * transliterated names in social-media text. Off by default: it costs throughput (≈ jieba's speed).
   */
  fullSegmentation?: boolean;
  /**
   * Emit CJK `@handles` of 2–4 characters as PERSON (rule `ner.person.mention`): Weibo-style social text, where handles are
   * usually people. Off by default: in customer-service chat `@` often names a brand account (the pii
   * package's HANDLE rule and its allow-list deal with those).
   */
  mentions?: boolean;
  /** Folder holding `ner/` lexicons (default: the repository's `rules/`). */
  rulesDir?: string;
}

const TYPE_PRIORITY: Record<string, number> = { ORG: 3, ADDRESS: 2, PERSON: 1 };

/** Longest span wins an overlap; equal lengths go to ORG (北京大学 after 在), then ADDRESS, then the higher score. */
export function resolveOverlaps(spans: PiiSpan[]): PiiSpan[] {
  const sorted = [...spans].sort(
    (a, b) =>
      b.end - b.start - (a.end - a.start) ||
      (TYPE_PRIORITY[b.type] ?? 0) - (TYPE_PRIORITY[a.type] ?? 0) ||
      b.score - a.score ||
      a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const s of sorted) {
    if (s.end <= s.start) continue;
    if (kept.some((k) => k.start < s.end && s.start < k.end)) continue;
    kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start || a.end - b.end);
}

export class NerDetector implements Detector {
  readonly name = 'ner';
  private readonly zh: ChinesePersonRecognizer;
  private readonly addr: AddressRecognizer;
  private readonly en: EnglishPersonRecognizer;
  private readonly org: OrgRecognizer;
  private readonly types: Set<string>;
  private readonly minScore: number;
  private readonly places: boolean;
  readonly segmenterLoaded: boolean;

  constructor(lex: Lexicons, options: NerOptions = {}) {
    const seg = options.segmenter === false ? null : jiebaSegmenter();
    this.segmenterLoaded = seg !== null;
    this.zh = new ChinesePersonRecognizer(lex, seg, options.fullSegmentation ?? false, options.mentions ?? false);
    this.addr = new AddressRecognizer(lex);
    this.en = new EnglishPersonRecognizer(lex);
    this.org = new OrgRecognizer(lex);
    this.types = new Set(options.types ?? NER_TYPES);
    this.minScore = options.minScore ?? 0;
    this.places = options.places ?? false;
  }

  detect(text: string, _ctx?: DetectContext): PiiSpan[] {
    if (!text) return [];
    const raw: PiiSpan[] = [];
    if (this.types.has('ADDRESS')) this.addr.detect(text, raw, this.places);
    if (this.types.has('ORG')) this.org.detect(text, raw);
    if (this.types.has('PERSON')) {
      this.zh.detect(text, raw);
      this.en.detect(text, raw);
    }
    return resolveOverlaps(raw.filter((s) => s.score >= this.minScore && this.types.has(s.type)));
  }
}

const lexiconCache = new Map<string, Lexicons>();
function cachedLexicons(rulesDir: string): Lexicons {
  let lex = lexiconCache.get(rulesDir);
  if (!lex) lexiconCache.set(rulesDir, (lex = loadLexicons(rulesDir)));
  return lex;
}

export function createNerDetector(options: NerOptions = {}): NerDetector {
  return new NerDetector(cachedLexicons(options.rulesDir ?? DEFAULT_RULES_DIR), options);
}

let defaultDetector: NerDetector | undefined;
/** Pure function over one text with the default lexicons and options (loads them once per process). */
export function detectEntities(text: string, ctx?: DetectContext): PiiSpan[] {
  defaultDetector ??= createNerDetector();
  return defaultDetector.detect(text, ctx);
}

export const nerDetectorDefinition: DetectorDefinition<NerOptions> & { anonymiseByDefault: Readonly<Record<NerType, boolean>> } = {
  name: 'ner',
  description: 'NER tier: Chinese/English person names (cues, titles, surname lexicon, jieba evidence), addresses (gazetteer + address grammar), organisations in affiliation context.',
  types: [...NER_TYPES],
  anonymiseByDefault: NER_DEFAULT_ANONYMISE,
  create(options, env) {
    const o = options ?? {};
    let rulesDir = o.rulesDir ? (isAbsolute(o.rulesDir) ? o.rulesDir : join(env.baseDir, o.rulesDir)) : env.rulesDir || DEFAULT_RULES_DIR;
    // A user's rules folder without ner/ lexicons falls back to the bundled ones.
    if (!o.rulesDir && !existsSync(join(rulesDir, 'ner'))) rulesDir = DEFAULT_RULES_DIR;
    const det = createNerDetector({ ...o, rulesDir });
    if (!det.segmenterLoaded && o.segmenter !== false) env.log.warn('ner: @node-rs/jieba could not be loaded; PERSON detection runs without segmentation evidence');
    return det;
  },
};

detectors.register(nerDetectorDefinition);
