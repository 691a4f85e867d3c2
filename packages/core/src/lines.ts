import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ScrubError } from './errors.js';
import type { ConversationRecord } from './record.js';

export interface LineSplitterOptions {
  /** Longest line kept, in UTF-16 code units; longer lines are reported and skipped. */
  maxLineLength?: number;
  /** Called for each over-long line (1-based line number, its length so far). */
  onTooLong?: (line: number, length: number) => void;
}

/**
 * Splits decoded text chunks into lines (LF or CRLF) and counts them. A line is
 * never held twice: the remainder of a chunk is kept until the next newline.
 */
export class LineSplitter {
  private rest = '';
  private skipping = false;
  private skipped = 0;
  /** Number of the last line emitted (1-based). */
  line = 0;
  private readonly max: number;

  constructor(private readonly options: LineSplitterOptions = {}) {
    this.max = options.maxLineLength ?? 256 * 1024 * 1024;
  }

  push(chunk: string, emit: (line: string, lineNo: number) => void): void {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.append(chunk);
      return;
    }
    // first line joins the remainder of the previous chunk
    this.finishLine(chunk.slice(0, nl), emit);
    start = nl + 1;
    while ((nl = chunk.indexOf('\n', start)) !== -1) {
      let end = nl;
      if (end > start && chunk.charCodeAt(end - 1) === 13) end--;
      this.line++;
      if (end - start > this.max) this.options.onTooLong?.(this.line, end - start);
      else emit(chunk.slice(start, end), this.line);
      start = nl + 1;
    }
    this.append(chunk.slice(start));
  }

  end(emit: (line: string, lineNo: number) => void): void {
    if (this.skipping) {
      this.line++;
      this.options.onTooLong?.(this.line, this.skipped);
      this.skipping = false;
    } else if (this.rest.length > 0) {
      let s = this.rest;
      if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
      this.line++;
      emit(s, this.line);
    }
    this.rest = '';
  }

  private append(s: string): void {
    if (this.skipping) {
      this.skipped += s.length;
      return;
    }
    this.rest = this.rest.length === 0 ? s : this.rest + s;
    // a CR at the end may be half of a CRLF: the line's length leaves it out, wherever a chunk ends
    if (this.rest.length - (this.rest.charCodeAt(this.rest.length - 1) === 13 ? 1 : 0) > this.max) {
      this.skipping = true;
      this.skipped = this.rest.length;
      this.rest = '';
    }
  }

  private finishLine(head: string, emit: (line: string, lineNo: number) => void): void {
    if (this.skipping) {
      this.line++;
      this.options.onTooLong?.(this.line, this.skipped + head.length);
      this.skipping = false;
      this.rest = '';
      return;
    }
    let s = this.rest.length === 0 ? head : this.rest + head;
    this.rest = '';
    if (s.length > 0 && s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    if (s.length > this.max) {
      this.line++;
      this.options.onTooLong?.(this.line, s.length);
      return;
    }
    this.line++;
    emit(s, this.line);
  }
}

/**
 * A file stream for work files (spills) whose first error (disk full, file too big) is kept and thrown,
 * coded and naming the file, at the next write, wait or close: an 'error' event nobody hears ends the
 * process with a stack trace, and end() on a stream that error destroyed says only that.
 */
export class WorkFileStream {
  readonly stream: WriteStream;
  private failed: Error | null = null;
  /** `says.file`: the file the error names (default: this one); `says.what`: what it is, for the message. */
  constructor(
    readonly path: string,
    private readonly says: { file?: string; what?: string } = {},
  ) {
    this.stream = createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (e) => (this.failed ??= e));
  }
  check(): void {
    if (this.failed) throw new ScrubError('SCRUB_OUTPUT_FAILED', `could not write ${this.says.what ?? 'a spill file in the work folder'}`, { file: this.says.file ?? this.path }, { cause: this.failed });
  }
  /** Writes the chunks; waits while the stream is full. */
  async write(...chunks: (string | Uint8Array)[]): Promise<void> {
    this.check();
    let full = false;
    for (const c of chunks) full = !this.stream.write(c) || full;
    if (full) await once(this.stream, 'drain').catch(() => {});
    this.check();
  }
  async close(): Promise<void> {
    this.check();
    // a last write that fails makes end() call back with its error at once, before the 'error' event
    await new Promise<void>((resolve) => this.stream.end((e?: Error | null) => ((this.failed ??= e ?? null), resolve())));
    this.check();
  }
}

/** Writes batches as NDJSON, one write per batch (writers receive pre-joined chunks). */
export class NdjsonFileWriter {
  private readonly file: WorkFileStream;
  records = 0;
  constructor(readonly path: string) {
    this.file = new WorkFileStream(path);
  }
  async write(batch: readonly unknown[]): Promise<void> {
    if (batch.length === 0) return;
    let s = '';
    for (const r of batch) s += JSON.stringify(r) + '\n';
    this.records += batch.length;
    await this.file.write(s);
  }
  close(): Promise<void> {
    return this.file.close();
  }
}

/** Reads a spill file written by NdjsonFileWriter back as batches. */
export async function* readNdjsonBatches(paths: string | string[], batchSize = 256): AsyncGenerator<ConversationRecord[]> {
  // several files read as one stream: batches run on across files, as from one file with their lines
  let batch: ConversationRecord[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    const splitter = new LineSplitter();
    const lines: [string, number][] = [];
    const take = (l: string, n: number) => {
      if (l.length > 0) lines.push([l, n]);
    };
    /** The lines split so far into the batch, each full batch handed out. */
    const parsed = function* (): Generator<ConversationRecord[]> {
      for (const [l, n] of lines.splice(0)) {
        try {
          batch.push(JSON.parse(l));
        } catch (e) {
          throw new ScrubError('SCRUB_JSON_PARSE', 'spill file line is not JSON', { file: path, line: n }, { cause: e });
        }
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    };
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      splitter.push(chunk as string, take);
      yield* parsed();
    }
    splitter.end(take);
    yield* parsed();
  }
  if (batch.length) yield batch;
}
