import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { checkOptions, closest, safeMessage, ScrubError, stableStringify, sha256, type PlannedStep, type StageRegistry } from '@scrubline/core';
import { inputSchema, outputSchema, parsePath, type InputConfig, type OutputConfig } from '@scrubline/io';

// `yaml` (≈ 45 ms to load) on first use: commands other than run and plan read no pipeline file
let yamlModule: typeof import('yaml') | null = null;
export const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

export interface PipelineStepConfig {
  use: string;
  id?: string;
  with?: Record<string, unknown>;
  /** Only records matching every `path: value` go through the step (e.g. `meta.lang: en`). */
  when?: Record<string, unknown>;
}

const whenSchema = {
  type: 'object',
  description: 'only records matching every dotted path: value (or list of values) go through this step',
  additionalProperties: { anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] } }] },
};

export interface PipelineConfig {
  version?: 1;
  seed?: string | number;
  strict?: boolean;
  input: InputConfig;
  steps?: PipelineStepConfig[];
  output: OutputConfig;
}

export interface LoadedPipeline {
  config: PipelineConfig;
  steps: PlannedStep[];
  /** Folder that relative paths resolve against. */
  baseDir: string;
  file: string;
  configHash: string;
}

export function pipelineSchema(registry: StageRegistry): Record<string, unknown> {
  const stepVariants = registry.all().map((d) => ({
    type: 'object',
    additionalProperties: false,
    required: ['use'],
    properties: { use: { const: d.name }, id: { type: 'string' }, with: d.optionsSchema, when: whenSchema, description: { type: 'string' } },
    description: d.description,
  }));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'scrubline pipeline',
    type: 'object',
    additionalProperties: false,
    required: ['input', 'output'],
    properties: {
      version: { const: 1 },
      seed: { type: ['string', 'integer'], default: '0' },
      strict: { type: 'boolean', default: false },
      input: inputSchema,
      steps: { type: 'array', items: { oneOf: stepVariants } },
      output: outputSchema,
    },
  };
}

/** Top-level shape, with steps' `with` left to each stage's own schema (for precise messages). */
export const topSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['input', 'output'],
  properties: {
    version: { const: 1 },
    seed: { type: ['string', 'integer'] },
    strict: { type: 'boolean' },
    input: inputSchema,
    steps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['use'],
        properties: { use: { type: 'string' }, id: { type: 'string' }, with: { type: 'object' }, when: whenSchema, description: { type: 'string' } },
      },
    },
    output: outputSchema,
  },
};

/**
 * Loads and validates a pipeline file before any data is read: YAML syntax,
 * the top-level shape, every step's stage name and options. Errors name the
 * YAML path and line, with a hint for misspelt keys.
 */
export async function loadPipeline(file: string, registry: StageRegistry): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'pipeline file cannot be read', { file }, { cause: e });
  }
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ScrubError('SCRUB_CONFIG_INVALID', `YAML syntax: ${e.message.split('\n')[0]}`, { file, line: pos.line });
  }
  let config: PipelineConfig;
  try {
    config = doc.toJS() as PipelineConfig;
  } catch (e) {
    // an alias without its anchor, or too many aliases (a document that expands without bound): the file's fault
    const message = (e as Error).message.split('\n')[0];
    const hint = /alias count/i.test(message) ? 'the aliases expand without bound (aliases of aliases): write the values out' : 'set an anchor (&name) before its alias (*name)';
    throw new ScrubError('SCRUB_CONFIG_INVALID', `YAML: ${safeMessage(message, 120)}`, { file, hint });
  }
  return validatePipeline(config, registry, { file, baseDir: dirname(resolve(file)), doc, lineCounter });
}

export function validatePipeline(
  config: PipelineConfig,
  registry: StageRegistry,
  where: { file: string; baseDir: string; doc?: Document; lineCounter?: LineCounter },
): LoadedPipeline {
  const lineOf = (path: string): number | undefined => (where.doc && where.lineCounter ? yamlLine(where.doc, where.lineCounter, path) : undefined);
  const fail = (path: string, message: string, hint?: string): never => {
    throw new ScrubError('SCRUB_CONFIG_INVALID', message, { file: where.file, line: lineOf(path), field: path, hint });
  };
  if (config === null || typeof config !== 'object') fail('(root)', 'the pipeline file must be a YAML mapping');
  const problems = checkOptions(topSchema, config, '');
  if (problems.length) {
    const p = problems[0];
    fail(p.path.replace(/^\./, ''), p.message, p.hint);
  }
  const steps: PlannedStep[] = [];
  const seen = new Map<string, number>();
  (config.steps ?? []).forEach((s, i) => {
    const def = registry.get(s.use);
    if (!def) {
      const close = closest(s.use, registry.names());
      fail(`steps[${i}].use`, `unknown stage '${s.use}'`, close ? `did you mean '${close}'?` : `stages: ${registry.names().join(', ')}`);
    }
    const options = structuredClone(s.with ?? {});
    const problems = checkOptions(def!.optionsSchema, options, `steps[${i}].with`);
    if (problems.length) fail(problems[0].path, problems[0].message + (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''), problems[0].hint);
    const n = (seen.get(s.use) ?? 0) + 1;
    seen.set(s.use, n);
    const id = s.id ?? (n === 1 ? s.use : `${s.use}#${n}`);
    if (steps.some((x) => x.id === id)) fail(`steps[${i}].id`, `step id '${id}' is used twice`);
    steps.push({ id, use: s.use, definition: def!, options, ...(s.when ? { when: s.when } : {}) });
  });
  const configHash = sha256(stableStringify(config));
  return { config, steps, baseDir: where.baseDir, file: where.file, configHash };
}

/** Line of a dotted/indexed path (`steps[1].with.treshold`) in the YAML document; the nearest existing parent otherwise. */
function yamlLine(doc: Document, lc: LineCounter, path: string): number | undefined {
  let node: any = doc.contents;
  let best: number | undefined = node?.range ? lc.linePos(node.range[0]).line : undefined;
  for (const s of parsePath(path)) {
    if (yaml().isMap(node)) {
      const pair = node.items.find((p: any) => p.key?.value === s);
      if (!pair) break;
      best = lc.linePos((pair.key as any).range[0]).line;
      node = pair.value;
    } else if (yaml().isSeq(node) && typeof s === 'number') {
      node = node.items[s];
      if (!node) break;
      if (node.range) best = lc.linePos(node.range[0]).line;
    } else break;
  }
  return best;
}
