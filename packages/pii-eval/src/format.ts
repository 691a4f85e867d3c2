import type { EvalResult, Finding, MatchCounts } from './evaluate.js';

/**
 * A share as a percentage that never rounds up to a better number than it is: `num / den`
 * floored to `digits` decimals (2546/2547 is 99.9, not 100.0: 100.0 only when exact),
 * `n/a` when `den` is 0. Integer arithmetic on the counts, so 57/100 is 57.0, not 56.9.
 */
export function pctDown(num: number, den: number, digits = 1): string {
  if (den === 0) return 'n/a';
  const scale = 10 ** digits;
  return (Math.floor((num * 100 * scale) / den) / scale).toFixed(digits);
}

/** A leak share as a percentage rounded up (a leak never shows as 0.00 unless nothing leaked). */
export function pctUp(num: number, den: number, digits = 2): string {
  if (den === 0) return (0).toFixed(digits);
  const scale = 10 ** digits;
  return (Math.ceil((num * 100 * scale) / den) / scale).toFixed(digits);
}

/** F2 as a percentage floored to one decimal (100.0 only when precision and recall are both exact). */
function f2Down(f2: number | null, digits = 1): string {
  if (f2 === null) return 'n/a';
  if (f2 >= 1) return (100).toFixed(digits);
  const scale = 10 ** digits;
  // a tiny allowance for the float arithmetic of F2 (0.5 may come out as 0.49999…), never reaching 100
  return (Math.min(100 * scale - 1, Math.floor(f2 * 100 * scale + 1e-6)) / scale).toFixed(digits);
}

/**
 * A readable report: one row per type (exact and overlap P/R/F2, leak), then the masked lists.
 * Precision and recall are floored, the leak rounded up; `n/a` where nothing was predicted (P) or
 * there is no gold (R).
 */
export function formatEval(r: EvalResult, opts: { maxList?: number } = {}): string {
  const maxList = opts.maxList ?? 50;
  const rows: string[][] = [['type', 'gold', 'pred', 'exact P', 'R', 'F2', 'overlap P', 'R', 'F2', 'leak %']];
  const row = (name: string, e: MatchCounts, o: MatchCounts, leak: { leakedChars: number; goldChars: number }) => [
    name,
    String(o.gold),
    String(o.pred),
    pctDown(e.matchedPred, e.pred),
    pctDown(e.matchedGold, e.gold),
    f2Down(e.f2),
    pctDown(o.matchedPred, o.pred),
    pctDown(o.matchedGold, o.gold),
    f2Down(o.f2),
    pctUp(leak.leakedChars, leak.goldChars),
  ];
  for (const t of r.types) rows.push(row(t.type, t.exact, t.overlap, t.leak));
  rows.push(row('overall', r.overall.exact, r.overall.overlap, r.overall.leak));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const fmt = (x: string[]) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out: string[] = [];
  out.push(fmt(rows[0]));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const x of rows.slice(1, -1)) out.push(fmt(x));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  out.push(fmt(rows[rows.length - 1]));
  out.push('');
  const l = r.overall.leak;
  out.push(`lines ${r.lines} (${r.linesWithoutGold} without gold spans, ${r.negativeLinesFlagged} of them flagged)`);
  out.push(`leak: ${l.leakedChars} of ${l.goldChars} identifying gold characters uncovered (${pctUp(l.leakedChars, l.goldChars, 3)} %)`);
  if (r.missingPredLines) out.push(`${r.missingPredLines} gold line(s) had no prediction line (counted as predicting nothing)`);
  if (r.outOfRangePredSpans) out.push(`${r.outOfRangePredSpans} predicted span(s) end past their gold text (ignored: do the files belong together?)`);
  if (r.unknownPredLines) out.push(`${r.unknownPredLines} prediction line(s) have ids not in the gold file (ignored)`);
  out.push('');
  out.push(listBlock(`misses (${r.missesTotal})`, r.misses, maxList, r.missesTotal));
  out.push(listBlock(`false alarms (${r.falseAlarmsTotal})`, r.falseAlarms, maxList, r.falseAlarmsTotal));
  out.push(listBlock(`boundary mismatches: found by overlap, not exactly (${r.boundariesTotal})`, r.boundaries, maxList, r.boundariesTotal));
  return out.join('\n');
}

function kindText(f: Finding): string {
  switch (f.kind) {
    case 'wrong-type':
      return `wrong-type (${f.otherTypes?.join('/')})`;
    case 'partial':
      return `partial (${f.leakedChars} chars left)`;
    case 'boundary': {
      const side = [
        f.predStart! < f.start ? `${f.start - f.predStart!} before` : f.predStart! > f.start ? `${f.predStart! - f.start} short at start` : '',
        f.predEnd! > f.end ? `${f.predEnd! - f.end} after` : f.predEnd! < f.end ? `${f.end - f.predEnd!} short at end` : '',
        f.preds! > 1 ? `split in ${f.preds}` : '',
      ].filter(Boolean);
      return `boundary (gold [${f.start},${f.end}) predicted [${f.predStart},${f.predEnd})${side.length ? ': ' + side.join(', ') : ''})`;
    }
    default:
      return f.kind;
  }
}

function listBlock(title: string, list: Finding[], max: number, total: number): string {
  const lines = [title + (total ? ':' : '')];
  for (const f of list.slice(0, max)) lines.push(`  ${f.id}  ${f.type}  ${kindText(f)}${f.rule ? `  [${f.rule}]` : ''}  ${f.masked}`);
  if (total > Math.min(max, list.length)) lines.push(`  … ${total - Math.min(max, list.length)} more (use --json or --max-list)`);
  return lines.join('\n');
}
