import type { JsonSchema } from '@scrubline/core';
import type { ChineseDirection, ChineseVariant } from './chinese.js';
import type { EmoticonMode } from './emoticons.js';

export type EmptyTurnPolicy = 'marker' | 'drop' | 'keep';

/** Options of the `normalise` stage and of `createNormaliser` / `normaliseText` (all optional there). */
export interface NormaliseOptions {
  /** Traditional → simplified (default), simplified → traditional, or no script conversion. */
  chinese: ChineseDirection;
  /**
   * OpenCC locale of the traditional side. Default `t` (OpenCC standard: characters + phrases, 乾淨 → 干净,
   * 乾隆 stays). `twp` adds Taiwan vocabulary (軟體 → 软件) but rewrites mainland words in the same text
   * (程序 → 进程, 截图 → 截屏, 么 → 幺): opt in only for Taiwan-sourced data. See the README.
   */
  chineseVariant: ChineseVariant;
  /** Full-width ASCII letters, digits and symbols → ASCII (ＡＢＣ１２３＠ → ABC123@). */
  fullwidth: boolean;
  /** Also the full-width Chinese sentence punctuation ，！？：；（） → ,!?:;() (off by default). */
  fullwidthPunctuation: boolean;
  /** Ideographic, no-break and typographic spaces → ASCII space; U+2028/2029 → newline. */
  spaces: boolean;
  /** Runs of spaces/tabs → one space, blank-line runs → one newline, CRLF → LF, trim. */
  collapseWhitespace: boolean;
  /** Remove zero-width and invisible format characters (ZWJ inside emoji sequences stays). */
  zeroWidth: boolean;
  /** Unicode NFC. */
  nfc: boolean;
  /** Weibo bracket emoticons (`[呵呵]`): keep, map to `emoticonFormat`, or remove. */
  emoticons: EmoticonMode;
  /** `{name}` is replaced by the emoticon's name. */
  emoticonFormat: string;
  /** Emoji: keep, map to `emojiFormat` (name from `emojiNames`, else code points), or remove. */
  emoji: EmoticonMode;
  emojiFormat: string;
  /** Emoticon name list; relative paths resolve against the rules folder (`./…` against the pipeline folder). */
  emoticonLexicon: string;
  /** Emoji short-name table (TSV). */
  emojiNames: string;
  /** A turn that is empty after normalisation: replace its text with `emptyMarker`, drop the turn, or keep it. */
  emptyTurns: EmptyTurnPolicy;
  emptyMarker: string;
  /** Detect zh / en / mixed per conversation and write it to `record.meta[langField]`. */
  language: boolean;
  langField: string;
  /** Before/after samples per step in the report (masked); 0 = none. */
  samples: number;
}

export const DEFAULT_OPTIONS: NormaliseOptions = {
  chinese: 't2s',
  chineseVariant: 't',
  fullwidth: true,
  fullwidthPunctuation: false,
  spaces: true,
  collapseWhitespace: true,
  zeroWidth: true,
  nfc: true,
  emoticons: 'keep',
  emoticonFormat: '[表情:{name}]',
  emoji: 'keep',
  emojiFormat: '[表情:{name}]',
  emoticonLexicon: 'normalise/weibo-emoticons.txt',
  emojiNames: 'normalise/emoji-names.tsv',
  emptyTurns: 'marker',
  emptyMarker: '[图片]',
  language: true,
  langField: 'lang',
  samples: 0,
};

const mode = (d: string, description: string) => ({ enum: ['keep', 'map', 'remove'], default: d, description });
const flag = (d: boolean, description: string) => ({ type: 'boolean', default: d, description });

export const optionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chinese: { enum: ['t2s', 's2t', 'off'], default: DEFAULT_OPTIONS.chinese, description: 'script conversion direction' },
    chineseVariant: {
      enum: ['t', 'tw', 'twp', 'hk', 'hkp'],
      default: DEFAULT_OPTIONS.chineseVariant,
      description: 'OpenCC locale of the traditional side (twp/hkp also rewrite regional vocabulary: opt-in)',
    },
    fullwidth: flag(true, 'full-width ASCII letters, digits and symbols to ASCII'),
    fullwidthPunctuation: flag(false, 'also ，！？：；（） to ASCII punctuation'),
    spaces: flag(true, 'ideographic, no-break and typographic spaces to ASCII space'),
    collapseWhitespace: flag(true, 'collapse whitespace runs, trim'),
    zeroWidth: flag(true, 'remove zero-width and invisible format characters'),
    nfc: flag(true, 'Unicode NFC'),
    emoticons: mode('keep', 'Weibo bracket emoticons'),
    emoticonFormat: { type: 'string', default: DEFAULT_OPTIONS.emoticonFormat, description: 'text for a mapped emoticon; {name} is its name' },
    emoji: mode('keep', 'emoji'),
    emojiFormat: { type: 'string', default: DEFAULT_OPTIONS.emojiFormat, description: 'text for a mapped emoji; {name} is its short name or code points' },
    emoticonLexicon: {
      type: 'string',
      minLength: 1,
      default: DEFAULT_OPTIONS.emoticonLexicon,
      description: 'emoticon name list (relative to the rules folder; ./path relative to the pipeline folder)',
    },
    emojiNames: { type: 'string', minLength: 1, default: DEFAULT_OPTIONS.emojiNames, description: 'emoji short-name table (TSV), resolved like emoticonLexicon' },
    emptyTurns: { enum: ['marker', 'drop', 'keep'], default: DEFAULT_OPTIONS.emptyTurns, description: 'a turn empty after normalisation' },
    emptyMarker: { type: 'string', minLength: 1, default: DEFAULT_OPTIONS.emptyMarker, description: 'text of an empty turn with emptyTurns: marker' },
    language: flag(true, 'write zh/en/mixed/other/und to record.meta[langField]'),
    langField: { type: 'string', minLength: 1, default: DEFAULT_OPTIONS.langField, description: 'record.meta key for the language' },
    samples: { type: 'integer', minimum: 0, maximum: 20, default: 0, description: 'masked before/after samples per step' },
  },
};
