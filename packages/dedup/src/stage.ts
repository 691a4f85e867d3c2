import { defineStage, ScrubError, sourcePlace, type ConversationRecord, type FitPass, type Stage } from '@scrubline/core';
import { concatDedupStates, DedupCollector, decide, bytesPerRecord, type Decision, type DedupParams, type DedupState, type DedupStats } from './index-state.js';
import { lshThreshold } from './minhash.js';

/** Options of the `dedup` stage (see README): exact, near, threshold, numPerm, bands, shingle, roles, maxCandidates. */
export type DedupOptions = DedupParams;

export interface DedupSummary extends DedupStats {
  params: { threshold: number; numPerm: number; bands: number; rows: number; shingle: number; lshThreshold: number; stateBytesPerRecord: number };
  dropped: { duplicate: number; nearDuplicate: number };
}

export const dedupStage = defineStage<DedupOptions>({
  name: 'dedup',
  description: 'Drop exact and near-duplicate conversations (MinHash/LSH over character shingles) across all shards; keeps the first by (shard, position).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      exact: { description: 'drop exact duplicates (normalised text, role by role)', type: 'boolean', default: true },
      near: { description: 'drop near duplicates (MinHash/LSH over character shingles)', type: 'boolean', default: true },
      threshold: { description: 'Jaccard similarity at or above which a pair is a near duplicate', type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.8 },
      numPerm: { description: 'MinHash slots (state: numPerm + 4*bands + 9 bytes per record)', type: 'integer', minimum: 8, maximum: 1024, default: 128 },
      bands: { description: 'LSH bands; numPerm must be a multiple', type: 'integer', minimum: 1, maximum: 1024, default: 16 },
      shingle: { description: 'shingle length in characters', type: 'integer', minimum: 1, maximum: 64, default: 5 },
      roles: { description: 'only these roles are compared (default all)', type: 'array', items: { enum: ['customer', 'agent', 'bot', 'system'] }, minItems: 1 },
      maxCandidates: { description: 'most earlier records of one LSH bucket verified per record and band', type: 'integer', minimum: 1, default: 100 },
    },
  },
  example: { exact: true, near: true, threshold: 0.8, numPerm: 128, bands: 16, shingle: 5, maxCandidates: 100 },
  global: () => true,
  create: (options, env) => createDedup(options, env.shard.index) as Stage,
});

/** The stage, usable without the runner (tests, benchmarks). */
export type DedupStage = Omit<Stage, 'fit'> & { fit: FitPass<DedupState> };

export function createDedup(options: DedupOptions, shard = 0): DedupStage {
  const p: DedupParams = { ...options };
  let collector: DedupCollector | null = new DedupCollector(p, shard);
  let decisions: Map<number, Decision> | null = null;
  let stats: DedupStats | null = null;
  let ids: string[] = [];
  let pos = 0;
  const dropped = { duplicate: 0, nearDuplicate: 0 };
  const fit: FitPass<DedupState> = {
      observe(batch) {
        for (const r of batch) collector!.add(r);
      },
      state() {
        return collector!.state();
      },
      load(states) {
        const own = states.find((s) => s.shard === shard);
        ids = own ? own.ids : [];
        const res = decide(states, p, shard);
        decisions = res.decisions;
        stats = res.stats;
        collector = null; // the signatures of this shard now live in the states; free ours
      },
      concat: (states) => concatDedupStates(states),
  };
  return {
    fit,
    apply(batch, ctx) {
      if (!decisions) throw new ScrubError('SCRUB_STAGE_FAILED', 'dedup applied before its fit pass was loaded', { stage: ctx.stageId });
      const out: ConversationRecord[] = [];
      for (const r of batch) {
        const i = pos++;
        if (ids[i] !== r.id) {
          throw new ScrubError('SCRUB_STAGE_FAILED', `record at position ${i} is not the one the fit pass saw`, {
            stage: ctx.stageId,
            record: r.id,
            hint: 'dedup needs the same records in the same order in its fit pass and its apply pass',
          });
        }
        const d = decisions.get(i);
        if (!d) {
          out.push(r);
          continue;
        }
        if (d.reason === 'duplicate') dropped.duplicate++;
        else dropped.nearDuplicate++;
        ctx.report.count(d.reason);
        // where the dropped record came from, not its id or the kept one's: an export's ids can be phone
        // numbers or user names and the report is read by people without access to the data
        // (dropped.ndjson, beside the output, has both ids)
        ctx.report.sample(d.reason, { at: sourcePlace(r), ...(d.similarity !== undefined ? { similarity: d.similarity } : {}) });
        ctx.drop(r, d.reason, d.similarity !== undefined ? { keptId: d.keptId, similarity: d.similarity } : { keptId: d.keptId });
      }
      return out;
    },
    summary(): DedupSummary | undefined {
      if (!stats) return undefined;
      return {
        ...stats,
        params: {
          threshold: p.threshold,
          numPerm: p.numPerm,
          bands: p.bands,
          rows: p.numPerm / p.bands,
          shingle: p.shingle,
          lshThreshold: Math.round(lshThreshold(p.bands, p.numPerm / p.bands) * 1000) / 1000,
          stateBytesPerRecord: bytesPerRecord(p),
        },
        dropped,
      };
    },
  };
}
