import { safeId } from '@scrubline/core';
import type { GoldLine, GoldSpan, PredLine, PredSpan } from './jsonl.js';
import { isIdentifyingChar, maskContext } from './mask.js';

/** The structured (rule-based) entity types of issue 3, in report order. */
export const STRUCTURED_TYPES = [
  'PERSON_ID', 'PHONE', 'BANK_CARD', 'EMAIL', 'IP', 'URL', 'USCC', 'PASSPORT', 'PERMIT', 'PLATE', 'WECHAT', 'QQ', 'POSTCODE', 'DOB',
  'ORDER_ID', 'TRACKING_NO', 'HANDLE', 'SSN', 'ACCOUNT_ID',
] as const;
/** Types the NER tier adds. */
export const NER_TYPES = ['PERSON', 'ADDRESS', 'ORG'] as const;
const ORDER: string[] = [...STRUCTURED_TYPES, ...NER_TYPES];

export interface EvalOptions {
  /** Only these types count (gold and predictions). The leak still counts coverage by predictions of any type. */
  types?: string[];
  /** Characters of masked context either side in the lists (default 12). */
  context?: number;
  /** Most entries kept in each list (default 200); the totals are always exact. */
  maxList?: number;
}

/** Matched counts: for overlap matching, `matchedGold` and `matchedPred` can differ. */
export interface MatchCounts {
  gold: number;
  pred: number;
  matchedGold: number;
  matchedPred: number;
  /** matchedPred / pred (1 when nothing was predicted). */
  precision: number;
  /** matchedGold / gold (1 when there is no gold). */
  recall: number;
  /** F-beta with beta = 2 (recall weighs more, as presidio-research uses). */
  f2: number;
}

export interface LeakCounts {
  /** Identifying characters (letters, digits, ideographs) inside gold spans. */
  goldChars: number;
  /** Of those, characters no predicted span (of any type) covers. */
  leakedChars: number;
  /** leakedChars / goldChars (0 when there is no gold). */
  share: number;
}

export interface TypeResult {
  type: string;
  exact: MatchCounts;
  overlap: MatchCounts;
  leak: LeakCounts;
}

export type FindingKind = 'miss' | 'wrong-type' | 'partial' | 'false-alarm';

/** One entry of the miss / false-alarm lists: location and MASKED context only. */
export interface Finding {
  /** The line id as core's safeId shows it (digit runs of 6+ as `#`, e-mail/URL-shaped ids masked). */
  id: string;
  kind: FindingKind;
  type: string;
  /** For wrong-type: the other side's type(s). */
  otherTypes?: string[];
  start: number;
  end: number;
  /** For partial: identifying characters of the gold span left uncovered. */
  leakedChars?: number;
  rule?: string;
  masked: string;
}

export interface EvalResult {
  lines: number;
  linesWithoutGold: number;
  /** Gold ids that had no prediction line (counted as predicting nothing). */
  missingPredLines: number;
  /** Prediction lines whose id is not in the gold file (ignored). */
  unknownPredLines: number;
  /** Predicted spans that end past their gold text (ignored: the files do not belong together). */
  outOfRangePredSpans: number;
  types: TypeResult[];
  overall: { exact: MatchCounts; overlap: MatchCounts; leak: LeakCounts };
  /** Gold spans with no overlapping prediction of the same type (kind miss or wrong-type), plus partially covered ones (kind partial). */
  misses: Finding[];
  missesTotal: number;
  /** Predictions with no overlapping gold span of the same type. */
  falseAlarms: Finding[];
  falseAlarmsTotal: number;
  /** Lines without gold spans on which something was predicted. */
  negativeLinesFlagged: number;
}

export function fBeta(precision: number, recall: number, beta = 2): number {
  const b2 = beta * beta;
  const d = b2 * precision + recall;
  return d === 0 ? 0 : ((1 + b2) * precision * recall) / d;
}

function counts(gold: number, pred: number, matchedGold: number, matchedPred: number): MatchCounts {
  const precision = pred === 0 ? 1 : matchedPred / pred;
  const recall = gold === 0 ? 1 : matchedGold / gold;
  return { gold, pred, matchedGold, matchedPred, precision, recall, f2: fBeta(precision, recall) };
}

interface Acc {
  gold: number;
  pred: number;
  exact: number;
  ovGold: number;
  ovPred: number;
  goldChars: number;
  leaked: number;
}
const newAcc = (): Acc => ({ gold: 0, pred: 0, exact: 0, ovGold: 0, ovPred: 0, goldChars: 0, leaked: 0 });
const overlaps = (a: GoldSpan, b: GoldSpan) => a.start < b.end && b.start < a.end;

/**
 * Scores predictions against gold. Exact: same type and offsets. Overlap: a gold
 * span counts as found when a prediction of the same type overlaps it, and a
 * prediction as right when it overlaps a gold span of its type. The leak is the
 * share of identifying gold characters that no prediction covers.
 */
export function evaluate(gold: GoldLine[], pred: PredLine[], options: EvalOptions = {}): EvalResult {
  const want = options.types?.length ? new Set(options.types) : null;
  const keep = (t: string) => !want || want.has(t);
  const window = options.context ?? 12;
  const maxList = options.maxList ?? 200;
  const predById = new Map<string, PredSpan[]>();
  for (const p of pred) predById.set(p.id, [...(predById.get(p.id) ?? []), ...p.spans]);
  const goldIds = new Set(gold.map((g) => g.id));
  let unknownPredLines = 0;
  for (const id of predById.keys()) if (!goldIds.has(id)) unknownPredLines++;

  const acc = new Map<string, Acc>();
  const get = (t: string) => {
    let a = acc.get(t);
    if (!a) acc.set(t, (a = newAcc()));
    return a;
  };
  const misses: Finding[] = [];
  const falseAlarms: Finding[] = [];
  let missesTotal = 0;
  let falseAlarmsTotal = 0;
  let missingPredLines = 0;
  let linesWithoutGold = 0;
  let negativeLinesFlagged = 0;
  let outOfRangePredSpans = 0;

  for (const line of gold) {
    const allPred = predById.get(line.id);
    if (!allPred) missingPredLines++;
    const preds = (allPred ?? []).filter((s) => s.end <= line.text.length);
    outOfRangePredSpans += (allPred?.length ?? 0) - preds.length;
    const golds = line.spans.filter((s) => keep(s.type));
    const predsT = preds.filter((s) => keep(s.type));
    if (line.spans.length === 0) {
      linesWithoutGold++;
      if (predsT.length) negativeLinesFlagged++;
    }
    // every gold and predicted span is masked in any context we print
    const protect = [...line.spans, ...preds];
    const covered = new Uint8Array(line.text.length);
    for (const p of preds) covered.fill(1, p.start, p.end);
    /** A list entry for span `s`: wrong-type when spans of other types overlap it, masked context only. */
    const finding = (s: GoldSpan, kind: FindingKind, others: string[], extra: Partial<Finding> = {}): Finding => ({
      id: safeId(line.id),
      kind: others.length ? 'wrong-type' : kind,
      type: s.type,
      ...(others.length ? { otherTypes: [...new Set(others)] } : {}),
      start: s.start,
      end: s.end,
      ...extra,
      masked: maskContext(line.text, s.start, s.end, { type: s.type, window, protect }),
    });

    for (const g of golds) {
      const a = get(g.type);
      a.gold++;
      if (predsT.some((p) => p.type === g.type && p.start === g.start && p.end === g.end)) a.exact++;
      const same = predsT.filter((p) => p.type === g.type && overlaps(p, g));
      let chars = 0;
      let leaked = 0;
      for (let i = g.start; i < g.end; i++) {
        const cp = line.text.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        if (cp > 0xffff) i++; // astral character: count once
        if (!isIdentifyingChar(ch)) continue;
        chars++;
        if (!covered[i]) leaked++;
      }
      a.goldChars += chars;
      a.leaked += leaked;
      if (same.length) {
        a.ovGold++;
        if (leaked > 0) {
          missesTotal++;
          if (misses.length < maxList) misses.push(finding(g, 'partial', [], { leakedChars: leaked }));
        }
      } else {
        missesTotal++;
        const other = predsT.filter((p) => overlaps(p, g)).map((p) => p.type);
        if (misses.length < maxList) misses.push(finding(g, 'miss', other, { leakedChars: leaked }));
      }
    }
    for (const p of predsT) {
      const a = get(p.type);
      a.pred++;
      if (golds.some((g) => g.type === p.type && overlaps(p, g))) {
        a.ovPred++;
        continue;
      }
      falseAlarmsTotal++;
      const other = golds.filter((g) => overlaps(p, g)).map((g) => g.type);
      if (falseAlarms.length < maxList) falseAlarms.push(finding(p, 'false-alarm', other, p.rule ? { rule: p.rule } : {}));
    }
  }

  const typeNames = [...acc.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const types: TypeResult[] = typeNames.map((t) => {
    const a = acc.get(t)!;
    return {
      type: t,
      exact: counts(a.gold, a.pred, a.exact, a.exact),
      overlap: counts(a.gold, a.pred, a.ovGold, a.ovPred),
      leak: leakCounts(a.goldChars, a.leaked),
    };
  });
  const sum = newAcc();
  for (const a of acc.values()) for (const k of Object.keys(sum) as (keyof Acc)[]) sum[k] += a[k];
  return {
    lines: gold.length,
    linesWithoutGold,
    missingPredLines,
    unknownPredLines,
    outOfRangePredSpans,
    types,
    overall: {
      exact: counts(sum.gold, sum.pred, sum.exact, sum.exact),
      overlap: counts(sum.gold, sum.pred, sum.ovGold, sum.ovPred),
      leak: leakCounts(sum.goldChars, sum.leaked),
    },
    misses,
    missesTotal,
    falseAlarms,
    falseAlarmsTotal,
    negativeLinesFlagged,
  };
}

function leakCounts(goldChars: number, leakedChars: number): LeakCounts {
  return { goldChars, leakedChars, share: goldChars === 0 ? 0 : leakedChars / goldChars };
}

function rank(t: string): number {
  const i = ORDER.indexOf(t);
  return i < 0 ? ORDER.length : i;
}
