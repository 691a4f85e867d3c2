import { parentPort, workerData } from 'node:worker_threads';
import { RuleEngine, type Analysis, type RulePack, type RuleEngineOptions } from './rules.js';

/** Worker thread: runs the rule engine over arrays of texts. */
const data = workerData as { packs: RulePack[]; options: RuleEngineOptions };
const engine = new RuleEngine(data.packs, data.options);

parentPort!.on('message', (msg: { id: number; texts: string[] }) => {
  const out: (Analysis | null)[] = new Array(msg.texts.length);
  try {
    for (let i = 0; i < msg.texts.length; i++) {
      const a = engine.analyze(msg.texts[i]);
      out[i] = a.spans.length || a.kept.length ? a : null;
    }
    parentPort!.postMessage({ id: msg.id, results: out });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
