import { createRequire } from 'node:module';
import type { Tokenizer } from './augment.js';

const require = createRequire(import.meta.url);

interface JiebaLike {
  cut(sentence: string, hmm?: boolean): string[];
  loadDict(dict: Uint8Array): void;
}

let defaultDict: Uint8Array | null = null;

/**
 * A jieba word splitter (@node-rs/jieba, prebuilt native binary) with its
 * default dictionary plus `extraWords` (e.g. the customer-service synonym
 * words, so that 退钱 or 快递小哥 come out as one word). `loadMs` is the time
 * taken to load the module, the dictionary and the extra words.
 */
export function loadJieba(extraWords: Iterable<string> = [], hmm = false): { tokenize: Tokenizer; loadMs: number } {
  const t0 = performance.now();
  const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): JiebaLike } };
  defaultDict ??= (require('@node-rs/jieba/dict') as { dict: Uint8Array }).dict;
  const jieba = Jieba.withDict(defaultDict);
  const lines: string[] = [];
  for (const w of extraWords) if (!/\s/.test(w)) lines.push(`${w} 2000`);
  if (lines.length) jieba.loadDict(Buffer.from(lines.join('\n') + '\n', 'utf8'));
  const loadMs = performance.now() - t0;
  return { tokenize: (text) => (text ? jieba.cut(text, hmm) : []), loadMs };
}

let frequencies: Map<string, number> | null = null;

/**
 * Word frequencies of jieba's default dictionary (`word freq tag` lines). With
 * `only`, just those words are kept (a fraction of the 349k entries: faster and
 * smaller); without, the whole map is parsed once per process and cached.
 */
export function jiebaFrequencies(only?: ReadonlySet<string>): Map<string, number> {
  if (frequencies) return frequencies;
  defaultDict ??= (require('@node-rs/jieba/dict') as { dict: Uint8Array }).dict;
  const text = new TextDecoder('utf-8').decode(defaultDict);
  const map = new Map<string, number>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const sp = text.indexOf(' ', start);
    if (sp > start && sp < end) {
      const word = text.slice(start, sp);
      if (!only || only.has(word)) {
        const sp2 = text.indexOf(' ', sp + 1);
        map.set(word, Number(text.slice(sp + 1, sp2 > 0 && sp2 < end ? sp2 : end)) || 0);
      }
    }
    start = end + 1;
  }
  if (!only) frequencies = map;
  return map;
}
