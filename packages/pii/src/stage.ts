import { availableParallelism } from 'node:os';
import { defineStage, detectors, safeFile, ScrubError, sortKeys, type ConversationRecord, type Detector, type Role, type StageContext, type StageEnv } from '@scrubline/core';
import { defaultRulesDir, getRuleEngine } from './engine.js';
import { keptLeft, TurnPairer, type PendingTurn } from './split.js';
import { ConversationScope, resolveHmacKey, toSpec, applyOperators, DEFAULT_KEY_ENV, type OperatorConfig, type OperatorInput } from './operators.js';
import { AnalyzerPool, PIECES_PER_THREAD } from './pool.js';
import { buildJob, outOfScopeBefore, outOfScopeGap, scrubPiece } from './job.js';
import { counterKey, emptyTotals, mergeTallies, samplesLeft, scoreBucket, Tallier, TallyKeys } from './tally.js';
import { loadRulePacks, type Analysis, type RulePack } from './rules.js';
import { combine, type WorkerOperatorConfig } from './scrub.js';

export interface PiiStageOptions {
  /** Detector names from core's registry (`rules`, and `ner` once its package is loaded). */
  detectors: string[];
  /** Options per detector name (for detectors other than `rules`). */
  detectorOptions?: Record<string, unknown>;
  /** Rule packs (file names in rules/pii without .yaml); empty = all. */
  rules: string[];
  thresholds?: Record<string, number>;
  /** Entity types switched off. */
  disable: string[];
  /** Rule ids switched off. */
  disableRules: string[];
  operator: OperatorInput;
  operators: Record<string, OperatorInput>;
  /** Environment variable holding the HMAC key. */
  keyEnv: string;
  /** File holding the HMAC key (relative to the pipeline's folder). */
  keyFile?: string;
  /** Roles whose turns are scrubbed. */
  roles: Role[];
  /** Threads that scan: this one plus workers-1 worker threads (default min(2, cores)). */
  workers?: number;
  /** Characters of (masked, scrubbed) context on each side of a sample. */
  sampleContext: number;
  /** Entity types detected and reported but left in the text (quasi-identifiers such as ORG: brands are the subject of customer service). */
  reportOnly: string[];
}

const OPERATOR_KINDS = ['placeholder', 'hmac', 'mask', 'redact', 'surrogate'];
const operatorSchema = {
  anyOf: [
    { type: 'string', enum: OPERATOR_KINDS },
    {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { enum: OPERATOR_KINDS },
        template: { type: 'string' },
        length: { type: 'integer', minimum: 8, maximum: 64 },
        char: { type: 'string', minLength: 1, maxLength: 2 },
        keepStart: { type: 'integer', minimum: 0 },
        keepEnd: { type: 'integer', minimum: 0 },
        replacement: { type: 'string' },
      },
    },
  ],
};

/** Splits a counter key back into its parts (the file is last and may contain '|'). */
export function parseCounterKey(key: string): { kind: string; type?: string; rule?: string; role?: string; file?: string; bucket?: string } {
  const p = key.split('|');
  if (p[0] === 'found' || p[0] === 'kept') return { kind: p[0], type: p[1], rule: p[2], role: p[3], file: p.slice(4).join('|') };
  if (p[0] === 'score') return { kind: 'score', type: p[1], bucket: p[2] };
  if (p[0] === 'operator') return { kind: 'operator', type: p[1], rule: p[2] };
  return { kind: key };
}

export { counterKey, scoreBucket };

/**
 * One summary from those of several instances of the stage (worker threads, slices of the
 * input): counts per type and totals add up, threads too; the rest is the same in each.
 */
export function sumPiiSummaries(list: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of list) {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'rules') out[k] ??= v; // the same rule set in every instance
      else if (typeof v === 'number') out[k] = ((out[k] as number) ?? 0) + v;
      else if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number')) {
        const o = ((out[k] as Record<string, number>) ??= {});
        for (const [kk, vv] of Object.entries(v as Record<string, number>)) o[kk] = (o[kk] ?? 0) + vv;
      } else if (!(k in out)) out[k] = v;
    }
  }
  for (const k of ['byType', 'keptByKind']) if (out[k] && typeof out[k] === 'object') out[k] = sortKeys(out[k] as Record<string, number>);
  return out;
}

/** The rule packs the options name (all by default), from the pipeline's rules folder. */
function rulePacksFor(options: PiiStageOptions, env: StageEnv): RulePack[] {
  return loadRulePacks(env.rulesDir || defaultRulesDir(), options.rules.length ? options.rules : undefined);
}

export const piiStage = defineStage<PiiStageOptions>({
  name: 'pii',
  command: 'scrub',
  description: 'Find structured PII with validated rule packs (and NER when loaded) and replace it with the configured operators.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      detectors: { type: 'array', items: { type: 'string' }, default: ['rules'] },
      detectorOptions: { type: 'object' },
      rules: { type: 'array', items: { type: 'string' }, default: [] },
      thresholds: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
      disable: { type: 'array', items: { type: 'string' }, default: [] },
      disableRules: { type: 'array', items: { type: 'string' }, default: [] },
      operator: { ...operatorSchema, default: 'placeholder' },
      operators: { type: 'object', additionalProperties: operatorSchema, default: {} },
      keyEnv: { type: 'string', default: DEFAULT_KEY_ENV },
      keyFile: { type: 'string' },
      roles: { type: 'array', items: { enum: ['customer', 'agent', 'bot', 'system'] }, default: ['customer', 'agent', 'bot', 'system'] },
      workers: { type: 'integer', minimum: 1, maximum: 64 },
      sampleContext: { type: 'integer', minimum: 0, maximum: 200, default: 16 },
      reportOnly: { type: 'array', items: { type: 'string' }, default: ['ORG'], description: 'types detected and counted (as kept: report-only) but not anonymised' },
    },
  },
  // each record on its own (placeholder numbers, surrogates and split identifiers are per conversation)
  sliceable: true,
  mergeSummaries: (list) => sumPiiSummaries(list as Record<string, unknown>[]),
  example: { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: { EMAIL: 'hmac' }, keyEnv: DEFAULT_KEY_ENV, roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, reportOnly: ['ORG'] },
  // the rule packs (YAML parsed once on the main thread: each slice worker saves ≈ 0.15–0.2 s of start-up)
  preload: (options, env) => rulePacksFor(options, env),
  async create(options, env) {
    const rulesDir = env.rulesDir || defaultRulesDir();
    const useRules = options.detectors.includes('rules');
    const engineOptions = { thresholds: options.thresholds, disable: options.disable, disableRules: options.disableRules };
    const packs = (env.preloaded as RulePack[] | undefined) ?? rulePacksFor(options, env);
    const engine = getRuleEngine({ ...engineOptions, rulePacks: packs });
    const others: Detector[] = [];
    for (const name of options.detectors) {
      if (name === 'rules') continue;
      const def = detectors.get(name);
      if (!def) {
        throw new ScrubError('SCRUB_CONFIG_INVALID', `no detector named '${name}' is registered`, {
          field: 'detectors',
          hint: `known: ${detectors.names().join(', ') || '(none)'}; load the package that provides it`,
        });
      }
      others.push(await def.create(options.detectorOptions?.[name] ?? {}, { baseDir: env.baseDir, rulesDir, log: env.log }));
    }
    const kinds = [toSpec(options.operator).kind, ...Object.values(options.operators).map((o) => toSpec(o).kind)];
    const key = kinds.includes('hmac') ? resolveHmacKey({ keyEnv: options.keyEnv, keyFile: options.keyFile, baseDir: env.baseDir }) : undefined;
    const workerOps: WorkerOperatorConfig = { operator: options.operator, operators: options.operators, key, seed: env.seed };
    const opConfig: OperatorConfig = { ...workerOps, canonicalOf: engine.canonicalOf };
    // inside a slice of a parallel run (env.threads 1) the slices already keep the cores busy
    const threads = Math.min(options.workers ?? Math.min(2, availableParallelism()), env.threads ?? Infinity);
    let pool: AnalyzerPool | null = null;
    const roles = new Set(options.roles);
    const totals = emptyTotals();
    // this thread's counting (each worker thread has its own), one per batch in flight, each
    // with the key table to read its tallies by
    const counters: { tallier: Tallier; keys: TallyKeys }[] = [];
    const takeCounter = () => counters.pop() ?? { tallier: new Tallier(options.sampleContext), keys: new TallyKeys() };

    const getPool = () => (pool ??= new AnalyzerPool(engine, { packs, options: engineOptions, operators: workerOps, sampleContext: options.sampleContext }, threads, (m) => env.log.warn(m)));
    const inScope = (t: { role: Role; text: string }) => roles.has(t.role) && !!t.text;

    // the batch before this one, merged (batches are merged in the order they came, see applyPooled)
    let previous: Promise<void> = Promise.resolve();
    /**
     * Rules only: detection, operators and counting run per piece of the batch on the thread
     * pool. The runner may hand over the next batch before this one is done (`inFlight: 2`): the
     * batch is submitted to the workers at once, and this thread helps with it and merges it only
     * after the batch before it is merged and the runner has had a turn to submit the next, so
     * the workers always have a batch queued while this thread cuts, merges and moves records.
     */
    const applyPooled = async (batch: ConversationRecord[], ctx: StageContext) => {
      const p = getPool();
      const { job, texts, recordOf } = buildJob(batch, inScope, p.threads > 1 ? p.threads * PIECES_PER_THREAD : 1, samplesLeft(ctx.report), ctx.report.maxSamples);
      const counter = takeCounter();
      counter.tallier.begin(job.sampleLeft, job.maxSamples);
      const ticket = p.submit(job, texts, (i) => scrubPiece(job, i, (k) => texts[k], engine, opConfig, counter.tallier));
      const before = previous;
      let release!: () => void;
      previous = new Promise<void>((r) => (release = r));
      try {
        await before;
        // a macrotask turn: the runner's microtasks bring the next batch to submit meanwhile
        if (p.threads > 1) await new Promise<void>((r) => setImmediate(r));
        p.help(ticket);
        // every piece of this batch is taken: what this thread counted of it is complete
        const local = counter.tallier.finish(false);
        const remote = await p.collect(ticket);
        const setText = (k: number, text: string) => {
          const r = batch[recordOf[k]];
          const ti = job.turns[k];
          r.turns[ti] = { ...r.turns[ti], text };
        };
        mergeTallies([{ tally: local, keys: counter.keys }, ...remote], ctx.report, totals, setText);
        counters.push(counter);
        return batch;
      } finally {
        release();
      }
    };

    const reportOnly = new Set(options.reportOnly ?? ['ORG']);
    /** With other detectors (NER): rule analysis on the pool, the rest and the operators here. */
    const applyCombined = async (batch: ConversationRecord[], ctx: StageContext) => {
      const texts: string[] = [];
      for (const r of batch) for (const t of r.turns) if (inScope(t)) texts.push(t.text);
      const analyses: (Analysis | null)[] = useRules ? await getPool().analyze(texts) : [];
      const counter = takeCounter();
      const tallier = counter.tallier;
      tallier.begin(samplesLeft(ctx.report), ctx.report.maxSamples);
      tallier.piece(0);
      const tt = tallier.totals;
      let k = 0;
      for (const r of batch) {
        tt.records++;
        const scope = new ConversationScope(r.id);
        scope.reservePlaceholders(r.turns.map((t) => t.text));
        const file = r.source?.file === undefined ? '-' : safeFile(r.source.file);
        // a turn's operators run once the two in-scope turns after it are analysed (an identifier split over
        // two turns of one speaker marks both: split.ts), as on the pooled path
        const pairer = new TurnPairer<PendingTurn & { ti: number }>(useRules ? engine : null, (p) => {
          // kept text counted once the turn's findings are final (a split may take digits its analysis kept)
          for (const kp of keptLeft(p)) tallier.kept(kp.kind, kp.rule, p.role, file);
          const { ti, spans } = p;
          if (spans.length === 0) return;
          const turn = r.turns[ti];
          const res = applyOperators(turn.text, spans, scope, opConfig);
          for (const x of res.replacements) {
            tallier.rep(r.id, ti, turn.role, file, turn.text, res.text, { type: x.span.type, rule: x.span.rule, score: x.span.score, start: x.span.start, end: x.span.end, outStart: x.outStart, outEnd: x.outEnd, op: x.operator });
          }
          if (res.text !== turn.text) {
            // counted here, applied here: the text indexes of changedText are not used on this path
            tt.turnsChanged++;
            tallier.count('turns.changed');
            r.turns[ti] = { ...turn, text: res.text };
          }
        });
        for (let ti = 0; ti < r.turns.length; ti++) {
          const turn = r.turns[ti];
          if (!inScope(turn)) continue;
          tt.turns++;
          const a = useRules ? analyses[k++] : null;
          const combined = combine(turn.text, a, others, { role: turn.role });
          let spans = combined.spans;
          if (reportOnly.size && spans.some((sp) => reportOnly.has(sp.type))) {
            // quasi-identifiers (ORG by default) are reported as kept, never replaced
            for (const sp of spans) if (reportOnly.has(sp.type)) tallier.kept(`report-only:${sp.type}`, sp.rule, turn.role, file);
            spans = spans.filter((sp) => !reportOnly.has(sp.type));
          }
          pairer.push({ ti, text: turn.text, role: turn.role, spans, kept: combined.kept, before: outOfScopeBefore(r.turns, ti, inScope), gap: outOfScopeGap(r.turns, ti, inScope) });
        }
        pairer.end();
      }
      tallier.count('turns.scanned', texts.length);
      mergeTallies([{ tally: tallier.finish(false), keys: counter.keys }], ctx.report, totals, () => {});
      counters.push(counter);
      return batch;
    };

    const apply = (batch: ConversationRecord[], ctx: StageContext): Promise<ConversationRecord[]> =>
      useRules && others.length === 0 ? applyPooled(batch, ctx) : applyCombined(batch, ctx);

    return {
      apply,
      // two batches in flight on the pooled path (see applyPooled), whatever the number of threads: the
      // runner's order of calls, and so the order of other stages' drop and quarantine entries, must not
      // depend on how many cores the machine has
      inFlight: useRules && others.length === 0 ? 2 : 1,
      summary: () => ({
        detectors: options.detectors,
        packs: engine.packs,
        rules: engine.rules.length,
        operator: toSpec(options.operator).kind,
        operators: Object.fromEntries(Object.entries(options.operators).map(([t, o]) => [t, toSpec(o).kind])),
        threads: pool?.threads ?? threads,
        ...totals,
        // summed from threads in any order: sorted, so the summary is the same bytes every run
        byType: sortKeys(totals.byType),
        keptByKind: sortKeys(totals.keptByKind),
      }),
      /** The pool's timing counters (benchmarks), or null before it starts. */
      poolStats: () => (pool ? { workerPieces: pool.workerPieces, blockedMs: pool.blockedMs } : null),
      close: async () => {
        await pool?.close();
        pool = null;
      },
    };
  },
});
