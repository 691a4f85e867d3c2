// How much two threads can give on this machine right now: the same pure compute job twice,
// one after the other and then on two worker threads. Usage: pnpm bench calibrate
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const work = () => {
  let x = 0;
  for (let i = 0; i < 3e8; i++) x = (x + i * 7) % 1000003;
  return x;
};
if (!isMainThread) parentPort.postMessage(work());
else {
  let t = performance.now();
  work();
  work();
  const one = performance.now() - t;
  t = performance.now();
  await Promise.all([0, 1].map(() => new Promise((r) => new Worker(new URL(import.meta.url)).once('message', r))));
  const two = performance.now() - t;
  console.log(`2 jobs one after the other ${one.toFixed(0)} ms, on 2 threads ${two.toFixed(0)} ms: speed-up ${(one / two).toFixed(2)}x`);
}
