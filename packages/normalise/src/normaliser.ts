import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOptions, ScrubError, type ConversationRecord, type Turn } from '@scrubline/core';
import { loadChineseConverter, type ChineseConverter } from './chinese.js';
import { handleEmoticons, readEmoticonLexicon, type EmoticonLexicon } from './emoticons.js';
import { detectLanguage, type Lang } from './lang.js';
import { DEFAULT_OPTIONS, optionsSchema, type NormaliseOptions } from './options.js';
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
  const z = () => Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<StepName, number>;
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

  /** Steps before script conversion. */
  private pre(text: string, counts: NormaliseCounts, fired: StepName[] | null): string {
    const o = this.options;
    let t = text;
    const run = (name: StepName, r: { text: string; changes: number }) => {
      if (r.changes > 0) {
        counts.steps[name] += r.changes;
        counts.turns[name]++;
        fired?.push(name);
      }
      t = r.text;
    };
    if (o.nfc) run('nfc', nfc(t));
    if (o.zeroWidth) run('zeroWidth', removeZeroWidth(t));
    if (o.spaces) run('spaces', normaliseSpaces(t));
    if (o.fullwidth) run('fullwidth', halfWidth(t, o.fullwidthPunctuation));
    return t;
  }

  /** Script conversion (when `convert`), emoticons, emoji, whitespace. */
  private post(text: string, convert: boolean, counts: NormaliseCounts, fired: StepName[] | null): string {
    const o = this.options;
    let t = text;
    if (convert && this.converter && this.converter.needsConversion(t)) {
      const out = this.converter.convert(t);
      const n = countDiff(t, out);
      if (n > 0) {
        counts.steps.chinese += n;
        counts.turns.chinese++;
        fired?.push('chinese');
      }
      t = out;
    }
    if (t.includes('[') || /[\u2000-\u2bff\u3030\u303d\u3297\u3299\ud83c-\ud83e\ufe0f]/.test(t)) {
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
      t = r.text;
    }
    if (o.collapseWhitespace) {
      const r = collapseWhitespace(t);
      if (r.changes > 0) {
        counts.steps.whitespace += r.changes;
        counts.turns.whitespace++;
        fired?.push('whitespace');
      }
      t = r.text;
    }
    return t;
  }

  text(text: string, counts: NormaliseCounts = emptyCounts()): string {
    const t = this.pre(text, counts, null);
    const convert = this.converter !== null && this.converter.needsConversion(t);
    if (this.converter) {
      if (convert) counts.chineseConverted++;
      else counts.chineseFastPath++;
    }
    return this.post(t, convert, counts, null);
  }

  conversation(record: ConversationRecord, counts: NormaliseCounts = emptyCounts(), trackChanges = false): ConversationResult {
    const o = this.options;
    const n = record.turns.length;
    const fired: StepName[][] | null = trackChanges ? record.turns.map(() => []) : null;
    const pre = new Array<string>(n);
    let convert = false;
    for (let i = 0; i < n; i++) {
      pre[i] = this.pre(record.turns[i].text, counts, fired ? fired[i] : null);
      if (!convert && this.converter && this.converter.needsConversion(pre[i])) convert = true;
    }
    if (this.converter && n > 0) {
      if (convert) counts.chineseConverted++;
      else counts.chineseFastPath++;
    }
    const turns: Turn[] = [];
    const texts: string[] = [];
    const changes: TurnChange[] = [];
    let emptyTurns = 0;
    let emptied = 0;
    let droppedTurns = 0;
    for (let i = 0; i < n; i++) {
      const src = record.turns[i];
      let text = this.post(pre[i], convert, counts, fired ? fired[i] : null);
      if (text.trim() === '') {
        emptyTurns++;
        if (src.text.trim() !== '') emptied++;
        if (o.emptyTurns === 'drop') {
          droppedTurns++;
          continue;
        }
        if (o.emptyTurns === 'marker') text = o.emptyMarker;
      } else {
        texts.push(text);
      }
      if (fired && text !== src.text) changes.push({ turn: i, before: src.text, after: text, steps: fired[i] });
      turns.push(text === src.text ? src : { ...src, text });
    }
    const out: ConversationRecord = { ...record, turns };
    let lang: Lang | undefined;
    if (o.language) {
      lang = detectLanguage(texts);
      out.meta = { ...record.meta, [o.langField]: lang };
    }
    return { record: out, lang, emptyTurns, emptied, droppedTurns, changes };
  }
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
