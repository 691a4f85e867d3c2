import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRuleYaml, writeRuleYamlCache } from '../src/rule-yaml.js';
import { BuildCopies } from '../src/build-copies.js';

const jsYaml = createRequire(import.meta.url)('js-yaml') as { load: (s: string, o: object) => unknown; CORE_SCHEMA: unknown };
const load = (t: string) => jsYaml.load(t, { schema: jsYaml.CORE_SCHEMA });
const rulesDir = fileURLToPath(new URL('../../../rules/', import.meta.url));
const bundled = readdirSync(rulesDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => readFileSync(join(rulesDir, f), 'utf8'));

describe('rule files read from their build-time JSON copies', () => {
  it('every bundled rule file reads to the same value as js-yaml gives, and an edited one too', () => {
    expect(bundled.length).toBeGreaterThanOrEqual(10);
    for (const text of bundled) {
      expect(parseRuleYaml(text)).toEqual(load(text));
      const edited = text + '\nextra: [1, "x", .5]\n';
      expect(parseRuleYaml(edited)).toEqual(load(edited));
    }
  });

  it('no copy for what JSON cannot hold exactly or what does not parse; copies of others replace the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-rule-yaml-'));
    expect(writeRuleYamlCache(['a: .inf\n', 'a: .nan\n', 'a: [-.inf]\n', 'a: [unclosed\n', 'a: 1\n', 'b: [x, 2]\n'], dir)).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    expect(writeRuleYamlCache(['c: 3\n'], dir)).toBe(1);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('a build folder keeps what this build wrote, and drops other copies and temporary files a stopped build left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-copies-'));
    writeFileSync(join(dir, 'old.json'), '{}');
    writeFileSync(join(dir, '.k.json.1.stale.tmp'), '{');
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(dir, '.k.json.1.stale.tmp'), old, old);
    writeFileSync(join(dir, '.k.json.2.running.tmp'), '{'); // a build writing beside this one
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const copies = new BuildCopies(dir, '.json');
    copies.write('k', '{"a":1}');
    expect(copies.finish()).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.k.json.2.running.tmp', 'k.json', 'notes.txt']);
    expect(readFileSync(join(dir, 'k.json'), 'utf8')).toBe('{"a":1}');
  });

  it('with the copies in place, a thread reading the bundled rules loads no YAML parser; a syntax error is still js-yaml\'s', () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const texts = JSON.stringify(bundled);
    execFileSync(process.execPath, ['--input-type=module', '-e', `const { writeRuleYamlCache } = await import('./dist/index.js'); writeRuleYamlCache(${texts});`], { cwd });
    const script = `
      import { createRequire } from 'node:module';
      const { parseRuleYaml } = await import('./dist/index.js');
      const values = ${texts}.map((t) => parseRuleYaml(t));
      // the parser's modules (its package.json, read for the key, is no parser)
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /js-yaml[\\\\/](dist|lib|index)/.test(k));
      const before = loaded();
      let error = null;
      try { parseRuleYaml('rules: [unclosed\\n'); } catch (e) { error = e.name; }
      console.log(JSON.stringify({ values, before, after: loaded(), error }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 }));
    expect(out.before).toBe(false);
    expect(out.after).toBe(true);
    expect(out.error).toBe('YAMLException');
    expect(out.values).toEqual(bundled.map(load));
  });
});
