/**
 * V8 optimises typed-array code on the promise that no ArrayBuffer has ever been detached, and throws
 * all of that code away the first time one is (a buffer posted to another thread in a transfer list).
 * A thread that will transfer buffers detaches one at its start, before anything is optimised, so its
 * hot code is compiled once rather than twice: a two-thread `scrub` of 20 MB made 216 TurboFan
 * compiles before, 185 after (`node --trace-opt`).
 */
export function detachOneBuffer(): void {
  const b = new ArrayBuffer(1);
  structuredClone(b, { transfer: [b] });
}
