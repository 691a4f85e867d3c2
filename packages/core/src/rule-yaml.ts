import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { BuildCopies, copyKey, readCopy } from './build-copies.js';

/**
 * YAML of rule files (rule packs, bot rules), read with js-yaml's core schema. js-yaml, not the pipeline's
 * `yaml` (which keeps node positions for error messages): a thread reads its rules once, cold, and there
 * js-yaml takes ≈ 50 ms (≈ 20 to load, ≈ 30 to parse the bundled packs) where `yaml` took ≈ 300. The bundled
 * rule files are read at build time too (scripts/precompile.mjs) and kept as JSON by the hash of
 * their text: a thread that reads an unchanged bundled file parses JSON (< 1 ms) and never loads js-yaml.
 */
const requireHere = createRequire(import.meta.url);
type JsYaml = { load: (s: string, o: { schema: unknown }) => unknown; CORE_SCHEMA: unknown };
let jsYaml: JsYaml | null = null;
const yaml = (): JsYaml => (jsYaml ??= requireHere('js-yaml') as JsYaml);

/** Where build-time copies live: `<key>.json` per rule file text. */
const CACHE_DIR = fileURLToPath(new URL('./rule-yaml/', import.meta.url));

/** A text's key: js-yaml's version and the text, so a copy made by another parser version is never used. */
const ruleYamlKey = (text: string): string => copyKey('js-yaml', text);

/**
 * The value of a rule file's YAML text (js-yaml, core schema): from its build-time JSON copy where there is
 * one, else parsed (a syntax error throws js-yaml's error, as before).
 */
export function parseRuleYaml(text: string): unknown {
  const copy = readCopy(CACHE_DIR, ruleYamlKey(text), '.json', (file) => ({ value: JSON.parse(readFileSync(file, 'utf8')) as unknown }));
  if (copy) return copy.value;
  const y = yaml();
  return y.load(text, { schema: y.CORE_SCHEMA });
}

/**
 * Writes the JSON copies of rule file texts (run at build time, for the bundled rules), replacing the
 * folder's other copies; a text whose value JSON cannot hold exactly (.inf, .nan) or that does not parse
 * gets none. Returns how many were written.
 */
export function writeRuleYamlCache(texts: string[], dir = CACHE_DIR): number {
  const copies = new BuildCopies(dir, '.json');
  const y = yaml();
  for (const text of texts) {
    let value: unknown;
    try {
      value = y.load(text, { schema: y.CORE_SCHEMA });
    } catch {
      continue; // the run reports it, with the file's name
    }
    const json = JSON.stringify(value);
    if (json === undefined || !isDeepStrictEqual(JSON.parse(json), value)) continue;
    copies.write(ruleYamlKey(text), json);
  }
  return copies.finish();
}
