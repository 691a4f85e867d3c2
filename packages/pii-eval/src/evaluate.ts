import { safeId, ScrubError } from '@scrubline/core';
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

/**
 * Matched counts. A gold span is matched when a prediction matches it and a prediction when it
 * matches a gold span, each counted once: `matchedGold <= gold` and `matchedPred <= pred`, so
 * precision and recall never pass 100 % (for overlap matching the two can differ; for exact
 * matching they differ only where the same span is predicted twice).
 */
export interface MatchCounts {
  gold: number;
  pred: number;
  matchedGold: number;
  matchedPred: number;
  /** matchedPred / pred; null (n/a) when nothing was predicted. */
  precision: number | null;
  /** matchedGold / gold; null (n/a) when there is no gold. */
  recall: number | null;
  /**
   * F-beta with beta = 2 (recall weighs more, as presidio-research uses). A side that is n/a counts
   * as 0: no prediction means nothing was found (recall 0), no gold means nothing predicted was right
   * (precision 0); null only when there is neither gold nor prediction.
   */
  f2: number | null;
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

export type FindingKind = 'miss' | 'wrong-type' | 'partial' | 'false-alarm' | 'boundary';

/** One entry of the lists: location and MASKED context only. */
export interface Finding {
  /** The line id as core's safeId shows it (digit runs of 6+ as `#`, e-mail/URL-shaped ids masked). */
  id: string;
  kind: FindingKind;
  type: string;
  /** For wrong-type: the other side's type(s). */
  otherTypes?: string[];
  start: number;
  end: number;
  /** For partial (and a boundary entry that leaves some): identifying characters of the gold span left uncovered. */
  leakedChars?: number;
  /** For boundary: where the predictions of the type that overlap the gold span begin and end (their extent). */
  predStart?: number;
  predEnd?: number;
  /** For boundary: how many predictions of the type overlap the gold span. */
  preds?: number;
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
  /**
   * Gold spans found by overlap but not exactly (kind boundary): a prediction too long (it swallows
   * context), too short, shifted or split. `boundariesTotal` is overlap matchedGold minus exact
   * matchedGold. Too-short ones leave characters uncovered and are also listed as partial misses.
   */
  boundaries: Finding[];
  boundariesTotal: number;
  /** Lines without gold spans on which something was predicted. */
  negativeLinesFlagged: number;
}

export function fBeta(precision: number, recall: number, beta = 2): number {
  const b2 = beta * beta;
  const d = b2 * precision + recall;
  return d === 0 ? 0 : ((1 + b2) * precision * recall) / d;
}

/** Precision, recall and F2 from counts; n/a (null) where the denominator is 0 (see MatchCounts). */
export function matchCounts(gold: number, pred: number, matchedGold: number, matchedPred: number): MatchCounts {
  const precision = pred === 0 ? null : matchedPred / pred;
  const recall = gold === 0 ? null : matchedGold / gold;
  const f2 = gold === 0 && pred === 0 ? null : fBeta(precision ?? 0, recall ?? 0);
  return { gold, pred, matchedGold, matchedPred, precision, recall, f2 };
}

interface Acc {
  gold: number;
  pred: number;
  exactGold: number;
  exactPred: number;
  ovGold: number;
  ovPred: number;
  goldChars: number;
  leaked: number;
}
const newAcc = (): Acc => ({ gold: 0, pred: 0, exactGold: 0, exactPred: 0, ovGold: 0, ovPred: 0, goldChars: 0, leaked: 0 });

/**
 * Spans sorted by start with the running maximum of their ends: whether any span overlaps
 * `[s, e)` is a binary search (O(log n)); listing them walks back from there.
 */
class SpanIndex {
  private readonly order: number[];
  private readonly starts: Int32Array;
  private readonly maxEnd: Int32Array;
  constructor(private readonly spans: readonly GoldSpan[]) {
    this.order = spans.map((_, i) => i).sort((a, b) => spans[a].start - spans[b].start || a - b);
    this.starts = Int32Array.from(this.order, (i) => spans[i].start);
    this.maxEnd = new Int32Array(this.order.length);
    let m = -1;
    for (let k = 0; k < this.order.length; k++) this.maxEnd[k] = m = Math.max(m, spans[this.order[k]].end);
  }

  /** How many spans start before `e`. */
  private before(e: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] < e) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Some span overlaps `[s, e)`. */
  any(s: number, e: number): boolean {
    const k = this.before(e);
    return k > 0 && this.maxEnd[k - 1] > s;
  }

  /** The spans that overlap `[s, e)`, in their original order. */
  overlapping(s: number, e: number): GoldSpan[] {
    const hits: number[] = [];
    for (let k = this.before(e) - 1; k >= 0 && this.maxEnd[k] > s; k--) if (this.spans[this.order[k]].end > s) hits.push(this.order[k]);
    return hits.sort((a, b) => a - b).map((i) => this.spans[i]);
  }
}

/** One SpanIndex per type. */
function byType(spans: readonly GoldSpan[]): Map<string, SpanIndex> {
  const groups = new Map<string, GoldSpan[]>();
  for (const s of spans) {
    const g = groups.get(s.type);
    if (g) g.push(s);
    else groups.set(s.type, [s]);
  }
  return new Map([...groups].map(([t, g]) => [t, new SpanIndex(g)]));
}

const spanKey = (s: GoldSpan) => `${s.type}\u0000${s.start}\u0000${s.end}`;

/** Whether a code point is identifying (isIdentifyingChar), ASCII without a regular expression. */
function identifying(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return isIdentifyingChar(String.fromCodePoint(cp));
}

/**
 * Prefix counts over `text`: `ident[i]` identifying characters starting before offset i, `leak[i]`
 * those of them no predicted span covers. An astral character counts once, at its first unit.
 */
function charPrefixes(text: string, preds: readonly GoldSpan[]): { ident: Int32Array; leak: Int32Array } {
  const n = text.length;
  const depth = new Int32Array(n + 1);
  for (const p of preds) {
    depth[p.start]++;
    depth[p.end]--;
  }
  const ident = new Int32Array(n + 1);
  const leak = new Int32Array(n + 1);
  let cover = 0;
  for (let i = 0; i < n; i++) {
    cover += depth[i];
    const cp = text.codePointAt(i)!;
    const id = identifying(cp) ? 1 : 0;
    ident[i + 1] = ident[i] + id;
    leak[i + 1] = leak[i] + (id && cover === 0 ? 1 : 0);
    if (cp > 0xffff && i + 1 < n) {
      i++;
      cover += depth[i];
      ident[i + 1] = ident[i];
      leak[i + 1] = leak[i];
    }
  }
  return { ident, leak };
}

/**
 * Scores predictions against gold. Exact: same type and offsets. Overlap: a gold span counts as
 * found when a prediction of the same type overlaps it, and a prediction as right when it overlaps
 * a gold span of its type. The leak is the share of identifying gold characters that no prediction
 * covers. Line ids must be unique in both `gold` and `pred` (a repeated id is a ScrubError).
 * O(n log n) in the spans of a line.
 */
export function evaluate(gold: GoldLine[], pred: PredLine[], options: EvalOptions = {}): EvalResult {
  const want = options.types?.length ? new Set(options.types) : null;
  const keep = (t: string) => !want || want.has(t);
  const window = options.context ?? 12;
  const maxList = options.maxList ?? 200;
  const predById = new Map<string, PredSpan[]>();
  for (const p of pred) {
    if (predById.has(p.id)) throw new ScrubError('SCRUB_JSON_SHAPE', `prediction id repeated (${safeId(p.id)}): each line id has one prediction line`, { field: 'id' });
    predById.set(p.id, p.spans);
  }
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
  const boundaries: Finding[] = [];
  let missesTotal = 0;
  let falseAlarmsTotal = 0;
  let boundariesTotal = 0;
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
    if (golds.length === 0 && predsT.length === 0) continue;
    const goldIdx = byType(golds);
    const predIdx = byType(predsT);
    const goldKeys = new Set(golds.map(spanKey));
    const predKeys = new Set(predsT.map(spanKey));
    // every gold and predicted span is masked in any context we print
    const all = [...line.spans, ...preds];
    let allIdx: SpanIndex | undefined;
    /** A list entry for span `s`: wrong-type when spans of other types overlap it, masked context only. */
    const finding = (s: GoldSpan, kind: FindingKind, others: string[], extra: Partial<Finding> = {}): Finding => {
      allIdx ??= new SpanIndex(all);
      // the ranges maskContext can show: those within its window (one more unit either side for surrogate pairs)
      const protect = allIdx.overlapping(s.start - window - 1, s.end + window + 1);
      return {
        id: safeId(line.id),
        kind: others.length ? 'wrong-type' : kind,
        type: s.type,
        ...(others.length ? { otherTypes: others } : {}),
        start: s.start,
        end: s.end,
        ...extra,
        masked: maskContext(line.text, s.start, s.end, { type: s.type, window, protect }),
      };
    };
    /** The types in `idx` other than `s`'s with a span overlapping `s`, in order of first appearance. */
    const otherTypes = (s: GoldSpan, idx: Map<string, SpanIndex>) => [...idx].filter(([t, x]) => t !== s.type && x.any(s.start, s.end)).map(([t]) => t);
    const chars = golds.length ? charPrefixes(line.text, preds) : null;

    for (const g of golds) {
      const a = get(g.type);
      a.gold++;
      const exact = predKeys.has(spanKey(g));
      if (exact) a.exactGold++;
      const same = predIdx.get(g.type);
      const found = !!same?.any(g.start, g.end);
      const idChars = chars!.ident[g.end] - chars!.ident[g.start];
      const leaked = chars!.leak[g.end] - chars!.leak[g.start];
      a.goldChars += idChars;
      a.leaked += leaked;
      if (found) {
        a.ovGold++;
        if (leaked > 0) {
          missesTotal++;
          if (misses.length < maxList) misses.push(finding(g, 'partial', [], { leakedChars: leaked }));
        }
        if (!exact) {
          boundariesTotal++;
          if (boundaries.length < maxList) {
            const ps = same!.overlapping(g.start, g.end);
            let predStart = g.end;
            let predEnd = g.start;
            for (const p of ps) {
              predStart = Math.min(predStart, p.start);
              predEnd = Math.max(predEnd, p.end);
            }
            boundaries.push(
              finding(g, 'boundary', [], {
                predStart,
                predEnd,
                preds: ps.length,
                ...(leaked > 0 ? { leakedChars: leaked } : {}),
              }),
            );
          }
        }
      } else {
        missesTotal++;
        if (misses.length < maxList) misses.push(finding(g, 'miss', otherTypes(g, predIdx), { leakedChars: leaked }));
      }
    }
    for (const p of predsT) {
      const a = get(p.type);
      a.pred++;
      if (goldKeys.has(spanKey(p))) a.exactPred++;
      if (goldIdx.get(p.type)?.any(p.start, p.end)) {
        a.ovPred++;
        continue;
      }
      falseAlarmsTotal++;
      if (falseAlarms.length < maxList) falseAlarms.push(finding(p, 'false-alarm', otherTypes(p, goldIdx), p.rule ? { rule: p.rule } : {}));
    }
  }

  const typeNames = [...acc.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const types: TypeResult[] = typeNames.map((t) => {
    const a = acc.get(t)!;
    return {
      type: t,
      exact: matchCounts(a.gold, a.pred, a.exactGold, a.exactPred),
      overlap: matchCounts(a.gold, a.pred, a.ovGold, a.ovPred),
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
      exact: matchCounts(sum.gold, sum.pred, sum.exactGold, sum.exactPred),
      overlap: matchCounts(sum.gold, sum.pred, sum.ovGold, sum.ovPred),
      leak: leakCounts(sum.goldChars, sum.leaked),
    },
    misses,
    missesTotal,
    falseAlarms,
    falseAlarmsTotal,
    boundaries,
    boundariesTotal,
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
