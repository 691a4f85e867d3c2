import type { EvalResult, Finding, MatchCounts } from './evaluate.js';

const pct = (x: number, digits = 1) => (x * 100).toFixed(digits);

/** A readable report: one row per type (exact and overlap P/R/F2, leak), then the masked lists. */
export function formatEval(r: EvalResult, opts: { maxList?: number } = {}): string {
  const maxList = opts.maxList ?? 50;
  const rows: string[][] = [['type', 'gold', 'pred', 'exact P', 'R', 'F2', 'overlap P', 'R', 'F2', 'leak %']];
  const row = (name: string, e: MatchCounts, o: MatchCounts, leak: number) => [
    name,
    String(o.gold),
    String(o.pred),
    pct(e.precision),
    pct(e.recall),
    pct(e.f2),
    pct(o.precision),
    pct(o.recall),
    pct(o.f2),
    pct(leak, 2),
  ];
  for (const t of r.types) rows.push(row(t.type, t.exact, t.overlap, t.leak.share));
  rows.push(row('overall', r.overall.exact, r.overall.overlap, r.overall.leak.share));
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
  out.push(`leak: ${l.leakedChars} of ${l.goldChars} identifying gold characters uncovered (${pct(l.share, 3)} %)`);
  if (r.missingPredLines) out.push(`${r.missingPredLines} gold line(s) had no prediction line (counted as predicting nothing)`);
  if (r.outOfRangePredSpans) out.push(`${r.outOfRangePredSpans} predicted span(s) end past their gold text (ignored: do the files belong together?)`);
  if (r.unknownPredLines) out.push(`${r.unknownPredLines} prediction line(s) have ids not in the gold file (ignored)`);
  out.push('');
  out.push(listBlock(`misses (${r.missesTotal})`, r.misses, maxList, r.missesTotal));
  out.push(listBlock(`false alarms (${r.falseAlarmsTotal})`, r.falseAlarms, maxList, r.falseAlarmsTotal));
  return out.join('\n');
}

function listBlock(title: string, list: Finding[], max: number, total: number): string {
  const lines = [title + (total ? ':' : '')];
  for (const f of list.slice(0, max)) {
    const kind = f.kind === 'wrong-type' ? `wrong-type (${f.otherTypes?.join('/')})` : f.kind === 'partial' ? `partial (${f.leakedChars} chars left)` : f.kind;
    lines.push(`  ${f.id}  ${f.type}  ${kind}${f.rule ? `  [${f.rule}]` : ''}  ${f.masked}`);
  }
  if (total > Math.min(max, list.length)) lines.push(`  … ${total - Math.min(max, list.length)} more (use --json or --max-list)`);
  return lines.join('\n');
}
