import { createReadStream, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import {
  assertOptions,
  detectors,
  EXIT,
  errorToReport,
  exitCodeFor,
  Ledger,
  LineSplitter,
  parseArgsUsageError,
  ROLES,
  runPipeline,
  ScrubError,
  sha256,
  stableStringify,
  StageReport,
  writeAtomic,
  type RunReport,
  type CommandDefinition,
  type CommandIO,
  type ConversationRecord,
  type Detector,
  type PiiSpan,
  type Role,
  type StageContext,
  safeFile,
} from '@scrubline/core';
import { conversationSpans, mergeSpans } from './scrub.js';
import { FileLineChunks, lineChunks, scrubNdjsonParallel, type ChunkSource } from './parallel.js';
import { defaultScrubThreads } from './early-workers.js';
import { readRecords, resolveInputs, type ResolvedInput } from '@scrubline/io';
import { piiStage, type PiiStageOptions } from './stage.js';

// `yaml` (≈ 45 ms to load) only for --config
const parseYamlLazy = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/** Reads NDJSON lines from --in or stdin, in batches; calls `each` with (line, lineNo). */
async function* lineBatches(io: CommandIO, inFile: string | undefined, size = 256): AsyncGenerator<[string, number][]> {
  const stream = inFile ? createReadStream(resolve(io.cwd, inFile), { highWaterMark: 1 << 20 }) : io.stdin;
  // ICU's streaming decoder is much faster on CJK than a 'utf8' stream's StringDecoder; fatal: no U+FFFD
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const splitter = new LineSplitter();
  let batch: [string, number][] = [];
  const take = (l: string, n: number) => {
    if (l.trim().length > 0) batch.push([l, n]);
  };
  try {
    for await (const chunk of stream as AsyncIterable<string | Buffer>) {
      splitter.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), take);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    splitter.push(decoder.decode(), take);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new ScrubError('SCRUB_ENCODING_MISMATCH', 'input is not valid UTF-8', { file: inFile ?? '-', line: splitter.line + 1 }, { cause: e });
    }
    throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'input cannot be read', { file: inFile ?? '-' }, { cause: e });
  }
  splitter.end(take);
  if (batch.length) yield batch;
}

interface Out {
  /** `written` (optional) is called when the bytes may be reused; some outputs never call it. */
  write(s: string | Uint8Array, written?: () => void): Promise<void>;
  /** Ends the output; a file is renamed into place only when `publish` (temp file, then rename). */
  close(publish: boolean): Promise<void>;
}

function output(io: CommandIO, outFile: string | undefined): Out {
  const final = outFile ? resolve(io.cwd, outFile) : null;
  const tmp = final ? `${final}.tmp-${process.pid}` : null;
  const stream = tmp ? createWriteStream(tmp) : io.stdout;
  /** A file's first write error (disk full): thrown at the next write or close, not left to end the process unheard. */
  let failed: unknown = null;
  if (tmp) (stream as NodeJS.EventEmitter).on('error', (e: unknown) => (failed ??= e));
  // the output failing, said so (a broken pipe stays recognisable by its cause)
  const fail = (e: unknown) => new ScrubError('SCRUB_OUTPUT_FAILED', 'could not write the output', { file: final ?? '-' }, { cause: e });
  return {
    async write(s, written) {
      if (failed) throw fail(failed);
      // `written` runs once the file stream has written the bytes (they may then be reused); another
      // stream (stdout, a test's PassThrough) may still hold them after its callback, so it never runs there
      if (!(written && tmp ? stream.write(s, () => written()) : stream.write(s))) {
        await once(stream as NodeJS.EventEmitter, 'drain').catch((e: unknown) => {
          throw fail(e);
        });
      }
    },
    async close(publish) {
      if (!final || !tmp) return;
      // a last write that fails makes end() call back with its error before the 'error' event
      if (!failed) await new Promise<void>((res) => (stream as NodeJS.WritableStream).end((e?: Error | null) => ((failed ??= e ?? null), res())));
      if (publish && !failed) return void (await rename(tmp, final));
      await rm(tmp, { force: true });
      if (publish) throw fail(failed);
    },
  };
}

/** A line parsed as JSON; a line that is not is an input error naming file and line. */
function parseJsonLine(line: string, lineNo: number, file: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new ScrubError('SCRUB_JSON_PARSE', 'line is not JSON', { file, line: lineNo }, { cause: e });
  }
}

function parseIdText(line: string, lineNo: number, file: string): { obj: Record<string, unknown>; id: string; text: string } {
  return idText(parseJsonLine(line, lineNo, file), lineNo, file);
}

function idText(obj: unknown, lineNo: number, file: string): { obj: Record<string, unknown>; id: string; text: string } {
  const o = obj as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o) || typeof o.text !== 'string') {
    throw new ScrubError('SCRUB_JSON_SHAPE', 'line must be an object {"id": "...", "text": "..."}', { file, line: lineNo, field: 'text' });
  }
  return { obj: o, id: lineId(o.id, lineNo, file), text: o.text };
}

/**
 * A `detect` input line: `{"id","text"}`, or a conversation `{"id","turns":[{"role","text"}, …]}` (a
 * canonical record) whose turns are read with each other. Errors name the line and field, never the text.
 */
function parseDetectLine(line: string, lineNo: number, file: string): { id: string; text: string } | { id: string; turns: { role: Role; text: string }[] } {
  const obj = parseJsonLine(line, lineNo, file);
  const o = obj as Record<string, unknown>;
  if (o && typeof o === 'object' && !Array.isArray(o) && typeof o.text !== 'string' && Array.isArray(o.turns)) {
    const turns = o.turns.map((t: unknown, i: number) => {
      const x = t as Record<string, unknown>;
      if (!x || typeof x !== 'object' || Array.isArray(x) || typeof x.text !== 'string') {
        throw new ScrubError('SCRUB_JSON_SHAPE', `turns[${i}] must be an object with a "text" string`, { file, line: lineNo, field: `turns[${i}].text` });
      }
      if (!(ROLES as readonly unknown[]).includes(x.role)) {
        throw new ScrubError('SCRUB_JSON_SHAPE', `turns[${i}].role must be one of ${ROLES.join(', ')}`, { file, line: lineNo, field: `turns[${i}].role` });
      }
      return { role: x.role as Role, text: x.text };
    });
    return { id: lineId(o.id, lineNo, file), turns };
  }
  const { id, text } = idText(obj, lineNo, file);
  return { id, text };
}

/**
 * A line's id: a non-empty string, or an integer (JSON number, safe range) taken as its decimal
 * string (42 → "42"). Missing, null, empty, fractional, boolean, object or array ids are errors
 * naming the line and field `id`, never the value: an id made up (the line number) could collide
 * with a real one, and String() of an object is "[object Object]" for every line.
 */
function lineId(id: unknown, lineNo: number, file: string): string {
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  const what = id === undefined ? 'is missing' : id === '' ? 'is empty' : typeof id === 'number' ? 'is a number that is not an integer' : `is ${id === null ? 'null' : Array.isArray(id) ? 'an array' : typeof id === 'object' ? 'an object' : `a ${typeof id}`}`;
  throw new ScrubError('SCRUB_JSON_SHAPE', `"id" ${what}: it must be a non-empty string (or an integer)`, { file, line: lineNo, field: 'id' });
}


function list(s: string | undefined): string[] | undefined {
  return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

const DETECT_HELP = `scrubline detect [--in FILE] [--rules PACK,...] [--detectors rules,ner] [--out FILE]

Reads NDJSON lines {"id": "...", "text": "..."} on stdin (or --in) and writes one line per input:
  {"id": "...", "spans": [{"type": "PHONE", "start": 3, "end": 14, "score": 0.97, "rule": "phone.cn.mobile"}]}
"id" is a non-empty string, or an integer written out as its decimal string (42 → "42"); a missing,
null, empty or other id is an input error naming the line.
Offsets are UTF-16 code units of the input text, end exclusive. Spans of several detectors
are merged (overlaps become their union). Detectors come from the registry: 'rules' (this
package) and 'ner' when its package is loaded.
A line may also be a conversation, {"id": "...", "turns": [{"role": "customer", "text": "..."}, ...]}
(a canonical record): it gets one output line per turn, id "<id>#<turn index>", with the spans the
pii stage finds there (identifiers split over turns, numbers answering the turn before).

Options:
  --rules PACK,...       rule packs (files in rules/pii without .yaml; default all)
  --detectors A,B        detector names (default rules)
  --rules-dir DIR        rules folder
  --out FILE             write here instead of stdout

Exit codes: 0 ok, 2 bad command line, 3 input unreadable or a line is neither {"id","text"} nor a conversation.`;

export const detectCommand: CommandDefinition = {
  name: 'detect',
  summary: 'find PII spans in {"id","text"} lines (the evaluation contract)',
  help: DETECT_HELP,
  async run(io) {
    let values;
    try {
      values = parseArgs({
        args: io.argv,
        options: { in: { type: 'string' }, out: { type: 'string' }, rules: { type: 'string' }, detectors: { type: 'string' }, 'rules-dir': { type: 'string' } },
        strict: true,
      }).values;
    } catch (e) {
      // a bad command line is a usage error (2) naming the option, not an internal one
      io.stderr.write(parseArgsUsageError(e, 'detect', 'read a file with --in FILE').format() + '\n');
      return EXIT.USAGE;
    }
    // '-' is standard input / output, as usual for filters
    if (values.in === '-') values.in = undefined;
    if (values.out === '-') values.out = undefined;
    const names = list(values.detectors) ?? ['rules'];
    const dets: Detector[] = [];
    for (const name of names) {
      const def = detectors.get(name);
      if (!def) {
        io.stderr.write(`SCRUB_USAGE: no detector named '${name}' (known: ${detectors.names().join(', ')})\n`);
        return EXIT.USAGE;
      }
      const opts = name === 'rules' ? { rules: list(values.rules) } : {};
      dets.push(await def.create(opts, { baseDir: io.cwd, rulesDir: io.rulesDir, log: { info: () => {}, warn: (m) => io.stderr.write(m + '\n') } }));
    }
    const out = output(io, values.out);
    const file = values.in ?? '-';
    try {
      const spansJson = (spans: readonly PiiSpan[]) => spans.map((p) => ({ type: p.type, start: p.start, end: p.end, score: p.score, rule: p.rule }));
      for await (const batch of lineBatches(io, values.in)) {
        let s = '';
        for (const [line, n] of batch) {
          const parsed = parseDetectLine(line, n, file);
          if ('turns' in parsed) {
            // a conversation's turns are read with each other (split.ts)
            conversationSpans(parsed.turns, dets).forEach((spans, t) => (s += JSON.stringify({ id: `${parsed.id}#${t}`, spans: spansJson(spans) }) + '\n'));
            continue;
          }
          let spans: PiiSpan[] = [];
          for (const d of dets) spans = spans.concat(d.detect(parsed.text));
          if (dets.length > 1) spans = mergeSpans(spans);
          s += JSON.stringify({ id: parsed.id, spans: spansJson(spans) }) + '\n';
        }
        await out.write(s);
      }
    } catch (e) {
      const err = errorToReport(e);
      io.stderr.write(err.format() + '\n');
      await out.close(false);
      // a line that is not JSON is bad input here (3), as the input codes are
      return err.code.startsWith('SCRUB_JSON') ? EXIT.INPUT : exitCodeFor(err);
    }
    await out.close(true);
    return EXIT.OK;
  },
};

const SCRUB_HELP = `scrubline scrub [--text] [--in FILE] [--out FILE] [--set key=value]... [--with JSON] [--config FILE]

Finds PII (stage 'pii') in every turn and replaces it with the configured operators.
  default   canonical NDJSON records in, scrubbed records out (findings in --report)
  --text    lines {"id": "...", "text": "..."} in, the same lines with the text scrubbed out
            (each line is its own conversation for placeholder numbering; "id" is a non-empty
            string or an integer, as for detect)

Options:
  --threads N         line-parallel: N worker threads each decode, parse, scrub, serialise and
                      encode whole chunks of lines; output and report are byte-identical to one
                      thread (rules detector only; default: 2 where the machine has two cores,
                      unless the options set the stage's own 'workers')
  --chunk-bytes N     bytes per line-parallel chunk (default 1048576; whole lines, so a longer
                      line makes a longer chunk)
  --set key=value     a stage option (e.g. --set operator=hmac --set workers=1)
  --with JSON         stage options as JSON (e.g. '{"operators": {"EMAIL": "mask"}}')
  --config FILE       stage options as YAML
  --rules PACK,...    rule packs (shortcut for the 'rules' option)
  --detectors A,B     detector names (shortcut for 'detectors'; default rules)
  --report FILE       write the run report as JSON: manifest (input and output with bytes and
                      sha256, options, seed, counts), ledger, counts, masked samples, summary
  --html FILE         the same report as a self-contained HTML page (the auditor's page of
                      'scrubline run'); standard input and output are not hashed
  --seed S            seed for surrogates (default 0)
  --quiet             no summary line on stderr

Operators: placeholder ([PHONE_1], numbered per conversation), hmac ([PHONE:…], key from
SCRUBLINE_PII_KEY or keyFile; never from the options), mask, redact, surrogate.

Exit codes: 0 ok, 1 run failed, 2 bad options, 3 input missing, empty or in the wrong encoding,
6 counts did not add up, 70 internal error.`;

function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = o;
  for (let i = 0; i < parts.length - 1; i++) cur = (cur[parts[i]] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
}

function parseValue(v: string): unknown {
  if (v === 'true' || v === 'false' || v === 'null' || /^-?\d+(\.\d+)?$/.test(v) || /^[[{"]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

export const scrubCommand: CommandDefinition = {
  name: 'scrub',
  summary: 'replace PII in canonical records, or in {"id","text"} lines with --text',
  help: SCRUB_HELP,
  async run(io) {
    let values;
    try {
      values = parseArgs({
        args: io.argv,
        options: {
          text: { type: 'boolean' },
          in: { type: 'string' },
          out: { type: 'string', short: 'o' },
          set: { type: 'string', multiple: true },
          with: { type: 'string' },
          config: { type: 'string' },
          rules: { type: 'string' },
          detectors: { type: 'string' },
          report: { type: 'string' },
          html: { type: 'string' },
          seed: { type: 'string' },
          threads: { type: 'string' },
          'chunk-bytes': { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
          'rules-dir': { type: 'string' },
        },
        strict: true,
      }).values;
      // '-' is standard input / output, as usual for filters
      if (values.in === '-') values.in = undefined;
      if (values.out === '-') values.out = undefined;
    } catch (e) {
      // names the option, never what was typed (parseArgs quotes it)
      io.stderr.write(parseArgsUsageError(e, 'scrub').format() + '\n');
      return EXIT.USAGE;
    }
    let options: Record<string, unknown> = {};
    /** The options name the stage's own `workers` (before defaults are filled in). */
    let userWorkers = false;
    try {
      if (values.config) options = (parseYamlLazy(await readFile(resolve(io.cwd, values.config), 'utf8')) ?? {}) as Record<string, unknown>;
      if (values.with) Object.assign(options, JSON.parse(values.with));
      for (const kv of values.set ?? []) {
        const eq = kv.indexOf('=');
        if (eq < 1) throw new ScrubError('SCRUB_USAGE', '--set needs key=value');
        setPath(options, kv.slice(0, eq), parseValue(kv.slice(eq + 1)));
      }
      if (values.rules) options.rules = list(values.rules);
      if (values.detectors) options.detectors = list(values.detectors);
      userWorkers = options.workers !== undefined;
      assertOptions(piiStage.optionsSchema, options, 'scrub options');
    } catch (e) {
      io.stderr.write(ScrubError.from(e, 'SCRUB_USAGE').format() + '\n');
      return EXIT.USAGE;
    }
    const seed = String(values.seed ?? '0');
    if (values.html && !io.renderHtml) {
      io.stderr.write(new ScrubError('SCRUB_USAGE', '--html needs the report package, which is not installed').format() + '\n');
      return EXIT.USAGE;
    }
    const t0 = Date.now();
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (m: string) => (warnings.push(m), io.stderr.write(m + '\n')) };
    const ledger = new Ledger();
    // a quarantined line is said alike on both paths (the line-parallel one quarantines through the ledger too)
    ledger.sink = (e) => {
      if (e.kind === 'quarantined') io.stderr.write(`${e.code} ${e.source?.file === undefined ? '-' : safeFile(e.source.file)}:${(e.source as { line?: number })?.line ?? '?'}: ${e.message} (quarantined)\n`);
    };
    const file = values.in ?? '-';
    const out = output(io, values.out);
    let stages: unknown[] = [];
    try {
      // without --threads: line-parallel on two worker threads where the machine has two cores,
      // unless the options name the stage's own `workers` (then the stage path, as asked)
      const threads = values.threads === undefined ? (userWorkers ? 1 : defaultScrubThreads()) : Number(values.threads);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new ScrubError('SCRUB_USAGE', '--threads must be an integer 1..64');
      const detectorNames = (options.detectors as string[] | undefined) ?? ['rules'];
      const parallel = !values.text && (values.threads !== undefined || threads > 1) && detectorNames.every((d) => d === 'rules');
      // line-parallel reads one plain file or stdin; --in is resolved as the shared reader does (a
      // missing file is SCRUB_INPUT_NOT_FOUND), and a pattern, a folder or a gzip file takes the stage path
      // (which reads the files resolved here)
      let files: ResolvedInput[] | undefined;
      let inPath: string | null = null;
      if (parallel && values.in) {
        try {
          files = await resolveInputs([resolve(io.cwd, values.in)], io.cwd);
        } catch (e) {
          // the stage path makes its stage before it reads: a broken configuration (a rule pack, a rule that
          // does not compile, a missing key) is reported before a missing input there, and so here
          await (await piiStage.create({ ...(options as unknown as PiiStageOptions), workers: 1 }, stageEnv(io, seed, log))).close?.();
          throw e;
        }
        if (files.length === 1 && (await plainFile(files[0].path))) inPath = files[0].path;
        else if (values.threads !== undefined && threads > 1) log.warn('scrub: --threads reads one uncompressed file or stdin; running on one thread');
      }
      if (values.text) {
        stages = [await scrubTextLines(io, values.in, out, options as unknown as PiiStageOptions, seed, log)];
      } else if (parallel && (!values.in || inPath)) {
        // line-parallel: workers parse, scrub and serialise; output and report identical to one thread
        // a file is read straight into chunk buffers that the workers give back; stdin is cut from its stream
        const chunkBytes = values['chunk-bytes'] === undefined ? 1 << 20 : Number(values['chunk-bytes']);
        if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > 1 << 30) throw new ScrubError('SCRUB_USAGE', '--chunk-bytes must be an integer 1..2^30');
        const chunks = notEmpty(inPath ? new FileLineChunks(inPath, chunkBytes) : lineChunks(io.stdin as AsyncIterable<Buffer>, chunkBytes), file, !inPath);
        const r = await scrubNdjsonParallel(chunks, (b, written) => out.write(b, written), {
          threads,
          options: options as unknown as PiiStageOptions,
          seed,
          rulesDir: io.rulesDir,
          baseDir: io.cwd,
          // the file as the stage path names it (relative to the working folder), so reports agree across modes
          file: files?.[0]?.name ?? file,
          ledger,
          onWarning: (m) => log.warn(m),
        });
        stages = [{ id: 'pii', use: 'pii', ...r.report.toJSON(), summary: r.summary }];
      } else {
        if (values.threads !== undefined && threads > 1 && !parallel) log.warn('scrub: --threads applies to the rules detector only; running on one thread');
        const result = await runPipeline({
          steps: [{ id: 'pii', use: 'pii', definition: piiStage, options }],
          // the shared reader: strict UTF-8, canonical-record checks, quarantine through the ledger
          source: () => readCanonical(io, values.in, files, ledger),
          sink: async (batches) => {
            for await (const b of batches) {
              let s = '';
              for (const r of b) s += JSON.stringify(r) + '\n';
              await out.write(s);
            }
          },
          ledger,
          seed,
          baseDir: io.cwd,
          rulesDir: io.rulesDir,
          log,
          workDir: resolve(io.cwd, '.scrubline-tmp'),
        });
        stages = result.stages;
      }
    } catch (e) {
      const err = errorToReport(e);
      io.stderr.write(err.format() + '\n');
      await out.close(false);
      // --text has no quarantine: a bad line is an input error, as in detect (exit 3)
      return values.text && err.code.startsWith('SCRUB_JSON') ? EXIT.INPUT : exitCodeFor(err);
    }
    const problems = values.text ? [] : ledger.verify();
    // counts that do not add up publish nothing
    await out.close(problems.length === 0);
    if (values.report || values.html) {
      // the run report as `scrubline run` writes it (manifest, ledger, stages, warnings), so the same
      // auditor's page renders it; `input` stays for readers of earlier reports
      const report = await scrubReport({
        io,
        startedAt: t0,
        options,
        seed,
        input: values.in ? resolve(io.cwd, values.in) : null,
        output: values.out && problems.length === 0 ? resolve(io.cwd, values.out) : null,
        ledger: values.text ? null : ledger,
        stages: stages as RunReport['stages'],
        warnings,
        text: values.text === true,
      });
      if (values.report) await writeAtomic(resolve(io.cwd, values.report), JSON.stringify({ ...report, input: file }, null, 2) + '\n');
      if (values.html) await writeAtomic(resolve(io.cwd, values.html), io.renderHtml!(report));
    }
    if (!values.quiet) {
      const st = stages[0] as { summary?: { findings?: number; byType?: Record<string, number>; records?: number; kept?: number } } | undefined;
      const sum = st?.summary;
      const types = Object.entries(sum?.byType ?? {}).map(([t, n]) => `${t} ${n}`).join(', ');
      io.stderr.write(`scrub: ${sum?.records ?? 0} ${values.text ? 'lines' : 'records'}, ${sum?.findings ?? 0} findings${types ? ` (${types})` : ''}, ${sum?.kept ?? 0} kept\n`);
    }
    if (problems.length) {
      io.stderr.write(`SCRUB_LEDGER_MISMATCH: ${problems.join('; ')}\n`);
      return EXIT.LEDGER;
    }
    return EXIT.OK;
  },
};

/** A regular file that does not start with the gzip magic bytes (line-parallel reads its bytes as they are). */
async function plainFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    if (!(await fh.stat()).isFile()) return false;
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return !(bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b);
  } finally {
    await fh.close();
  }
}

/** The chunks of `src`; none at all is SCRUB_INPUT_EMPTY, as the shared reader says for an empty input. */
function notEmpty(src: ChunkSource, file: string, stdin: boolean): ChunkSource {
  return {
    recycle: src.recycle?.bind(src),
    async *[Symbol.asyncIterator]() {
      let any = false;
      for await (const c of src) {
        any = true;
        yield c;
      }
      if (!any) throw new ScrubError('SCRUB_INPUT_EMPTY', stdin ? 'input file holds no text' : 'input file is empty', { file, hint: 'remove it or set input.allowEmpty: true' });
    },
  };
}

/** The shared reader over --in (`files`, when already resolved) or stdin. */
async function* readCanonical(io: CommandIO, inFile: string | undefined, files: ResolvedInput[] | undefined, ledger: Ledger): AsyncGenerator<ConversationRecord[]> {
  files ??= inFile ? await resolveInputs([resolve(io.cwd, inFile)], io.cwd) : [{ path: '-', name: '-' }];
  yield* readRecords(files, { input: { files: inFile ?? '-', format: 'ndjson', shape: 'canonical' }, ledger, tmpDir: resolve(io.cwd, '.scrubline-tmp'), stdin: io.stdin });
}

/** What the pii stage is made with on this thread. */
function stageEnv(io: CommandIO, seed: string, log: { info(m: string): void; warn(m: string): void }) {
  return { stageId: 'pii', seed, shard: { index: 0, count: 1 }, baseDir: io.cwd, rulesDir: io.rulesDir, log };
}

/** --text mode: each line is a one-turn conversation through the pii stage. */
async function scrubTextLines(io: CommandIO, inFile: string | undefined, out: Out, options: PiiStageOptions, seed: string, log: { info(m: string): void; warn(m: string): void }) {
  const stage = await piiStage.create(options, stageEnv(io, seed, log));
  const report = new StageReport();
  const ctx: StageContext = {
    stageId: 'pii',
    seed,
    shard: { index: 0, count: 1 },
    report,
    log,
    drop: () => {
      throw new ScrubError('SCRUB_INTERNAL', 'the pii stage does not drop');
    },
    quarantine: (_r, e) => {
      throw e;
    },
  };
  // named as the shared reader names a file (relative to the working folder), like the other modes
  const file = inFile ? relative(io.cwd, resolve(io.cwd, inFile)) || inFile : '-';
  try {
    for await (const batch of lineBatches(io, inFile)) {
      const objs: Record<string, unknown>[] = [];
      const records: ConversationRecord[] = [];
      for (const [line, n] of batch) {
        const { obj, id, text } = parseIdText(line, n, file);
        objs.push(obj);
        records.push({ id, turns: [{ role: 'customer', text }], labels: {}, source: { file, line: n }, meta: {} });
      }
      const outRecords = await stage.apply(records, ctx);
      let s = '';
      for (let i = 0; i < objs.length; i++) s += JSON.stringify({ ...objs[i], text: outRecords[i].turns[0].text }) + '\n';
      await out.write(s);
    }
  } finally {
    await stage.close?.();
  }
  return { id: 'pii', use: 'pii', ...report.toJSON(), summary: stage.summary?.() };
}

/** bytes and sha256 of a file, read again after the run (the line-parallel path reads raw chunks unhashed). */
async function digest(path: string): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: h.digest('hex') };
}

/** The `scrub` run as a run report: manifest (inputs and output with sha256, options, seed, counts), ledger, stages. */
async function scrubReport(o: {
  io: CommandIO;
  startedAt: number;
  options: Record<string, unknown>;
  seed: string;
  input: string | null;
  output: string | null;
  ledger: Ledger | null;
  stages: RunReport['stages'];
  warnings: string[];
  text: boolean;
}): Promise<RunReport> {
  const rel = (p: string) => relative(o.io.cwd, p) || p;
  const summary = (o.stages[0]?.summary ?? {}) as { records?: number };
  const t = o.ledger?.totals();
  const records = t ? t.output : (summary.records ?? 0);
  const config = { command: o.text ? 'scrub --text' : 'scrub', options: o.options };
  return {
    manifest: {
      tool: { name: 'scrubline', version: o.io.version ?? '0.0.0' },
      status: 'ok',
      startedAt: new Date(o.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      configHash: sha256(stableStringify(config)),
      config,
      seed: o.seed,
      shard: { index: 0, count: 1 },
      phases: { total: 1, run: [0] },
      inputs: [o.input ? { path: rel(o.input), ...(await digest(o.input)) } : { path: '-' }],
      outputs: [o.output ? { path: rel(o.output), ...(await digest(o.output)), records } : { path: '-', records }],
      counts: t
        ? { input: t.input, inputQuarantined: t.inputQuarantined, added: t.added, dropped: t.dropped, quarantined: t.quarantined, output: t.output }
        : { input: records, inputQuarantined: 0, added: 0, dropped: 0, quarantined: 0, output: records },
      timings: { totalMs: Date.now() - o.startedAt, stages: o.stages.map((s) => ({ id: s.id, ms: s.ms ?? 0 })) },
    },
    ledger: o.ledger ? o.ledger.toJSON() : (undefined as never),
    stages: o.stages,
    warnings: o.warnings,
  };
}
