import type { PiiSpan } from '@scrubline/core';
import type { Lexicons } from './lexicon.js';
import type { Segmenter, Token } from './segmenter.js';
import { isCjk, NAME_STOP, BEFORE_TITLE_NOT_NAME, CN_NUMERALS } from './text.js';

/** Single-character titles that also start ordinary words (总共, 工作, 姐姐 …): the next character decides. */
const TITLE_WORD_NEXT: Record<string, string> = {
  总: '共是部价额计体结之算裁监统会经数量和裁线站店台',
  工: '作资单号厂具程人业艺期位地商资卡牌装',
  姐: '姐妹夫',
  哥: '哥们',
  董: '事',
  老板: '娘',
};

const NAME_TAGS = new Set(['nr', 'nrfg', 'nrt']);
const CONNECTORS = new Set([...'：: 　是为写的叫填我朋友同事家人老公婆妈爸']);
const NAME_LEFT = new Set([...'给找是和跟让问叫同@与及、']);
const NAME_LEFT_WORDS = ['告诉', '转告', '联系', '通知', '感谢', '谢谢', '恭喜', '喜欢', '以及', '比如', '例如', '回复', '支持', '关注', '祝福', '想念', '怀念', '采访', '专访', '偶像', '粉丝'];
/** A clause separator then 男/女 (followed by a separator): the gender field of a profile or form. */
const GENDER_AFTER = /[，,：:（(]\s*[男女](?=[，,）)、。；;]|$|性)/g;
/**
 * `@` + a handle of 2–4 CJK characters (optionally followed by Latin letters), up to a delimiter. Longer handles
 * (一只踢足球的袜子, 微博经典语录) were mostly accounts or phrases, not people, on the Weibo dev set.
 */
const MENTION = /@([\u4e00-\u9fff\u3400-\u4dbf]{2,4})(?=[\s:：,，@\-_)）/]|[A-Za-z]|$)/g;
/** 小编, 小哥, 小妹 …: 小 + these is a form of address, not a given name (the segmenter leaves 小编 as x). */
const SMALL_NOT_GIVEN = new Set([...'编哥姐妹弟伙孩宝时朋友二三四五六七八九十']);
/** Characters before a Japanese family name inside a CJK run that still leave it a name (的, 了, 在 …). */
const PERSON_BEFORE_JA = new Set([...'的了在是和与跟给对被让把说：:，, 　']);
/** Kinship words after 阿/小 or doubled (阿姨, 小妹, 哥哥) are forms of address, not names. */
const KIN = new Set([...'姨姐哥妹弟爸妈婆公伯叔舅嫂爷奶娘姑宝贝']);
/** Last characters of place names (唐人街, 伯明翰港): a full-segmentation name token ending in one is a place. */
const PLACE_LAST = new Set([...'街路道村镇乡区县市省州湖河江岛港湾']);
/** Where a nickname may start: 阿, 小, or a doubled CJK character (丽丽). */
const NICK_START = /[阿小]|([\u4e00-\u9fff])\1/g;
/** 哥/姐/兄/妹/弟 after a given name (晓东哥). */
const SIBLING = /[哥姐兄妹弟]/g;
const PREFIX_NAME_FOLLOW = new Set([...'说帮让的也在是都会说，。！？,.!? 和跟']);

/** Whether any position in [start, end) is already taken by an accepted candidate. */
function anyCovered(covered: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (covered[k]) return true;
  return false;
}

interface Cand {
  start: number;
  end: number;
  score: number;
  rule: string;
}

export class ChinesePersonRecognizer {
  /** First character → titles starting with it, longest first. */
  private readonly titleFirst: Map<string, string[]>;
  private readonly cueFirst: Set<string>;
  /** First characters of the Japanese family names (a regex: native scanning is cheaper than a loop). */
  private readonly jaFirstRe: RegExp;
  constructor(
    private readonly lex: Lexicons,
    private readonly seg: Segmenter | null,
    /** Tag the whole text with the segmenter and accept its name tokens of 3+ characters (slower). */
    private readonly fullSegmentation = false,
    /** Emit `@handle` (CJK) as PERSON (social-media text). */
    private readonly mentions = false,
  ) {
    this.titleFirst = new Map();
    for (const t of lex.titles) this.titleFirst.set(t[0], [...(this.titleFirst.get(t[0]) ?? []), t]);
    this.cueFirst = new Set([...lex.cuesBefore.keys()].map((c) => c[0]));
    const ja = [...new Set([...lex.japaneseSurnames].map((c) => c[0]))].join('');
    this.jaFirstRe = new RegExp(ja ? `[${ja}]` : '(?!)', 'g');
  }

  /** Length of the surname starting at i (2 for compound, 1 for single), 0 when none. */
  surnameAt(text: string, i: number): number {
    if (this.lex.compoundSurnames.has(text.substr(i, 2))) return 2;
    return this.lex.surnames.has(text[i]) ? 1 : 0;
  }

  private givenOk(given: string, requireLexicon: boolean): boolean {
    for (const ch of given) {
      if (!isCjk(ch) || NAME_STOP.has(ch)) return false;
      if (requireLexicon && !this.lex.givenChars.has(ch)) return false;
    }
    return true;
  }

  /**
   * Name-likeness of one character of a given name: characters of `given-chars.txt` count as name-like (≥ 1);
   * otherwise the log-odds score of `given-char-scores.txt` (derived from jieba's dictionary names), and an
   * unscored character counts against (−2).
   */
  private charScore(ch: string): number {
    const s = this.lex.givenScores.get(ch);
    if (this.lex.givenChars.has(ch)) return Math.max(s ?? 1, 1);
    return s ?? -2;
  }

  /** A given name whose characters look like name characters: none clearly against, the mean for (≥ minMean). */
  nameLike(given: string, minMean = given.length === 1 ? 1.5 : 0.5): boolean {
    if (!given) return false;
    let sum = 0;
    for (const ch of given) {
      // Numerals (熊二, 周三) are ranks and dates, not given names, in running text.
      if (!isCjk(ch) || NAME_STOP.has(ch) || CN_NUMERALS.has(ch)) return false;
      const sc = this.charScore(ch);
      if (sc < -1) return false;
      sum += sc;
    }
    return sum / given.length >= minMean;
  }

  /**
   * 银行卡, 保修卡, 胡萝卜, 西门子: a three-character token whose first or last two characters are a dictionary
   * word of their own (jieba tags 陈列 and 明珠 nr too) is a compound word, not surname + given name (赵本山, 张艺谋 are not).
   */
  private wordInside(word: string): boolean {
    if (!this.seg || word.length !== 3) return false;
    for (const part of [word.slice(0, 2), word.slice(1)]) {
      const t = this.seg.tag(part);
      if (t.length === 1 && t[0].tag !== 'x') return true;
    }
    return false;
  }

  /** A prefix or suffix (2+ characters, not the whole word) that the segmenter reads as one word (jieba tags 陈列, 龙虾 nr too); transliteration parts (nrt) do not count. */
  private affixWord(word: string): boolean {
    if (!this.seg) return false;
    for (let k = 2; k < word.length; k++) {
      for (const part of [word.slice(0, k), word.slice(word.length - k)]) {
        const t = this.seg.tag(part);
        if (t.length === 1 && t[0].tag !== 'x' && t[0].tag !== 'nrt') return true;
      }
    }
    return false;
  }

  /** A relation word of `cues-before.txt` (老公, 儿子, 同事 …; two or more characters) right before position i. */
  private relationBefore(text: string, i: number): boolean {
    for (let L = 2; L <= Math.min(4, i); L++) if (this.lex.cuesBefore.get(text.slice(i - L, i)) === false) return true;
    return false;
  }

  /** A person context on the left of position i: 给/和/跟/@ …, 告诉/感谢/支持 … */
  private personLeft(text: string, i: number): boolean {
    return NAME_LEFT.has(text[i - 1] ?? '') || NAME_LEFT_WORDS.some((w) => text.endsWith(w, i));
  }

  /** A person context on the right of position e: a speech or action word (说, 表示, 主演 …, `cues-after.txt`). */
  cueAfter(text: string, e: number): boolean {
    const ch = text[e];
    if (!isCjk(ch)) return false;
    for (const w of this.lex.cuesAfter) if (w[0] === ch && text.startsWith(w, e)) return true;
    return false;
  }

  /** Title starting at t, respecting word-forming next characters; returns its length or 0. */
  private titleAt(text: string, t: number): number {
    const titles = this.titleFirst.get(text[t]);
    if (!titles) return 0;
    for (const title of titles) {
      if (!text.startsWith(title, t)) continue;
      const bad = TITLE_WORD_NEXT[title];
      const next = text[t + title.length];
      if (bad && bad.includes(next ?? '\u0000')) continue;
      // 孙工 is a title only before a clause boundary or a verb (施工用, 理工大学 are words).
      if (title === '工' && isCjk(next) && !'您你说在让吗呢好'.includes(next!)) continue;
      return title.length;
    }
    return 0;
  }

  /**
   * 阿袁收到 / 老周说完: the surname after 老/小/阿 is a token of its own and a verb token follows
   * (小李子, 老陈醋 and 小张家口 stay out: the segmenter glues those into words).
   */
  private verbAfterPrefix(text: string, i: number): boolean {
    if (!this.seg || !isCjk(text[i + 2])) return false;
    const toks = this.tokens(text, i + 1, Math.min(text.length, i + 5));
    return toks.length >= 2 && toks[0].end === i + 2 && toks[1].tag.startsWith('v') && toks[1].end - toks[1].start >= 2;
  }

  /** Segmenter tokens of a window starting at `from`, with offsets in `text`. */
  private tokens(text: string, from: number, to: number): Token[] {
    if (!this.seg) return [];
    const toks = this.seg.tag(text.slice(from, to));
    for (const t of toks) {
      t.start += from;
      t.end += from;
    }
    return toks;
  }

  /**
   * Name length at p after a cue: the segmenter's first token (a name or out-of-vocabulary run), else the
   * surname plus up to two following name characters.
   */
  private nameAfterCue(text: string, p: number, strong: boolean): Cand | null {
    const sl = this.surnameAt(text, p);
    if (!sl || (sl === 1 && NAME_STOP.has(text[p]))) return null; // 本人来取件: 来 is a verb here
    // 我姓钟 / 我姓欧阳: surname only.
    if (text.slice(Math.max(0, p - 1), p) === '姓') {
      return isCjk(text[p + sl]) && !this.titleAt(text, p + sl) && !NAME_STOP.has(text[p + sl]) ? null : { start: p, end: p + sl, score: 0.85, rule: 'ner.person.cue-before' };
    }
    let len = 0;
    let segNamed = false;
    const toks = this.tokens(text, p, Math.min(text.length, p + sl + 5));
    if (toks.length) {
      const t0 = toks[0];
      const L = t0.end - t0.start;
      // 尊敬的商家 / 亲爱的顾客: after a weak cue, a dictionary word that is not a name is not a name.
      if (!strong && L > sl && !NAME_TAGS.has(t0.tag) && t0.tag !== 'x') return null;
      if (L > sl && L <= sl + 2 && (NAME_TAGS.has(t0.tag) || t0.tag === 'x' || strong)) {
        len = L;
        segNamed = NAME_TAGS.has(t0.tag) || t0.tag === 'x';
      } else if (L > sl + 2 && NAME_TAGS.has(t0.tag) && L <= sl + 3) {
        len = L; // 诸葛亮亮 style over-long names are rare; keep what the segmenter says
        segNamed = true;
      } else if (L === sl && toks[1]) {
        const t1 = toks[1];
        const L1 = t1.end - t1.start;
        if (L1 >= 1 && L1 <= 2 && this.givenOk(t1.word, false)) len = sl + L1;
      }
    }
    if (!len) {
      let g = 0;
      while (g < 2 && isCjk(text[p + sl + g]) && !NAME_STOP.has(text[p + sl + g]) && !this.titleAt(text, p + sl + g)) g++;
      if (!g) return strong && !isCjk(text[p + sl]) && !/[A-Za-z0-9]/.test(text[p + sl] ?? '') ? { start: p, end: p + sl, score: 0.8, rule: 'ner.person.cue-before' } : null;
      len = sl + g;
    }
    // A title inside the run ends the name there (张伟先生); particles and verbs glued on by the segmenter
    // (于勇会 → 于勇) come off the end.
    for (let k = p + sl; k < p + len; k++) if (this.titleAt(text, k)) len = k - p;
    while (len > sl && NAME_STOP.has(text[p + len - 1])) len--;
    // 我叫罗，罗马的罗: a strong cue, then the surname alone before a clause boundary.
    if (len <= sl && strong && !isCjk(text[p + sl]) && !/[A-Za-z0-9]/.test(text[p + sl] ?? '')) return { start: p, end: p + sl, score: 0.8, rule: 'ner.person.cue-before' };
    if (len <= sl) return null;
    const given = text.slice(p + sl, p + len);
    if (!this.givenOk(given, false)) return null;
    if (!strong && !segNamed && !this.givenOk(given, true)) return null;
    if (!strong && this.lex.ambiguousSurnames.has(text[p]) && sl === 1 && !segNamed && !this.givenOk(given, true)) return null;
    return { start: p, end: p + len, score: strong ? 0.9 : 0.75, rule: 'ner.person.cue-before' };
  }

  detect(text: string, out: PiiSpan[]): void {
    const cands: Cand[] = [];
    const n = text.length;
    const covered = new Uint8Array(n);
    const push = (c: Cand) => {
      cands.push(c);
      for (let k = c.start; k < c.end; k++) covered[k] = 1;
    };

    // 1. Cues before the name (我叫, 收件人：, 本人 …).
    for (let i = 0; i < n; i++) {
      if (!this.cueFirst.has(text[i])) continue;
      for (let L = Math.min(this.lex.cuesBeforeMaxLen, n - i); L >= 1; L--) {
        const cue = text.substr(i, L);
        const strong = this.lex.cuesBefore.get(cue);
        if (strong === undefined) continue;
        let p = i + L;
        let skipped = 0;
        while (p < n && skipped < 5 && CONNECTORS.has(text[p]) && !this.surnameAt(text, p)) {
          p++;
          skipped++;
        }
        // 我是我朋友… / 收件人是我朋友余诗涵: connectors may include surname-free words only.
        const c = this.nameAfterCue(text, p, strong);
        if (c && !covered[c.start]) push(c);
        break;
      }
    }

    // 2. Titles after the name or the bare surname (张伟先生, 李先生, 陈经理, 马总).
    for (let t = 1; t < n; t++) {
      const tl = this.titleAt(text, t);
      if (!tl) continue;
      let found: Cand | null = null;
      for (let k = Math.min(4, t); k >= 1 && !found; k--) {
        const c = t - k;
        const sl = this.surnameAt(text, c);
        if (!sl || sl > k) continue;
        const given = text.slice(c + sl, t);
        if (given.length > 2) continue;
        if (given.length) {
          // At the start of a clause (孔嘉岚女士，…) any non-particle given name; elsewhere a name-like one.
          const clauseStart = c === 0 || !isCjk(text[c - 1]);
          if (!this.givenOk(given, !clauseStart) || BEFORE_TITLE_NOT_NAME.has(text[c - 1] ?? '')) continue;
        } else {
          if (BEFORE_TITLE_NOT_NAME.has(text[c - 1] ?? '') || NAME_STOP.has(text[c])) continue;
          // 宿管阿姨: the surname character must start a word of its own.
          if (this.seg && c > 0 && isCjk(text[c - 1])) {
            const toks = this.tokens(text, Math.max(0, c - 2), Math.min(n, t + tl));
            if (!toks.some((x) => x.start === c)) continue;
          }
        }
        found = { start: c, end: t, score: given.length ? 0.88 : 0.8, rule: 'ner.person.title-after' };
      }
      if (found) {
        if (!cands.some((x) => x.start <= found!.start && x.end >= found!.end)) push(found);
      }
      t += tl - 1;
    }

    // 2b. A name right before a gender in a form or profile (林晓阳，男，… / 周秀容（女）).
    GENDER_AFTER.lastIndex = 0;
    for (let m; (m = GENDER_AFTER.exec(text)); ) {
      const end = m.index;
      for (let k = 3; k >= 2; k--) {
        const c = end - k;
        if (c < 0 || covered[c] || (c > 0 && isCjk(text[c - 1]) && !'：:是叫'.includes(text[c - 1]))) continue;
        const sl = this.surnameAt(text, c);
        if (!sl || sl >= k || !this.givenOk(text.slice(c + sl, end), false)) continue;
        push({ start: c, end, score: 0.75, rule: 'ner.person.gender-after' });
        break;
      }
    }
    GENDER_AFTER.lastIndex = 0;

    // 3. 老王 / 小李 / 阿袁: an unambiguous surname after 老, 小 or 阿, followed by a clause boundary or a verb
    // (a surname that is also a word: see below).
    for (let i = 0; i + 1 < n; i++) {
      const ch = text[i];
      if (ch !== '老' && ch !== '小' && ch !== '阿') continue;
      const s = text[i + 1];
      if (!this.lex.surnames.has(s) || covered[i + 1]) continue;
      const next = text[i + 2];
      if (text.slice(Math.max(0, i - 2), i) === '客服') continue;
      if (this.lex.ambiguousSurnames.has(s)) {
        // 老黄请客: a surname that is also a word only when the segmenter reads 老/小/阿 + it as one unknown
        // or name token and a verb of two or more characters (or a speech word) follows (老马识途 is a word).
        if (!this.seg || !isCjk(next)) continue;
        const toks = this.tokens(text, i, Math.min(n, i + 6));
        const v = toks[1];
        if (!(toks[0].end === i + 2 && (toks[0].tag === 'x' || NAME_TAGS.has(toks[0].tag)) && v && ((v.tag.startsWith('v') && v.end - v.start >= 2) || this.cueAfter(text, i + 2)))) continue;
        push({ start: i + 1, end: i + 2, score: 0.6, rule: 'ner.person.prefix' });
        continue;
      }
      if (next !== undefined && !PREFIX_NAME_FOLLOW.has(next) && !this.verbAfterPrefix(text, i)) continue;
      push({ start: i + 1, end: i + 2, score: 0.7, rule: 'ner.person.prefix' });
    }

    // 4. No cue: the segmenter's name tag (nr) or an out-of-vocabulary run with a name shape.
    if (this.seg) {
      for (let i = 0; i < n; i++) {
        if (covered[i]) continue;
        const sl = this.surnameAt(text, i);
        if (!sl) continue;
        // Every accepted shape needs a given-name character right after the surname: a cheap filter before
        // the segmenter is asked.
        const g0 = text[i + sl];
        if (NAME_STOP.has(g0) || (!this.lex.givenChars.has(g0) && (this.lex.givenScores.get(g0) ?? -9) < 1)) continue;
        const ambiguous = sl === 1 && this.lex.ambiguousSurnames.has(text[i]);
        const toks = this.tokens(text, i, Math.min(n, i + sl + 4));
        const tok = toks[0];
        if (!tok) continue;
        let L = tok.end - tok.start;
        let rule = '';
        let score = 0;
        // 郑浩给/x: particles and verbs glued on by the segmenter come off the end.
        while (L > sl && NAME_STOP.has(text[i + L - 1])) L--;
        // 孔嘉岚腹/x: an out-of-vocabulary run longer than a name; keep surname + two name
        // characters (the x branch below still asks for given-name characters).
        if (tok.tag === 'x' && L > sl + 2) L = sl + 2;
        // 孔琪/x 嘉/nr: a three-character name split after its first given character.
        if (tok.tag === 'x' && L === sl + 1 && toks[1] && toks[1].end - toks[1].start === 1 && toks[1].start === i + L) {
          const ch = toks[1].word;
          // 成珠吉街道: not before a place suffix.
          const placeNext = '街路道村镇乡区县市省'.includes(text[i + L + 1] ?? '\u0000');
          // 刘诗/x 诗/n: a doubled given character (诗诗) whatever its tag.
          const doubled = ch === text[i + L - 1] && ch !== text[i];
          if (this.lex.givenChars.has(ch) && !NAME_STOP.has(ch) && !placeNext && (toks[1].tag === 'x' || NAME_TAGS.has(toks[1].tag) || doubled)) L = sl + 2;
        }
        if (L === sl && tok.tag === 'nr' && toks[1]) {
          // 杨/nr 天宁/ns, 吴/nr 经纬/n, 孟/nr 凡是/d: a lone surname tagged as a name, then the given name
          // (the next token, less a trailing particle).
          let L1 = toks[1].end - toks[1].start;
          while (L1 > 0 && NAME_STOP.has(text[toks[1].start + L1 - 1])) L1--;
          const g = text.slice(toks[1].start, toks[1].start + L1);
          if ((L1 === 2 || (L1 === 1 && !ambiguous)) && this.givenOk(g, false) && this.lex.givenChars.has(g[0])) {
            L = sl + L1;
            rule = 'ner.person.shape';
            score = 0.55;
          }
        } else if (L > sl && L <= sl + 2) {
          const given = text.slice(i + sl, i + L);
          if (!this.givenOk(given, false) || this.lex.divisions.has(tok.word)) continue;
          if ((NAME_TAGS.has(tok.tag) && tok.tag !== 'nrt') || (tok.tag === 'nz' && L === sl + 2)) {
            // The dictionary's nr tag is noisy (银行卡, 西门子): the given part must look like a given name — all
            // characters from the given-name list, or (a two-character given name: 赵本山, 张艺谋) name-like by
            // the character scores.
            if (!this.givenOk(given, true) && !(L === sl + 2 && this.nameLike(given, 0.25) && !this.wordInside(tok.word))) continue;
            // 邱淑贞/nz: jieba tags some names as other proper nouns; those need a name-like given part that is not
            // made of words either.
            if (tok.tag === 'nz' && (!this.nameLike(given) || this.wordInside(tok.word))) continue;
            // 莫斯科/nr, 马尔代夫: listed places and brands are not names.
            if (this.lex.translitNotNames.some((w) => tok.word.includes(w))) continue;
            // The segmenter's dictionary tags many two-character words nr (张贴, 陈列, 阳光): those need a
            // person context on the left (给/找/是/和/跟/让 …) or on the right (说, 表示, 主演 …).
            // Without either, at the start of a clause, an unambiguous surname and a name-like given character
            // (score ≥ 1.5) followed by a verb of two or more characters (姚明/nr 退役/v; 祝福/nr 您 and
            // 最美的祝福/nr 送给/v are not names).
            if (L === 2 && !this.personLeft(text, i) && !this.cueAfter(text, i + L)) {
              const v = toks.find((x) => x.start === i + L);
              const verbNext = !!v && v.tag.startsWith('v') && v.end - v.start >= 2;
              const clauseStart = i === 0 || !isCjk(text[i - 1]);
              if (ambiguous || !verbNext || !clauseStart || this.charScore(given) < 1.5) continue;
            }
            rule = 'ner.person.segmenter-nr';
            score = 0.7;
          } else if (tok.tag === 'x' && (!ambiguous || L === sl + 2) && this.givenOk(given, true)) {
            rule = 'ner.person.shape';
            score = 0.6;
          } else if (tok.tag === 'x' && !ambiguous && L === sl + 2 && tok.end - tok.start === L && this.lex.givenChars.has(given[0]) && !SMALL_NOT_GIVEN.has(given[1])) {
            // An out-of-vocabulary run of exactly surname + two characters, the first a name character.
            rule = 'ner.person.shape';
            score = 0.55;
          } else if (tok.tag === 'x' && !ambiguous && L === sl + 2 && given[0] === '小' && isCjk(given[1]) && !SMALL_NOT_GIVEN.has(given[1])) {
            // 张小凡: surname + 小 + one character, an out-of-vocabulary run (小姐, 小时 are words).
            rule = 'ner.person.shape';
            score = 0.6;
          } else if (
            tok.tag === 'x' &&
            given[0] !== text[i] &&
            given[0] !== given[1] &&
            ((this.nameLike(given) &&
              (!ambiguous || (this.personLeft(text, i) && text[i - 1] !== '是') || this.cueAfter(text, i + L) || toks.some((x) => x.start === i + L && x.tag.startsWith('v')))) ||
              (ambiguous && this.givenOk(given, true) && this.cueAfter(text, i + L)))
          ) {
            // 何炅/x, 孙俪/x: an out-of-vocabulary run of surname + characters that are name-like by the
            // character scores (not only the given-name list; 雷军/x 说: a surname that is also a word takes the
            // list too, before a speech word); no reduplication (周周赢). A surname that is
            // also a word (马云/x, 安卓/x) needs a person context on either side (马云说) or a verb after it
            // (黄磊/x 做/v).
            rule = 'ner.person.shape';
            score = 0.55;
          }
        }
        if (!rule) continue;
        // 宿管 / 看陈列: the surname character must not sit inside a dictionary word that starts before it.
        if (i > 0 && isCjk(text[i - 1])) {
          const left = this.tokens(text, Math.max(0, i - 2), i + L);
          if (left.some((x) => x.start < i && x.end > i && x.tag !== 'x' && x.end - x.start >= 2)) continue;
        }
        let end = i + L;
        // 张伟明天: a two-character given name whose last character starts a word with what follows.
        if (L === sl + 2 && end < n && isCjk(text[end])) {
          const tail = this.tokens(text, end - 1, Math.min(n, end + 2));
          if (tail[0] && tail[0].end - tail[0].start >= 2 && tail[0].tag !== 'x' && !NAME_TAGS.has(tail[0].tag)) end -= 1;
        }
        push({ start: i, end, score, rule });
        i = end - 1;
      }
    }

    // 4c. Japanese names (木村拓哉, 村上春树, 铃木一朗): a listed Japanese family name that the segmenter reads
    // as the start of a longer token (name, noun or out-of-vocabulary run of 3–5 characters), or as a token
    // of its own followed by a short name or out-of-vocabulary token.
    if (this.seg && this.lex.japaneseSurnames.size) {
      const first = this.jaFirstRe;
      first.lastIndex = 0;
      for (let m; (m = first.exec(text)); ) {
        const i = m.index;
        if (i + 2 >= n) break;
        const sl = this.lex.japaneseSurnames.has(text.substr(i, 3)) ? 3 : this.lex.japaneseSurnames.has(text.substr(i, 2)) ? 2 : 0;
        if (!sl || covered[i] || !isCjk(text[i + sl]) || NAME_STOP.has(text[i + sl])) continue;
        if (i > 0 && isCjk(text[i - 1]) && !this.personLeft(text, i) && !PERSON_BEFORE_JA.has(text[i - 1])) continue;
        const toks = this.tokens(text, i, Math.min(n, i + sl + 4));
        const t0 = toks[0];
        if (!t0) continue;
        let end = 0;
        const L0 = t0.end - t0.start;
        if (L0 > sl && L0 <= sl + 3 && (NAME_TAGS.has(t0.tag) || t0.tag === 'n' || t0.tag === 'x')) end = t0.end;
        else if (L0 === sl && toks[1] && toks[1].end - toks[1].start <= 2 && (NAME_TAGS.has(toks[1].tag) || toks[1].tag === 'x')) end = toks[1].end;
        while (end > i + sl && NAME_STOP.has(text[end - 1])) end--;
        if (end <= i + sl) continue;
        if (anyCovered(covered, i, end)) continue;
        push({ start: i, end, score: 0.6, rule: 'ner.person.ja' });
        first.lastIndex = end;
      }
    }

    // 4d. Nicknames with a person context (和/跟/给 … on the left, 说/表示 … on the right): 阿明, 小明, 丽丽.
    // 阿 + a name-like character that the segmenter reads as one name or unknown token; 小 + a strongly
    // name-like character (小编, 小孩 are words); a reduplicated name-like character (丽丽) read as a name.
    if (this.seg) {
      NICK_START.lastIndex = 0;
      for (let m; (m = NICK_START.exec(text)); ) {
        const i = m.index;
        NICK_START.lastIndex = i + 1;
        const ch = text[i];
        const b = text[i + 1];
        if (covered[i] || covered[i + 1] || !isCjk(b) || NAME_STOP.has(b) || CN_NUMERALS.has(b)) continue;
        let kind = '';
        if (KIN.has(b) || SMALL_NOT_GIVEN.has(b)) continue;
        if (ch === '阿' && this.charScore(b) >= 1) kind = 'a';
        else if (ch === '小' && this.charScore(b) >= 1.5 && !SMALL_NOT_GIVEN.has(b)) kind = 'xiao';
        else if (ch === b && this.charScore(b) >= 1.5 && text[i - 1] !== ch && text[i + 2] !== ch) kind = 'aa';
        if (!kind) continue;
        if (text.slice(Math.max(0, i - 2), i) === '客服') continue;
        const left = (this.personLeft(text, i) && text[i - 1] !== '是') || ((i === 0 || !isCjk(text[i - 1])) && kind === 'a') || this.relationBefore(text, i);
        const right = this.cueAfter(text, i + 2) || (kind === 'a' && '哥姐仔妹'.includes(text[i + 2] ?? '\u0000'));
        if (!left && !right) continue;
        const toks = this.tokens(text, i, Math.min(n, i + 4));
        const t = toks.find((x) => x.start === i);
        if (!t || t.end !== i + 2) continue;
        if (!(NAME_TAGS.has(t.tag) || (t.tag === 'x' && kind !== 'aa'))) continue;
        push({ start: i, end: i + 2, score: 0.55, rule: 'ner.person.nickname' });
        NICK_START.lastIndex = i + 2;
      }
    }

    // 4e. 晓东哥, 丽娟姐: two name-like characters (each in given-chars.txt or scored ≥ 1) that are not a word
    // of their own, before 哥/姐/兄/妹/弟 and read by the segmenter as one unknown or name token with it:
    // the given name is PERSON.
    if (this.seg) {
      SIBLING.lastIndex = 0;
      for (let m; (m = SIBLING.exec(text)); ) {
        const t = m.index;
        if (t < 2) continue;
        const a = text[t - 2];
        const b = text[t - 1];
        if (covered[t - 2] || covered[t - 1] || !isCjk(a) || !isCjk(b) || text[t + 1] === text[t]) continue;
        if (KIN.has(a) || KIN.has(b) || '小老大阿'.includes(a) || this.charScore(a) < 1 || this.charScore(b) < 1 || !this.nameLike(a + b)) continue;
        if (t > 2 && isCjk(text[t - 3]) && !this.personLeft(text, t - 2) && !PERSON_BEFORE_JA.has(text[t - 3])) continue;
        const whole = this.tokens(text, t - 2, t + 1);
        if (!(whole.length === 1 && whole[0].tag === 'x') && !(whole.length === 2 && whole[0].end === t && NAME_TAGS.has(whole[0].tag))) continue;
        const g = this.seg.tag(a + b);
        if (g.length === 1 && g[0].tag !== 'x' && !NAME_TAGS.has(g[0].tag)) continue;
        push({ start: t - 2, end: t, score: 0.55, rule: 'ner.person.nickname' });
      }
    }

    // 4b. Transliterated foreign names (扎克伯格, 毕加索, 兰德里): a run of 3–6 transliteration characters
    // that the segmenter reads as a name (first token nr/nrt/nrfg, no place or common-noun token), not a
    // listed brand or place, after a person context (和/与/跟/@/给 …) or tagged as one whole name token.
    if (this.seg && this.lex.translitChars.size) {
      const tc = this.lex.translitChars;
      for (let i = 0; i < n; i++) {
        if (!tc.has(text[i])) continue;
        let j = i + 1;
        while (j < n && tc.has(text[j])) j++;
        const start = i;
        i = j - 1;
        const L = j - start;
        if (L < 2 || L > 6) continue;
        let bad = false;
        for (let k = start; k < j; k++) if (covered[k] || (k > start && text[k] === text[k - 1])) bad = true;
        if (bad) continue;
        const run = text.slice(start, j);
        if (this.lex.translitNotNames.some((w) => run.includes(w))) continue;
        const after = this.cueAfter(text, j);
        if (L === 2 && !after) continue; // checked before the segmenter is asked
        const toks = this.tokens(text, start, j);
        if (!toks.length) continue;
        const whole = toks.length === 1;
        const cue = this.personLeft(text, start);
        if (L === 2) {
          // 哈登/nrt 说: two characters only as one name token before a speech or action word.
          if (!(whole && NAME_TAGS.has(toks[0].tag) && after)) continue;
        } else if (!NAME_TAGS.has(toks[0].tag)) {
          // 奥巴马/ns 访华: jieba reads some foreign names as places; one whole token before a speech or action
          // word (表示, 访华 …) that is not a listed division.
          if (!(whole && (toks[0].tag === 'ns' || toks[0].tag === 'j') && after && !this.lex.divisions.has(run))) continue;
        } else {
          if (toks[0].end - toks[0].start < 2) continue;
          if (toks.some((t) => t.end - t.start >= 2 && !NAME_TAGS.has(t.tag) && t.tag !== 'x')) continue;
          if (!cue && !whole && !after) continue;
        }
        push({ start, end: j, score: cue ? 0.6 : 0.5, rule: 'ner.person.translit' });
      }
    }

    // 5. Optional: whole-text segmentation; the segmenter's own names (nr/nrfg/nrt, 3+ characters) such as
    // transliterated foreign names that start with no surname.
    if (this.seg && this.fullSegmentation) {
      for (const t of this.seg.tag(text)) {
        if (!NAME_TAGS.has(t.tag) || t.end - t.start < 3 || t.end - t.start > 5) continue;
        if (anyCovered(covered, t.start, t.end) || [...t.word].some((ch) => !isCjk(ch) || NAME_STOP.has(ch))) continue;
        // jieba's dictionary tags many compounds and idioms nr (胡萝卜, 安全感, 普天同庆): not those that start
        // or end with a dictionary word that is not a name, nor listed brands and places.
        if (this.affixWord(t.word) || this.lex.translitNotNames.some((w) => t.word.includes(w)) || this.lex.divisions.has(t.word)) continue;
        // Four- and five-character tokens are mostly idioms (万紫千红/nr): only those that start with a surname
        // or are mostly transliteration characters.
        if (t.word.length >= 4 && !this.surnameAt(t.word, 0) && [...t.word].filter((ch) => this.lex.translitChars.has(ch)).length * 2 < t.word.length) continue;
        if (PLACE_LAST.has(t.word[t.word.length - 1])) continue;
        push({ start: t.start, end: t.end, score: 0.5, rule: 'ner.person.segmenter-full' });
      }
    }

    // 6. Optional: @mentions in social-media text (//@小熊馆长:), which Weibo annotators label as names.
    if (this.mentions && text.includes('@')) {
      MENTION.lastIndex = 0;
      for (let m; (m = MENTION.exec(text)); ) {
        const start = m.index + 1;
        const end = start + m[1].length;
        if (!anyCovered(covered, start, end)) push({ start, end, score: 0.5, rule: 'ner.person.mention' });
      }
    }

    // 7. A name found once is a name elsewhere in the same text (兰德里 … 与兰德里面对面): other occurrences
    // of an accepted CJK name of 3+ characters that no rule covered (two-character spans repeated too many
    // false alarms on the Resume set: 车间, 马钢).
    const found = cands.length;
    for (let c = 0; c < found; c++) {
      const { start, end } = cands[c];
      if (end - start < 3) continue;
      const name = text.slice(start, end);
      if (![...name].every((ch) => isCjk(ch))) continue;
      for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
        if (!anyCovered(covered, at, at + name.length)) push({ start: at, end: at + name.length, score: Math.min(cands[c].score, 0.6), rule: 'ner.person.repeat' });
      }
    }

    for (const c of cands) out.push({ type: 'PERSON', start: c.start, end: c.end, score: c.score, rule: c.rule });
  }
}
