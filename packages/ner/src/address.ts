import type { PiiSpan } from '@scrubline/core';
import type { DivisionLevel, Lexicons } from './lexicon.js';
import { isCjkCode, isDigitCode, isAsciiLetterCode, CN_NUMERALS } from './text.js';

const LEVEL_RANK: Record<DivisionLevel, number> = { province: 1, city: 2, district: 3 };
const ADDRESS_CONNECTORS = new Set([...'：: 　是为']);
const NUMBER_EXTRA = new Set([...'-－—#＃']);

interface Extent {
  end: number;
  admin: number;
  street: number;
}

/** English street address: number, street name, street type, optional unit, city, state and ZIP. */
const EN_ADDRESS =
  /\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent)\b\.?(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|#)\.?\s*#?[A-Za-z0-9-]{1,6}\b)?(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}(?![a-z]))?(?:,?\s*[A-Z]{2}\b(?:\s+\d{5}(?:-\d{4})?)?)?/g;

export class AddressRecognizer {
  /** First character of a division name → the longest name starting with it. */
  private readonly divisionFirst: Map<string, number>;
  private readonly cueFirst: Set<string>;
  private readonly namedSuffixes: string[];
  private readonly suffixLast: Set<string>;
  constructor(private readonly lex: Lexicons) {
    this.divisionFirst = new Map();
    for (const k of lex.divisions.keys()) this.divisionFirst.set(k[0], Math.max(this.divisionFirst.get(k[0]) ?? 0, k.length));
    this.cueFirst = new Set([...lex.addressCues.keys()].map((k) => k[0]));
    this.namedSuffixes = [...lex.townSuffixes, ...lex.roadSuffixes, ...lex.poiSuffixes].sort((a, b) => b.length - a.length);
    this.suffixLast = new Set(this.namedSuffixes.map((s) => s[s.length - 1]));
  }

  private divisionAt(text: string, p: number, lastRank: number): { len: number; rank: number } | null {
    const maxLen = this.divisionFirst.get(text[p]);
    if (!maxLen) return null;
    for (let L = Math.min(maxLen, text.length - p); L >= 2; L--) {
      const d = this.lex.divisions.get(text.substr(p, L));
      if (!d) continue;
      // District short forms (西湖 for 西湖区) only right after a province or city.
      if (d.short && d.level === 'district' && lastRank === 0) continue;
      return { len: L, rank: LEVEL_RANK[d.level] };
    }
    return null;
  }

  /** digits / letters / Chinese numerals + a unit (号, 栋, 单元, 室 …), or a bare room number after a component. */
  private numberAt(text: string, p: number, hasPrev: boolean): number {
    let k = p;
    let ascii = 0;
    let cn = 0;
    while (k < text.length) {
      const c = text.charCodeAt(k);
      if (isDigitCode(c) || isAsciiLetterCode(c)) ascii++;
      else if (CN_NUMERALS.has(text[k])) cn++;
      else if (!(NUMBER_EXTRA.has(text[k]) && k > p)) break;
      k++;
    }
    if (k === p || (ascii === 0 && cn === 0)) return 0;
    for (const u of this.lex.unitSuffixes) if (text.startsWith(u, k)) return k + u.length - p;
    if (text.startsWith('段', k)) return k + 1 - p;
    // A bare room number (…新世界中心2101); longer digit runs are phone or order numbers, not rooms.
    if (ascii >= 2 && ascii <= 6 && cn === 0 && hasPrev) return k - p;
    return 0;
  }

  /** A name ending in a town/road/POI suffix (文三路, 阳光花园, 望京街道). */
  private namedAt(text: string, p: number, hasPrev: boolean): number {
    const max = Math.min(text.length, p + 12);
    for (let k = p; k < max; k++) {
      const c = text.charCodeAt(k);
      const ch = text[k];
      if (isCjkCode(c)) {
        if (this.lex.addressStop.has(ch) || (k === p && this.lex.addressStopStart.has(ch))) return 0;
      } else if (!(isAsciiLetterCode(c) || (isDigitCode(c) && k > p))) return 0;
      if (!this.suffixLast.has(ch)) continue;
      const len = k + 1 - p;
      for (const s of this.namedSuffixes) {
        if (s.length > len) continue;
        if (text.endsWith(s, k + 1) && (len >= 2 || hasPrev)) return len;
      }
    }
    return 0;
  }

  /** A short building name right before a numbered part (太古汇2座). */
  private buildingAt(text: string, p: number): number {
    let k = p;
    if (this.lex.addressStopStart.has(text[p])) return 0;
    while (k < text.length && k - p < 6 && isCjkCode(text.charCodeAt(k)) && !this.lex.addressStop.has(text[k])) k++;
    if (k - p < 2) return 0;
    return this.numberAt(text, k, false) ? k - p : 0;
  }

  extend(text: string, start: number): Extent {
    let p = start;
    let lastRank = 0;
    let admin = 0;
    let street = 0;
    let end = start;
    while (p < text.length) {
      const hasPrev = admin + street > 0;
      if (street === 0) {
        const d = this.divisionAt(text, p, lastRank);
        // 新疆西藏: two siblings are a list, not one address; 中山北路 after a district is a road (below).
        if (d && d.rank > lastRank) {
          lastRank = d.rank;
          admin++;
          p += d.len;
          end = p;
          continue;
        }
      }
      let L = this.numberAt(text, p, hasPrev);
      if (!L) L = this.namedAt(text, p, hasPrev);
      if (!L) L = this.buildingAt(text, p);
      if (!L && hasPrev && (text[p] === ' ' || text[p] === '\u3000')) {
        const M = this.numberAt(text, p + 1, true);
        if (M) L = M + 1;
      }
      if (!L) break;
      street++;
      p += L;
      end = p;
    }
    return { end, admin, street };
  }

  detect(text: string, out: PiiSpan[], places: boolean): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      // Cue-anchored: 地址：…, 住在…, 寄到…
      let cueLen = 0;
      let strong = false;
      if (this.cueFirst.has(text[i])) {
        for (let L = Math.min(this.lex.addressCueMaxLen, n - i); L >= 1; L--) {
          const s = this.lex.addressCues.get(text.substr(i, L));
          if (s !== undefined) {
            cueLen = L;
            strong = s;
            break;
          }
        }
      }
      if (cueLen) {
        let p = i + cueLen;
        while (p < n && ADDRESS_CONNECTORS.has(text[p])) p++;
        if (text.startsWith('写的是', p)) p += 3;
        const x = this.extend(text, p);
        const ok = (x.street >= 1 && (x.admin >= 1 || x.street >= 2 || strong)) || x.admin >= 2 || (strong && x.admin >= 1);
        if (ok) {
          out.push({ type: 'ADDRESS', start: p, end: x.end, score: 0.85, rule: 'ner.address.cue' });
          i = x.end;
          continue;
        }
        i += cueLen;
        continue;
      }
      // Gazetteer-anchored: 杭州市西湖区文三路259号
      if (this.divisionFirst.has(text[i]) && this.divisionAt(text, i, 0)) {
        const x = this.extend(text, i);
        if (x.admin >= 1 && (x.street >= 1 || x.admin >= 2)) {
          out.push({ type: 'ADDRESS', start: i, end: x.end, score: x.street >= 1 ? 0.8 : 0.6, rule: 'ner.address.gazetteer' });
          i = x.end;
          continue;
        }
        if (places && x.admin === 1) {
          out.push({ type: 'ADDRESS', start: i, end: x.end, score: 0.4, rule: 'ner.address.place' });
          i = x.end;
          continue;
        }
      }
      i++;
    }

    if (/\d/.test(text)) {
      EN_ADDRESS.lastIndex = 0;
      for (let m; (m = EN_ADDRESS.exec(text)); ) {
        const s = m[0].replace(/[\s,]+$/, '');
        out.push({ type: 'ADDRESS', start: m.index, end: m.index + s.length, score: 0.8, rule: 'ner.address.en-street' });
      }
    }
  }
}
