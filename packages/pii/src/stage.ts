import { availableParallelism } from 'node:os';
import { defineStage, detectors, ScrubError, type ConversationRecord, type Detector, type Role, type StageContext } from '@scrubline/core';
import { defaultRulesDir, getRuleEngine } from './engine.js';
import { ConversationScope, resolveHmacKey, toSpec, applyOperators, DEFAULT_KEY_ENV, type OperatorConfig, type OperatorInput } from './operators.js';
import { AnalyzerPool } from './pool.js';
import { loadRulePacks, type Analysis } from './rules.js';
import { combine, maskContext, maskedSample } from './scrub.js';

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
    },
  },
  example: { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: { EMAIL: 'hmac' }, keyEnv: DEFAULT_KEY_ENV, roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16 },
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
    const opConfig: OperatorConfig = { operator: options.operator, operators: options.operators, key, seed: env.seed, canonicalOf: engine.canonicalOf };
    const threads = options.workers ?? Math.min(2, availableParallelism());
    let pool: AnalyzerPool | null = null;
    const roles = new Set(options.roles);
    const totals = { records: 0, turns: 0, turnsChanged: 0, findings: 0, kept: 0, byType: {} as Record<string, number>, keptByKind: {} as Record<string, number> };

    const apply = async (batch: ConversationRecord[], ctx: StageContext): Promise<ConversationRecord[]> => {
      const texts: string[] = [];
      for (const r of batch) for (const t of r.turns) if (roles.has(t.role) && t.text) texts.push(t.text);
      let analyses: (Analysis | null)[] = [];
      if (useRules) {
        pool ??= new AnalyzerPool(engine, packs, engineOptions, threads, (m) => env.log.warn(m));
        analyses = await pool.analyze(texts);
      }
      let k = 0;
      for (const r of batch) {
        totals.records++;
        const scope = new ConversationScope(r.id);
        const file = r.source?.file ?? '-';
        for (let ti = 0; ti < r.turns.length; ti++) {
          const turn = r.turns[ti];
          if (!roles.has(turn.role) || !turn.text) continue;
          totals.turns++;
          const a = useRules ? analyses[k++] : null;
          if (!a && others.length === 0) continue;
          const { spans, kept } = combine(turn.text, a, others, { role: turn.role });
          for (const kp of kept) {
            ctx.report.count(counterKey('kept', kp.kind, kp.rule, turn.role, file));
            totals.kept++;
            totals.keptByKind[kp.kind] = (totals.keptByKind[kp.kind] ?? 0) + 1;
          }
          if (spans.length === 0) continue;
          const original = turn.text;
          const res = applyOperators(original, spans, scope, opConfig);
          for (const rep of res.replacements) {
            const s = rep.span;
            ctx.report.count(counterKey('found', s.type, s.rule, turn.role, file));
            ctx.report.count(counterKey('score', s.type, scoreBucket(s.score)));
            ctx.report.count(counterKey('operator', s.type, rep.operator));
            ctx.report.count('chars.replaced', s.end - s.start);
            totals.findings++;
            totals.byType[s.type] = (totals.byType[s.type] ?? 0) + 1;
            const kind = `finding.${s.type}`;
            if ((ctx.report.samples[kind]?.length ?? 0) >= ctx.report.maxSamples) continue;
            const w = options.sampleContext;
            ctx.report.sample(kind, {
              record: r.id,
              turn: ti,
              role: turn.role,
              file,
              type: s.type,
              rule: s.rule,
              score: s.score,
              masked: maskedSample(original.slice(s.start, s.end)),
              context: maskContext(res.text.slice(Math.max(0, rep.outStart - w), rep.outEnd + w)),
            });
          }
          if (res.text !== original) {
            totals.turnsChanged++;
            ctx.report.count('turns.changed');
            r.turns[ti] = { ...turn, text: res.text };
          }
        }
      }
      ctx.report.count('turns.scanned', texts.length);
      return batch;
    };

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
