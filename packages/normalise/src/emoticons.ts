import { readFileSync } from 'node:fs';

/** What to do with Weibo bracket emoticons and with emoji. */
export type EmoticonMode = 'keep' | 'map' | 'remove';

export interface EmoticonLexicon {
  /** Names that `[NAME]` must carry to count as an emoticon. */
  names: ReadonlySet<string>;
  /** Short text names for emoji (`emoji: map`). */
  emojiNames: ReadonlyMap<string, string>;
  /** Entries refused because they look like data placeholders. */
  refused: string[];
}

/** `[订单x]` `[姓名x]` (JD masking), `[PHONE_1]` `[EMAIL]` (typed PII placeholders). */
const PLACEHOLDER_SHAPE = /^(?:\p{Script=Han}+[xX]|[A-Z][A-Z0-9_]*)$/u;

export function isPlaceholderShape(name: string): boolean {
  return PLACEHOLDER_SHAPE.test(name);
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.length > 0);
}

/** Builds a lexicon from the text of `weibo-emoticons.txt` and `emoji-names.tsv`. */
export function parseEmoticonLexicon(namesText: string, emojiText = ''): EmoticonLexicon {
  const names = new Set<string>();
  const refused: string[] = [];
  for (const n of lines(namesText)) {
    if (isPlaceholderShape(n) || /[\[\]\s]/.test(n)) refused.push(n);
    else names.add(n);
  }
  const emojiNames = new Map<string, string>();
  for (const l of emojiText.split(/\r?\n/)) {
    if (!l.trim() || l.trimStart().startsWith('#')) continue;
    const [e, name] = l.split('\t');
    if (e && name) emojiNames.set(stripVs(e.trim()), name.trim());
  }
  return { names, emojiNames, refused };
}

export function readEmoticonLexicon(namesPath: string, emojiPath?: string): EmoticonLexicon {
  return parseEmoticonLexicon(readFileSync(namesPath, 'utf8'), emojiPath ? readFileSync(emojiPath, 'utf8') : '');
}

const stripVs = (s: string): string => s.replace(/\ufe0f/g, '');

// One emoji as a reader sees it: flags, keycaps, presentation emoji or text-style pictographs with
// VS16, skin tones, ZWJ sequences and tag sequences (subdivision flags).
const EMOJI_SOURCE =
  '\\p{Regional_Indicator}\\p{Regional_Indicator}' +
  '|[#*0-9]\\ufe0f?\\u20e3' +
  '|(?:\\p{Emoji_Presentation}|\\p{Extended_Pictographic}\\ufe0f)[\\u{1f3fb}-\\u{1f3ff}]?\\ufe0f?' +
  '(?:\\u200d\\p{Extended_Pictographic}\\ufe0f?[\\u{1f3fb}-\\u{1f3ff}]?)*[\\u{e0020}-\\u{e007e}]*\\u{e007f}?' +
  '|[\\u{1f3fb}-\\u{1f3ff}]';
// made on first use: its property classes take ≈ 15 ms to compile, in every thread that imports this
let emojiPattern: RegExp | null = null;
/** Cheap pre-check: every emoji above contains one of these code units. */
const EMOJI_TEST = /[\u2000-\u2bff\u3030\u303d\u3297\u3299\ud83c-\ud83e\ufe0f]/;

const BRACKET = /\[([^\[\]\n]{1,16})\]/g;

export interface EmoticonStepResult {
  text: string;
  emoticons: number;
  emoji: number;
}

export function codePoints(s: string): string {
  return [...s].map((c) => 'U+' + c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')).join(' ');
}

export function formatMapped(format: string, name: string): string {
  return format.split('{name}').join(name);
}

/**
 * Finds Weibo bracket emoticons (names on the lexicon) and emoji; keeps, maps or removes them.
 * Counts are of occurrences found, whatever the mode.
 */
export function handleEmoticons(
  text: string,
  lexicon: EmoticonLexicon,
  emoticonMode: EmoticonMode,
  emojiMode: EmoticonMode,
  emoticonFormat: string,
  emojiFormat: string,
): EmoticonStepResult {
  let emoticons = 0;
  let emoji = 0;
  let out = text;
  if (out.includes('[')) {
    out = out.replace(BRACKET, (m, name: string) => {
      if (!lexicon.names.has(name)) return m;
      emoticons++;
      if (emoticonMode === 'keep') return m;
      return emoticonMode === 'remove' ? '' : formatMapped(emoticonFormat, name);
    });
  }
  if (EMOJI_TEST.test(out)) {
    out = out.replace((emojiPattern ??= new RegExp(EMOJI_SOURCE, 'gu')), (m) => {
      emoji++;
      if (emojiMode === 'keep') return m;
      if (emojiMode === 'remove') return '';
      const key = stripVs(m);
      return formatMapped(emojiFormat, lexicon.emojiNames.get(key) ?? codePoints(key));
    });
  }
  return { text: out, emoticons, emoji };
}
