import { parentPort, workerData } from 'node:worker_threads';
import { RuleEngine } from './rules.js';
import { analyzeOrNull, type WorkerData } from './pool.js';
import { scrubShare, type ConvBatch } from './scrub.js';

/** Worker thread: the rule engine (and operators) over shares of a batch. */
const data = workerData as WorkerData;
const engine = new RuleEngine(data.packs, data.options);

parentPort!.on('message', (msg: { id: number; kind: 'analyze' | 'scrub'; items: unknown }) => {
  try {
    if (msg.kind === 'scrub') {
      const packed = scrubShare(msg.items as ConvBatch, engine, data.operators);
      // the number array moves without a copy
      parentPort!.postMessage({ id: msg.id, results: packed }, [packed.nums.buffer as ArrayBuffer]);
      return;
    }
    const results = (msg.items as string[]).map((t) => analyzeOrNull(engine, t));
    parentPort!.postMessage({ id: msg.id, results });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
