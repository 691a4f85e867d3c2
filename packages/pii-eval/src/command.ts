import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorToReport, parseArgsUsageError, ScrubError, type CommandDefinition, type CommandIO } from '@scrubline/core';
// Importing the pii package registers its `rules` detector in core's registry.
import '@scrubline/pii';
import { detectAll } from './detect.js';
import { evaluate, NER_TYPES, STRUCTURED_TYPES } from './evaluate.js';
import { formatEval, pctDown, pctUp } from './format.js';
import { parseGold, parsePred, type GoldLine, type PredLine } from './jsonl.js';

const HELP = `scrubline eval-pii --gold gold.jsonl [--pred pred.jsonl] [options]

Scores PII predictions against labelled gold lines {"id","text","spans":[{"type","start","end"}]}
(UTF-16 offsets, end exclusive). Without --pred it runs the registered detectors on the gold texts.
A gold line may also be a labelled conversation {"id","turns":[{"role","text","spans"}, ...]}: each turn
is scored as a line with id "<id>#<turn index>" (as \`scrubline detect\` writes a conversation), and
without --pred its turns are detected together (identifiers split over turns, answers to the turn before).

Prints precision, recall and F2 (beta = 2) per entity type and overall, with exact matching (same type and
offsets) and overlap matching (same type, any overlap); the leak (share of identifying gold characters that
no prediction covers); and the misses, false alarms and boundary mismatches (found by overlap, not exactly:
a prediction too long, too short, shifted or split) with MASKED context only (values shown as shapes).

Precision is n/a (JSON null) where nothing was predicted, recall n/a where there is no gold; F2 counts an
n/a side as 0 and is n/a only where there is neither. Precision and recall are floored (100.0 only when
exact), the leak rounded up. Line ids are unique in each file; gold spans of a line must not repeat or
overlap (each is an error naming the file, line and spans[i]).

Options:
  --gold FILE          gold JSONL (required)
  --pred FILE          predictions JSONL {"id","spans"} as written by \`scrubline detect\`
  --detectors a,b      detectors to run when --pred is missing (default: rules)
  --with JSON          detector options keyed by detector name, e.g. '{"rules":{"packs":["zh"]}}'
  --types A,B          only these entity types count (upper case as in the files; an unknown one is an error)
  --json               machine-readable output (one JSON document)
  --context N          characters of masked context either side (default 12)
  --max-list N         entries printed per list (default 50 for the table, 200 for --json)
  --min-recall X       exit 1 when overall overlap recall < X (0..1 or a percentage like 99.5%)
  --min-precision X    exit 1 when overall overlap precision < X (or n/a: nothing predicted)
  --max-leak X         exit 1 when the leak share > X
                       Any threshold fails when there are no gold spans (of the --types) to check.

Exit codes: 0 ok, 1 a threshold was not met, 2 usage, input or output error (stdout closed early:
SCRUB_OUTPUT_FAILED).

Examples:
  scrubline eval-pii --gold fixtures/pii/corpus.jsonl
  scrubline detect --in fixtures/pii/corpus.jsonl > pred.jsonl && scrubline eval-pii --gold fixtures/pii/corpus.jsonl --pred pred.jsonl --json
  scrubline eval-pii --gold fixtures/pii/corpus.jsonl --types PHONE,EMAIL --min-recall 99.5% --max-leak 0.1%`;

function fraction(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$/.exec(v);
  if (!m) throw new ScrubError('SCRUB_USAGE', `${name} needs a number (0..1) or a percentage`, { field: name });
  const x = Number(m[1]) / (m[2] ? 100 : 1);
  if (x < 0 || x > 1) throw new ScrubError('SCRUB_USAGE', `${name} must be between 0 and 1 (or 0% and 100%)`, { field: name });
  return x;
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new ScrubError('SCRUB_USAGE', `${name} needs a non-negative integer`, { field: name });
  return Number(v);
}

async function readInput(path: string, io: CommandIO, what: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (e) {
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', `cannot read the ${what} file`, { file: path }, { cause: e });
  }
}


/** Writes `s` and waits until it is handed on; a closed stdout (`| head`) rejects (EPIPE) instead of crashing the process. */
function writeOut(stream: NodeJS.WritableStream, s: string): Promise<void> {
  return new Promise((res, rej) => {
    // stays on after a failed write: the stream's 'error' event follows its callback
    const onError = (e: Error) => rej(e);
    stream.once('error', onError);
    stream.write(s, (e) => {
      if (e) return rej(e);
      stream.removeListener('error', onError);
      res();
    });
  });
}

/** The types --types may name: the project's entity types and every type in the two files. */
export function knownTypes(gold: GoldLine[], pred: PredLine[]): string[] {
  const known = new Set<string>([...STRUCTURED_TYPES, ...NER_TYPES]);
  const extra = new Set<string>();
  for (const l of [...gold, ...pred]) for (const s of l.spans) if (!known.has(s.type)) extra.add(s.type);
  return [...known, ...[...extra].sort()];
}

function checkTypes(types: string[], known: string[]): void {
  const set = new Set(known);
  const unknown = types.filter((t) => !set.has(t));
  if (!unknown.length) return;
  // a type is a name, but shown only when it looks like one
  const shown = unknown.filter((t) => /^[A-Za-z][\w-]{0,40}$/.test(t));
  const upper = shown.filter((t) => set.has(t.toUpperCase()));
  throw new ScrubError(
    'SCRUB_USAGE',
    `--types names ${unknown.length === 1 ? 'a type' : `${unknown.length} types`} not in the gold or prediction files nor known${shown.length ? ` (${shown.join(', ')})` : ''}${upper.length ? `; types are upper case: ${upper.map((t) => t.toUpperCase()).join(', ')}` : ''}`,
    // the files' own types are shown only when they look like type names (a malformed span type may hold a value)
    { field: '--types', hint: `known types: ${known.filter((t) => /^[A-Za-z][\w-]{0,40}$/.test(t)).join(', ')}` },
  );
}

export async function runEvalPii(io: CommandIO): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: io.argv,
      options: {
        gold: { type: 'string' },
        pred: { type: 'string' },
        detectors: { type: 'string' },
        with: { type: 'string' },
        types: { type: 'string' },
        json: { type: 'boolean', default: false },
        context: { type: 'string' },
        'max-list': { type: 'string' },
        'min-recall': { type: 'string' },
        'min-precision': { type: 'string' },
        'max-leak': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.stderr.write(`${parseArgsUsageError(e, 'eval-pii', 'name the files with --gold FILE and --pred FILE').format()}\n${HELP}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  try {
    if (!args.gold) throw new ScrubError('SCRUB_USAGE', '--gold is required', { hint: 'scrubline eval-pii --help' });
    const minRecall = fraction(args['min-recall'], '--min-recall');
    const minPrecision = fraction(args['min-precision'], '--min-precision');
    const maxLeak = fraction(args['max-leak'], '--max-leak');
    const context = int(args.context, '--context');
    const maxListArg = int(args['max-list'], '--max-list');
    const types = args.types ? args.types.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    if (args.types !== undefined && !types?.length) throw new ScrubError('SCRUB_USAGE', '--types needs at least one type', { field: '--types' });
    let detectorOptions: Record<string, unknown> | undefined;
    if (args.with) {
      try {
        detectorOptions = JSON.parse(args.with);
      } catch {
        throw new ScrubError('SCRUB_USAGE', '--with is not valid JSON', { field: '--with' });
      }
    }
    const gold = parseGold(await readInput(args.gold, io, 'gold'), args.gold);
    const pred = args.pred
      ? parsePred(await readInput(args.pred, io, 'prediction'), args.pred)
      : await detectAll(gold, {
          detectors: args.detectors?.split(',').map((d) => d.trim()).filter(Boolean),
          detectorOptions,
          rulesDir: io.rulesDir,
          baseDir: io.cwd,
          log: { info: (m) => io.stderr.write(m + '\n'), warn: (m) => io.stderr.write(`warning: ${m}\n`) },
        });
    if (types) checkTypes(types, knownTypes(gold, pred));
    const result = evaluate(gold, pred, { types, context, maxList: maxListArg ?? (args.json ? 200 : 50) });
    if (args.json) await writeOut(io.stdout, JSON.stringify(result) + '\n');
    else await writeOut(io.stdout, formatEval(result, { maxList: maxListArg ?? 50 }) + '\n');
    const o = result.overall;
    const failed: string[] = [];
    const thresholds = minRecall !== undefined || minPrecision !== undefined || maxLeak !== undefined;
    // a threshold over nothing would pass vacuously
    if (thresholds && o.overlap.gold === 0) failed.push(`no gold spans${types ? ' of the --types' : ''} to check, so no threshold can be met`);
    else {
      // shown floored (recall, precision) and rounded up (leak), as in the table: never better than it is
      const threshold = (x: number) => `${(x * 100).toFixed(2)} %`;
      if (minRecall !== undefined && o.overlap.recall! < minRecall) failed.push(`recall ${pctDown(o.overlap.matchedGold, o.overlap.gold, 2)} % < ${threshold(minRecall)}`);
      if (minPrecision !== undefined && o.overlap.precision === null) failed.push('precision n/a (nothing was predicted)');
      else if (minPrecision !== undefined && o.overlap.precision! < minPrecision) failed.push(`precision ${pctDown(o.overlap.matchedPred, o.overlap.pred, 2)} % < ${threshold(minPrecision)}`);
      if (maxLeak !== undefined && o.leak.goldChars === 0) failed.push('leak n/a (the gold spans hold no identifying characters)');
      else if (maxLeak !== undefined && o.leak.share > maxLeak) failed.push(`leak ${pctUp(o.leak.leakedChars, o.leak.goldChars, 3)} % > ${(maxLeak * 100).toFixed(3)} %`);
    }
    if (failed.length) {
      io.stderr.write(`eval-pii: threshold not met: ${failed.join('; ')}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    // a closed stdout (`| head`) is SCRUB_OUTPUT_FAILED, said in one line
    io.stderr.write(errorToReport(e).format() + '\n');
    return 2;
  }
}

export const evalPiiCommand: CommandDefinition = {
  name: 'eval-pii',
  summary: 'Score PII detection against labelled gold spans: P/R/F2 per type, exact and overlap, the leak, masked misses',
  help: HELP,
  run: runEvalPii,
};
