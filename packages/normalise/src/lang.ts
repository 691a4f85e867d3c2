import { HAS_NOISE, scanText } from './scan.js';

/** Per-conversation language route: Chinese, English, both, another script, or no letters at all. */
export type Lang = 'zh' | 'en' | 'mixed' | 'other' | 'und';

export interface LangStats {
  /** Han characters (each counts as one unit, like one English word). */
  han: number;
  /** Latin words of two letters or more (brand names inside Chinese text count too). */
  latinWords: number;
  /** Letters of other scripts (kana, Hangul, Cyrillic, …). */
  other: number;
}

export interface LangThresholds {
  /** English share (latinWords / (han + latinWords)) at or below which the text is `zh`. */
  zhMax: number;
  /** English share at or above which the text is `en`. */
  enMin: number;
}

export const DEFAULT_LANG_THRESHOLDS: LangThresholds = { zhMax: 0.2, enMin: 0.8 };

// Spans that say nothing about the language of the conversation: URLs, e-mail addresses, @handles,
// bracket codes and placeholders ([呵呵], [订单x], [PHONE_1]).
// (E-mail local parts are ASCII here: a `[^\s@]+` local part backtracks quadratically over Chinese text.)
const NOISE = /https?:\/\/\S+|www\.\S+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|@[^\s@,，:：;；。!！?？)）\]]+|\[[^\[\]\n]{1,24}\]/g;

/** Counts Han characters, Latin words and other-script letters, ignoring URLs, e-mail, @handles, bracket codes. */
export function langStats(text: string): LangStats {
  const first = scanText(text, null);
  if (!(first.flags & HAS_NOISE)) return { han: first.han, latinWords: first.latinWords, other: first.other };
  const { han, latinWords, other } = scanText(text.replace(NOISE, ' '), null);
  return { han, latinWords, other };
}

export function classify(stats: LangStats, t: LangThresholds = DEFAULT_LANG_THRESHOLDS): Lang {
  const { han, latinWords, other } = stats;
  const total = han + latinWords;
  if (total + other === 0) return 'und';
  if (other > total) return 'other';
  const en = latinWords / total;
  if (en <= t.zhMax) return 'zh';
  if (en >= t.enMin) return 'en';
  return 'mixed';
}

/**
 * Character-class heuristic: Han characters against Latin words (one Han character ≈ one English
 * word), ignoring URLs, e-mail addresses, @handles and bracket codes. `zh` when English is at most
 * 20 % of the units, `en` when at least 80 %, `mixed` between; `other` when other scripts dominate;
 * `und` when there are no letters at all (empty, digits, emoji only).
 */
export function detectLanguage(text: string | readonly string[], thresholds?: LangThresholds): Lang {
  const list = typeof text === 'string' ? [text] : text;
  const sum: LangStats = { han: 0, latinWords: 0, other: 0 };
  for (const t of list) {
    const s = langStats(t);
    sum.han += s.han;
    sum.latinWords += s.latinWords;
    sum.other += s.other;
  }
  return classify(sum, thresholds);
}
