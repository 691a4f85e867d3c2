import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Ledger, ScrubError, StageReport, writeAtomic, type RunReport, type ScrublinePlugin } from '@scrubline/core';

/**
 * Merges the run reports of a sharded run into one (datatrove's merge_stats): ledgers and
 * counters add up, samples keep the first N in shard order, inputs and outputs are listed
 * together, and stage summaries are kept per shard. Refuses reports of different configs.
 */
export function mergeReports(reports: RunReport[]): RunReport {
  if (reports.length === 0) throw new ScrubError('SCRUB_USAGE', 'no reports to merge');
  const hashes = new Set(reports.map((r) => r.manifest.configHash));
  if (hashes.size > 1) throw new ScrubError('SCRUB_CONFIG_INVALID', 'the reports come from different pipeline configurations', { hint: 'merge the shards of one run only' });
  const sorted = [...reports].sort((a, b) => a.manifest.shard.index - b.manifest.shard.index);
  const ledger = Ledger.merge(sorted.map((r) => r.ledger));
  const ids = sorted[0].stages.map((s) => s.id);
  const stages = ids.map((id) => {
    const parts = sorted.map((r) => r.stages.find((s) => s.id === id)!).filter(Boolean);
    const merged = StageReport.merge(parts.map((p) => ({ counters: p.counters, samples: p.samples, messages: p.messages as never[], sampleLimits: p.sampleLimits })));
    return {
      id,
      use: parts[0].use,
      ...merged.toJSON(),
      // summaries are stage-specific (counts, but also agreement scores): kept per shard, not added
      shardSummaries: parts.map((p) => p.summary),
      ms: parts.reduce((n, p) => n + p.ms, 0),
    };
  });
  const t = ledger.totals();
  const first = sorted[0].manifest;
  return {
    manifest: {
      ...first,
      status: sorted.every((r) => (r.manifest.status ?? 'ok') === 'ok') ? 'ok' : 'failed',
      startedAt: sorted.map((r) => r.manifest.startedAt).sort()[0],
      finishedAt: sorted.map((r) => r.manifest.finishedAt).sort().at(-1)!,
      shard: { index: -1, count: first.shard.count },
      inputs: sorted.flatMap((r) => r.manifest.inputs),
      outputs: sorted.flatMap((r) => r.manifest.outputs),
      counts: { input: t.input, inputQuarantined: t.inputQuarantined, added: t.added, dropped: t.dropped, quarantined: t.quarantined, output: t.output },
      timings: { totalMs: sorted.reduce((n, r) => n + r.manifest.timings.totalMs, 0), stages: stages.map((s) => ({ id: s.id, ms: s.ms })) },
    },
    ledger: ledger.toJSON(),
    stages,
    warnings: sorted.flatMap((r) => r.warnings),
  };
}

export const MERGE_HELP = `scrubline merge-reports REPORT.json... --out report.json [--html report.html]

Merges the reports of the shards of one sharded run: ledgers and counters add up, the
counts are checked again (exit 6 when they do not add up), samples keep the first N in
shard order, stage summaries are kept per shard.

Examples:
  scrubline merge-reports out/report.shard-*-of-16.json --out out/report.json --html out/report.html`;

export async function mergeReportsCommand(argv: string[], cwd: string, plugins: ScrublinePlugin[]): Promise<{ report: RunReport; problems: string[] }> {
  const files: string[] = [];
  let out: string | undefined;
  let html: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' || argv[i] === '-o') out = argv[++i];
    else if (argv[i] === '--html') html = argv[++i];
    else if (argv[i].startsWith('-')) throw new ScrubError('SCRUB_USAGE', `unknown option ${argv[i]}`, { hint: 'see --help' });
    else files.push(argv[i]);
  }
  if (!out) throw new ScrubError('SCRUB_USAGE', 'merge-reports needs --out FILE');
  const reports: RunReport[] = [];
  for (const f of files) {
    try {
      reports.push(JSON.parse(await readFile(resolve(cwd, f), 'utf8')));
    } catch (e) {
      throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'report cannot be read as JSON', { file: f }, { cause: e });
    }
  }
  const report = mergeReports(reports);
  const problems = Ledger.fromJSON(report.ledger).verify(); // the ledger mergeReports summed, checked again
  await writeAtomic(resolve(cwd, out), JSON.stringify(report, null, 2) + '\n');
  if (html) {
    const renderer = plugins.find((p) => p.renderHtml);
    if (!renderer) throw new ScrubError('SCRUB_USAGE', 'no installed package renders HTML reports');
    await writeAtomic(resolve(cwd, html), renderer.renderHtml!(report));
  }
  return { report, problems };
}
