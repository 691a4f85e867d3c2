import { open } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import { ScrubError } from './errors.js';
import { NdjsonFileWriter, readNdjsonBatches, WorkFileStream } from './lines.js';
import type { ConversationRecord } from './record.js';

/**
 * A spill's format follows its name. `.spill`: batches as structured clones (`v8.serialize`, each
 * framed by its byte length), for a spill that one process writes and reads back (a run of all
 * phases, and its slices): about half of JSON's cost each way, as no text is encoded to UTF-8 and
 * back (measured on the 100 MB benchmark's records: serialise 0.2–0.6 s against 1.0 s for
 * stringify + encode per 57 MB, read back 0.4–0.5 s against 0.8–1.0 s). Any other name: NDJSON,
 * for the spill a later process reads (a phase of a sharded run, maybe on another machine and
 * another Node, whose structured-clone format may differ).
 */
export function isProcessSpill(path: string): boolean {
  return path.endsWith('.spill');
}

const FRAME_HEAD = 4;

export interface SpillWriter {
  write(batch: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Writes a spill in the format its name says (see isProcessSpill). */
export function spillWriter(path: string): SpillWriter {
  return isProcessSpill(path) ? new FramedSpillWriter(path) : new NdjsonFileWriter(path);
}

class FramedSpillWriter implements SpillWriter {
  private readonly file: WorkFileStream;
  constructor(readonly path: string) {
    this.file = new WorkFileStream(path);
  }
  async write(batch: readonly unknown[]): Promise<void> {
    this.file.check();
    if (batch.length === 0) return;
    const body = serialize(batch);
    const head = Buffer.allocUnsafe(FRAME_HEAD);
    head.writeUInt32LE(body.length, 0);
    await this.file.write(head, body);
  }
  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * Reads spills back as batches of `batchSize` records, running on across files as from one file
 * (the batches are those of readNdjsonBatches whatever the format, so stages see the same batches).
 */
export async function* readSpill(paths: string | string[], batchSize = 256): AsyncGenerator<ConversationRecord[]> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (!list.every(isProcessSpill)) {
    yield* readNdjsonBatches(list, batchSize);
    return;
  }
  let batch: ConversationRecord[] = [];
  for (const path of list) {
    for await (const records of readFrames(path)) {
      for (const r of records) {
        batch.push(r);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length) yield batch;
}

async function* readFrames(path: string): AsyncGenerator<ConversationRecord[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.allocUnsafe(FRAME_HEAD);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(head, 0, FRAME_HEAD, pos);
      if (bytesRead === 0) return;
      const n = bytesRead === FRAME_HEAD ? head.readUInt32LE(0) : -1;
      // a length past the file's end (damaged, or cut short) is refused before anything is allocated or read;
      // the writer never makes a frame of 2 GiB or more (a read takes at most that)
      if (n < 0 || n > size - pos - FRAME_HEAD || n > 0x7fffffff) throw new ScrubError('SCRUB_INTERNAL', 'spill file ends inside a batch (truncated or damaged)', { file: path });
      const body = Buffer.allocUnsafe(n);
      if ((await fh.read(body, 0, n, pos + FRAME_HEAD)).bytesRead < n) throw new ScrubError('SCRUB_INTERNAL', 'spill file ends inside a batch (truncated or damaged)', { file: path });
      let records: unknown;
      try {
        records = deserialize(body);
      } catch (e) {
        throw new ScrubError('SCRUB_INTERNAL', 'spill file holds a batch that cannot be read back', { file: path }, { cause: e });
      }
      if (!Array.isArray(records)) throw new ScrubError('SCRUB_INTERNAL', 'spill file holds something other than a batch of records', { file: path });
      pos += FRAME_HEAD + n;
      yield records as ConversationRecord[];
    }
  } finally {
    await fh.close();
  }
}
