/**
 * A worker thread of `run --threads`: runs the units of phase 0 the main thread hands it, one
 * after the other (`runSliceJob`), and says what each did, tagged with its number. Modules,
 * rule packs and compiled code stay loaded from one unit to the next.
 */
import { parentPort } from 'node:worker_threads';
import { runLastSliceJob, runSliceJob, type LastSliceJob, type SliceJob, type SliceMessage } from './slice-job.js';

export type { LastSliceJob, SliceJob, SliceMessage, SliceStep } from './slice-job.js';

/** What the main thread sends a slice worker: a step's preload (`LocalSlices.provide`), a unit to run, or the end. */
export type SliceInbound =
  | { type: 'preload'; stepId: string; data: unknown }
  | { type: 'job'; unit: number; job: SliceJob }
  /** A unit of the last phase (numbered after phase 0's units). */
  | { type: 'last'; unit: number; job: LastSliceJob }
  | { type: 'end' };

/** What a slice worker says: a unit's message, tagged with the unit. */
export type SliceOutbound = SliceMessage & { unit: number };

/** Steps' preloads from the main thread, and the steps waiting for theirs. */
const provided = new Map<string, unknown>();
const waiting = new Map<string, ((data: unknown) => void)[]>();
const preloaded = (stepId: string): Promise<unknown> =>
  provided.has(stepId) ? Promise.resolve(provided.get(stepId)) : new Promise((resolve) => waiting.set(stepId, [...(waiting.get(stepId) ?? []), resolve]));

/** Units run one at a time, in the order given. */
let queue = Promise.resolve();
const onMessage = (m: SliceInbound) => {
  if (m.type === 'preload') {
    provided.set(m.stepId, m.data);
    for (const resolve of waiting.get(m.stepId) ?? []) resolve(m.data);
    waiting.delete(m.stepId);
  } else if (m.type === 'job') {
    queue = queue.then(() => runSliceJob(m.job, (out) => parentPort!.postMessage({ ...out, unit: m.unit } satisfies SliceOutbound), preloaded));
  } else if (m.type === 'last') {
    queue = queue.then(() => runLastSliceJob(m.job, (out) => parentPort!.postMessage({ ...out, unit: m.unit } satisfies SliceOutbound), preloaded));
  } else {
    // the listener would keep this thread alive after its work
    void queue.then(() => parentPort!.off('message', onMessage));
  }
};
parentPort!.on('message', onMessage);
