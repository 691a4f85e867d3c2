import { Ledger, safeId, type RunReport, type StageRunReport } from '@scrubline/core';
import { maskPlain } from '@scrubline/pii-eval';
import { barChart, esc, fmtInt, histogram } from './svg.js';
import type { ResidualSummary } from './residual.js';

/**
 * Renders a run report as one self-contained HTML page for auditors: inline CSS
 * and SVG, no script, no external request (a CSP meta tag forbids them too).
 * Free-form strings from stages (samples, messages, summaries, warnings) are
 * masked again before display, so a stage that forgot to mask cannot leak here.
 */
export function renderHtml(report: RunReport): string {
  const m = report.manifest;
  const ledger = Ledger.fromJSON(report.ledger);
  const problems = ledger.verify();
  const t = ledger.totals();
  const piiStages = report.stages.filter((s) => s.use === 'pii');
  const residualStages = report.stages.filter((s) => s.use === 'residual-scan');
  const residualFound = residualStages.reduce((n, s) => n + ((s.summary as ResidualSummary | undefined)?.findings ?? sumPrefix(s.counters, 'residual.')), 0);

  const body: string[] = [];
  body.push(`<header><h1>scrubline redaction report</h1>
<p class="sub">${esc(m.tool?.name ?? 'scrubline')} ${esc(m.tool?.version ?? '')} · run ${esc(m.startedAt)} → ${esc(m.finishedAt)} · shard ${m.shard ? `${m.shard.index + 1}/${m.shard.count}` : '1/1'}</p>
<div class="badges">
${m.status === 'failed' ? badge('bad', `run failed: ${m.error?.code ?? 'error'} — nothing was published`) : ''}
${badge(problems.length === 0 ? 'ok' : 'bad', problems.length === 0 ? 'ledger adds up' : `ledger: ${problems.length} problem(s)`)}
${residualStages.length ? badge(residualFound === 0 ? 'ok' : 'bad', residualFound === 0 ? 'residual scan: clean' : `residual scan: ${fmtInt(residualFound)} finding(s)`) : badge('warn', 'no residual scan in this run')}
${badge('info', m.status === 'failed' ? `${fmtInt(t.input)} in → none published` : `${fmtInt(t.input)} in → ${fmtInt(t.output)} out`)}
</div></header>`);

  body.push(`<nav><a href="#manifest">Manifest</a><a href="#ledger">Ledger</a><a href="#pii">PII findings</a><a href="#residual">Residual scan</a><a href="#stages">Stages</a>${report.warnings?.length ? '<a href="#warnings">Warnings</a>' : ''}</nav>`);

  // --- manifest -------------------------------------------------------------
  body.push(`<section id="manifest"><h2>Run manifest</h2>
<table class="kv">
${m.status === 'failed' ? `<tr><th>status</th><td class="badtxt">failed: <code>${esc(m.error?.code ?? '')}</code> ${esc(safeText(m.error?.message ?? ''))}${m.error?.stage ? ` (stage <code>${esc(m.error.stage)}</code>)` : ''}</td></tr>` : ''}
<tr><th>config hash</th><td><code>${esc(m.configHash)}</code></td></tr>
<tr><th>seed</th><td><code>${esc(m.seed)}</code></td></tr>
<tr><th>phases</th><td>${esc(m.phases?.total ?? 1)} (ran ${esc((m.phases?.run ?? []).join(', '))})</td></tr>
<tr><th>total time</th><td>${fmtInt(m.timings?.totalMs ?? 0)} ms</td></tr>
</table>
<h3>Inputs</h3>${fileTable(m.inputs ?? [], false)}
<h3>Outputs</h3>${fileTable(m.outputs ?? [], true)}
${m.config !== undefined ? `<details><summary>Pipeline configuration</summary><pre>${esc(JSON.stringify(m.config, null, 2))}</pre></details>` : ''}
</section>`);

  // --- ledger ---------------------------------------------------------------
  const stageRows = report.ledger.stages.map((s) => {
    const c = s.counts;
    const dropped = sum(c.dropped);
    const quarantined = sum(c.quarantined);
    const ok = c.in + c.added === c.out + dropped + quarantined;
    return `<tr class="${ok ? '' : 'bad'}"><td>${esc(s.id)}</td><td class="n">${fmtInt(c.in)}</td><td class="n">${fmtInt(c.added)}</td><td class="n">${fmtInt(dropped)}</td><td>${reasons(c.dropped)}</td><td class="n">${fmtInt(quarantined)}</td><td>${reasons(c.quarantined)}</td><td class="n">${fmtInt(c.out)}</td><td>${ok ? '✓' : '✗'}</td></tr>`;
  });
  const files = report.ledger.input.files;
  body.push(`<section id="ledger"><h2>Ledger</h2>
<p>input ${fmtInt(t.input)} + added ${fmtInt(t.added)} = output ${fmtInt(t.output)} + dropped ${fmtInt(t.dropped)} + quarantined ${fmtInt(t.quarantined)}
 → <strong class="${problems.length ? 'badtxt' : 'oktxt'}">${problems.length ? 'does NOT add up' : 'adds up'}</strong>${t.inputQuarantined ? `; ${fmtInt(t.inputQuarantined)} malformed input unit(s) quarantined while reading (${reasons(report.ledger.input.quarantined)})` : ''}.</p>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th>stage</th><th>in</th><th>added</th><th>dropped</th><th>drop reasons</th><th>quarantined</th><th>codes</th><th>out</th><th></th></tr></thead><tbody>${stageRows.join('')}</tbody></table>
${files.length ? `<h3>Per input file</h3><table><thead><tr><th>file</th><th>units</th><th>used</th><th>quarantined</th><th>records</th><th></th></tr></thead><tbody>${files
      .map((f) => `<tr><td>${esc(f.path)}</td><td class="n">${fmtInt(f.units)}</td><td class="n">${fmtInt(f.unitsUsed)}</td><td class="n">${fmtInt(f.unitsQuarantined)}</td><td class="n">${fmtInt(f.records)}</td><td>${f.units === f.unitsUsed + f.unitsQuarantined ? '✓' : '✗'}</td></tr>`)
      .join('')}</tbody></table>${barChart(files.map((f) => [f.path, f.records]), { title: 'records per input file' })}` : ''}
${barChart(Object.entries(mergeCounts(report.ledger.stages.map((s) => prefixKeys(s.counts.dropped, s.id + ': ')))), { title: 'dropped, by stage and reason', color: '#a8743b' })}
${barChart(Object.entries(mergeCounts([...report.ledger.stages.map((s) => prefixKeys(s.counts.quarantined, s.id + ': ')), prefixKeys(report.ledger.input.quarantined, 'input: ')])), { title: 'quarantined, by stage and code', color: '#a83b3b' })}
</section>`);

  // --- pii ------------------------------------------------------------------
  body.push(`<section id="pii"><h2>PII findings</h2>`);
  if (piiStages.length === 0) body.push('<p class="muted">No pii stage in this run.</p>');
  for (const s of piiStages) body.push(renderPiiStage(s));
  body.push('</section>');

  // --- residual -------------------------------------------------------------
  body.push(`<section id="residual"><h2>Residual scan</h2>`);
  if (residualStages.length === 0) body.push('<p class="muted">No residual-scan stage in this run: nothing independent checked the output.</p>');
  for (const s of residualStages) body.push(renderResidual(s));
  body.push('</section>');

  // --- stages ---------------------------------------------------------------
  body.push(`<section id="stages"><h2>Stages</h2>
${barChart(report.stages.map((s) => [s.id, s.ms]), { title: 'time per stage (ms)', keepOrder: true, color: '#777' })}
${report.stages.map(renderStageDetails).join('\n')}
</section>`);

  if (report.warnings?.length) {
    body.push(`<section id="warnings"><h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${esc(safeText(w))}</li>`).join('')}</ul></section>`);
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>scrubline redaction report · ${esc(m.startedAt)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
<footer>Values are never shown: findings appear as shapes (<code>###-####-####</code>) with digits in their context masked. Generated by scrubline.</footer>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------

interface Found {
  type: string;
  rule: string;
  role: string;
  file: string;
  n: number;
}

/** Splits the pii stage's `kind|…` counter keys (found|TYPE|rule|role|file, kept|kind|rule|role|file, score|TYPE|bucket, operator|TYPE|op). */
function splitPiiCounters(counters: Record<string, number>) {
  const found: Found[] = [];
  const kept: Found[] = [];
  const score: Record<string, Record<string, number>> = {};
  const operator: Record<string, number> = {};
  const other: Record<string, number> = {};
  for (const [key, n] of Object.entries(counters)) {
    const p = key.split('|');
    if ((p[0] === 'found' || p[0] === 'kept') && p.length >= 5) {
      (p[0] === 'found' ? found : kept).push({ type: p[1], rule: p[2], role: p[3], file: p.slice(4).join('|'), n });
    } else if (p[0] === 'score' && p.length === 3) {
      (score[p[1]] ??= {})[p[2]] = (score[p[1]][p[2]] ?? 0) + n;
    } else if (p[0] === 'operator' && p.length === 3) {
      operator[`${p[1]} → ${p[2]}`] = (operator[`${p[1]} → ${p[2]}`] ?? 0) + n;
    } else other[key] = n;
  }
  return { found, kept, score, operator, other };
}

function by(list: Found[], key: keyof Omit<Found, 'n'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of list) out[f[key]] = (out[f[key]] ?? 0) + f.n;
  return out;
}

function renderPiiStage(s: StageRunReport): string {
  const c = splitPiiCounters(s.counters);
  const out: string[] = [`<h3>Stage <code>${esc(s.id)}</code></h3>`];
  const summary = (s.summary ?? {}) as Record<string, unknown>;
  const total = c.found.reduce((n, f) => n + f.n, 0);
  out.push(`<p>${fmtInt(total)} finding(s) replaced${typeof summary.turns === 'number' ? ` in ${fmtInt(summary.turns)} turn(s)` : ''}${typeof summary.turnsChanged === 'number' ? ` (${fmtInt(summary.turnsChanged)} changed)` : ''}; ${fmtInt(c.kept.reduce((n, f) => n + f.n, 0))} kept on purpose (placeholders, service numbers, brand accounts).</p>`);
  if (c.found.length) {
    out.push('<div class="grid">');
    out.push(barChart(Object.entries(by(c.found, 'type')), { title: 'findings per entity type' }));
    out.push(barChart(Object.entries(by(c.found, 'file')), { title: 'findings per input file', color: '#3b8fa8' }));
    out.push(barChart(Object.entries(by(c.found, 'role')), { title: 'findings per role', color: '#7a5ba8' }));
    out.push(barChart(Object.entries(by(c.found, 'rule')), { title: 'findings per recognizer (rule)', color: '#5b7aa8', max: 30 }));
    out.push('</div>');
    // type × role × file matrix
    const rows = [...c.found].sort((a, b) => b.n - a.n).slice(0, 200);
    out.push(`<details><summary>Counts per entity type × recognizer × role × file (${c.found.length} rows)</summary><table><thead><tr><th>type</th><th>rule</th><th>role</th><th>file</th><th>count</th></tr></thead><tbody>${rows
      .map((f) => `<tr><td>${esc(f.type)}</td><td><code>${esc(f.rule)}</code></td><td>${esc(f.role)}</td><td>${esc(f.file)}</td><td class="n">${fmtInt(f.n)}</td></tr>`)
      .join('')}</tbody></table></details>`);
  }
  if (c.kept.length) out.push(barChart(Object.entries(by(c.kept, 'type')), { title: 'kept (not redacted), by kind', color: '#8a8a3b' }));
  const types = Object.keys(c.score).sort();
  if (types.length) {
    const buckets = Array.from({ length: 11 }, (_, i) => (i / 10).toFixed(1));
    const all: Record<string, number> = {};
    for (const t of types) for (const [b, n] of Object.entries(c.score[t])) all[b] = (all[b] ?? 0) + n;
    out.push('<h4>Score histograms</h4><div class="grid">');
    out.push(histogram(orderBuckets(all, buckets), { title: 'all types' }));
    for (const t of types) out.push(histogram(orderBuckets(c.score[t], buckets), { title: t }));
    out.push('</div>');
  }
  if (Object.keys(c.operator).length) out.push(barChart(Object.entries(c.operator), { title: 'operators applied (type → operator)', color: '#3ba87a' }));
  if (Object.keys(c.other).length) out.push(genericCounters(c.other));
  out.push(renderSamples(s));
  return out.join('\n');
}

function orderBuckets(counts: Record<string, number>, known: string[]): [string, number][] {
  const keys = [...new Set([...known, ...Object.keys(counts)])].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
  return keys.map((k) => [k, counts[k] ?? 0]);
}

function renderResidual(s: StageRunReport): string {
  const sum = s.summary as ResidualSummary | undefined;
  const byShape = sum?.byShape ?? stripPrefix(s.counters, 'residual.');
  const allowed = sum?.allowed ?? stripPrefix(s.counters, 'allowed.');
  const findings = sum?.findings ?? Object.values(byShape).reduce((a, b) => a + b, 0);
  const out: string[] = [`<h3>Stage <code>${esc(s.id)}</code></h3>`];
  out.push(
    `<p class="${findings ? 'badtxt' : 'oktxt'}"><strong>${findings ? `${fmtInt(findings)} item(s) still look identifying` : 'Nothing in the output looks identifying'}</strong>${sum ? ` — scanned ${fmtInt(sum.scanned.records)} record(s), ${fmtInt(sum.scanned.turns)} turn(s), ${fmtInt(sum.scanned.chars)} characters; ${fmtInt(sum.recordsFlagged)} record(s) flagged; failOnResidual ${sum.failOnResidual ? 'on' : 'off'}` : ''}.</p>`,
  );
  out.push('<div class="grid">');
  out.push(barChart(Object.entries(byShape), { title: 'residual findings per shape', color: '#a83b3b' }));
  out.push(barChart(Object.entries(allowed), { title: 'allowed (dates, versions, allow-list)', color: '#999' }));
  out.push('</div>');
  const samples = sum?.samples ?? ((s.samples.residual ?? []) as unknown[]);
  if (samples.length) out.push(sampleTable('masked samples', samples));
  return out.join('\n');
}

function renderStageDetails(s: StageRunReport): string {
  const counters = Object.entries(s.counters);
  return `<details><summary><code>${esc(s.id)}</code> (${esc(s.use)}) · ${counters.length} counter(s) · ${fmtInt(s.ms)} ms</summary>
${counters.length ? `<table><thead><tr><th>counter</th><th>value</th></tr></thead><tbody>${counters
    .slice(0, 500)
    .map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td class="n">${fmtInt(v)}</td></tr>`)
    .join('')}</tbody></table>` : ''}
${s.use === 'pii' || s.use === 'residual-scan' ? '' : renderSamples(s)}
${s.messages?.length ? sampleTable('messages', s.messages.slice(0, 200)) : ''}
${s.summary !== undefined ? `<h4>summary</h4><pre>${esc(JSON.stringify(sanitize(s.summary), null, 2))}</pre>` : ''}
</details>`;
}

function renderSamples(s: StageRunReport): string {
  const kinds = Object.keys(s.samples ?? {}).sort();
  if (!kinds.length) return '';
  return `<h4>Sample findings (masked)</h4>${kinds.map((k) => sampleTable(k, s.samples[k])).join('\n')}`;
}

function sampleTable(title: string, list: unknown[]): string {
  const rows = list.slice(0, 50).map((x) => sanitize(x));
  const cols = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' && !Array.isArray(r) ? Object.keys(r as object) : ['value'])))];
  return `<table class="samples"><caption>${esc(title)} (${list.length})</caption><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => {
      const o = r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { value: r };
      return `<tr>${cols.map((c) => `<td>${o[c] === undefined ? '' : esc(typeof o[c] === 'string' ? o[c] : JSON.stringify(o[c]))}</td>`).join('')}</tr>`;
    })
    .join('')}</tbody></table>`;
}

/** Counters without a known layout: one chart per family (the part before the first `.` or `|`). */
function genericCounters(counters: Record<string, number>): string {
  const families: Record<string, [string, number][]> = {};
  for (const [k, v] of Object.entries(counters)) {
    const i = k.search(/[.|:]/);
    const fam = i > 0 ? k.slice(0, i) : 'other';
    (families[fam] ??= []).push([i > 0 ? k.slice(i + 1) : k, v]);
  }
  return Object.entries(families)
    .map(([fam, rows]) => barChart(rows, { title: `counters: ${fam}`, color: '#777' }))
    .join('\n');
}

// --- masking of free-form stage output -----------------------------------------

/** Keys whose string values are identifiers of the run, not content: shown as they are (`at`: a sample's source `file:line`, dedup and normalise). */
const SAFE_KEYS = new Set(['stage', 'rule', 'ruleId', 'shape', 'type', 'kind', 'code', 'file', 'at', 'role', 'operator', 'use', 'packs', 'pack', 'detectors', 'field']);
/** Keys whose values are record ids: shown through safeId (an export's session id can be a phone number). */
const ID_KEYS = new Set(['record', 'id']);

/** Masks digits, mixed alphanumeric tokens, @-tokens and Chinese-numeral runs; keeps placeholders and masked spans readable. */
export function safeText(s: string): string {
  return /[\p{N}@＠〇零一二三四五六七八九幺两]/u.test(s) ? maskPlain(s) : s;
}

function sanitize(value: unknown, key = ''): unknown {
  if (ID_KEYS.has(key) && (typeof value === 'string' || typeof value === 'number')) return safeId(value);
  if (typeof value === 'string') return SAFE_KEYS.has(key) ? value : safeText(value);
  if (Array.isArray(value)) return value.map((v) => sanitize(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitize(v, k);
    return out;
  }
  return value;
}

// --- small helpers -------------------------------------------------------------------

function badge(kind: 'ok' | 'bad' | 'warn' | 'info', text: string): string {
  return `<span class="badge ${kind}">${esc(text)}</span>`;
}

function fileTable(files: { path: string; bytes?: number; sha256?: string; records?: number }[], withRecords: boolean): string {
  if (!files.length) return '<p class="muted">none</p>';
  return `<table><thead><tr><th>path</th><th>bytes</th><th>sha256</th>${withRecords ? '<th>records</th>' : ''}</tr></thead><tbody>${files
    .map((f) => `<tr><td>${esc(f.path)}</td><td class="n">${f.bytes === undefined ? '—' : fmtInt(f.bytes)}</td><td>${f.sha256 === undefined ? (f.path === '-' ? '— (a pipe)' : '— (not read to its end)') : `<code title="${esc(f.sha256)}">${esc(f.sha256.slice(0, 16))}…</code>`}</td>${withRecords ? `<td class="n">${fmtInt(f.records ?? 0)}</td>` : ''}</tr>`)
    .join('')}</tbody></table>`;
}

function reasons(o: Record<string, number>): string {
  return Object.entries(o)
    .map(([k, v]) => `${esc(k)} ${fmtInt(v)}`)
    .join(', ');
}

function sum(o: Record<string, number>): number {
  let n = 0;
  for (const k in o) n += o[k];
  return n;
}

function sumPrefix(o: Record<string, number>, prefix: string): number {
  return sum(stripPrefix(o, prefix));
}

function stripPrefix(o: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function prefixKeys(o: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) out[prefix + k] = v;
  return out;
}

function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of list) for (const [k, v] of Object.entries(o)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const CSS = `
:root{--fg:#1d2733;--muted:#6b7785;--line:#d9dee5;--ok:#2f7d32;--bad:#b3261e;--warn:#a86b00}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);margin:0 auto;max-width:1180px;padding:16px 24px 48px}
h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 8px;padding-top:8px;border-top:2px solid var(--line);font-size:19px}h3{font-size:16px;margin:18px 0 6px}h4{margin:12px 0 4px}
.sub,.muted{color:var(--muted)}nav{display:flex;gap:14px;margin:10px 0;flex-wrap:wrap}nav a{color:#2a5d9f;text-decoration:none}
.badges{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}.badge{border-radius:12px;padding:3px 10px;font-weight:600;font-size:13px;color:#fff}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.warn{background:var(--warn)}.badge.info{background:#4a5868}
.oktxt{color:var(--ok)}.badtxt{color:var(--bad)}ul.problems{color:var(--bad)}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fdecea}
table.kv th{width:160px}caption{text-align:left;font-weight:600;padding:4px 0}table.samples td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;max-width:520px;word-break:break-all}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:420px}
details{margin:6px 0}summary{cursor:pointer}
.grid{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:flex-start}
svg.chart{margin:8px 0;font-size:12px;fill:var(--fg)}svg.chart .ttl{font-weight:600;font-size:13px}svg.chart .tick{font-size:10px;fill:var(--muted)}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{nav{display:none}details{display:block}}
`;
