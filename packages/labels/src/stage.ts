import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { defineStage, LabelReportKeys, LabelValueGuard, maxLabelValuesSchema, safeId, ScrubError, type ConversationRecord, type FitPass, type Stage, type ShardSpec } from '@scrubline/core';
import { addItem, emptyAgreementState, fleissKappa, krippendorffAlpha, mergeAgreementStates, type AgreementState, type AlphaMetric } from './agreement.js';
import { consolidate, getPath, readVotes, type Method, type TieRule } from './consolidate.js';

export interface LabelsOptions {
  /** Dotted path under `record.labels` to the raters' votes (array of numbers). */
  path: string;
  /** Label written to `record.labels[target]`. */
  target: string;
  method: Method;
  tie: TieRule;
  /** Raw consolidated value → label (keys are the raw values as strings), e.g. {"-2":1,…,"2":5}; empty: identity. */
  map: Record<string, number | string>;
  /** Items with fewer valid votes are dropped (`too-few-votes`). */
  minVotes: number;
  /** Items whose per-item agreement (share of votes equal to the chosen value) is below this … */
  minAgreement: number;
  /** … are dropped (`low-agreement`), written to the review file and dropped (`review`), or tagged (`labels.lowAgreement`). */
  lowAgreement: 'drop' | 'review' | 'tag';
  /** Review file (NDJSON, relative to the pipeline folder), for `lowAgreement: review`; per shard `.shard-i-of-N` before the extension. */
  review?: string;
  /** Where the per-item agreement goes (default `<target>Agreement`). */
  agreementKey?: string;
  /** Distance for Krippendorff's alpha. */
  alphaMetric: AlphaMetric;
  /** More distinct vote values than this (default 64) is a configuration error: `path` points at an id or phone field. */
  maxLabelValues?: number;
}

export interface LabelsSummary {
  /** Raw votes by value, and (with a map) the same votes through the map, for comparing with `after`. */
  before: { items: number; votes: Record<string, number>; votesTotal: number; votesMapped?: Record<string, number> };
  after: Record<string, number>;
  agreement: {
    fleissKappa: number | null;
    observed: number;
    expected: number;
    krippendorffAlpha: number | null;
    alphaMetric: AlphaMetric;
    pairableItems: number;
    /** Items by per-item agreement, in tenths: "0.0" = [0, 0.1), …, "1.0" = exactly 1. */
    itemAgreement: Record<string, number>;
    meanItemAgreement: number | null;
  };
  dropped: Record<string, number>;
  review: { file: string; records: number } | null;
  params: { path: string; target: string; method: Method; tie: TieRule; minAgreement: number; lowAgreement: string };
}

export const consolidateLabelsStage = defineStage<LabelsOptions>({
  name: 'consolidate-labels',
  description: 'Consolidate several raters into one label (majority / median / rounded mean, tie rule, value map); Fleiss kappa and Krippendorff alpha; drop, review or tag low-agreement items.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: { description: 'dotted path under record.labels to the votes (array of numbers)', type: 'string', minLength: 1, default: 'votes.S' },
      target: { description: 'label written to record.labels[target]', type: 'string', minLength: 1, default: 'satisfaction' },
      method: { description: 'how the votes become one value', enum: ['majority', 'median', 'mean'], default: 'majority' },
      tie: { description: 'tie rule (majority modes, even median, mean at .5)', enum: ['lower', 'higher', 'median', 'drop'], default: 'lower' },
      map: { description: 'consolidated raw value -> label, e.g. {"-2":1,...,"2":5}; empty: identity', type: 'object', additionalProperties: { type: ['number', 'string'] }, default: {} },
      minVotes: { description: 'fewer valid votes: dropped (too-few-votes)', type: 'integer', minimum: 1, default: 1 },
      minAgreement: { description: 'per-item agreement (share of votes equal to the chosen value) below this is low', type: 'number', minimum: 0, maximum: 1, default: 0 },
      lowAgreement: { description: 'what happens to low-agreement items', enum: ['drop', 'review', 'tag'], default: 'drop' },
      review: { description: 'NDJSON review file for lowAgreement: review (temp file, renamed at the end)', type: 'string', minLength: 1 },
      agreementKey: { description: 'where the per-item agreement goes (default <target>Agreement)', type: 'string', minLength: 1 },
      alphaMetric: { description: 'distance for Krippendorff\'s alpha', enum: ['ordinal', 'interval', 'nominal'], default: 'ordinal' },
      maxLabelValues: maxLabelValuesSchema,
    },
  },
  example: { path: 'votes.S', target: 'satisfaction', method: 'majority', tie: 'lower', map: { '-2': 1, '-1': 2, '0': 3, '1': 4, '2': 5 }, minVotes: 1, minAgreement: 0.4, lowAgreement: 'review', review: 'out/review.ndjson', alphaMetric: 'ordinal' },
  create: (options, env) => createConsolidateLabels(options, { baseDir: env.baseDir, shard: env.shard }),
});

export type LabelsStage = Omit<Stage, 'fit'> & { fit: FitPass<AgreementState> };

/** The stage, usable without the runner. */
export function createConsolidateLabels(options: LabelsOptions, where: { baseDir: string; shard?: ShardSpec }): LabelsStage {
  if (options.lowAgreement === 'review' && !options.review) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', 'lowAgreement: review needs a `review:` file', { field: 'review' });
  }
  const shard = where.shard ?? { index: 0, count: 1 };
  const agreementKey = options.agreementKey ?? `${options.target}Agreement`;
  const mapped = Object.keys(options.map).length > 0;
  let reviewPath: string | null = null;
  if (options.review) {
    const full = resolve(where.baseDir, options.review);
    const ext = extname(full);
    reviewPath = shard.count > 1 ? `${full.slice(0, full.length - ext.length)}.shard-${shard.index}-of-${shard.count}${ext}` : full;
  }
  const tmpPath = reviewPath ? `${reviewPath}.tmp-${process.pid}` : null;
  let reviewRecords = 0;
  let loaded = false;
  let tmpStarted = false;

  const local = emptyAgreementState();
  let global: AgreementState | null = null;
  const after: Record<string, number> = {};
  // label and vote values as report keys (masked where they look identifying), computed once per value
  const shown = new LabelReportKeys();
  const dropped: Record<string, number> = {};
  const itemAgreement: Record<string, number> = {};
  let agreementSum = 0;
  let agreementItems = 0;

  const votesOf = (r: ConversationRecord) => readVotes(getPath(r.labels, options.path));
  // vote values become report keys (before.votes, label.<v>): a path at an id or phone field is a config error
  const guard = new LabelValueGuard({ stage: 'consolidate-labels', field: 'path', path: options.path }, options.maxLabelValues);

  const fit: FitPass<AgreementState> = {
    observe(batch) {
      for (const r of batch) {
        const v = votesOf(r);
        if (typeof v === 'string') continue;
        for (const x of v) guard.add(String(x));
        addItem(local, v);
      }
      guard.check();
    },
    state: () => ({ ...local, labelValues: guard.hashes() }),
    load(states) {
      global = mergeAgreementStates(states);
      guard.checkMerged(states.map((st) => st.labelValues), Object.keys(global.votes).length);
      loaded = true;
    },
  };

  function drop(ctx: Parameters<Stage['apply']>[1], r: ConversationRecord, reason: string, detail?: Record<string, unknown>) {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    ctx.report.count(reason);
    ctx.drop(r, reason, detail);
  }

  function startTmp(): void {
    if (tmpStarted) return;
    mkdirSync(dirname(tmpPath!), { recursive: true });
    writeFileSync(tmpPath!, '');
    tmpStarted = true;
  }

  /** Appends one batch's review records (NDJSON lines) in one write. */
  function toReview(lines: string): void {
    startTmp();
    appendFileSync(tmpPath!, lines);
  }

  return {
    fit,
    apply(batch, ctx) {
      const out: ConversationRecord[] = [];
      let review = '';
      for (const r of batch) {
        const votes = votesOf(r);
        if (votes === 'missing') {
          drop(ctx, r, 'no-votes', { path: options.path });
          continue;
        }
        if (typeof votes === 'string') {
          ctx.quarantine(r, new ScrubError('SCRUB_JSON_SHAPE', `labels.${options.path} ${votes}`, { record: r.id, field: `labels.${options.path}` }));
          continue;
        }
        if (votes.length < options.minVotes) {
          drop(ctx, r, 'too-few-votes', { votes: votes.length, minVotes: options.minVotes });
          continue;
        }
        const c = consolidate(votes, options.method, options.tie);
        if (c.value === null) {
          drop(ctx, r, 'tie', { votes: votes.length });
          continue;
        }
        let label: number | string = c.value;
        if (mapped) {
          const m = options.map[String(c.value)];
          if (m === undefined) {
            ctx.quarantine(r, new ScrubError('SCRUB_JSON_SHAPE', `consolidated value ${shownVote(c.value)} is not in the value map`, { record: r.id, field: 'map', hint: `map keys: ${Object.keys(options.map).join(', ')}` }));
            continue;
          }
          label = m;
        }
        const share = Math.round(c.agreement * 10000) / 10000;
        const bucket = share === 1 ? '1.0' : (Math.floor(share * 10) / 10).toFixed(1);
        itemAgreement[bucket] = (itemAgreement[bucket] ?? 0) + 1;
        agreementSum += c.agreement;
        agreementItems++;
        const low = c.agreement < options.minAgreement;
        if (low && options.lowAgreement === 'drop') {
          drop(ctx, r, 'low-agreement', { agreement: share, minAgreement: options.minAgreement });
          continue;
        }
        const labels: Record<string, unknown> = { ...r.labels, [options.target]: label, [agreementKey]: share };
        if (low && options.lowAgreement === 'tag') labels.lowAgreement = true;
        const next: ConversationRecord = { ...r, labels };
        if (low && options.lowAgreement === 'review') {
          review += JSON.stringify(next) + '\n';
          reviewRecords++;
          drop(ctx, r, 'review', { agreement: share, file: options.review });
          continue;
        }
        const key = shown.key(String(label));
        after[key] = (after[key] ?? 0) + 1;
        ctx.report.count(`label.${key}`);
        if (c.tie) ctx.report.count('tie-broken');
        out.push(next);
      }
      if (review) toReview(review);
      return out;
    },
    summary(): LabelsSummary | undefined {
      if (!global) return undefined;
      const f = fleissKappa(global);
      const a = krippendorffAlpha(global, options.alphaMetric);
      const votes = sortNumericKeys(shown.counts(global.votes));
      let votesMapped: Record<string, number> | undefined;
      if (mapped) {
        votesMapped = {};
        for (const [v, n] of Object.entries(global.votes)) {
          const m = shown.key(String(options.map[v] ?? `unmapped:${v}`));
          votesMapped[m] = (votesMapped[m] ?? 0) + n;
        }
        votesMapped = sortNumericKeys(votesMapped);
      }
      return {
        before: { items: global.items, votes, votesTotal: Object.values(votes).reduce((x, y) => x + y, 0), ...(votesMapped ? { votesMapped } : {}) },
        after: sortNumericKeys(after),
        agreement: {
          fleissKappa: round4(f.kappa),
          observed: round4(f.observed)!,
          expected: round4(f.expected)!,
          krippendorffAlpha: round4(a.alpha),
          alphaMetric: a.metric,
          pairableItems: f.items,
          itemAgreement: sortNumericKeys(itemAgreement),
          meanItemAgreement: agreementItems ? round4(agreementSum / agreementItems) : null,
        },
        dropped: sortNumericKeys(dropped),
        review: reviewPath ? { file: options.review!, records: reviewRecords } : null,
        params: { path: options.path, target: options.target, method: options.method, tie: options.tie, minAgreement: options.minAgreement, lowAgreement: options.lowAgreement },
      };
    },
    close() {
      // Only the phase that applied this stage writes the review file: temp, then rename (atomic).
      if (!loaded || !reviewPath) return;
      startTmp();
      try {
        renameSync(tmpPath!, reviewPath);
      } catch (e) {
        rmSync(tmpPath!, { force: true });
        throw new ScrubError('SCRUB_OUTPUT_FAILED', 'could not write the review file', { file: reviewPath }, { cause: e });
      }
    },
  };
}

/** Counts keyed by report key: an identifying-looking value shows through safeId (counts of values that mask alike add up). */
function round4(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10000) / 10000;
}

function sortNumericKeys(o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = Object.keys(o).sort((a, b) => {
    const x = Number(a);
    const y = Number(b);
    return Number.isNaN(x) || Number.isNaN(y) ? (a < b ? -1 : a > b ? 1 : 0) : x - y;
  });
  for (const k of keys) out[k] = o[k];
  return out;
}

/**
 * A consolidated vote for an error message. A rating scale is small numbers, so those are shown (the
 * person fixing the map needs them); a large one means `path` points at something that is not a
 * vote (a phone or account number read as a number), so only its size is.
 */
function shownVote(v: number): string {
  if (Math.abs(v) < 1000) return safeId(String(v)) === String(v) ? String(v) : `(a number with ${String(v).replace(/\D/g, '').length} digits, not a rating: check path)`;
  return `(a number of ${String(Math.trunc(Math.abs(v))).length} digits, not a rating: check path)`;
}
