import { parentPort } from 'node:worker_threads';
import { isUtf8 } from 'node:buffer';
import { detachOneBuffer, recordProblem, safeMessage, StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { piiStage, type PiiStageOptions } from './stage.js';
// the decoder module alone: a worker does not load the readers (csv-parse, stream-json …) it never uses
import { encodingMismatch } from '@scrubline/io/decode';
import { NdjsonWriter } from './ndjson.js';
import { preloadRulePacks, type RulePack } from './rules.js';
// detectors other than `rules` register when their package is imported by the parent's plugins;
// a worker imports what the parent asked for by module specifier
// the configuration is the first message: the worker may be started before it is known (see early-workers.ts)
export interface FilterWorkerConfig {
  options: PiiStageOptions;
  seed: string;
  rulesDir: string;
  baseDir: string;
  file: string;
  imports: string[];
  /** The rule packs, read once by the main thread: every worker scrubs with the same rules, and a pack's error is the main thread's. */
  packs: RulePack[];
}
// this thread posts its buffers back in transfer lists (see detachOneBuffer)
detachOneBuffer();
const data = await new Promise<FilterWorkerConfig>((resolve) => parentPort!.once('message', (m: { config: FilterWorkerConfig }) => resolve(m.config)));

/**
 * Line-parallel scrub worker: raw NDJSON bytes (whole lines) in, scrubbed NDJSON
 * bytes out, so decoding, parsing, serialising and encoding run on this thread too
 * (the main thread only reads, cuts at newlines, orders and writes). One stage instance per worker, single-threaded inside.
 *
 * Garbage per chunk is kept small (measured, see bench/pii-cli.mjs): the chunk is validated
 * as UTF-8 at once (simdutf) and decoded line by line (no chunk-sized string), and each record
 * is serialised straight into a reusable output buffer (no chunk-sized string, no fresh
 * buffer per chunk: the main thread sends written buffers back).
 */
let stage!: Awaited<ReturnType<typeof piiStage.create>>;
let setupFailed = false;
try {
  for (const spec of data.imports) await import(spec);
  preloadRulePacks(data.rulesDir, data.options.rules?.length ? data.options.rules : undefined, data.packs);
  stage = await piiStage.create({ ...data.options, workers: 1 }, {
    stageId: 'pii',
    seed: data.seed,
    shard: { index: 0, count: 1 },
    baseDir: data.baseDir,
    rulesDir: data.rulesDir,
    log: { info() {}, warn: (m) => parentPort!.postMessage({ warn: m }) },
  });
} catch (e) {
  // a setup error (an option the stage refuses, e.g. hmac without a key) keeps its code and
  // context, so the run exits as the stage path would (2 for a bad option, not an internal error)
  const x = e as { message?: string; code?: unknown; file?: unknown; field?: unknown; hint?: unknown };
  parentPort!.postMessage({ fatal: { message: String(x?.message ?? e), code: typeof x?.code === 'string' && x.code.startsWith('SCRUB_') ? x.code : undefined, file: x?.file, field: x?.field, hint: x?.hint } });
  setupFailed = true;
}

/** Output buffers the main thread has written and sent back. */
const free: ArrayBuffer[] = [];
const MAX_FREE = 4;
/** Records per stage call inside a chunk (SCRUBLINE_SCRUB_BATCH; measured in bench/pii-cli.mjs). */
const BATCH = Number(process.env.SCRUBLINE_SCRUB_BATCH ?? 128);

/** An output buffer of at least `min` bytes: a returned one when it is big enough. */
function outBuffer(min: number): Buffer {
  while (free.length) {
    const ab = free.pop()!;
    if (ab.byteLength >= min) return Buffer.from(ab);
  }
  return Buffer.allocUnsafeSlow(Math.max(min, 64 << 10));
}

interface ChunkMsg {
  seq: number;
  bytes: Uint8Array;
  firstLine: number;
}

type Msg = ChunkMsg | { close: true } | { recycle: ArrayBuffer };
// one message at a time, in order (a handler that awaits never interleaves with the next chunk)
let chain: Promise<void> = Promise.resolve();
if (!setupFailed) {
  parentPort!.on('message', (msg: Msg) => {
    chain = chain.then(() => handle(msg));
  });
  parentPort!.postMessage({ ready: true });
}

async function handle(msg: Msg): Promise<void> {
  if ('recycle' in msg) {
    if (free.length < MAX_FREE) free.push(msg.recycle);
    return;
  }
  if ('close' in msg) {
    await stage.close?.();
    parentPort!.postMessage({ closed: true, summary: stage.summary?.() });
    return;
  }
  try {
    const report = new StageReport();
    const quarantined: { code: string; message: string; line: number; field?: string }[] = [];
    let records: ConversationRecord[] = [];
    const ctx: StageContext = {
      stageId: 'pii',
      seed: data.seed,
      shard: { index: 0, count: 1 },
      report,
      log: { info() {}, warn: (m) => parentPort!.postMessage({ warn: m }) },
      drop: () => {
        throw new Error('pii never drops');
      },
      quarantine: () => {
        throw new Error('pii never quarantines');
      },
    };
    const bytes = Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength);
    // the same error (line of the first bad byte, GBK hint) as the shared reader gives on the stage path
    if (!isUtf8(bytes)) throw encodingMismatch(data.file, 'utf-8', bytes, msg.firstLine - 1);
    const writer = new NdjsonWriter(outBuffer(bytes.length + (bytes.length >> 3)));
    let written = 0;
    // records go through the stage in small batches, so most of a chunk's garbage dies young
    // (a whole chunk of parsed records outlives several scavenges and gets copied and promoted)
    const flush = async () => {
      const out = await stage.apply(records, ctx);
      writer.write(out);
      written += out.length;
      records = [];
    };
    // a byte-order mark is dropped at the start of the input only (as the shared reader does)
    let start = msg.firstLine === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    let n = msg.firstLine - 1;
    while (start < bytes.length) {
      let end = bytes.indexOf(10, start);
      if (end === -1) end = bytes.length;
      n++;
      const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
      const line = bytes.toString('utf8', start, stop);
      start = end + 1;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        // same wording as the shared reader (@scrubline/io), so both modes quarantine alike
        quarantined.push({ code: 'SCRUB_JSON_PARSE', message: `invalid JSON (${safeMessage((e as Error).message.replace(/ in JSON at.*$/, ''), 60)})`, line: n });
        continue;
      }
      const why = recordProblem(value);
      if (why) {
        quarantined.push({ code: 'SCRUB_RECORD_INVALID', message: `not a canonical record: ${why.message}`, line: n, ...(why.field ? { field: why.field } : {}) });
        continue;
      }
      records.push(value as ConversationRecord);
      if (records.length >= BATCH) await flush();
    }
    if (records.length) await flush();
    const buf = writer.buf;
    const length = writer.length;
    const input = msg.bytes.buffer as ArrayBuffer;
    const output = buf.buffer as ArrayBuffer;
    // the output and the (spent) input buffer both move back without a copy; the main thread reuses them
    parentPort!.postMessage(
      { seq: msg.seq, bytes: new Uint8Array(output, buf.byteOffset, length), input, records: written, quarantined, report: report.toJSON() },
      output === input ? [output] : [output, input],
    );
  } catch (e) {
    parentPort!.postMessage({ seq: msg.seq, error: (e as Error).message, code: (e as { code?: string }).code, line: (e as { line?: number }).line, hint: (e as { hint?: string }).hint });
  }
}
