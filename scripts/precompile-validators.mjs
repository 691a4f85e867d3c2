// Compiles the options validators of the built-in schemas (pipeline file, input section, every stage)
// into packages/core/dist/validators/, so a CLI run neither loads ajv's compiler nor compiles a schema
// (≈ 100 ms of start-up). Run by `pnpm run build` after the packages are built; a schema without a file
// there (a plugin's, or one changed since) is compiled at run time as before.
import { builtInOptionSchemas } from '../packages/cli/dist/plugins.js';
import { writePrecompiledValidators } from '../packages/core/dist/index.js';

const keys = writePrecompiledValidators(builtInOptionSchemas());
console.error(`precompile-validators: ${keys.length} options validators compiled`);
