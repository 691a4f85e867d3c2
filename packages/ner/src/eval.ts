/**
 * A small span scorer for the NER tier (bench/ner-eval): per-type precision, recall and F2 with overlap
 * matching (one-to-one, same type) and exact matching, and the share of gold characters covered by predicted
 * spans of the same type. `@scrubline/pii-eval`'s `evaluate` is the project's harness; it matches overlaps
 * many-to-many and measures the leak over spans of any type, so its numbers differ from these.
 */
export interface GoldSpan {
  type: string;
  start: number;
  end: number;
}

export interface GoldItem {
  id: string;
  text: string;
  spans: GoldSpan[];
}

export interface TypeScore {
  gold: number;
  pred: number;
  tp: number;
  exact: number;
  precision: number;
  recall: number;
  f2: number;
  exactPrecision: number;
  exactRecall: number;
  goldChars: number;
  coveredChars: number;
  charCoverage: number;
}

export interface ScoreReport {
  types: Record<string, TypeScore>;
  /** Masked misses and false alarms: id, type, offsets and the span's length — never the text. */
  misses: { id: string; type: string; start: number; end: number }[];
  falseAlarms: { id: string; type: string; start: number; end: number; rule?: string }[];
}

function fbeta(p: number, r: number, beta = 2): number {
  const b2 = beta * beta;
  return p + r === 0 ? 0 : ((1 + b2) * p * r) / (b2 * p + r);
}

export function scoreSpans(
  items: { id: string; gold: GoldSpan[]; pred: (GoldSpan & { rule?: string })[] }[],
  onlyTypes?: string[],
): ScoreReport {
  const acc: Record<string, { gold: number; pred: number; tp: number; exact: number; goldChars: number; coveredChars: number }> = {};
  const misses: ScoreReport['misses'] = [];
  const falseAlarms: ScoreReport['falseAlarms'] = [];
  const slot = (t: string) => (acc[t] ??= { gold: 0, pred: 0, tp: 0, exact: 0, goldChars: 0, coveredChars: 0 });
  const want = (t: string) => !onlyTypes || onlyTypes.includes(t);
  for (const it of items) {
    const gold = it.gold.filter((g) => want(g.type));
    const pred = it.pred.filter((p) => want(p.type));
    for (const g of gold) {
      const a = slot(g.type);
      a.gold++;
      a.goldChars += g.end - g.start;
      for (let c = g.start; c < g.end; c++) if (pred.some((p) => p.type === g.type && p.start <= c && c < p.end)) a.coveredChars++;
    }
    for (const p of pred) slot(p.type).pred++;
    const usedPred = new Set<number>();
    for (const g of gold) {
      let best = -1;
      let bestOverlap = 0;
      pred.forEach((p, i) => {
        if (usedPred.has(i) || p.type !== g.type) return;
        const ov = Math.min(p.end, g.end) - Math.max(p.start, g.start);
        if (ov > bestOverlap) {
          bestOverlap = ov;
          best = i;
        }
      });
      if (best >= 0) {
        usedPred.add(best);
        const a = slot(g.type);
        a.tp++;
        if (pred[best].start === g.start && pred[best].end === g.end) a.exact++;
      } else misses.push({ id: it.id, type: g.type, start: g.start, end: g.end });
    }
    pred.forEach((p, i) => {
      if (!usedPred.has(i)) falseAlarms.push({ id: it.id, type: p.type, start: p.start, end: p.end, rule: p.rule });
    });
  }
  const types: Record<string, TypeScore> = {};
  for (const t of Object.keys(acc).sort()) {
    const a = acc[t];
    const precision = a.pred ? a.tp / a.pred : 0;
    const recall = a.gold ? a.tp / a.gold : 0;
    const exactPrecision = a.pred ? a.exact / a.pred : 0;
    const exactRecall = a.gold ? a.exact / a.gold : 0;
    types[t] = {
      ...a,
      precision,
      recall,
      f2: fbeta(precision, recall),
      exactPrecision,
      exactRecall,
      charCoverage: a.goldChars ? a.coveredChars / a.goldChars : 0,
    };
  }
  return { types, misses, falseAlarms };
}
