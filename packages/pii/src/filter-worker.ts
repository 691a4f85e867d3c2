import { parentPort, workerData } from 'node:worker_threads';
import { checkRecord, safeMessage, StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { piiStage, type PiiStageOptions } from './stage.js';
// detectors other than `rules` register when their package is imported by the parent's plugins;
// a worker imports what the parent asked for by module specifier
const data = workerData as { options: PiiStageOptions; seed: string; rulesDir: string; baseDir: string; file: string; imports: string[] };
for (const spec of data.imports) await import(spec);

/**
 * Line-parallel scrub worker: raw NDJSON bytes (whole lines) in, scrubbed NDJSON
 * bytes out, so decoding, parsing, serialising and encoding run on this thread too
 * (the main thread only reads, cuts at newlines, orders and writes). One stage instance per worker, single-threaded inside.
 */
const stage = await piiStage.create({ ...data.options, workers: 1 }, {
  stageId: 'pii',
  seed: data.seed,
  shard: { index: 0, count: 1 },
  baseDir: data.baseDir,
  rulesDir: data.rulesDir,
  log: { info() {}, warn: (m) => parentPort!.postMessage({ warn: m }) },
});

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

parentPort!.on('message', async (msg: { seq: number; bytes: Uint8Array; firstLine: number } | { close: true }) => {
  if ('close' in msg) {
    await stage.close?.();
    parentPort!.postMessage({ closed: true, summary: stage.summary?.() });
    return;
  }
  try {
    const report = new StageReport();
    const quarantined: { code: string; message: string; line: number }[] = [];
    const records: ConversationRecord[] = [];
    let text0: string;
    try {
      text0 = decoder.decode(msg.bytes);
    } catch {
      throw Object.assign(new Error(`invalid UTF-8 in the lines from ${msg.firstLine}`), { code: 'SCRUB_ENCODING_MISMATCH' });
    }
    let n = msg.firstLine - 1;
    let start = 0;
    while (start < text0.length) {
      let end = text0.indexOf('\n', start);
      if (end === -1) end = text0.length;
      n++;
      let line = text0.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        // same wording as the shared reader (@scrubline/io), so both modes quarantine alike
        quarantined.push({ code: 'SCRUB_JSON_PARSE', message: `invalid JSON (${safeMessage((e as Error).message.replace(/ in JSON at.*$/, ''), 60)})`, line: n });
        continue;
      }
      const why = checkRecord(value);
      if (why) {
        quarantined.push({ code: 'SCRUB_RECORD_INVALID', message: `not a canonical record: ${why}`, line: n });
        continue;
      }
      records.push(value as ConversationRecord);
    }
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
    const out = records.length ? await stage.apply(records, ctx) : [];
    let text = '';
    for (const r of out) text += JSON.stringify(r) + '\n';
    const bytes = encoder.encode(text);
    parentPort!.postMessage({ seq: msg.seq, bytes, records: out.length, quarantined, report: report.toJSON() }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ seq: msg.seq, error: (e as Error).message, code: (e as { code?: string }).code });
  }
});
parentPort!.postMessage({ ready: true });
