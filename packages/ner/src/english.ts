import type { PiiSpan } from '@scrubline/core';
import type { Lexicons } from './lexicon.js';

/** Particles, pronouns and verbs that never occur inside a Chinese organisation name. */
const ORG_BREAK = new Set([...'的了吗呢吧啊我你您他她它们这那是有和跟与或但就都也还又很太能会要想把被给让对不没请帮说后为看选择填写怎样']);

const CAP_WORD = /\b[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*\b/g;

/** Capitalised words that follow greeting or closing cues but are not names. */
const NOT_NAMES = new Set(
  (
    'There Team Customer Customers Support Service Services All Everyone Sir Madam Guys Again Please Thanks Thank Hello Hi Hey ' +
    'Dear The I You We Good Morning Afternoon Evening Regards Best Kind Sincerely Yours For Your My Our This That It Is Are ' +
    'Mr Mrs Ms Miss Dr Prof Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March July ' +
    'August September October November December Sales Billing Shipping Delivery Order Account Admin Manager Staff Department'
  ).split(' '),
);

export class EnglishPersonRecognizer {
  private readonly cueRe: RegExp;
  private readonly titleRe: RegExp;
  constructor(private readonly lex: Lexicons) {
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\']/g, (c) => (c === "'" ? "['’]" : '\\' + c));
    const cues = [...new Set([...lex.en.cuesBefore, ...lex.en.closings])].sort((a, b) => b.length - a.length);
    this.cueRe = new RegExp(`(?:^|[^A-Za-z])(?:${cues.map(esc).join('|')})[\\s,:!-]*$`, 'i');
    this.titleRe = new RegExp(`(?:^|[^A-Za-z])(?:${[...lex.en.titles].map(esc).join('|')})\\.?\\s+$`, 'i');
  }

  detect(text: string, out: PiiSpan[]): void {
    if (!/[A-Z]/.test(text)) return;
    const words: { w: string; s: number; e: number }[] = [];
    CAP_WORD.lastIndex = 0;
    for (let m; (m = CAP_WORD.exec(text)); ) words.push({ w: m[0], s: m.index, e: m.index + m[0].length });
    const en = this.lex.en;
    for (let i = 0; i < words.length; i++) {
      const { w, s } = words[i];
      if (NOT_NAMES.has(w) || this.lex.en.titles.has(w.toLowerCase())) continue;
      const before = text.slice(Math.max(0, s - 24), s);
      const next = words[i + 1];
      const adjacentNext = next && /^ $/.test(text.slice(words[i].e, next.s)) ? next : undefined;
      let score = 0;
      let rule = '';
      if (this.titleRe.test(before)) {
        score = 0.85;
        rule = 'ner.person.en-title';
      } else if (this.cueRe.test(before)) {
        score = 0.8;
        rule = 'ner.person.en-cue';
      } else if (en.first.has(w) && !en.firstAmbiguous.has(w)) {
        score = 0.7;
        rule = 'ner.person.en-list';
      } else if (en.firstAmbiguous.has(w) && adjacentNext && en.surnames.has(adjacentNext.w)) {
        score = 0.7;
        rule = 'ner.person.en-list';
      } else continue;
      let end = words[i].e;
      let j = i;
      while (j - i < 2) {
        const nx = words[j + 1];
        if (!nx || text.slice(words[j].e, nx.s) !== ' ' || NOT_NAMES.has(nx.w)) break;
        if (!(en.surnames.has(nx.w) || en.first.has(nx.w) || (rule !== 'ner.person.en-list' && j === i))) break;
        j++;
        end = nx.e;
      }
      out.push({ type: 'PERSON', start: s, end, score, rule });
      i = j;
    }
  }
}

export class OrgRecognizer {
  private readonly suffixFirst: Map<string, string[]>;
  private readonly enCueRe: RegExp;
  private readonly enSuffix: Set<string>;
  constructor(private readonly lex: Lexicons) {
    this.suffixFirst = new Map();
    for (const s of lex.org.suffixZh) this.suffixFirst.set(s[0], [...(this.suffixFirst.get(s[0]) ?? []), s]);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.enCueRe = new RegExp(`\\b(?:${lex.org.cueBeforeEn.map(esc).join('|')})\\s+((?:[A-Z][\\w&'-]*\\.?)(?:\\s+(?:of\\s+|&\\s+)?[A-Z][\\w&'-]*\\.?){0,5})`, 'g');
    this.enSuffix = new Set(lex.org.suffixEn.map((s) => s.replace(/\.$/, '')));
  }

  detect(text: string, out: PiiSpan[]): void {
    const n = text.length;
    for (let k = 1; k < n; k++) {
      const suffix = this.suffixFirst.get(text[k])?.find((s) => text.startsWith(s, k));
      if (!suffix) continue;
      const e = k + suffix.length;
      let found = -1;
      let cueScore = 0;
      for (let j = k - 1; j >= Math.max(0, k - 16); j--) {
        const c = text.charCodeAt(j);
        if (!((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) break;
        const cue = this.lex.org.cueBeforeZh.find((q) => text.endsWith(q, j));
        if (cue) {
          found = j;
          cueScore = 0.7;
          break;
        }
        // Particles, pronouns and verbs do not occur in organisation names (在订单完成后为您换开公司).
        if (ORG_BREAK.has(text[j])) break;
      }
      if (found < 0 || found >= k) continue;
      // 快递公司 / 子公司 / 这家医院: a generic head noun, not a name.
      if (this.lex.org.genericZh.includes(text.slice(found, k))) continue;
      const after = this.lex.org.cueAfterZh.some((q) => text.startsWith(q, e));
      out.push({ type: 'ORG', start: found, end: e, score: after ? cueScore + 0.15 : cueScore, rule: 'ner.org.affiliation' });
      k = e - 1;
    }
    if (/[A-Z]/.test(text)) {
      this.enCueRe.lastIndex = 0;
      for (let m; (m = this.enCueRe.exec(text)); ) {
        const name = m[1];
        const parts = name.split(/\s+/);
        let keep = parts.length;
        let idx = -1;
        parts.forEach((p, q) => {
          if (this.enSuffix.has(p.replace(/\.$/, ''))) idx = q;
        });
        if (idx >= 0) keep = idx + 1;
        else if (parts.length < 2) continue;
        let str = parts.slice(0, keep).join(' ');
        if (idx < 0 || !/^(Inc|Ltd|Corp|Co)\.$/.test(parts[idx] ?? '')) str = str.replace(/\.$/, '');
        const start = m.index + m[0].length - name.length;
        out.push({ type: 'ORG', start, end: start + str.length, score: 0.7, rule: 'ner.org.en-affiliation' });
      }
    }
  }
}
