import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOptions, Ledger, runPipeline, ScrubError, type ConversationRecord, type RunReport, type StageDefinition } from '@scrubline/core';
import { parseGold, type GoldLine } from '@scrubline/pii-eval';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const rulesDir = join(repoRoot, 'rules');

export function loadCorpus(): GoldLine[] {
  return parseGold(readFileSync(join(repoRoot, 'fixtures/pii/corpus.jsonl'), 'utf8'), 'corpus.jsonl');
}

/** Every gold value of the corpus, raw and (for long digit values) as its bare digits. */
export function goldValues(lines: GoldLine[]): string[] {
  const out = new Set<string>();
  for (const l of lines) {
    for (const s of l.spans) {
      const v = l.text.slice(s.start, s.end);
      out.add(v);
      const digits = v.normalize('NFKC').replace(/[^0-9]/g, '');
      if (digits.length >= 6) out.add(digits);
    }
  }
  return [...out];
}

export function leakedValues(haystack: string, values: string[]): string[] {
  return values.filter((v) => haystack.includes(v));
}

/** Groups lines into conversations of `size` turns, alternating customer/agent, over two input files. */
export function toRecords(lines: { id: string; text: string }[], size = 6): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (let i = 0; i < lines.length; i += size) {
    const chunk = lines.slice(i, i + size);
    out.push({
      id: `conv-${out.length + 1}`,
      turns: chunk.map((l, j) => ({ role: j % 2 === 0 ? 'customer' : 'agent', text: l.text })),
      labels: {},
      source: { file: out.length % 3 === 0 ? 'export-b.jsonl' : 'export-a.jsonl', line: i + 1 },
      meta: {},
    });
  }
  return out;
}

export interface Step {
  id?: string;
  definition: StageDefinition;
  options?: Record<string, unknown>;
}

/** Runs the steps like the CLI does and builds the RunReport; a failing run returns its error too. */
export async function runSteps(records: ConversationRecord[], steps: Step[], logs: string[] = []): Promise<{ report: RunReport; output: ConversationRecord[]; error?: ScrubError }> {
  const ledger = new Ledger();
  ledger.inputRecords = records.length;
  for (const r of records) {
    const f = ledger.file(r.source.file);
    f.units++;
    f.unitsUsed++;
    f.records++;
  }
  const planned = steps.map((s, i) => {
    const options = structuredClone(s.options ?? {});
    assertOptions(s.definition.optionsSchema, options, `steps[${i}].with`);
    return { id: s.id ?? s.definition.name, use: s.definition.name, definition: s.definition, options };
  });
  const output: ConversationRecord[] = [];
  const started = new Date(0).toISOString();
  let error: ScrubError | undefined;
  let stages: RunReport['stages'] = [];
  try {
    const res = await runPipeline({
      steps: planned,
      source: async function* () {
        for (let i = 0; i < records.length; i += 50) yield structuredClone(records.slice(i, i + 50));
      },
      sink: async (batches) => {
        for await (const b of batches) output.push(...b);
      },
      ledger,
      seed: '7',
      baseDir: repoRoot,
      rulesDir,
      log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
      workDir: mkdtempSync(join(tmpdir(), 'report-test-')),
    });
    stages = res.stages;
  } catch (e) {
    error = ScrubError.from(e);
  }
  const t = ledger.totals();
  const report: RunReport = {
    manifest: {
      tool: { name: 'scrubline', version: '0.1.0' },
      startedAt: started,
      finishedAt: started,
      configHash: 'c0ffee',
      seed: '7',
      shard: { index: 0, count: 1 },
      phases: { total: 1, run: [0] },
      inputs: [
        { path: 'export-a.jsonl', bytes: 1000, sha256: 'a'.repeat(64) },
        { path: 'export-b.jsonl', bytes: 500, sha256: 'b'.repeat(64) },
      ],
      outputs: [{ path: 'out.ndjson', bytes: 900, sha256: 'c'.repeat(64), records: output.length }],
      counts: { input: t.input, inputQuarantined: t.inputQuarantined, added: t.added, dropped: t.dropped, quarantined: t.quarantined, output: t.output },
      timings: { totalMs: 12, stages: stages.map((s) => ({ id: s.id, ms: s.ms })) },
    },
    ledger: ledger.toJSON(),
    stages,
    warnings: [],
  };
  return { report, output, error };
}
