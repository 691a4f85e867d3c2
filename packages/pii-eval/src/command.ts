import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ScrubError, type CommandDefinition, type CommandIO } from '@scrubline/core';
// Importing the pii package registers its `rules` detector in core's registry.
import '@scrubline/pii';
import { detectAll } from './detect.js';
import { evaluate } from './evaluate.js';
import { formatEval } from './format.js';
import { parseGold, parsePred } from './jsonl.js';

const HELP = `scrubline eval-pii --gold gold.jsonl [--pred pred.jsonl] [options]

Scores PII predictions against labelled gold lines {"id","text","spans":[{"type","start","end"}]}
(UTF-16 offsets, end exclusive). Without --pred it runs the registered detectors on the gold texts.

Prints precision, recall and F2 (beta = 2) per entity type and overall, with exact matching (same type and
offsets) and overlap matching (same type, any overlap); the leak (share of identifying gold characters that
no prediction covers); and the misses and false alarms with MASKED context only (values shown as shapes).

Options:
  --gold FILE          gold JSONL (required)
  --pred FILE          predictions JSONL {"id","spans"} as written by \`scrubline detect\`
  --detectors a,b      detectors to run when --pred is missing (default: rules)
  --with JSON          detector options keyed by detector name, e.g. '{"rules":{"packs":["zh"]}}'
  --types A,B          only these entity types count
  --json               machine-readable output (one JSON document)
  --context N          characters of masked context either side (default 12)
  --max-list N         entries printed per list (default 50 for the table, 200 for --json)
  --min-recall X       exit 1 when overall overlap recall < X (0..1 or a percentage like 99.5%)
  --min-precision X    exit 1 when overall overlap precision < X
  --max-leak X         exit 1 when the leak share > X

Exit codes: 0 ok, 1 a threshold was not met, 2 usage or input error.

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
    io.stderr.write(`SCRUB_USAGE: ${(e as Error).message}\n${HELP}\n`);
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
    const result = evaluate(gold, pred, { types, context, maxList: maxListArg ?? (args.json ? 200 : 50) });
    if (args.json) io.stdout.write(JSON.stringify(result) + '\n');
    else io.stdout.write(formatEval(result, { maxList: maxListArg ?? 50 }) + '\n');
    const o = result.overall;
    const failed: string[] = [];
    if (minRecall !== undefined && o.overlap.recall < minRecall) failed.push(`recall ${(o.overlap.recall * 100).toFixed(2)} % < ${(minRecall * 100).toFixed(2)} %`);
    if (minPrecision !== undefined && o.overlap.precision < minPrecision) failed.push(`precision ${(o.overlap.precision * 100).toFixed(2)} % < ${(minPrecision * 100).toFixed(2)} %`);
    if (maxLeak !== undefined && o.leak.share > maxLeak) failed.push(`leak ${(o.leak.share * 100).toFixed(3)} % > ${(maxLeak * 100).toFixed(3)} %`);
    if (failed.length) {
      io.stderr.write(`eval-pii: threshold not met: ${failed.join('; ')}\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    const err = ScrubError.from(e);
    io.stderr.write(err.format() + '\n');
    return 2;
  }
}

export const evalPiiCommand: CommandDefinition = {
  name: 'eval-pii',
  summary: 'Score PII detection against labelled gold spans: P/R/F2 per type, exact and overlap, the leak, masked misses',
  help: HELP,
  run: runEvalPii,
};
