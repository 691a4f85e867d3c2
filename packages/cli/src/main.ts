import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { assertOptions, parseArgsUsageError, recordJsonSchema, ScrubError, StageRegistry, type CommandDefinition, type CommandIO, type ScrublinePlugin, type ShardSpec } from '@scrubline/core';
import { NER_TYPES } from '@scrubline/ner';
import { inputSchema, setDotted, type InputConfig } from '@scrubline/io';
import { execute, EXIT, reportError } from './execute.js';
import { loadPipeline, pipelineSchema, yaml } from './pipeline.js';
import { MERGE_HELP, mergeReportsCommand } from './merge.js';
import { plugins as defaultPlugins } from './plugins.js';
import { VERSION } from './version.js';

const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the run failed (a stage failed, --strict met bad input)
  2  bad command line or pipeline file (nothing was read)
  3  an input file is missing, empty, truncated or in the wrong encoding
  4  the residual scan found text that still looks identifying (--fail-on-residual)
  6  the counts did not add up (nothing was published)
  70 internal error`;

const RUN_HELP = `scrubline run <pipeline.yaml> [options]

Runs a pipeline file: input → steps → output, with a run manifest, a report,
a quarantine file and a dropped-records file next to the output. Outputs are
written under temp names and renamed only when the run succeeded.

Options:
  --shard i/N          process the deterministic slice sortedFiles[i::N]
                       (also read from JOB_COMPLETION_INDEX + WORLD_SIZE, or
                       SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT)
  --phase K|all        run one phase of a sharded pipeline (see 'scrubline plan')
  --work-dir DIR       folder for spills, fit states and completion markers (shared
                       by all shards); a rerun skips shard phases already completed
  --force              rerun a shard phase even if it completed before
  --seed S             override the pipeline seed
  --strict             stop at the first malformed input instead of quarantining
  --fail-on-residual   fail (exit 4, publish nothing) when the residual scan finds PII
  --threads N|auto     run phase 0 (reading and the steps before the first global
                       step) on N threads that take consecutive units of the
                       input files in turn, and the last phase too where its
                       steps allow; the output is the same bytes.
                       auto (default): the machine's cores when the input is 32 MB
                       or more. Not for stdin, one file, or a pipeline without a
                       global step (there the pii step's own workers help)
  --rules-dir DIR      rules folder (default: the repository's rules/)
  --quiet              no progress output

Examples:
  scrubline run pipelines/fixtures-demo.yaml
  scrubline run nightly.yaml --fail-on-residual --quiet
  scrubline run nightly.yaml --shard 3/16 --phase 0 --work-dir /shared/run-42

${EXIT_CODES_HELP}`;

const INGEST_HELP = `scrubline ingest <input.yaml> [FILES...] [--out FILE] [options]

Reads an export (CSV, TSV, JSON, JSONL, gzipped; UTF-8 or GBK) into canonical
conversation records as NDJSON. <input.yaml> holds an 'input:' section (a full
pipeline file works too: its input is used). FILES override input.files.

Options:
  --out FILE        write here (atomically) instead of stdout
  --quarantine FILE write malformed rows here (default: report them on stderr)
  --shard i/N       read only this shard's slice of the sorted files
  --strict          stop at the first malformed input
  --quiet           no progress output

Examples:
  scrubline ingest pipelines/jddc-ingest.yaml > jd.ndjson
  scrubline ingest pipelines/stc3-ingest.yaml --out stc3.ndjson
  scrubline ingest pipelines/jddc-ingest.yaml | scrubline scrub | scrubline dedup > out.ndjson

${EXIT_CODES_HELP}`;

const SCHEMA_HELP = `scrubline schema [--record]

Prints the JSON Schema of pipeline files (for editors), or with --record the
schema of the canonical conversation record.

Examples:
  scrubline schema > pipeline.schema.json
  scrubline schema --record`;

export interface MainOptions {
  plugins?: ScrublinePlugin[];
  io?: Partial<CommandIO>;
}

function defaultRulesDir(): string {
  // packages/cli/dist/main.js → repository root rules/
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '../../../rules'), resolve(here, '../../rules'), resolve(process.cwd(), 'rules')]) {
    if (existsSync(candidate)) return candidate;
  }
  return resolve(process.cwd(), 'rules');
}

export function buildRegistry(plugins: ScrublinePlugin[]): StageRegistry {
  const registry = new StageRegistry();
  for (const p of plugins) for (const s of p.stages ?? []) registry.register(s);
  return registry;
}

/** Entry point; returns the exit code (testable in-process with explicit streams). */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const plugins = options.plugins ?? defaultPlugins;
  const io: CommandIO = {
    argv,
    stdin: options.io?.stdin ?? process.stdin,
    stdout: options.io?.stdout ?? process.stdout,
    stderr: options.io?.stderr ?? process.stderr,
    cwd: options.io?.cwd ?? process.cwd(),
    env: options.io?.env ?? process.env,
    rulesDir: options.io?.rulesDir ?? defaultRulesDir(),
    version: VERSION,
    renderHtml: plugins.find((p) => p.renderHtml)?.renderHtml,
  };
  const registry = buildRegistry(plugins);
  const commands = new Map<string, CommandDefinition>();
  for (const p of plugins) for (const c of p.commands ?? []) commands.set(c.name, c);
  const [cmd, ...rest] = argv;
  const rulesIdx = rest.indexOf('--rules-dir');
  if (rulesIdx >= 0 && rest[rulesIdx + 1]) io.rulesDir = resolve(io.cwd, rest[rulesIdx + 1]);
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.stdout.write(topHelp(registry, commands));
      return EXIT.OK;
    }
    if (cmd === '--version' || cmd === '-v') {
      io.stdout.write(`scrubline ${VERSION}\n`);
      return EXIT.OK;
    }
    if (cmd === 'run') return await runCommand(rest, io, registry, plugins);
    if (cmd === 'plan') return await planCommand(rest, io, registry);
    if (cmd === 'ingest') return await ingestCommand(rest, io, plugins);
    if (cmd === 'merge-reports') {
      if (rest.includes('--help') || rest.length === 0) return help(io, MERGE_HELP);
      const { report, problems } = await mergeReportsCommand(rest, io.cwd, plugins);
      const c = report.manifest.counts;
      if (problems.length) {
        io.stderr.write(`scrubline: error SCRUB_LEDGER_MISMATCH: the merged counts do not add up: ${problems[0]}\n`);
        return EXIT.LEDGER;
      }
      io.stderr.write(`scrubline: merged ${report.manifest.shard.count} shard report(s): ${c.input} in → ${c.output} out (${c.dropped} dropped, ${c.quarantined + c.inputQuarantined} quarantined, ${c.added} added)\n`);
      return EXIT.OK;
    }
    if (cmd === 'schema') {
      if (rest.includes('--help')) return help(io, SCHEMA_HELP);
      io.stdout.write(JSON.stringify(rest.includes('--record') ? recordJsonSchema : pipelineSchema(registry), null, 2) + '\n');
      return EXIT.OK;
    }
    const explicit = commands.get(cmd);
    if (explicit) {
      if (rest.includes('--help') || rest.includes('-h')) return help(io, explicit.help);
      return await explicit.run({ ...io, argv: rest });
    }
    const stage = registry.all().find((d) => (d.command ?? d.name) === cmd);
    if (stage) return await filterCommand(stage.name, rest, io, registry, plugins);
    throw new ScrubError('SCRUB_USAGE', `unknown command '${cmd}'`, { hint: "run 'scrubline --help' for the list" });
  } catch (e) {
    return reportError(e, io.stderr);
  }
}

function help(io: CommandIO, text: string): number {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return EXIT.OK;
}

function topHelp(registry: StageRegistry, commands: Map<string, CommandDefinition>): string {
  const filters = registry
    .all()
    .map((d) => `  ${(d.command ?? d.name).padEnd(20)} ${d.description}`)
    .join('\n');
  const extra = [...commands.values()]
    .filter((c) => !registry.all().some((d) => (d.command ?? d.name) === c.name))
    .map((c) => `  ${c.name.padEnd(20)} ${c.summary}`)
    .join('\n');
  return `scrubline ${VERSION} — PII-free, clean, balanced training data from customer-service chat exports

Usage: scrubline <command> [options]     (scrubline <command> --help for details)

Commands:
  run <pipeline.yaml>  run a pipeline file
  plan <pipeline.yaml> show the phases of a pipeline (for sharded runs)
  ingest <input.yaml>  export (CSV/TSV/JSON/JSONL, gz, UTF-8/GBK) → canonical NDJSON
  schema               JSON Schema of pipeline files (--record: of records)
  merge-reports        merge the reports of the shards of one sharded run
${extra ? extra + '\n' : ''}
Stages (each is also a filter: canonical NDJSON on stdin → stdout):
${filters || '  (none installed)'}

Examples:
  scrubline run pipelines/fixtures-demo.yaml
  scrubline ingest pipelines/jddc-ingest.yaml | scrubline normalise | scrubline scrub > clean.ndjson
  scrubline schema > pipeline.schema.json

${EXIT_CODES_HELP}
`;
}

/** Shard from --shard i/N, else from the scheduler's environment (K8s Indexed Jobs, Slurm arrays). */
export function shardFrom(flag: string | undefined, env: NodeJS.ProcessEnv): ShardSpec {
  let index: number;
  let count: number;
  if (flag) {
    const m = /^(\d+)\/(\d+)$/.exec(flag);
    if (!m) throw new ScrubError('SCRUB_SHARD_INVALID', '--shard must look like i/N', { hint: '0-based index: --shard 0/4 … --shard 3/4' });
    index = Number(m[1]);
    count = Number(m[2]);
  } else if (env.JOB_COMPLETION_INDEX !== undefined && env.WORLD_SIZE !== undefined) {
    index = Number(env.JOB_COMPLETION_INDEX);
    count = Number(env.WORLD_SIZE);
  } else if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    index = Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    count = Number(env.SLURM_ARRAY_TASK_COUNT);
  } else return { index: 0, count: 1 };
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new ScrubError('SCRUB_SHARD_INVALID', `shard ${index}/${count} is out of range`, { hint: 'index must be 0 … N-1' });
  }
  return { index, count };
}

function args<const O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true } as { args: string[]; options: O; allowPositionals: true; strict: true });
  } catch (e) {
    // names the option, never a value (parseArgs quotes whatever was typed)
    throw parseArgsUsageError(e, command);
  }
}

/** Types whose surrogates (realistic fakes) the residual scan's shapes cannot tell from real values; names (NER types) it does not look for. */
const SHAPED_TYPES_OK_FOR_SURROGATES: ReadonlySet<string> = new Set(NER_TYPES);

/**
 * A pii step that puts realistic surrogates for phone numbers, IDs, cards … in front of a residual scan
 * with failOnResidual would fail every run (the scan is independent and cannot tell a fake number from a
 * missed one), so such a pipeline is refused before any data is read, naming the step and the types.
 */
function refuseSurrogatesUnderFailingScan(steps: { id: string; use: string; options: unknown }[]): void {
  const kindOf = (o: unknown): unknown => (typeof o === 'string' ? o : o && typeof o === 'object' ? (o as { kind?: unknown }).kind : undefined);
  steps.forEach((step, i) => {
    if (step.use !== 'pii') return;
    const opts = (step.options ?? {}) as { operator?: unknown; operators?: Record<string, unknown> };
    const perType = Object.entries(opts.operators ?? {});
    const shaped = perType.filter(([t, o]) => kindOf(o) === 'surrogate' && !SHAPED_TYPES_OK_FOR_SURROGATES.has(t)).map(([t]) => t);
    const byDefault = kindOf(opts.operator) === 'surrogate';
    if (!byDefault && shaped.length === 0) return;
    const failing = steps.slice(i + 1).find((s) => s.use === 'residual-scan' && (s.options as { failOnResidual?: unknown } | undefined)?.failOnResidual === true);
    if (!failing) return;
    const what = byDefault ? 'operator: surrogate (every type without its own operator)' : `surrogate for ${shaped.join(', ')}`;
    throw new ScrubError('SCRUB_CONFIG_INVALID', `step ${step.id} uses ${what}, and step ${failing.id} fails the run on residual PII: realistic fakes look like real values to the residual scan, so every run would fail`, {
      field: byDefault ? `steps[${i}].with.operator` : `steps[${i}].with.operators.${shaped[0]}`,
      hint: 'use placeholder, hmac, mask or redact for structured types (surrogates suit PERSON, ORG, ADDRESS), or turn failOnResidual off',
    });
  });
}

async function runCommand(argv: string[], io: CommandIO, registry: StageRegistry, plugins: ScrublinePlugin[]): Promise<number> {
  const { values, positionals } = args('run', argv, {
    shard: { type: 'string' },
    phase: { type: 'string' },
    'work-dir': { type: 'string' },
    seed: { type: 'string' },
    strict: { type: 'boolean' },
    'fail-on-residual': { type: 'boolean' },
    force: { type: 'boolean' },
    'rules-dir': { type: 'string' },
    threads: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io, RUN_HELP);
  const threads = values.threads === undefined || values.threads === 'auto' ? 'auto' : Number(values.threads);
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new ScrubError('SCRUB_USAGE', '--threads must be auto or a whole number from 1 to 256');
  }
  if (positionals.length !== 1) throw new ScrubError('SCRUB_USAGE', 'run needs exactly one pipeline file', { hint: 'scrubline run pipeline.yaml' });
  const pipeline = await loadPipeline(resolve(io.cwd, positionals[0]), registry);
  if (values['fail-on-residual']) {
    const scans = pipeline.steps.filter((s) => s.use === 'residual-scan');
    if (scans.length === 0) {
      const def = registry.get('residual-scan');
      if (!def) throw new ScrubError('SCRUB_USAGE', '--fail-on-residual needs the residual-scan stage, which is not installed');
      const options = { failOnResidual: true };
      assertOptions(def.optionsSchema, options, 'residual-scan');
      pipeline.steps.push({ id: 'residual-scan', use: 'residual-scan', definition: def, options });
    } else for (const s of scans) (s.options as Record<string, unknown>).failOnResidual = true;
  }
  refuseSurrogatesUnderFailingScan(pipeline.steps);
  const shard = shardFrom(values.shard, io.env);
  const phase = values.phase === undefined || values.phase === 'all' ? 'all' : Number(values.phase);
  if (phase !== 'all' && !Number.isInteger(phase)) throw new ScrubError('SCRUB_USAGE', '--phase must be a number or all');
  if (shard.count > 1 && !values['work-dir']) throw new ScrubError('SCRUB_USAGE', 'a sharded run needs --work-dir (a folder every shard can reach)');
  const c = pipeline.config;
  return execute({
    input: c.input,
    output: c.output,
    steps: pipeline.steps,
    seed: String(values.seed ?? c.seed ?? '0'),
    strict: values.strict ?? c.strict ?? false,
    baseDir: pipeline.baseDir,
    configHash: pipeline.configHash,
    config: c,
    shard,
    phase,
    workDir: values['work-dir'],
    force: values.force ?? false,
    quiet: values.quiet ?? false,
    io,
    plugins,
    threads,
  });
}

async function planCommand(argv: string[], io: CommandIO, registry: StageRegistry): Promise<number> {
  const { positionals } = args('plan', argv, { 'rules-dir': { type: 'string' } });
  if (positionals.length !== 1) throw new ScrubError('SCRUB_USAGE', 'plan needs one pipeline file');
  const pipeline = await loadPipeline(resolve(io.cwd, positionals[0]), registry);
  const lines = [`pipeline ${positionals[0]} (config sha256 ${pipeline.configHash.slice(0, 12)})`];
  let phase = 0;
  lines.push(`phase 0: read input`);
  for (const s of pipeline.steps) {
    const inst = await s.definition.create(structuredClone(s.options), { stageId: s.id, seed: '0', shard: { index: 0, count: 1 }, baseDir: pipeline.baseDir, rulesDir: io.rulesDir, log: { info() {}, warn() {} } });
    if (inst.fit) {
      phase++;
      lines.push(`phase ${phase}: apply global stage ${s.id} (fit on the output of phase ${phase - 1} of every shard)`);
    } else lines.push(`  ${s.id}`);
    await inst.close?.();
  }
  lines.push(`write output`, `${phase + 1} phase(s): a sharded run runs --phase 0 … --phase ${phase} on every shard, each after all shards finished the previous one`);
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.OK;
}

async function readInputSection(file: string): Promise<InputConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'input config cannot be read', { file }, { cause: e });
  }
  const doc = yaml().parse(text) as { input?: InputConfig } | InputConfig;
  const input = ((doc as { input?: InputConfig }).input ?? doc) as InputConfig;
  assertOptions(inputSchema, input, 'input', file);
  return input;
}

async function ingestCommand(argv: string[], io: CommandIO, plugins: ScrublinePlugin[]): Promise<number> {
  const { values, positionals } = args('ingest', argv, {
    out: { type: 'string', short: 'o' },
    quarantine: { type: 'string' },
    shard: { type: 'string' },
    strict: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    'rules-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io, INGEST_HELP);
  if (positionals.length < 1) throw new ScrubError('SCRUB_USAGE', 'ingest needs an input config file', { hint: 'scrubline ingest input.yaml [FILES...]' });
  const cfgFile = resolve(io.cwd, positionals[0]);
  const input = await readInputSection(cfgFile);
  let baseDir = dirname(cfgFile);
  if (positionals.length > 1) {
    input.files = positionals.slice(1);
    baseDir = io.cwd;
  }
  const out = values.out ? resolve(io.cwd, values.out) : '-';
  return execute({
    input,
    output: { path: out, format: 'ndjson', quarantine: values.quarantine ? resolve(io.cwd, values.quarantine) : undefined },
    steps: [],
    seed: '0',
    strict: values.strict ?? false,
    baseDir,
    configHash: '',
    shard: shardFrom(values.shard, io.env),
    phase: 'all',
    quiet: values.quiet ?? false,
    io,
    plugins,
    filterMode: true,
  });
}

/** Any stage as a Unix filter: canonical NDJSON on stdin (or --in) → NDJSON on stdout (or --out). */
async function filterCommand(name: string, argv: string[], io: CommandIO, registry: StageRegistry, plugins: ScrublinePlugin[]): Promise<number> {
  const def = registry.get(name)!;
  const { values } = args(name, argv, {
    with: { type: 'string' },
    set: { type: 'string', multiple: true },
    config: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string', short: 'o' },
    report: { type: 'string' },
    quarantine: { type: 'string' },
    dropped: { type: 'string' },
    seed: { type: 'string' },
    'work-dir': { type: 'string' },
    strict: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    'rules-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io, filterHelp(def.command ?? def.name, def));
  let options: Record<string, unknown> = {};
  if (values.config) {
    const text = await readFile(resolve(io.cwd, values.config), 'utf8').catch((e) => {
      throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'options file cannot be read', { file: values.config }, { cause: e });
    });
    options = (yaml().parse(text) ?? {}) as Record<string, unknown>;
  }
  if (values.with) {
    try {
      Object.assign(options, JSON.parse(values.with));
    } catch {
      throw new ScrubError('SCRUB_USAGE', '--with must be a JSON object', { field: '--with' });
    }
  }
  for (const kv of values.set ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new ScrubError('SCRUB_USAGE', '--set needs key=value');
    setDotted(options, kv.slice(0, eq), parseValue(kv.slice(eq + 1)));
  }
  assertOptions(def.optionsSchema, options, `${def.command ?? def.name} options`);
  return execute({
    input: { files: values.in ? [resolve(io.cwd, values.in)] : '-', format: 'ndjson', shape: 'canonical' },
    output: {
      path: values.out ? resolve(io.cwd, values.out) : '-',
      format: 'ndjson',
      report: values.report ? resolve(io.cwd, values.report) : undefined,
      quarantine: values.quarantine ? resolve(io.cwd, values.quarantine) : undefined,
      dropped: values.dropped ? resolve(io.cwd, values.dropped) : undefined,
    },
    steps: [{ id: def.name, use: def.name, definition: def, options }],
    seed: String(values.seed ?? '0'),
    strict: values.strict ?? false,
    baseDir: io.cwd,
    configHash: '',
    shard: { index: 0, count: 1 },
    phase: 'all',
    workDir: values['work-dir'],
    quiet: values.quiet ?? true,
    io,
    plugins,
    filterMode: true,
  });
}

function filterHelp(cmd: string, def: { name: string; description: string; optionsSchema: Record<string, unknown>; example?: unknown }): string {
  const props = (def.optionsSchema.properties ?? {}) as Record<string, { type?: unknown; default?: unknown; description?: string; enum?: unknown[] }>;
  const opts = Object.entries(props)
    .map(([k, s]) => `  ${k.padEnd(22)} ${s.description ?? ''}${s.enum ? ` (${s.enum.join(' | ')})` : ''}${s.default !== undefined ? ` [default ${JSON.stringify(s.default)}]` : ''}`)
    .join('\n');
  return `scrubline ${cmd} [--set key=value]... [--with JSON] [--config options.yaml] [--in FILE] [--out FILE]

${def.description}
Reads canonical NDJSON records on stdin (or --in), writes them on stdout (or --out).
Stage name in pipeline files: ${def.name}

Stage options:
${opts || '  (none)'}

Filter options:
  --report FILE      write the run report (counts, stage summary) as JSON
  --quarantine FILE  quarantined records (default: one line each on stderr)
  --dropped FILE     dropped record ids with reasons
  --seed S           run seed (default 0)
  --quiet            no summary line on stderr

Examples:
  scrubline ingest pipelines/jddc-ingest.yaml | scrubline ${cmd} > out.ndjson
  scrubline ${cmd} --in records.ndjson --out out.ndjson${def.example ? ` --with '${JSON.stringify(def.example)}'` : ''}

${EXIT_CODES_HELP}`;
}

function parseValue(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v !== '' && !Number.isNaN(Number(v)) && /^-?[\d.]+(e-?\d+)?$/.test(v)) return Number(v);
  if (/^[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      /* plain string */
    }
  }
  return v;
}
