import { hash52 } from './hash.js';

/**
 * An exact set of 52-bit string hashes in one Float64Array (open addressing,
 * linear probing, load ≤ 0.5): 16 bytes per key at worst, no per-key objects.
 * A V8 Set of the same numbers costs ≈100 bytes per key here (heap numbers).
 */
export class Hash52Set {
  private table: Float64Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.table = new Float64Array(cap);
    this.mask = cap - 1;
  }

  /** Adds the hash of `key`; returns false when it was already there. */
  addKey(key: string): boolean {
    return this.add(hash52(key));
  }

  hasKey(key: string): boolean {
    return this.has(hash52(key));
  }

  add(h: number): boolean {
    const v = h === 0 ? 1 : h; // 0 marks an empty slot
    let i = this.slot(v);
    for (;;) {
      const cur = this.table[i];
      if (cur === 0) break;
      if (cur === v) return false;
      i = (i + 1) & this.mask;
    }
    this.table[i] = v;
    if (++this.size * 2 > this.table.length) this.grow();
    return true;
  }

  has(h: number): boolean {
    const v = h === 0 ? 1 : h;
    let i = this.slot(v);
    for (;;) {
      const cur = this.table[i];
      if (cur === 0) return false;
      if (cur === v) return true;
      i = (i + 1) & this.mask;
    }
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  private slot(v: number): number {
    // low 32 bits are FNV-1a output: well mixed
    return (v % 4294967296) & this.mask;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    this.mask = this.table.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.add(old[i]);
  }
}
