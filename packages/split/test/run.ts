// Test helper shared by the split, balance and augment tests: runs stages through
// core's real phased runner (fit passes, spills, shard states), in one process
// or as N shards phase by phase, like a job array.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOptions, Ledger, mulberry32, runPipeline, type ConversationRecord, type StageDefinition, type StageRunReport } from '@scrubline/core';

export interface Step {
  def: StageDefinition;
  options?: Record<string, unknown>;
  id?: string;
}

export interface RunResult {
  out: ConversationRecord[];
  reports: StageRunReport[];
  ledgers: Ledger[];
}

const quiet = { info: () => {}, warn: () => {} };

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

/** Options as the CLI would pass them: defaults filled by ajv. */
function planned(steps: Step[]) {
  return steps.map((s, i) => {
    const options = clone(s.options ?? {});
    const problems = checkOptions(s.def.optionsSchema, options, `steps[${i}].with`);
    if (problems.length) throw new Error(JSON.stringify(problems));
    return { id: s.id ?? s.def.name, use: s.def.name, definition: s.def, options };
  });
}

async function* batches(records: ConversationRecord[], size: number) {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

/**
 * Runs `steps` over `records`. With `shards` > 1 the input is dealt out in
 * contiguous slices (or by the `shardOf` function) and every phase runs on
 * every shard before the next phase, through one work folder.
 */
export async function runSteps(
  steps: Step[],
  records: ConversationRecord[],
  o: { seed?: string; shards?: number; batchSize?: number; shardOf?: (r: ConversationRecord, i: number) => number; baseDir?: string; rulesDir?: string } = {},
): Promise<RunResult> {
  const seed = o.seed ?? 'seed-1';
  const shards = o.shards ?? 1;
  const input = clone(records);
  const parts: ConversationRecord[][] = Array.from({ length: shards }, () => []);
  input.forEach((r, i) => parts[o.shardOf ? o.shardOf(r, i) : Math.floor((i * shards) / input.length)].push(r));
  const workDir = await mkdtemp(join(tmpdir(), 'scrubline-test-'));
  const out: ConversationRecord[][] = Array.from({ length: shards }, () => []);
  const ledgers = parts.map(() => new Ledger());
  let reports: StageRunReport[] = [];
  try {
    const p = planned(steps);
    const common = (s: number) => ({
      steps: p,
      source: () => {
        ledgers[s].inputRecords += parts[s].length;
        return batches(parts[s], o.batchSize ?? 7);
      },
      sink: async (bs: AsyncIterable<ConversationRecord[]>) => {
        for await (const b of bs) out[s].push(...clone(b));
      },
      ledger: ledgers[s],
      seed,
      shard: { index: s, count: shards },
      baseDir: o.baseDir ?? process.cwd(),
      rulesDir: o.rulesDir ?? join(process.cwd(), 'rules'),
      log: quiet,
      workDir,
    });
    if (shards === 1) {
      reports = (await runPipeline({ ...common(0), phase: 'all' })).stages;
    } else {
      let phases = 1;
      for (let phase = 0; phase < phases; phase++) {
        for (let s = 0; s < shards; s++) {
          const r = await runPipeline({ ...common(s), ledger: phase === 0 ? ledgers[s] : (ledgers[s] = new Ledger()), phase });
          phases = r.phases;
          if (s === 0) reports = r.stages;
        }
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  for (const l of ledgers) {
    const problems = l.verify();
    if (problems.length) throw new Error(`ledger: ${problems.join('; ')}`);
  }
  return { out: out.flat(), reports, ledgers };
}

/**
 * A synthetic corpus: `customers` customers with 1–4 conversations each,
 * satisfaction skewed like STC-3 (≈10/9/66/10/5 % for 1..5).
 */
export function corpus(customers: number, seed = 7): ConversationRecord[] {
  const rnd = mulberry32(seed);
  const dist = [0.1, 0.09, 0.66, 0.1, 0.05];
  const out: ConversationRecord[] = [];
  for (let c = 0; c < customers; c++) {
    const n = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < n; k++) {
      let u = rnd();
      let label = 1;
      for (const p of dist) {
        if (u < p) break;
        u -= p;
        label++;
      }
      label = Math.min(label, 5);
      out.push({
        id: `c${c}-s${k}`,
        turns: [
          { role: 'customer', text: `我的快递怎么还没到，订单[订单x]第${k}次问` },
          { role: 'agent', text: '亲，请您稍等，我帮您查询一下物流' },
        ],
        labels: { satisfaction: label },
        source: { file: 'synthetic.ndjson', line: out.length + 1 },
        meta: { customerId: `cust-${c}` },
      });
    }
  }
  return out;
}

/** What `p` rejects with (a coded ScrubError in these tests); fails when it resolves. */
export async function rejected(p: Promise<unknown>): Promise<{ code?: string; message: string; field?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; field?: string };
  }
  throw new Error('expected a rejection');
}
