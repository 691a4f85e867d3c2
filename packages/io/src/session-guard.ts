import { closeSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hash52Set } from '@scrubline/core';

/** Where a session started again: for the error. */
export interface Repeat {
  fileIdx: number;
  line: number;
}

/**
 * Detects a session id that comes back after other sessions, in bounded memory.
 * The last `window` finished sessions sit in an exact hash set and a repeat among
 * them is reported at once; every finished session is also spilled to disk in runs of
 * (hash, place) sorted by hash, which `firstRepeat` merges (`keepRuns`) to find the
 * earliest repeat, wherever it is. A run publishes nothing before its input has ended, so
 * the late check is as safe as an early one, and memory stays flat however many sessions
 * a file holds.
 */
export class SessionGuard {
  private set: Hash52Set;
  private readonly hashes: Float64Array;
  /** fileIdx × 2^32 + line, exact in a double for any realistic file count. */
  private readonly places: Float64Array;
  private n = 0;
  private readonly runs: string[] = [];
  private readonly dir: string;

  constructor(tmpDir: string, private readonly window = 1 << 16) {
    this.set = new Hash52Set(window);
    this.hashes = new Float64Array(window);
    this.places = new Float64Array(window);
    this.dir = join(tmpDir, `sessions-${process.pid}-${Date.now()}`);
  }

  /** Whether a session ever left the window (without that, every repeat was found at once). */
  get spilled(): boolean {
    return this.runs.length > 0;
  }

  /** Whether the session with this `hash52` finished within the recent window (it would be starting again). */
  seenRecently(h: number): boolean {
    return this.set.has(h);
  }

  /** Records a finished session (its `hash52`, computed once by the caller) and where it started. */
  close(h: number, fileIdx: number, line: number): void {
    this.set.add(h);
    this.hashes[this.n] = h;
    this.places[this.n] = fileIdx * 4294967296 + line;
    if (++this.n === this.window) this.spill();
  }

  /**
   * The sessions finished so far as runs on disk, unchecked: `firstRepeat` over them (and over the
   * runs of the other slices of a sliced read) finds a session that came back after the window. The
   * caller removes `dir`.
   */
  keepRuns(): { runs: string[]; dir: string } {
    if (this.n > 0) this.spill();
    return { runs: [...this.runs], dir: this.dir };
  }

  private spill(): void {
    const n = this.n;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const h = this.hashes;
    const p = this.places;
    order.sort((a, b) => h[a] - h[b] || p[a] - p[b]);
    const out = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = h[order[i]];
      out[2 * i + 1] = p[order[i]];
    }
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `run-${this.runs.length}.bin`);
    writeFileSync(path, new Uint8Array(out.buffer));
    this.runs.push(path);
    this.n = 0;
    this.set = new Hash52Set(this.window);
  }

  /** The earliest second appearance of a hash in runs of (hash, place) sorted by hash (places global). */
  static firstRepeat(runs: string[]): Repeat | null {
    const readers = runs.map((p) => new RunReader(p));
    // a binary heap of readers by (hash, place)
    const heap = readers.filter((r) => r.next());
    const less = (a: RunReader, b: RunReader) => a.hash < b.hash || (a.hash === b.hash && a.place < b.place);
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let prev = NaN;
    let worst = Infinity;
    try {
      while (heap.length) {
        const top = heap[0];
        // equal hashes arrive in place order: the second one is where the session came back
        if (top.hash === prev) worst = Math.min(worst, top.place);
        prev = top.hash;
        if (!top.next()) {
          const last = heap.pop()!;
          if (heap.length) heap[0] = last;
        }
        if (heap.length) down(0);
      }
    } finally {
      for (const r of readers) r.close();
    }
    return worst === Infinity ? null : { fileIdx: Math.floor(worst / 4294967296), line: worst % 4294967296 };
  }
}

/** Reads a run of (hash, place) pairs in blocks. */
class RunReader {
  private readonly fd: number;
  private readonly block = new Float64Array(8192);
  private len = 0;
  private i = 0;
  private pos = 0;
  hash = 0;
  place = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }
  next(): boolean {
    if (this.i >= this.len) {
      const bytes = readSync(this.fd, new Uint8Array(this.block.buffer), 0, this.block.byteLength, this.pos);
      this.pos += bytes;
      this.len = bytes / 8;
      this.i = 0;
      if (this.len === 0) return false;
    }
    this.hash = this.block[this.i++];
    this.place = this.block[this.i++];
    return true;
  }
  close(): void {
    closeSync(this.fd);
  }
}
