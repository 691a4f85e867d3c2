import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { detachOneBuffer } from '@scrubline/core';
import { RuleEngine } from './rules.js';
import { analyzeOrNull, CTL, type JobReply, type PoolRequest, type WorkerData } from './pool.js';
import { scrubPiece } from './job.js';
import { Tallier } from './tally.js';
import type { OperatorConfig } from './operators.js';

/**
 * Worker thread of the pii stage's pool: rule analysis of texts, or pieces of a batch job. It
 * blocks on its SEQ control word until the pool posts a request on its channel, answers on the
 * channel and raises DONE (see AnalyzerPool), until a `stop` request.
 */
// this thread posts its tallies' buffers in transfer lists (see detachOneBuffer)
detachOneBuffer();
const data = workerData as WorkerData;
const engine = new RuleEngine(data.packs, data.options);
const config: OperatorConfig = { ...data.operators, canonicalOf: engine.canonicalOf };
const tallier = new Tallier(data.sampleContext);
const ctl = new Int32Array(data.ctl!);
const port = data.port!;
const base = CTL.base(data.index!);

function handle(req: PoolRequest): { message: unknown; transfer?: ArrayBuffer[] } {
  if (req.kind === 'analyze') return { message: { results: req.items.map((t) => analyzeOrNull(engine, t)) } };
  if (req.kind !== 'job') throw new Error(`unknown request ${String((req as { kind: unknown }).kind)}`);
  const { job, joined } = req;
  const pieces = job.pieces.length - 1;
  let done = 0;
  tallier.begin(job.sampleLeft, job.maxSamples);
  // take pieces from the counter the pool's threads share until none is left
  for (;;) {
    const i = Atomics.add(ctl, req.slot, 1);
    if (i >= pieces) break;
    scrubPiece(job, i, (k) => joined.substring(job.starts[k], job.starts[k + 1]), engine, config, tallier);
    done++;
  }
  const tally = tallier.finish();
  const reply: JobReply = { pieces: done, tally };
  return { message: { results: reply }, transfer: [tally.counts.buffer as ArrayBuffer, tally.changed.buffer as ArrayBuffer, tally.changedEnds.buffer as ArrayBuffer] };
}

Atomics.store(ctl, base + CTL.READY, 1);
// requests are answered one by one in the order posted; SEQ counts those posted, DONE those answered
let answered = 0;
for (;;) {
  Atomics.wait(ctl, base + CTL.SEQ, answered);
  if (Atomics.load(ctl, base + CTL.SEQ) === answered) continue;
  const got = receiveMessageOnPort(port);
  // the pool posts before it raises SEQ: a request without a message is a broken pool; fail (the
  // pool's error handler fails the batch) rather than spin
  if (!got) throw new Error('pii worker: a request was announced without a message');
  const req = got.message as PoolRequest;
  if (req.kind === 'stop') break;
  try {
    const { message, transfer } = handle(req);
    port.postMessage(message, transfer ?? []);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.store(ctl, base + CTL.DONE, ++answered);
  Atomics.notify(ctl, base + CTL.DONE);
}
port.close();
