import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BuildCopies, copyKey, readCopy } from './build-copies.js';
import type { ErrorObject } from 'ajv';
import { ScrubError } from './errors.js';
import type { JsonSchema } from './stage.js';

/** Ajv's options, the same for validators compiled at run time and those compiled at build time. */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true };

// ajv is loaded on first use (≈ 55 ms, and ≈ 50 ms more to compile a stage's schema): a built-in schema's
// validator was compiled at build time (scripts/precompile.mjs), and a slice worker whose stages
// check no options never loads it
const requireHere = createRequire(import.meta.url);
/** An Ajv instance with AJV_OPTIONS and `extra` (ajv is CommonJS; its default export lands on .default). */
function newAjv(extra: object = {}): { compile(schema: object): any } {
  const mod = requireHere('ajv') as { default?: new (o: object) => any };
  const Ajv = mod.default ?? (mod as unknown as new (o: object) => any);
  return new Ajv({ ...AJV_OPTIONS, ...extra });
}
let ajv: { compile(schema: object): any } | null = null;
const getAjv = () => (ajv ??= newAjv());
const cache = new WeakMap<object, any>();

/** Where build-time validators live: one CommonJS file per schema, named by its key. */
const PRECOMPILED_DIR = fileURLToPath(new URL('./validators/', import.meta.url));

/**
 * A schema's key: ajv's version and options and the schema as written (key order included: it orders
 * the errors and the defaults), so a validator compiled from anything else is never used for it.
 */
export function validatorKey(schema: object): string {
  return copyKey('ajv', JSON.stringify(AJV_OPTIONS), JSON.stringify(schema));
}

/** The build-time validator of `schema`, or null (a plugin's schema, or a build without them). */
function precompiled(schema: object): any {
  const mod = readCopy(PRECOMPILED_DIR, validatorKey(schema), '.cjs', (file) => requireHere(file) as { default?: unknown });
  return typeof mod?.default === 'function' ? mod.default : null;
}

/**
 * Writes standalone validators for `schemas` (ajv's standalone code, which needs only ajv's small runtime
 * helpers) into `dir` (default: where checkOptions looks), one file per key; returns the keys. Run at build time.
 */
export function writePrecompiledValidators(schemas: object[], dir = PRECOMPILED_DIR): string[] {
  const standalone = requireHere('ajv/dist/standalone') as { default: (ajv: unknown, validate: unknown) => string };
  const source = newAjv({ code: { source: true } });
  const copies = new BuildCopies(dir, '.cjs');
  const keys: string[] = [];
  for (const schema of schemas) {
    const key = validatorKey(schema);
    if (keys.includes(key)) continue;
    copies.write(key, standalone.default(source, source.compile(schema)));
    keys.push(key);
  }
  copies.finish();
  return keys;
}

export interface OptionProblem {
  /** Path in the config, e.g. `steps[2].with.threshold`. */
  path: string;
  message: string;
  hint?: string;
}

/**
 * Validates (and fills defaults into) `value` against `schema`. Problems carry
 * the full path under `basePath` and, for unknown keys, the closest known key.
 */
export function checkOptions(schema: JsonSchema, value: unknown, basePath: string): OptionProblem[] {
  let validate = cache.get(schema);
  if (!validate) {
    validate = precompiled(schema) ?? getAjv().compile(schema);
    cache.set(schema, validate);
  }
  if (validate(value)) return [];
  return dedupe((validate.errors as ErrorObject[]).map((e) => describe(e, basePath, schema)));
}

export function assertOptions(schema: JsonSchema, value: unknown, basePath: string, file?: string): void {
  const problems = checkOptions(schema, value, basePath);
  if (problems.length) {
    const p = problems[0];
    throw new ScrubError('SCRUB_CONFIG_INVALID', p.message + (problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''), {
      file,
      field: p.path,
      hint: p.hint,
    });
  }
}

function describe(e: ErrorObject, basePath: string, root: JsonSchema): OptionProblem {
  const path = basePath + pointerToPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const known = knownKeys(root, e.schemaPath);
    const close = closest(key, known);
    return {
      path: `${path}.${key}`,
      message: `unknown option '${key}'`,
      hint: close ? `did you mean '${close}'?` : known.length ? `known options: ${known.join(', ')}` : undefined,
    };
  }
  if (e.keyword === 'enum') {
    return { path, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  if (e.keyword === 'required') {
    return { path: `${path}.${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' };
  }
  return { path: path || basePath || '(root)', message: e.message ?? 'is invalid' };
}

function knownKeys(root: JsonSchema, schemaPath: string): string[] {
  // schemaPath like '#/properties/a/additionalProperties'
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: any = root;
  for (const p of parts) node = node?.[decodeURIComponent(p.replace(/~1/g, '/').replace(/~0/g, '~'))];
  return node?.properties ? Object.keys(node.properties) : [];
}

function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

function dedupe(list: OptionProblem[]): OptionProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = p.path + p.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Closest candidate by edit distance, if close enough to be a typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
