import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScrublinePlugin } from '@scrubline/core';
import { sliceInputs } from '../src/slices.js';
import { plugins } from '../src/plugins.js';

/** Files of the given sizes in a fresh folder, as resolveInputs lists them. */
function files(sizes: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'scrubline-slices-'));
  return sizes.map((n, i) => {
    const path = join(dir, `f${i}.ndjson`);
    writeFileSync(path, 'x'.repeat(n));
    return { path, name: `f${i}.ndjson` };
  });
}
const names = (slices: { name: string }[][]) => slices.map((s) => s.map((f) => f.name.slice(1, -7)).join(''));
const run = { phase: 'all' as const, shard: { index: 0, count: 1 }, plugins };

describe('sliceInputs: consecutive slices balanced by bytes', () => {
  it('cuts at the file boundary nearest to each share of the bytes, every slice keeping a file', async () => {
    // equal files: two and two
    expect(names(await sliceInputs({ ...run, threads: 2 }, files([25, 25, 25, 25]), false, 100))).toEqual(['01', '23']);
    // half the bytes fall just after the second file (4 of 9 before it): the nearest cut is still there
    // (a running-total rule once cut after the third, giving three files and one)
    expect(names(await sliceInputs({ ...run, threads: 2 }, files([2, 2, 3, 2]), false, 9))).toEqual(['01', '23']);
    // one big file at the end takes a slice of its own
    expect(names(await sliceInputs({ ...run, threads: 2 }, files([1, 1, 1, 97]), false, 100))).toEqual(['012', '3']);
    expect(names(await sliceInputs({ ...run, threads: 3 }, files([97, 1, 1, 1]), false, 100))).toEqual(['0', '1', '23']);
    // more threads than files: a file each
    expect(names(await sliceInputs({ ...run, threads: 8 }, files([5, 5, 5]), false, 15))).toEqual(['0', '1', '2']);
  });

  it('one slice where slicing cannot help or cannot be exact', async () => {
    const fs4 = files([10, 10, 10, 10]);
    expect(await sliceInputs({ ...run, threads: 1 }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2, phase: 0 }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2, shard: { index: 0, count: 2 } }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, fs4, true, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, files([10]), false, 10)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, [...fs4, { path: '-', name: '-' }], false, 40)).toHaveLength(1);
    const own: ScrublinePlugin = { name: 'mine', stages: [] };
    expect(await sliceInputs({ ...run, threads: 2, plugins: [...plugins, own] }, fs4, false, 40)).toHaveLength(1);
    // auto: not below 64 MB
    expect(await sliceInputs({ ...run, threads: 'auto' }, fs4, false, 40)).toHaveLength(1);
  });
});
