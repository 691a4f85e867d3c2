// Build-time work that shortens every run's start (run by `pnpm run build` after the packages are built):
// - the options validators of the built-in schemas (pipeline file, input section, every stage), compiled
//   into packages/core/dist/validators/, so a run neither loads ajv's compiler nor compiles a schema
//   (≈ 100 ms); a schema without one there (a plugin's, or one changed since) is compiled at run time;
// - JSON copies of the bundled rule files (rules/**/*.yaml) in packages/core/dist/rule-yaml/, by the hash of
//   their text, so a thread reading them loads no YAML parser (≈ 50 ms per thread); an edited or another
//   rules folder is parsed as YAML as before.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInOptionSchemas } from '../packages/cli/dist/plugins.js';
import { writePrecompiledValidators, writeRuleYamlCache } from '../packages/core/dist/index.js';

const keys = writePrecompiledValidators(builtInOptionSchemas());
const rulesDir = fileURLToPath(new URL('../rules/', import.meta.url));
const texts = readdirSync(rulesDir, { recursive: true })
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => readFileSync(join(rulesDir, f), 'utf8'));
const copies = writeRuleYamlCache(texts);
console.error(`precompile: ${keys.length} options validators, ${copies} of ${texts.length} rule files as JSON`);
