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

/** Writes batches as NDJSON, one write per batch (writers receive pre-joined chunks). */
export class NdjsonFileWriter {
  private readonly stream: WriteStream;
  records = 0;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
  }
  async write(batch: readonly unknown[]): Promise<void> {
    if (batch.length === 0) return;
    let s = '';
    for (const r of batch) s += JSON.stringify(r) + '\n';
    this.records += batch.length;
    if (!this.stream.write(s)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
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
