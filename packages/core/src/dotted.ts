/** Reads `a.b.c` from an object (e.g. `labels.satisfaction` from a record); undefined when any step is missing. */
export function getDotted(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
