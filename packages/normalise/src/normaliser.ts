import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOptions, ScrubError, type ConversationRecord, type Turn } from '@scrubline/core';
import { loadChineseConverter, type ChineseConverter } from './chinese.js';
import { handleEmoticons, readEmoticonLexicon, type EmoticonLexicon } from './emoticons.js';
import { classify, langStats, type Lang, type LangStats } from './lang.js';
import { DEFAULT_OPTIONS, optionsSchema, type NormaliseOptions } from './options.js';
import { HAS_NOISE, NEED_CHINESE, NEED_EMOTICONS, NEED_FULLWIDTH, NEED_NFC, NEED_SPACES, NEED_WHITESPACE, NEED_ZERO_WIDTH, scanText, type ScanResult } from './scan.js';
import { collapseWhitespace, countDiff, halfWidth, nfc, normaliseSpaces, removeZeroWidth } from './text.js';

/** Step names, in the order they run. */
export const STEPS = ['nfc', 'zeroWidth', 'spaces', 'fullwidth', 'chinese', 'emoticons', 'emoji', 'whitespace'] as const;
export type StepName = (typeof STEPS)[number];

/** What one call changed: characters per step, emoticons/emoji found, turns touched. */
export interface NormaliseCounts {
  /** Characters changed (for `whitespace`: runs rewritten; `emoticons`/`emoji`: occurrences found). */
  steps: Record<StepName, number>;
  /** Turns (texts) that a step changed. */
  turns: Record<StepName, number>;
  /** Conversations passed through without script conversion (no character to convert). */
  chineseFastPath: number;
  /** Conversations in which at least one turn went through the converter. */
  chineseConverted: number;
}

export function emptyCounts(): NormaliseCounts {
  const z = (): Record<StepName, number> => ({ nfc: 0, zeroWidth: 0, spaces: 0, fullwidth: 0, chinese: 0, emoticons: 0, emoji: 0, whitespace: 0 });
  return { steps: z(), turns: z(), chineseFastPath: 0, chineseConverted: 0 };
}

export interface TurnChange {
  turn: number;
  before: string;
  after: string;
  steps: StepName[];
}

export interface ConversationResult {
  record: ConversationRecord;
  lang?: Lang;
  /** Turns empty after normalisation (whatever the policy did with them). */
  emptyTurns: number;
  /** Of those, turns that had text before normalisation (emptied by emoticon/emoji removal). */
  emptied: number;
  /** Turns removed (`emptyTurns: drop`). */
  droppedTurns: number;
  /** Kept turns whose text changed (markers included). */
  changedTurns: number;
  changes: TurnChange[];
}

export interface NormaliserEnv {
  /** Folder that `emoticonLexicon` / `emojiNames` resolve against (default: this repository's `rules/`). */
  rulesDir?: string;
  /** Folder that `./…` paths resolve against (default: the cwd). */
  baseDir?: string;
}


export interface Normaliser {
  readonly options: Readonly<NormaliseOptions>;
  readonly converter: ChineseConverter | null;
  readonly lexicon: EmoticonLexicon;
  /** Normalises one text (its own "conversation" for the fast path). */
  text(text: string, counts?: NormaliseCounts): string;
  /**
   * Normalises every turn of a conversation, applies the empty-turn policy, detects the language.
   * Returns a new record (the input is not changed). With `trackChanges`, lists the changed turns.
   */
  conversation(record: ConversationRecord, counts?: NormaliseCounts, trackChanges?: boolean): ConversationResult;
}

/** The repository's `rules/` folder, from this file's place (packages/normalise/{src,dist}/). */
export function defaultRulesDir(): string {
  return fileURLToPath(new URL('../../../rules/', import.meta.url));
}

export function resolveRulePath(path: string, env: NormaliserEnv): string {
  if (isAbsolute(path)) return path;
  if (path.startsWith('./') || path.startsWith('../')) return resolve(env.baseDir ?? process.cwd(), path);
  return resolve(env.rulesDir ?? defaultRulesDir(), path);
}

/** Validates options (filling defaults), loads the lexicon and the converter's dictionaries. */
export async function createNormaliser(options: Partial<NormaliseOptions> = {}, env: NormaliserEnv = {}): Promise<Normaliser> {
  const opts = { ...options } as NormaliseOptions;
  assertOptions(optionsSchema, opts, 'normalise');
  const lexPath = resolveRulePath(opts.emoticonLexicon, env);
  const emojiPath = resolveRulePath(opts.emojiNames, env);
  for (const [field, p] of [['emoticonLexicon', lexPath], ['emojiNames', emojiPath]] as const) {
    if (!existsSync(p)) {
      throw new ScrubError('SCRUB_CONFIG_INVALID', `${field} file not found: ${p}`, {
        field: `normalise.${field}`,
        hint: 'relative paths resolve against the rules folder (--rules-dir), ./paths against the pipeline folder',
      });
    }
  }
  const lexicon = readEmoticonLexicon(lexPath, emojiPath);
  const converter = opts.chinese === 'off' ? null : await loadChineseConverter(opts.chinese, opts.chineseVariant);
  return new NormaliserImpl(opts, lexicon, converter);
}

class NormaliserImpl implements Normaliser {
  constructor(
    readonly options: NormaliseOptions,
    readonly lexicon: EmoticonLexicon,
    readonly converter: ChineseConverter | null,
  ) {}

  /**
   * One text through every step. `convert` says whether script conversion may run (the
   * conversation was not fast-pathed); `scan` is the text's pre-scan (see scan.ts): a step whose
   * flag is not set cannot change the text and is skipped.
   */
  private run(text: string, scan: ScanResult, convert: boolean, counts: NormaliseCounts, fired: StepName[] | null): { text: string; stats: LangStats | null } {
    const o = this.options;
    let flags = scan.flags;
    let t = text;
    const step = (name: StepName, r: { text: string; changes: number }) => {
      if (r.changes > 0) {
        counts.steps[name] += r.changes;
        counts.turns[name]++;
        fired?.push(name);
        // A removed or replaced character can leave double spaces or build a bracket code.
        flags |= NEED_WHITESPACE | NEED_EMOTICONS | HAS_NOISE;
      }
      t = r.text;
    };
    if (o.nfc && flags & NEED_NFC) step('nfc', nfc(t));
    if (o.zeroWidth && flags & NEED_ZERO_WIDTH) step('zeroWidth', removeZeroWidth(t));
    if (o.spaces && flags & NEED_SPACES) step('spaces', normaliseSpaces(t));
    if (o.fullwidth && flags & NEED_FULLWIDTH) step('fullwidth', halfWidth(t, o.fullwidthPunctuation));
    if (convert && this.converter && flags & NEED_CHINESE) {
      const out = this.converter.convert(t);
      const n = countDiff(t, out);
      if (n > 0) {
        counts.steps.chinese += n;
        counts.turns.chinese++;
        fired?.push('chinese');
      }
      t = out;
    }
    if (flags & NEED_EMOTICONS) {
      const r = handleEmoticons(t, this.lexicon, o.emoticons, o.emoji, o.emoticonFormat, o.emojiFormat);
      if (r.emoticons) {
        counts.steps.emoticons += r.emoticons;
        counts.turns.emoticons++;
        if (o.emoticons !== 'keep') fired?.push('emoticons');
      }
      if (r.emoji) {
        counts.steps.emoji += r.emoji;
        counts.turns.emoji++;
        if (o.emoji !== 'keep') fired?.push('emoji');
      }
      if (r.text !== t) flags |= NEED_WHITESPACE;
      t = r.text;
    }
    if (o.collapseWhitespace && flags & NEED_WHITESPACE) {
      const r = collapseWhitespace(t);
      if (r.changes > 0) {
        counts.steps.whitespace += r.changes;
        counts.turns.whitespace++;
        fired?.push('whitespace');
      }
      t = r.text;
    }
    // The pre-scan's language counts hold for the output unless noise (URLs, @handles, bracket
    // codes, which mapping adds) must be filtered out: then the caller counts again on the output.
    return { text: t, stats: flags & HAS_NOISE ? null : scan };
  }

  private scan(text: string): ScanResult {
    return scanText(text, this.converter ? this.converter.trigger : null);
  }

  text(text: string, counts: NormaliseCounts = emptyCounts()): string {
    const s = this.scan(text);
    const convert = (s.flags & NEED_CHINESE) !== 0;
    if (this.converter) {
      if (convert) counts.chineseConverted++;
      else counts.chineseFastPath++;
    }
    return this.run(text, s, convert, counts, null).text;
  }

  conversation(record: ConversationRecord, counts: NormaliseCounts = emptyCounts(), trackChanges = false): ConversationResult {
    const o = this.options;
    const n = record.turns.length;
    const scans = new Array<ScanResult>(n);
    let convert = false;
    for (let i = 0; i < n; i++) {
      scans[i] = this.scan(record.turns[i].text);
      if (scans[i].flags & NEED_CHINESE) convert = true;
    }
    if (this.converter && n > 0) {
      if (convert) counts.chineseConverted++;
      else counts.chineseFastPath++;
    }
    const turns: Turn[] = [];
    const changes: TurnChange[] = [];
    const lang: LangStats = { han: 0, latinWords: 0, other: 0 };
    let emptyTurns = 0;
    let emptied = 0;
    let droppedTurns = 0;
    let changedTurns = 0;
    for (let i = 0; i < n; i++) {
      const src = record.turns[i];
      const fired: StepName[] | null = trackChanges ? [] : null;
      const r = this.run(src.text, scans[i], convert, counts, fired);
      let text = r.text;
      if (isBlank(text)) {
        emptyTurns++;
        if (!isBlank(src.text)) emptied++;
        if (o.emptyTurns === 'drop') {
          droppedTurns++;
          continue;
        }
        if (o.emptyTurns === 'marker') text = o.emptyMarker;
      } else if (o.language) {
        const s = r.stats ?? langStats(text);
        lang.han += s.han;
        lang.latinWords += s.latinWords;
        lang.other += s.other;
      }
      if (text === src.text) {
        turns.push(src);
        continue;
      }
      changedTurns++;
      if (fired) changes.push({ turn: i, before: src.text, after: text, steps: fired });
      turns.push({ ...src, text });
    }
    const out: ConversationRecord = { ...record, turns };
    let detected: Lang | undefined;
    if (o.language) {
      detected = classify(lang);
      out.meta = { ...record.meta, [o.langField]: detected };
    }
    return { record: out, lang: detected, emptyTurns, emptied, droppedTurns, changedTurns, changes };
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d && c !== 0x0c && c !== 0x0b && c !== 0xa0 && c !== 0x3000 && c !== 0xfeff && !(c >= 0x2000 && c <= 0x200b)) return false;
  }
  return true;
}

const cache = new Map<string, Promise<Normaliser>>();

/**
 * Normalises one string with the given options (defaults: t→s with phrases, width and spaces,
 * emoticons and emoji kept). The first call for a set of options loads the dictionaries.
 */
export async function normaliseText(text: string, options: Partial<NormaliseOptions> = {}, env: NormaliserEnv = {}): Promise<string> {
  const key = JSON.stringify([options, env]);
  let p = cache.get(key);
  if (!p) {
    p = createNormaliser(options, env);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return (await p).text(text);
}

export { DEFAULT_OPTIONS };
