import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validatorKey, writePrecompiledValidators } from '@scrubline/core';
import { AJV_OPTIONS } from '../../core/src/options.js';
import { builtInOptionSchemas } from '../src/plugins.js';

const require = createRequire(import.meta.url);
const Ajv = (require(require.resolve('ajv', { paths: [fileURLToPath(new URL('../../core', import.meta.url))] })) as { default: new (o: object) => any }).default;

/** Random option objects for a schema: every property sometimes left out, sometimes valid-looking, sometimes wrong; now and then an unknown key. */
function* samples(schema: any, n: number, rand: (k: number) => number): Generator<unknown> {
  const pool: unknown[] = [0, 1, -1, 2.5, 1e9, '', 'x', 'rules', 'placeholder', 'customer', true, false, null, [], ['rules'], ['customer', 'agent'], [1, 2], {}, { a: 1 }, { PHONE: 0.5 }];
  const props = Object.entries((schema.properties ?? {}) as Record<string, any>);
  yield {};
  for (let i = 0; i < n; i++) {
    const o: Record<string, unknown> = {};
    for (const [k, p] of props) {
      const r = rand(4);
      if (r === 0) continue;
      if (r === 1 && p.default !== undefined) o[k] = structuredClone(p.default);
      else if (r === 2 && Array.isArray(p.enum)) o[k] = p.enum[rand(p.enum.length)];
      else o[k] = structuredClone(pool[rand(pool.length)]);
    }
    if (rand(5) === 0) o[['unknwn', 'detector', 'with', 'steps'][rand(4)]] = 1;
    yield o;
  }
}

describe('options validators compiled at build time', () => {
  it('accept, reject, fill defaults and report errors exactly as validators compiled at run time', () => {
    // inside core's build folder, as the build writes them: the code they hold requires ajv's runtime helpers from there
    const coreDist = fileURLToPath(new URL('../../core/dist/', import.meta.url));
    mkdirSync(coreDist, { recursive: true });
    const dir = mkdtempSync(join(coreDist, '.validators-test-'));
    try {
      const schemas = builtInOptionSchemas();
      const keys = writePrecompiledValidators(schemas, dir);
      expect(new Set(keys).size).toBe(keys.length);
      expect(readdirSync(dir).sort()).toEqual(keys.map((k) => `${k}.cjs`).sort());
      // every stage of the CLI has one (nothing left to ajv at run time)
      expect(keys.length).toBeGreaterThanOrEqual(12);
      let seed = 11;
      const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
      let accepted = 0;
      let rejected = 0;
      for (const schema of schemas) {
        const built = (require(join(dir, `${validatorKey(schema)}.cjs`)) as { default: any }).default;
        const runtime = new Ajv(AJV_OPTIONS).compile(schema);
        for (const sample of samples(schema, 300, rand)) {
          const a = structuredClone(sample);
          const b = structuredClone(sample);
          const okBuilt = built(a);
          const okRuntime = runtime(b);
          expect(okBuilt).toBe(okRuntime);
          // defaults filled in alike, errors alike (the first names the problem the user sees)
          expect(a).toEqual(b);
          expect(built.errors ?? null).toEqual(runtime.errors ?? null);
          if (okBuilt) accepted++;
          else rejected++;
        }
      }
      expect(accepted).toBeGreaterThan(50);
      expect(rejected).toBeGreaterThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a key covers the schema as written: another schema, or the same keys in another order, has another key', () => {
    const [top, input] = builtInOptionSchemas();
    expect(validatorKey(top)).not.toBe(validatorKey(input));
    const a = { type: 'object', properties: { x: { type: 'string' }, y: { type: 'number' } } };
    const b = { type: 'object', properties: { y: { type: 'number' }, x: { type: 'string' } } };
    expect(validatorKey(a)).toBe(validatorKey(structuredClone(a)));
    expect(validatorKey(a)).not.toBe(validatorKey(b));
  });

  it('with the build-time validators in place, checking a stage\'s options loads no ajv compiler; a schema without one still works', () => {
    // the built packages, as the CLI runs them: their validators written where checkOptions looks (as the build does) …
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const write = `
      const { writePrecompiledValidators } = await import('@scrubline/core');
      const { builtInOptionSchemas } = await import('./dist/plugins.js');
      writePrecompiledValidators(builtInOptionSchemas());`;
    execFileSync(process.execPath, ['--input-type=module', '-e', write], { cwd });
    // … then a fresh process checks options
    const script = `
      import { createRequire } from 'node:module';
      const { assertOptions, checkOptions } = await import('@scrubline/core');
      const { piiStage } = await import('@scrubline/pii');
      const o = {};
      assertOptions(piiStage.optionsSchema, o, 'pii');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /ajv[\\\\/]dist[\\\\/]core\\.js$/.test(k));
      const before = loaded();
      const other = checkOptions({ type: 'object', properties: { n: { type: 'integer', default: 3 } }, additionalProperties: false }, {}, 'x');
      console.log(JSON.stringify({ filled: o.operator !== undefined, before, after: loaded(), other }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ filled: true, before: false, after: true, other: [] });
  });
});
