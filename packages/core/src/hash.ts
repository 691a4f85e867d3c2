import { createHash } from 'node:crypto';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with sorted object keys: the basis of config hashes. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** 32-bit FNV-1a over UTF-16 code units; fast, for bucketing, not for security. */
export function fnv1a32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 52-bit hash (two independent FNV-1a runs) as a safe integer; collisions ~1e-4 at 1e6 keys. */
export function hash52(s: string): number {
  const a = fnv1a32(s);
  const b = fnv1a32(s, 0x9747b28c) & 0xfffff;
  return b * 0x100000000 + a;
}

/** mulberry32: small, fast, good enough for sampling; deterministic per seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A PRNG keyed by (run seed, key): each record draws its own stream, so a shard
 * decides independently of the others and reruns reproduce byte-identical output.
 */
export function seededRandom(seed: string | number, key = ''): () => number {
  const h = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  return mulberry32(h.readUInt32LE(0));
}
