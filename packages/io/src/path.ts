/**
 * Tiny JSON path: `a.b`, `a[0].b`, `a[*].b` (maps over arrays and flattens one
 * level). Enough for export mappings; anything fancier belongs in a stage.
 */
export type PathSegment = string | number | '*';

const cache = new Map<string, PathSegment[]>();

export function parsePath(path: string): PathSegment[] {
  let segs = cache.get(path);
  if (segs) return segs;
  segs = [];
  const re = /([^.[\]]+)|\[(\*|\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) segs.push(m[1]);
    else segs.push(m[2] === '*' ? '*' : Number(m[2]));
  }
  cache.set(path, segs);
  return segs;
}

export function getPath(value: unknown, path: string): unknown {
  const segs = parsePath(path);
  return walk(value, segs, 0);
}

function walk(v: unknown, segs: PathSegment[], i: number): unknown {
  if (i === segs.length) return v;
  if (v === null || v === undefined) return undefined;
  const s = segs[i];
  if (s === '*') {
    if (!Array.isArray(v)) return undefined;
    const out: unknown[] = [];
    for (const item of v) {
      const r = walk(item, segs, i + 1);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (typeof v !== 'object') return undefined;
  return walk((v as Record<string | number, unknown>)[s], segs, i + 1);
}

/** Sets `a.b.c` on an object, creating plain objects on the way. */
export function setDotted(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = o[parts[i]];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[parts[i]] = {};
    o = o[parts[i]] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}
