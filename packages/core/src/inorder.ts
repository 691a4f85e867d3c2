/**
 * Maps `source` through `fn`, up to `depth` calls outstanding, results in input order: the next
 * item is handed to `fn` while the earlier ones are still being worked on (by a stage's worker
 * threads), so a thread pool has the next batch queued when it finishes one. With depth 1 it is
 * a plain sequential map. A failed call fails the iteration when its turn comes; the calls
 * after it are left to settle (their failures are not reported twice).
 */
export async function* inOrder<T, R>(source: AsyncIterable<T> | Iterable<T>, fn: (item: T) => Promise<R>, depth = 1): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  try {
    for await (const item of source) {
      const p = fn(item);
      p.catch(() => {}); // reported when its turn comes below
      window.push(p);
      if (window.length >= Math.max(1, depth)) yield await window.shift()!;
    }
    while (window.length) yield await window.shift()!;
  } finally {
    // stopped early: let the calls still out finish before the caller closes what they use
    await Promise.allSettled(window);
  }
}
