import { existsSync, rmSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createRequire } from 'node:module';
import { Ledger, LineSplitter, safeMessage, ScrubError, type ConversationRecord, type ShardSpec } from '@scrubline/core';
import type { DocumentsMapping, InputConfig, InputFormat } from './config.js';
import { decodeFile, decodeStream, newFileInfo, normaliseEncoding, type FileInfo } from './decode.js';
import { mapCanonical, mapDocument } from './documents.js';
import { resolveColumns, RowGrouper, sessionNotContiguous, type RowColumns, type SessionRuns } from './rows.js';
import { describeValue } from './safe.js';
import { SessionGuard } from './session-guard.js';
import { deepToTransparent, fromTransparent, toTransparent, TRANSPARENT_FFFD } from './transparent.js';
import type { ByteRange } from './ranges.js';
import { fastGlob, isDynamicPattern } from './glob.js';

// loaded on first use (fast-glob too, see glob.ts): a slice worker of `run --threads` globs nothing,
// and NDJSON or delimited input without quotes needs neither parser
const requireHere = createRequire(import.meta.url);
const csvParse = (...a: Parameters<typeof import('csv-parse').parse>) => (requireHere('csv-parse') as typeof import('csv-parse')).parse(...a);

export interface ResolvedInput {
  /** Absolute path, or `-` for stdin. */
  path: string;
  /** Path as recorded in records and manifests: relative to the base folder. */
  name: string;
  /** Only this part of the file (whole lines; see ranges.ts): a unit of `run --threads`. */
  range?: ByteRange;
}

/**
 * Expands fast-glob patterns against `baseDir`, sorted and de-duplicated, and
 * takes this shard's deterministic slice `files[index::count]` (datatrove's rule).
 * A pattern that matches nothing is an error: a nightly job must not publish a partial set.
 */
export async function resolveInputs(files: string | string[], baseDir: string, shard: ShardSpec = { index: 0, count: 1 }): Promise<ResolvedInput[]> {
  const patterns = Array.isArray(files) ? files : [files];
  if (patterns.length === 1 && patterns[0] === '-') return shard.index === 0 ? [{ path: '-', name: '-' }] : [];
  const all = new Set<string>();
  for (const p of patterns) {
    const dynamic = isDynamicPattern(p);
    const matches = dynamic
      ? await fastGlob()(p, { cwd: baseDir, absolute: true, onlyFiles: true, dot: false })
      : [isAbsolute(p) ? p : resolve(baseDir, p)];
    if (matches.length === 1 && !dynamic && !existsSync(matches[0])) {
      throw new ScrubError('SCRUB_INPUT_NOT_FOUND', 'input file does not exist', { file: p, field: 'input.files', hint: `paths resolve against ${baseDir}` });
    }
    if (matches.length === 0) {
      throw new ScrubError('SCRUB_INPUT_NOT_FOUND', `input pattern matched no file`, { file: p, field: 'input.files', hint: `patterns resolve against ${baseDir}` });
    }
    for (const m of matches) all.add(resolve(m));
  }
  const sorted = [...all].sort();
  const mine = sorted.filter((_, i) => i % shard.count === shard.index);
  return mine.map((path) => ({ path, name: relative(baseDir, path) || path }));
}

export function formatOf(name: string, declared: InputFormat | undefined): Exclude<InputFormat, 'auto'> {
  if (declared && declared !== 'auto') return declared;
  const base = name.toLowerCase().replace(/\.gz$/, '');
  if (base.endsWith('.csv')) return 'csv';
  if (base.endsWith('.tsv') || base.endsWith('.tab')) return 'tsv';
  if (base.endsWith('.jsonl')) return 'jsonl';
  if (base.endsWith('.ndjson')) return 'ndjson';
  if (base.endsWith('.json')) return 'json';
  throw new ScrubError('SCRUB_CONFIG_INVALID', 'cannot tell the input format from the file name', { file: name, field: 'input.format', hint: 'set input.format: csv | tsv | json | jsonl | ndjson' });
}

export interface ReadOptions {
  input: InputConfig;
  ledger: Ledger;
  tmpDir: string;
  stdin?: NodeJS.ReadableStream;
  onBytes?: (n: number) => void;
  onWarning?: (m: string) => void;
  /** Filled per file as it is read (bytes, sha256, encoding). */
  fileInfos?: FileInfo[];
  /**
   * Every record comes out with byte-transparent strings (transparent.ts), for an
   * `OutputSet` with `transparent: true`. Only when nothing reads the text on the
   * way (ingest without stages): UTF-8 JSONL is then never transcoded.
   */
  transparent?: boolean;
  /**
   * One slice of a sliced read (`run --threads`): the files' index in the whole input (for the places
   * of row sessions), and where the sessions met go, unchecked (at the end, or as far as the reader
   * came), for the check across slices (`sessionRepeatAcrossSlices`).
   */
  slice?: { fileIndexBase: number; sessions: (runs: SessionRuns) => void };
  /**
   * One reader (no `slice`) checks row sessions itself, at the end of the input or against its own
   * errors; when a failing stage closes it before, the sessions met so far go here, for the caller to
   * weigh a session that came back against that stage's error (as the slices' check does).
   */
  sessionsLeft?: (runs: SessionRuns) => void;
  /**
   * The repeat one reader's own check found, before it is thrown: a caller that reads ahead may
   * never see the throw (its stage failed on an earlier batch meanwhile) and weighs it itself.
   */
  sessionRepeat?: (repeat: ScrubError) => void;
}

/**
 * Reads every input file in order as batches of canonical records. Malformed
 * units are quarantined through the ledger (or thrown with `ledger.strict`);
 * file-level problems (missing, empty, truncated, wrong encoding) throw.
 */
export async function* readRecords(files: ResolvedInput[], o: ReadOptions): AsyncGenerator<ConversationRecord[]> {
  const batchSize = o.input.batchSize ?? 256;
  let batch: ConversationRecord[] = [];
  const out: ConversationRecord[] = [];
  /** `form`: whether the record's strings are already transparent (see `ReadOptions.transparent`). */
  const emit = (r: ConversationRecord, form: 'text' | 'transparent' = 'text') => {
    out.push(o.transparent && form === 'text' ? deepToTransparent(r) : r);
  };
  let tMapping: DocumentsMapping | undefined;
  let grouper: RowGrouper | null = null;

  const flushOut = function* (): Generator<ConversationRecord[]> {
    if (out.length === 0) return;
    for (const r of out) {
      o.ledger.inputRecords++;
      batch.push(r);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    out.length = 0;
  };

  let checked = false;
  /**
   * A session of a row export that came back after the reader's recent window, earlier in the input
   * than `before` (an error; null: anywhere), described as when met at once. The error one reader
   * gives thus does not depend on the window: the earliest place wins.
   */
  const comeBack = async (before: unknown): Promise<ScrubError | null> => {
    if (!grouper || o.slice || checked) return null;
    checked = true;
    // every session still in the window: a repeat was found at once, nothing to merge
    if (!grouper.sessionsLeftWindow) return null;
    const repeat = await sessionRepeatAcrossSlices(files, [grouper.keepSessions()], o.input, o.tmpDir);
    if (!repeat || (before !== null && !comesBefore(files, repeat, before))) return null;
    foundAfterReading(repeat, before);
    o.sessionRepeat?.(repeat);
    return repeat;
  };
  try {
    for (let fi = 0; fi < files.length; fi++) {
      const f = files[fi];
      const fmt = formatOf(f.name, o.input.format);
      const sh = shapeOf(fmt, o.input);
      const info = newFileInfo(f.name);
      o.fileInfos?.push(info);
      const counts = o.ledger.file(f.name);
      const decodeOpts = {
        encoding: o.input.encoding,
        onBytes: o.onBytes,
        onWarning: o.onWarning,
        allowEmpty: o.input.allowEmpty,
        transparent: o.transparent === true && transparentFormat(fmt, sh, o.input),
      };
      const text = f.path === '-' ? decodeStream(o.stdin ?? process.stdin, decodeOpts, info) : decodeFile(f.path, decodeOpts, info, f.range);
      if (f.range && (sh === 'rows' || fmt === 'json')) throw new ScrubError('SCRUB_INTERNAL', `${f.name} cannot be read in ranges`, { file: f.name });

      if (sh === 'rows') {
        if (!o.input.rows) throw new ScrubError('SCRUB_CONFIG_INVALID', 'shape rows needs a rows mapping', { field: 'input.rows' });
        if (fmt !== 'csv' && fmt !== 'tsv') throw new ScrubError('SCRUB_CONFIG_INVALID', 'shape rows needs csv or tsv input', { field: 'input.shape', file: f.name });
        grouper ??= new RowGrouper(o.input.rows, o.ledger, emit, o.tmpDir);
        for await (const _ of readDelimited(text, fmt, f.name, fi + (o.slice?.fileIndexBase ?? 0), o, grouper, info)) yield* flushOut();
        await grouper.endFile();
        yield* flushOut();
        continue;
      }
      if (fmt === 'csv' || fmt === 'tsv') throw new ScrubError('SCRUB_CONFIG_INVALID', `shape ${sh} cannot read ${fmt} input`, { field: 'input.shape', file: f.name });
      if (sh === 'documents' && !o.input.documents) throw new ScrubError('SCRUB_CONFIG_INVALID', 'shape documents needs a documents mapping', { field: 'input.documents' });
      let tName: string | undefined;
      const mapUnit = (value: unknown, line: number | undefined, index: number | undefined, form: 'text' | 'transparent'): ConversationRecord => {
        if (form === 'transparent') {
          const file = (tName ??= toTransparent(f.name));
          if (sh === 'canonical') return mapCanonical(value, { file, line });
          return mapDocument(value, (tMapping ??= deepToTransparent(o.input.documents!)), { file, line, index }, TRANSPARENT_FFFD);
        }
        return sh === 'canonical' ? mapCanonical(value, { file: f.name, line }) : mapDocument(value, o.input.documents!, { file: f.name, line, index });
      };
      const unit = (record: () => ConversationRecord, line: number | undefined, form: 'text' | 'transparent') => {
        counts.units++;
        try {
          const r = record();
          counts.unitsUsed++;
          counts.records++;
          emit(r, form);
        } catch (e) {
          o.ledger.quarantineInput(ScrubError.from(e, 'SCRUB_JSON_SHAPE', { file: f.name, line }));
        }
      };
      const toRecord = (value: unknown, line: number | undefined, index: number | undefined) => unit(() => mapUnit(value, line, index, 'text'), line, 'text');
      if (fmt === 'json') {
        for await (const _ of readJsonArray(text, f.name, o.input.json?.pick, info, toRecord)) yield* flushOut();
      } else {
        for await (const _ of readJsonLines(text, f.name, o, info, f.range?.linesBefore ?? 0, toRecord, (v, line) => {
          // fast path over transparent text; any problem is re-done on the decoded line, so
          // errors and quarantine entries read exactly as without it
          try {
            const r = mapUnit(v, line, undefined, 'transparent');
            unit(() => r, line, 'transparent');
            return true;
          } catch {
            return false;
          }
        })) yield* flushOut();
      }
    }
    const late = await comeBack(null);
    if (late) throw late;
  } catch (e) {
    // the records parsed before the failure count as read, wherever the decoder's chunk began
    // (a range of a file is decoded in chunks of its own)
    o.ledger.inputRecords += out.length;
    out.length = 0;
    throw (await comeBack(e)) ?? e;
  } finally {
    // the caller's check: a slice's sessions (at the end, or as far as it came, the open one too), or
    // one reader's when a failing stage closed it before its own check
    if (grouper && !checked) {
      checked = true;
      if (o.slice) o.slice.sessions(grouper.keepSessions());
      else if (o.sessionsLeft && grouper.sessionsLeftWindow) o.sessionsLeft(grouper.keepSessions());
    }
  }
  if (batch.length) yield batch;
}

/**
 * JSONL / NDJSON: one value per line; a bad line is quarantined with its number.
 * Over transparent text (`info.transparent`) a line goes to `fast` unless it holds
 * a `\u` escape (JSON.parse would put real characters beside transparent ones);
 * a line that `fast` declines is decoded and read the ordinary way.
 */
async function* readJsonLines(
  text: AsyncIterable<string>,
  file: string,
  o: ReadOptions,
  info: FileInfo,
  linesBefore: number,
  toRecord: (v: unknown, line: number, index: undefined) => void,
  fast: (v: unknown, line: number) => boolean,
): AsyncGenerator<void> {
  const { max, tooLong, splitter: newSplitter } = lineLimit(o, file, info);
  let splitter: LineSplitter | null = null;
  const onText = (l: string, n: number) => {
    if (l.length === 0 || (l.charCodeAt(0) <= 32 && l.trim() === '')) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      o.ledger.file(file).units++;
      o.ledger.quarantineInput(new ScrubError('SCRUB_JSON_PARSE', `invalid JSON (${safeMessage((e as Error).message.replace(/ in JSON at.*$/, ''), 60)})`, { file, line: n }), l.slice(0, 64 * 1024));
      return;
    }
    toRecord(v, n, undefined);
  };
  const onTransparent = (l: string, n: number) => {
    if (l.length === 0) return;
    if (l.length <= max && l.indexOf('\\u') === -1) {
      let v: unknown;
      let parsed = true;
      try {
        v = JSON.parse(l);
      } catch {
        parsed = false;
      }
      if (parsed && fast(v, n)) return;
    }
    const t = fromTransparent(l);
    if (t.length > max) tooLong(n);
    else onText(t, n);
  };
  const onLine = (l: string, n: number) => (info.transparent ? onTransparent(l, n) : onText(l, n));
  for await (const chunk of text) {
    if (!splitter) {
      splitter = newSplitter();
      splitter.line = linesBefore; // a range of the file: its lines are numbered on
    }
    splitter.push(chunk, onLine);
    yield;
  }
  splitter?.end(onLine);
  yield;
}

/**
 * input.maxLineLength for the line-based readers, in characters; `tooLong` counts and quarantines a line.
 * Over transparent text a line holds up to 3 bytes per character, so the splitter lets lines of up to
 * 3× the limit through and the caller checks a longer one's length as text. Make the splitter at the
 * first chunk: `info.transparent` is known once decoding has begun.
 */
function lineLimit(o: ReadOptions, file: string, info: FileInfo) {
  const max = o.input.maxLineLength ?? 256 * 1024 * 1024;
  // the message names the limit, not the length: over transparent text a skipped line's length is known in bytes only
  const tooLong = (line: number) => {
    o.ledger.file(file).units++;
    o.ledger.quarantineInput(new ScrubError('SCRUB_LINE_TOO_LONG', `line longer than input.maxLineLength (${max} characters)`, { file, line }));
  };
  const splitter = () => new LineSplitter({ maxLineLength: info.transparent ? max * 3 : max, onTooLong: tooLong });
  return { max, tooLong, splitter };
}

/** A JSON document holding an array of conversations (at the root or at `pick`). */
async function* readJsonArray(
  text: AsyncIterable<string>,
  file: string,
  pickPath: string | undefined,
  info: FileInfo,
  toRecord: (v: unknown, line: number | undefined, index: number) => void,
): AsyncGenerator<void> {
  const { parser: jsonParser } = requireHere('stream-json') as typeof import('stream-json');
  const { pick } = requireHere('stream-json/filters/pick.js') as typeof import('stream-json/filters/pick.js');
  const { streamArray } = requireHere('stream-json/streamers/stream-array.js') as typeof import('stream-json/streamers/stream-array.js');
  const parts: any[] = [jsonParser()];
  if (pickPath) parts.push(pick({ filter: pickPath }));
  parts.push(streamArray());
  // whether the text was read to its end, and its last character that is not white space: a parser error after the
  // whole text was read, in a text that does not end as a complete document does (`]`, or `}` around a picked
  // array), is a cut file; any other is a syntax error (stream-json's messages do not tell the two apart)
  const read = { ended: false, last: '' };
  async function* watched(): AsyncGenerator<string> {
    for await (const chunk of text) {
      const t = chunk.trimEnd();
      if (t.length) read.last = t[t.length - 1];
      yield chunk;
    }
    read.ended = true;
  }
  const src = Readable.from(watched(), { objectMode: false });
  // stream-json's functions become a Duplex through stream-chain; pipeline propagates errors.
  const { default: chain } = await import('stream-chain');
  const c = (chain as any)(parts);
  const out = pipeline(src, c, () => {}) as unknown as AsyncIterable<{ key: number; value: unknown }>;
  let seen = 0;
  try {
    for await (const item of out) {
      seen++;
      toRecord(item.value, undefined, item.key);
      if ((seen & 63) === 0) yield;
    }
  } catch (e) {
    if (e instanceof ScrubError) throw e;
    const msg = (e as Error).message ?? String(e);
    if (/Top-level object should be an array/i.test(msg)) {
      throw new ScrubError('SCRUB_JSON_SHAPE', pickPath ? `no array at '${pickPath}'` : 'the document is not a JSON array', { file, field: pickPath ?? 'input.json.pick', hint: 'set input.json.pick to the path of the conversations array' });
    }
    const truncated = read.ended && read.last !== (pickPath ? '}' : ']');
    throw new ScrubError(truncated ? 'SCRUB_JSON_TRUNCATED' : 'SCRUB_JSON_PARSE', truncated ? `JSON document ends in the middle after ${seen} complete element(s)` : `invalid JSON after ${seen} element(s): ${safeMessage(msg, 80)}`, {
      file,
      line: info.newlines + 1,
      hint: truncated ? 'the file is cut: copy it again; nothing is published from it' : undefined,
    }, { cause: e });
  }
  if (seen === 0 && pickPath) {
    // a pick path that matched nothing reads as an empty array: say so
    throw new ScrubError('SCRUB_JSON_SHAPE', `no conversations found at '${pickPath}'`, { file, field: 'input.json.pick' });
  }
  yield;
}

/**
 * Whether the files can be read in consecutive slices, each by its own reader (`run --threads`),
 * with the same records as one reader: not stdin. Row exports too: each slice hands on its
 * finished sessions, and `sessionRepeatAcrossSlices` finds one met again in a later slice.
 */
export function canReadInSlices(files: ResolvedInput[]): boolean {
  return files.every((f) => f.path !== '-');
}

/**
 * A session of a row export that one slice finished and a later slice met again: the error one
 * reader would have raised (where it came back: the earliest such place), or null. `files`: the
 * whole input, in order; `runs`: every slice's finished sessions (SessionRuns), whose folders are
 * removed here. The session cell is read again from its file to be described, as one reader does.
 */
export async function sessionRepeatAcrossSlices(files: ResolvedInput[], runs: SessionRuns[], input: InputConfig, tmpDir: string): Promise<ScrubError | null> {
  let repeat;
  try {
    repeat = SessionGuard.firstRepeat(runs.flatMap((r) => r.runs));
  } finally {
    for (const r of runs) rmSync(r.dir, { recursive: true, force: true });
  }
  if (!repeat) return null;
  const f = files[repeat.fileIdx];
  const cell = f ? await sessionCellAt(f, repeat.line, input, tmpDir) : null;
  return sessionNotContiguous(f?.name ?? '-', repeat.line, cell === null ? 'the session starting here' : `the session starting here, ${describeValue(cell)},`, input.rows!);
}

const FOUND = Symbol('found');

const STOPPED_BY = Symbol('stoppedBy');

/**
 * Marks a session repeat found once reading had ended (merging the finished sessions) with what
 * ended the reading: `stoppedBy`, an error with the place the reader stopped at, or null when it
 * read the whole input. The repeat names an earlier place, but the files read, and the records
 * counted, go on to where reading stopped (`readingStoppedBy`). A repeat already marked keeps its mark.
 */
export function foundAfterReading(repeat: ScrubError, stoppedBy: unknown): ScrubError {
  if (!(STOPPED_BY in repeat)) Object.defineProperty(repeat, STOPPED_BY, { value: stoppedBy, enumerable: false });
  return repeat;
}

/** What ended the reading when `error` ended the run: the error itself, or for a repeat found after reading, what `foundAfterReading` recorded (null: the whole input was read). */
export function readingStoppedBy(error: unknown): unknown {
  return error !== null && typeof error === 'object' && STOPPED_BY in error ? (error as { [STOPPED_BY]: unknown })[STOPPED_BY] : error;
}

/**
 * Whether error `a` (with a file and line) comes before `b` in the input `files`; `b` without a
 * place comes last (one reader meets a repeated session before an error that names no place).
 */
export function comesBefore(files: ResolvedInput[], a: ScrubError, b: unknown): boolean {
  const place = (e: unknown): [number, number] | null => {
    const f = (e as ScrubError).file;
    const line = (e as ScrubError).line;
    const idx = f === undefined ? -1 : files.findIndex((x) => x.name === f);
    return idx < 0 || line === undefined ? null : [idx, line];
  };
  const pa = place(a);
  const pb = place(b);
  if (!pb) return true;
  if (!pa) return false;
  return pa[0] < pb[0] || (pa[0] === pb[0] && pa[1] < pb[1]);
}

/** The session cell of the row at `line` of a row export (null if it cannot be read again). */
async function sessionCellAt(f: ResolvedInput, line: number, input: InputConfig, tmpDir: string): Promise<string | null> {
  // standard input cannot be read again (and a file named '-' is another file)
  if (f.path === '-') return null;
  const info = newFileInfo(f.name);
  const text = decodeFile(f.path, { encoding: input.encoding, allowEmpty: input.allowEmpty }, info);
  let col = -1;
  let cell: string | null = null;
  // the reader's own row handling, with a probe in place of the grouper
  const probe = {
    startFile: (_file: string, _idx: number, cols: RowColumns) => (col = cols.session),
    push: (fields: string[], at: number) => {
      if (at !== line) return;
      cell = fields[col] ?? null;
      throw FOUND;
    },
    settle: async () => {},
  } as unknown as RowGrouper;
  try {
    for await (const _ of readDelimited(text, formatOf(f.name, input.format) as 'csv' | 'tsv', f.name, 0, { input, ledger: new Ledger(), tmpDir }, probe, info));
  } catch (e) {
    if (e !== FOUND) return null;
  }
  return cell;
}

function shapeOf(fmt: string, input: InputConfig): string {
  return input.shape ?? (fmt === 'ndjson' ? 'canonical' : fmt === 'csv' || fmt === 'tsv' ? 'rows' : 'documents');
}

/**
 * Whether every file can be read as transparent text: then a reader with
 * `transparent: true` converts nothing (a GBK file or a line with `\\u` escapes
 * still is, record by record).
 */
export function canReadTransparent(files: ResolvedInput[], input: InputConfig): boolean {
  // declared GBK would be decoded anyway, and converting every record back costs more than it saves
  const enc = normaliseEncoding(input.encoding);
  if (enc === 'gbk' || enc === 'gb18030') return false;
  return files.every((f) => {
    const fmt = formatOf(f.name, input.format);
    return transparentFormat(fmt, shapeOf(fmt, input), input);
  });
}

/**
 * Whether files of this format and shape can be read as transparent text (see
 * transparent.ts): JSON lines, and rows grouped as they come (sorting by session
 * or timestamp would compare UTF-8 bytes instead of UTF-16 units) with ASCII syntax.
 */
function transparentFormat(fmt: string, shape: string, input: InputConfig): boolean {
  if (fmt === 'jsonl' || fmt === 'ndjson') return shape !== 'rows';
  if ((fmt === 'csv' || fmt === 'tsv') && shape === 'rows' && input.rows) {
    const ascii = (s: string | false | undefined) => s === undefined || s === false || /^[\x00-\x7f]*$/.test(s);
    const csv = input.csv ?? {};
    return (input.rows.grouping ?? 'contiguous') === 'contiguous' && (input.rows.order ?? 'row') === 'row' && ascii(csv.delimiter) && ascii(csv.quote) && ascii(csv.escape);
  }
  return false;
}

/** CSV/TSV rows into the grouper. `quote: false` takes a fast split path (exports that never quote). */
async function* readDelimited(
  text: AsyncIterable<string>,
  fmt: 'csv' | 'tsv',
  file: string,
  fileIdx: number,
  o: ReadOptions,
  grouper: RowGrouper,
  info: FileInfo,
): AsyncGenerator<void> {
  const csv = o.input.csv ?? {};
  const delimiter = csv.delimiter ?? (fmt === 'tsv' ? '\t' : ',');
  const header = csv.header ?? !csv.columns;
  let names: string[] | null = csv.columns ?? null;
  let expected = names ? names.length : -1;
  let headerSeen = !header;
  const ledger = o.ledger;
  // over transparent text (info.transparent, known once the first chunk is decoded) the
  // header is read as text for column lookup and errors; the grouper handles the rest
  const start = (fields: string[]) => {
    names = csv.columns ?? (info.transparent ? fields.map(fromTransparent) : fields);
    expected = fields.length;
    grouper.startFile(file, fileIdx, resolveColumns(o.input.rows!, names, file), info.transparent === true);
  };
  let started = false;
  const onRow = (fields: string[], line: number) => {
    if (!started) {
      started = true;
      if (names && headerSeen) start(names);
    }
    if (!headerSeen) {
      headerSeen = true;
      start(fields);
      return;
    }
    if (fields.length !== expected) {
      ledger.file(file).units++;
      ledger.quarantineInput(new ScrubError('SCRUB_CSV_FIELD_COUNT', `row has ${fields.length} fields, expected ${expected}`, { file, line }));
      return;
    }
    grouper.push(fields, line);
  };
  const drain = () => grouper.settle();

  if (csv.quote === false) {
    const { max, tooLong, splitter: newSplitter } = lineLimit(o, file, info);
    let splitter: LineSplitter | null = null;
    const onLine = (l: string, n: number) => {
      if (l.length === 0) return;
      // a transparent line holds up to 3 bytes per character: check the exact length
      if (l.length > max && fromTransparent(l).length > max) return tooLong(n);
      onRow(l.split(delimiter), n);
    };
    for await (const chunk of text) {
      splitter ??= newSplitter();
      splitter.push(chunk, onLine);
      await drain();
      yield;
    }
    splitter?.end(onLine);
    await drain();
    yield;
    return;
  }

  const parser = csvParse({
    delimiter,
    quote: csv.quote ?? '"',
    escape: csv.escape ?? '"',
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    skip_records_with_error: true,
    on_skip: (err: any) => {
      const code = /QUOTE/.test(err?.code ?? '') ? 'SCRUB_CSV_QUOTE' : 'SCRUB_CSV_PARSE';
      ledger.file(file).units++;
      ledger.quarantineInput(new ScrubError(code, (err?.message ?? 'unparsable row').replace(/:.*$/, '').slice(0, 120), { file, line: err?.lines }));
    },
  } as any);
  const src = Readable.from(text, { objectMode: false });
  const rows = pipeline(src, parser, () => {}) as unknown as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  let n = 0;
  for await (const { record, info } of rows) {
    onRow(record, info.lines);
    if ((++n & 255) === 0) {
      await drain();
      yield;
    }
  }
  await drain();
  yield;
}

export { type FileInfo };
