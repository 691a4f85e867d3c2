import { createRequire } from 'node:module';

/** A token of the segmenter with its UTF-16 offsets in the window it was run on. */
export interface Token {
  word: string;
  tag: string;
  start: number;
  end: number;
}

export interface Segmenter {
  /** Segments and POS-tags a short window (the NER tier only asks about candidate windows). */
  tag(text: string): Token[];
}

let cached: Segmenter | null | undefined;

/**
 * @node-rs/jieba (its default dictionary), loaded lazily once per process. Returns null when the native
 * package cannot be loaded on this platform; the detector then works without segmentation evidence.
 */
export function jiebaSegmenter(): Segmenter | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict.js') as { dict: Uint8Array };
    const jieba = Jieba.withDict(dict);
    cached = {
      tag(text: string): Token[] {
        const out: Token[] = [];
        let pos = 0;
        for (const t of jieba.tag(text, true)) {
          const start = text.indexOf(t.word, pos);
          if (start < 0) continue;
          pos = start + t.word.length;
          out.push({ word: t.word, tag: t.tag, start, end: pos });
        }
        return out;
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
