import { availableParallelism } from 'node:os';
import { defineStage, detectors, safeId, ScrubError, type ConversationRecord, type Detector, type Role, type StageContext } from '@scrubline/core';
import { defaultRulesDir, getRuleEngine } from './engine.js';
import { ConversationScope, resolveHmacKey, toSpec, applyOperators, DEFAULT_KEY_ENV, type OperatorConfig, type OperatorInput } from './operators.js';
import { AnalyzerPool } from './pool.js';
import { loadRulePacks, type Analysis, type KeptSpan } from './rules.js';
import { combine, maskContext, maskedSample, type ConvBatch, type RepOut, type WorkerOperatorConfig } from './scrub.js';

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

/** Counter key: `found|TYPE|rule|role|file`, `kept|KIND|rule|role|file`, `score|TYPE|bucket`, `operator|TYPE|kind`. */
export function counterKey(...parts: string[]): string {
  return parts.join('|');
}

/** Splits a counter key back into its parts (the file is last and may contain '|'). */
export function parseCounterKey(key: string): { kind: string; type?: string; rule?: string; role?: string; file?: string; bucket?: string } {
  const p = key.split('|');
  if (p[0] === 'found' || p[0] === 'kept') return { kind: p[0], type: p[1], rule: p[2], role: p[3], file: p.slice(4).join('|') };
  if (p[0] === 'score') return { kind: 'score', type: p[1], bucket: p[2] };
  if (p[0] === 'operator') return { kind: 'operator', type: p[1], rule: p[2] };
  return { kind: key };
}

export function scoreBucket(score: number): string {
  return (Math.min(10, Math.floor(score * 10 + 1e-9)) / 10).toFixed(1);
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
  example: { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: { EMAIL: 'hmac' }, keyEnv: DEFAULT_KEY_ENV, roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, reportOnly: ['ORG'] },
  async create(options, env) {
    const rulesDir = env.rulesDir || defaultRulesDir();
    const useRules = options.detectors.includes('rules');
    const engineOptions = { thresholds: options.thresholds, disable: options.disable, disableRules: options.disableRules };
    const packs = loadRulePacks(rulesDir, options.rules.length ? options.rules : undefined);
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
    const threads = options.workers ?? Math.min(2, availableParallelism());
    let pool: AnalyzerPool | null = null;
    const roles = new Set(options.roles);
    const totals = { records: 0, turns: 0, turnsChanged: 0, findings: 0, kept: 0, byType: {} as Record<string, number>, keptByKind: {} as Record<string, number> };

    const getPool = () => (pool ??= new AnalyzerPool(engine, { packs, options: engineOptions, operators: workerOps }, threads, (m) => env.log.warn(m)));

    const countKeptOne = (ctx: StageContext, kind: string, rule: string, role: Role, file: string) => {
      ctx.report.count(foundKey(kind, rule, role, file, keptCache, 'kept'));
      totals.kept++;
      totals.keptByKind[kind] = (totals.keptByKind[kind] ?? 0) + 1;
    };
    const countKept = (ctx: StageContext, kept: KeptSpan[], role: Role, file: string) => {
      for (const kp of kept) countKeptOne(ctx, kp.kind, kp.rule, role, file);
    };
    // counter keys are built once per (type, rule, role, file) and (type, bucket/operator): the
    // same strings every time, instead of three joins per finding
    const keyCache = new Map<string, Map<string, Map<string, Map<string, string>>>>();
    const keptCache = new Map<string, Map<string, Map<string, Map<string, string>>>>();
    /** `found|type|rule|role|file` (or `kept|kind|…` from `cache = keptCache`), built once. */
    const foundKey = (type: string, rule: string, role: string, file: string, cache = keyCache, kind = 'found'): string => {
      let byRule = cache.get(type);
      if (!byRule) cache.set(type, (byRule = new Map()));
      let byRole = byRule.get(rule);
      if (!byRole) byRule.set(rule, (byRole = new Map()));
      let byFile = byRole.get(role);
      if (!byFile) byRole.set(role, (byFile = new Map()));
      let k = byFile.get(file);
      if (k === undefined) byFile.set(file, (k = counterKey(kind, type, rule, role, file)));
      return k;
    };
    const pairCache = new Map<string, string>();
    const sampleKinds = new Map<string, string>();
    const pairKey = (kind: string, type: string, x: string): string => {
      // type and x never hold '\u0001'
      const c = kind + '\u0001' + type + '\u0001' + x;
      let k = pairCache.get(c);
      if (k === undefined) pairCache.set(c, (k = counterKey(kind, type, x)));
      return k;
    };
    const countRep = (ctx: StageContext, r: ConversationRecord, ti: number, original: string, out: string, rep: RepOut, file: string) => {
      const role = r.turns[ti].role;
      ctx.report.count(foundKey(rep.type, rep.rule, role, file));
      ctx.report.count(pairKey('score', rep.type, scoreBucket(rep.score)));
      ctx.report.count(pairKey('operator', rep.type, rep.op));
      ctx.report.count('chars.replaced', rep.end - rep.start);
      totals.findings++;
      totals.byType[rep.type] = (totals.byType[rep.type] ?? 0) + 1;
      let kind = sampleKinds.get(rep.type);
      if (kind === undefined) sampleKinds.set(rep.type, (kind = `finding.${rep.type}`));
      if ((ctx.report.samples[kind]?.length ?? 0) >= ctx.report.maxSamples) return;
      const w = options.sampleContext;
      ctx.report.sample(kind, {
        record: safeId(r.id),
        turn: ti,
        role,
        file,
        type: rep.type,
        rule: rep.rule,
        score: rep.score,
        masked: maskedSample(original.slice(rep.start, rep.end)),
        context: maskContext(out.slice(Math.max(0, rep.outStart - w), rep.outEnd + w)),
      });
    };
    const inScope = (t: { role: Role; text: string }) => roles.has(t.role) && !!t.text;

    /** Rules only: detection and operators run per conversation on the thread pool. */
    const applyPooled = async (batch: ConversationRecord[], ctx: StageContext) => {
      const jobs: ConvBatch = { ids: new Array(batch.length), counts: new Array(batch.length), texts: [] };
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i];
        let c = 0;
        for (let t = 0; t < r.turns.length; t++) {
          if (inScope(r.turns[t])) {
            jobs.texts.push(r.turns[t].text);
            c++;
          }
        }
        jobs.ids[i] = r.id;
        jobs.counts[i] = c;
      }
      // each piece is counted as soon as it and all before it are done (in input order)
      await getPool().scrubInOrder(jobs, workerOps, (share, from, to) => {
        const { nums, strings, texts } = share;
        let t = 0; // next text of the share
        let p = 0; // next number of the share
        for (let ri = from; ri < to; ri++) {
          const r = batch[ri];
          const file = r.source?.file ?? '-';
          totals.records++;
          let k = 0;
          for (let ti = 0; ti < r.turns.length; ti++) {
            const turn = r.turns[ti];
            if (!inScope(turn)) continue;
            totals.turns++;
            k++;
            const text = texts[t++];
            const nReps = nums[p];
            const nKept = nums[p + 1];
            p += 2;
            const out = text ?? turn.text;
            for (let j = 0; j < nReps; j++, p += 8) {
              const rep: RepOut = {
                start: nums[p], end: nums[p + 1], outStart: nums[p + 2], outEnd: nums[p + 3], score: nums[p + 4],
                type: strings[nums[p + 5]], rule: strings[nums[p + 6]], op: strings[nums[p + 7]],
              };
              countRep(ctx, r, ti, turn.text, out, rep, file);
            }
            for (let j = 0; j < nKept; j++, p += 2) countKeptOne(ctx, strings[nums[p]], strings[nums[p + 1]], turn.role, file);
            if (text !== null) {
              totals.turnsChanged++;
              ctx.report.count('turns.changed');
              r.turns[ti] = { ...turn, text };
            }
          }
          ctx.report.count('turns.scanned', k);
        }
      });
      return batch;
    };

    const reportOnly = new Set(options.reportOnly ?? ['ORG']);
    /** With other detectors (NER): rule analysis on the pool, the rest and the operators here. */
    const applyCombined = async (batch: ConversationRecord[], ctx: StageContext) => {
      const texts: string[] = [];
      for (const r of batch) for (const t of r.turns) if (inScope(t)) texts.push(t.text);
      const analyses: (Analysis | null)[] = useRules ? await getPool().analyze(texts) : [];
      let k = 0;
      for (const r of batch) {
        totals.records++;
        const scope = new ConversationScope(r.id);
        const file = r.source?.file ?? '-';
        for (let ti = 0; ti < r.turns.length; ti++) {
          const turn = r.turns[ti];
          if (!inScope(turn)) continue;
          totals.turns++;
          const a = useRules ? analyses[k++] : null;
          const combined = combine(turn.text, a, others, { role: turn.role });
          let spans = combined.spans;
          const kept = combined.kept;
          if (reportOnly.size && spans.some((sp) => reportOnly.has(sp.type))) {
            // quasi-identifiers (ORG by default) are reported as kept, never replaced
            const keep = spans.filter((sp) => reportOnly.has(sp.type));
            spans = spans.filter((sp) => !reportOnly.has(sp.type));
            countKept(ctx, keep.map((sp) => ({ kind: `report-only:${sp.type}`, rule: sp.rule, start: sp.start, end: sp.end })), turn.role, file);
          }
          countKept(ctx, kept, turn.role, file);
          if (spans.length === 0) continue;
          const res = applyOperators(turn.text, spans, scope, opConfig);
          for (const x of res.replacements) {
            countRep(ctx, r, ti, turn.text, res.text, { type: x.span.type, rule: x.span.rule, score: x.span.score, start: x.span.start, end: x.span.end, outStart: x.outStart, outEnd: x.outEnd, op: x.operator }, file);
          }
          if (res.text !== turn.text) {
            totals.turnsChanged++;
            ctx.report.count('turns.changed');
            r.turns[ti] = { ...turn, text: res.text };
          }
        }
      }
      ctx.report.count('turns.scanned', texts.length);
      return batch;
    };

    const apply = (batch: ConversationRecord[], ctx: StageContext): Promise<ConversationRecord[]> =>
      useRules && others.length === 0 ? applyPooled(batch, ctx) : applyCombined(batch, ctx);

    return {
      apply,
      summary: () => ({
        detectors: options.detectors,
        packs: engine.packs,
        rules: engine.rules.length,
        operator: toSpec(options.operator).kind,
        operators: Object.fromEntries(Object.entries(options.operators).map(([t, o]) => [t, toSpec(o).kind])),
        threads: pool?.threads ?? threads,
        ...totals,
      }),
      close: async () => {
        await pool?.close();
        pool = null;
      },
    };
  },
});
