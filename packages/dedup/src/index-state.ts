import { endianness } from 'node:os';
import { ScrubError, type ConversationRecord, type Role } from '@scrubline/core';
import { bandKeys, comparisonTexts, estimateJaccard8, lowBytes, minhash } from './minhash.js';

export interface DedupParams {
  /** Drop exact duplicates (same normalised text, role by role). */
  exact: boolean;
  /** Drop near duplicates (MinHash/LSH). */
  near: boolean;
  /** Jaccard similarity of character shingle sets at or above which two conversations are near duplicates. */
  threshold: number;
  /** MinHash slots. */
  numPerm: number;
  /** LSH bands (numPerm must be a multiple). */
  bands: number;
  /** Shingle length in characters. */
  shingle: number;
  /** Roles whose turns are compared (default all). */
  roles?: Role[];
  /** Most earlier records in one LSH bucket a record is verified against, per band (bounds work on huge buckets). */
  maxCandidates: number;
}

/** A shard's fit state: per-record keys and signatures, never text. Typed arrays as little-endian base64. */
export interface DedupState {
  v: 1;
  shard: number;
  n: number;
  numPerm: number;
  bands: number;
  shingle: number;
  ids: string[];
  /** n × 2 uint32: hash52 of the exact text (low, high). */
  exact: string;
  /** n × uint8: 1 when the record has a MinHash signature. */
  hasSig: string;
  /** n × bands uint32 band keys. */
  bandKeys: string;
  /** n × numPerm uint8 (b-bit MinHash, 8 bits). */
  sigs: string;
}

/**
 * Bytes the near-duplicate index holds per record, besides the id string:
 * band keys (4 × bands) + 8-bit signature (numPerm) + exact hash (8) + flag (1).
 */
export function bytesPerRecord(p: Pick<DedupParams, 'numPerm' | 'bands'>): number {
  return 4 * p.bands + p.numPerm + 8 + 1;
}

class Grow<T extends Uint8Array | Uint32Array> {
  arr: T;
  constructor(private readonly make: (n: number) => T, private readonly width: number) {
    this.arr = make(1024 * width);
  }
  ensure(records: number): void {
    if (records * this.width <= this.arr.length) return;
    let cap = this.arr.length;
    while (cap < records * this.width) cap *= 2;
    const next = this.make(cap);
    next.set(this.arr);
    this.arr = next;
  }
  slice(records: number): T {
    return this.arr.subarray(0, records * this.width) as T;
  }
}

function toB64(a: Uint8Array | Uint32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromB64U8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

function fromB64U32(s: string): Uint32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Uint32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

if (endianness() !== 'LE') throw new Error('@scrubline/dedup states are little-endian; this machine is big-endian');

/**
 * The state one collector would have made over consecutive slices of a shard's input, from
 * the slices' states in input order (`run --threads`): records keep their order, so the
 * first of a duplicate pair is the same one.
 */
export function concatDedupStates(states: DedupState[]): DedupState {
  const first = states[0];
  for (const s of states) {
    if (s.numPerm !== first.numPerm || s.bands !== first.bands || s.shingle !== first.shingle || s.shard !== first.shard) {
      throw new ScrubError('SCRUB_SHARD_INVALID', 'dedup states of slices were made with other parameters', { hint: 'run every slice with the same options' });
    }
  }
  const join = (field: 'exact' | 'hasSig' | 'bandKeys' | 'sigs') => Buffer.concat(states.map((s) => Buffer.from(s[field], 'base64'))).toString('base64');
  return {
    ...first,
    n: states.reduce((n, s) => n + s.n, 0),
    ids: states.flatMap((s) => s.ids),
    exact: join('exact'),
    hasSig: join('hasSig'),
    bandKeys: join('bandKeys'),
    sigs: join('sigs'),
  };
}

/** The fit side: collects keys and signatures of the records of one shard. */
export class DedupCollector {
  n = 0;
  readonly ids: string[] = [];
  private readonly exact = new Grow((n) => new Uint32Array(n), 2);
  private readonly has = new Grow((n) => new Uint8Array(n), 1);
  private readonly bands: Grow<Uint32Array>;
  private readonly sigs: Grow<Uint8Array>;
  private readonly scratch: Uint32Array;

  constructor(readonly p: DedupParams, readonly shard: number) {
    if (p.numPerm % p.bands !== 0) throw new ScrubError('SCRUB_CONFIG_INVALID', `numPerm (${p.numPerm}) must be a multiple of bands (${p.bands})`, { field: 'bands' });
    this.bands = new Grow((n) => new Uint32Array(n), p.bands);
    this.sigs = new Grow((n) => new Uint8Array(n), p.numPerm);
    this.scratch = new Uint32Array(p.numPerm);
  }

  add(record: ConversationRecord): void {
    const i = this.n++;
    this.ids.push(record.id);
    this.exact.ensure(this.n);
    this.has.ensure(this.n);
    const texts = comparisonTexts(record, this.p.roles);
    const h = texts.exactHash;
    this.exact.arr[2 * i] = h % 4294967296;
    this.exact.arr[2 * i + 1] = Math.floor(h / 4294967296);
    if (!this.p.near) return;
    this.bands.ensure(this.n);
    this.sigs.ensure(this.n);
    if (minhash(texts.shingles, this.p.shingle, this.scratch)) {
      this.has.arr[i] = 1;
      bandKeys(this.scratch, this.p.bands, this.bands.arr, i * this.p.bands);
      lowBytes(this.scratch, this.sigs.arr, i * this.p.numPerm);
    }
  }

  state(): DedupState {
    const n = this.n;
    const near = this.p.near;
    return {
      v: 1,
      shard: this.shard,
      n,
      numPerm: this.p.numPerm,
      bands: this.p.bands,
      shingle: this.p.shingle,
      ids: this.ids,
      exact: toB64(this.exact.slice(n)),
      hasSig: toB64(this.has.slice(n)),
      bandKeys: near ? toB64(this.bands.slice(n)) : '',
      sigs: near ? toB64(this.sigs.slice(n)) : '',
    };
  }
}

export interface Decision {
  reason: 'duplicate' | 'near-duplicate';
  keptId: string;
  /** Estimated Jaccard with the record kept (near duplicates; 1 for exact ones). */
  similarity?: number;
}

export interface DedupStats {
  records: number;
  exactDuplicates: number;
  nearDuplicates: number;
  /** Groups with more than one record. */
  clusters: number;
  candidatePairs: number;
  verifiedPairs: number;
  /** Peak bytes of the merged index in load (keys, signatures, union-find, bucket table); ids not counted. */
  indexBytes: number;
  /** indexBytes / records. */
  bytesPerRecord: number;
}

/**
 * Merges the shard states and decides which records go: records are ordered
 * by (shard, position); exact duplicates and verified near-duplicate pairs
 * (LSH band collision, then 8-bit-signature Jaccard ≥ threshold) are joined in
 * a union-find whose root is the smallest index; the root is kept, every
 * other member is dropped with the root's id. Same states → same decisions on
 * every shard. Returns the decisions for `forShard` by position.
 */
export function decide(states: DedupState[], p: DedupParams, forShard: number): { decisions: Map<number, Decision>; stats: DedupStats } {
  const sorted = [...states].sort((a, b) => a.shard - b.shard);
  for (const s of sorted) {
    if (s.v !== 1) throw new ScrubError('SCRUB_SHARD_INVALID', `dedup state version ${s.v} is not supported`);
    if (s.numPerm !== p.numPerm || s.bands !== p.bands || s.shingle !== p.shingle) {
      throw new ScrubError('SCRUB_SHARD_INVALID', `dedup state of shard ${s.shard} was made with other parameters`, { hint: 'run every shard with the same options' });
    }
  }
  const N = sorted.reduce((n, s) => n + s.n, 0);
  const offsets: number[] = [];
  const exact = new Uint32Array(2 * N);
  const has = new Uint8Array(N);
  const keys = p.near ? new Uint32Array(N * p.bands) : new Uint32Array(0);
  const sigs = p.near ? new Uint8Array(N * p.numPerm) : new Uint8Array(0);
  let at = 0;
  for (const s of sorted) {
    offsets.push(at);
    exact.set(fromB64U32(s.exact), 2 * at);
    has.set(fromB64U8(s.hasSig), at);
    if (p.near && s.n) {
      keys.set(fromB64U32(s.bandKeys), at * p.bands);
      sigs.set(fromB64U8(s.sigs), at * p.numPerm);
    }
    at += s.n;
  }
  const parent = new Int32Array(N);
  for (let i = 0; i < N; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  const table = new BucketTable(N);
  let candidatePairs = 0;
  let verifiedPairs = 0;

  if (p.exact) {
    table.reset();
    for (let i = 0; i < N; i++) {
      const first = table.firstOrInsert(exact[2 * i], exact[2 * i + 1], i);
      if (first >= 0) union(first, i);
    }
  }
  if (p.near) {
    for (let b = 0; b < p.bands; b++) {
      table.reset();
      for (let i = 0; i < N; i++) {
        if (!has[i]) continue;
        let prev = table.pushChain(keys[i * p.bands + b], b, i);
        for (let c = 0; prev >= 0 && c < p.maxCandidates; c++, prev = table.next[prev]) {
          if (find(prev) === find(i)) continue;
          candidatePairs++;
          if (estimateJaccard8(sigs, prev * p.numPerm, sigs, i * p.numPerm, p.numPerm) >= p.threshold) {
            verifiedPairs++;
            union(prev, i);
          }
        }
      }
    }
  }

  let exactDuplicates = 0;
  let nearDuplicates = 0;
  let clusters = 0;
  const decisions = new Map<number, Decision>();
  const own = sorted.findIndex((s) => s.shard === forShard);
  const lo = own >= 0 ? offsets[own] : 0;
  const hi = own >= 0 ? lo + sorted[own].n : 0;
  const idOf = (g: number): string => {
    let k = sorted.length - 1;
    while (offsets[k] > g) k--;
    return sorted[k].ids[g - offsets[k]];
  };
  const rootCounted = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const r = find(i);
    if (r === i) continue;
    if (!rootCounted[r]) {
      rootCounted[r] = 1;
      clusters++;
    }
    const same = exact[2 * i] === exact[2 * r] && exact[2 * i + 1] === exact[2 * r + 1] && p.exact;
    if (same) exactDuplicates++;
    else nearDuplicates++;
    if (i >= lo && i < hi) {
      const d: Decision = { reason: same ? 'duplicate' : 'near-duplicate', keptId: idOf(r) };
      if (!same && has[i] && has[r]) d.similarity = Math.round(estimateJaccard8(sigs, r * p.numPerm, sigs, i * p.numPerm, p.numPerm) * 1000) / 1000;
      decisions.set(i - lo, d);
    }
  }
  const indexBytes = N * (p.near ? bytesPerRecord(p) : 9) + 5 * N + table.bytes;
  return {
    decisions,
    stats: {
      records: N,
      exactDuplicates,
      nearDuplicates,
      clusters,
      candidatePairs,
      verifiedPairs,
      indexBytes,
      bytesPerRecord: N ? Math.round(indexBytes / N) : 0,
    },
  };
}

/**
 * Open-addressing hash table from a 64-bit key (two uint32) to the chain of
 * record indices holding it (latest first), 2N slots: 12 bytes per slot plus a
 * 4-byte `next` per record, reused across bands.
 */
class BucketTable {
  private readonly size: number;
  private readonly mask: number;
  private readonly keyLo: Uint32Array;
  private readonly keyHi: Uint32Array;
  private readonly head: Int32Array;
  readonly next: Int32Array;

  constructor(n: number) {
    let size = 16;
    while (size < 2 * n) size *= 2;
    this.size = size;
    this.mask = size - 1;
    this.keyLo = new Uint32Array(size);
    this.keyHi = new Uint32Array(size);
    this.head = new Int32Array(size);
    this.next = new Int32Array(Math.max(n, 1));
  }

  get bytes(): number {
    return this.size * 12 + this.next.length * 4;
  }

  reset(): void {
    this.head.fill(-1);
  }

  private slot(lo: number, hi: number): number {
    let s = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & this.mask;
    while (this.head[s] !== -1 && (this.keyLo[s] !== lo || this.keyHi[s] !== hi)) s = (s + 1) & this.mask;
    return s;
  }

  /** Returns the first index stored under the key, or inserts `i` and returns −1. */
  firstOrInsert(lo: number, hi: number, i: number): number {
    const s = this.slot(lo, hi);
    if (this.head[s] !== -1) return this.head[s];
    this.keyLo[s] = lo;
    this.keyHi[s] = hi;
    this.head[s] = i;
    return -1;
  }

  /** Pushes `i` on the key's chain; returns the previous head (−1: none). */
  pushChain(lo: number, hi: number, i: number): number {
    const s = this.slot(lo, hi);
    const prev = this.head[s];
    this.keyLo[s] = lo;
    this.keyHi[s] = hi;
    this.head[s] = i;
    this.next[i] = prev;
    return prev;
  }
}
