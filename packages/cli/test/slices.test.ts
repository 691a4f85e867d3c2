import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ScrublinePlugin } from '@scrubline/core';
import { resolveInputs } from '@scrubline/io';
import { LocalSliceRun, sliceInputs, UNITS_PER_THREAD, type SliceRunOptions } from '../src/slices.js';
import { prestartedSliceWorkers, prestartSliceWorkers } from '../src/early-slices.js';
import { buildRegistry } from '../src/main.js';
import { validatePipeline } from '../src/pipeline.js';
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
const runAll = { phase: 'all' as const, shard: { index: 0, count: 1 }, plugins };

describe('sliceInputs: consecutive units balanced by bytes', () => {
  it('cuts at the file boundary nearest to each share of the bytes, every unit keeping a file', async () => {
    const run = { ...runAll, unitsPerThread: 1 };
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

  it('up to UNITS_PER_THREAD units per thread, never more than the files', async () => {
    expect(UNITS_PER_THREAD).toBe(8);
    // fewer files than units: a file each
    expect(names(await sliceInputs({ ...runAll, threads: 2 }, files([25, 25, 25, 25]), false, 100))).toEqual(['0', '1', '2', '3']);
    // 40 equal files on 2 threads: 16 units of 2 or 3 consecutive files, every file once, in order
    const units = await sliceInputs({ ...runAll, threads: 2 }, files(Array(40).fill(10)), false, 400);
    expect(units).toHaveLength(16);
    expect(units.every((u) => u.length === 2 || u.length === 3)).toBe(true);
    expect(units.flat().map((f) => f.name)).toEqual(Array.from({ length: 40 }, (_, i) => `f${i}.ndjson`));
  });

  it('one unit where slicing cannot help or cannot be exact', async () => {
    const run = runAll;
    const fs4 = files([10, 10, 10, 10]);
    expect(await sliceInputs({ ...run, threads: 1 }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2, phase: 0 }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2, shard: { index: 0, count: 2 } }, fs4, false, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, fs4, true, 40)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, files([10]), false, 10)).toHaveLength(1);
    expect(await sliceInputs({ ...run, threads: 2 }, [...fs4, { path: '-', name: '-' }], false, 40)).toHaveLength(1);
    const own: ScrublinePlugin = { name: 'mine', stages: [] };
    expect(await sliceInputs({ ...run, threads: 2, plugins: [...plugins, own] }, fs4, false, 40)).toHaveLength(1);
    // auto: not below AUTO_SLICE_BYTES (32 MB)
    expect(await sliceInputs({ ...run, threads: 'auto' }, fs4, false, 40)).toHaveLength(1);
  });
});

/** A LocalSliceRun over files in `dir`, with the shipped rules, its scratch in dir/work, no side files. */
function sliceRun(dir: string, o: Pick<SliceRunOptions, 'files' | 'slices' | 'threads' | 'steps' | 'input'> & Partial<SliceRunOptions>): LocalSliceRun {
  return new LocalSliceRun({
    seed: '1',
    strict: false,
    baseDir: dir,
    rulesDir: fileURLToPath(new URL('../../../rules', import.meta.url)),
    workDir: join(dir, 'work'),
    sidePart: () => undefined,
    fileInfos: [],
    warnings: [],
    progress: () => {},
    show: () => {},
    output: { path: 'out.ndjson', shard: 0, transparent: false },
    ...o,
  });
}

describe('LocalSliceRun: this thread takes units too', () => {
  it('stop() ends the unit this thread runs at its next batch, waits for it, and starts no other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-pool-'));
    const line = (id: string) => JSON.stringify({ id, turns: [{ role: 'customer', text: `你好，订单 ${id} 什么时候到？` }], labels: {}, source: { file: 'x', line: 1 }, meta: {} });
    const perFile = 20000; // about 2 MB a file: progress is said every MB
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.ndjson`), Array.from({ length: perFile }, (_, i) => line(`${name}${i}`)).join('\n') + '\n');
    const input = { files: '*.ndjson', format: 'ndjson' as const };
    const { steps } = validatePipeline({ version: 1, input, steps: [{ use: 'pii' }, { use: 'dedup' }], output: { path: 'out.ndjson' } } as never, buildRegistry(plugins), { file: 'p.yaml', baseDir: dir });
    const files = await resolveInputs(input.files, dir, { index: 0, count: 1 });
    let records = 0;
    let said!: () => void;
    const saidSome = new Promise<void>((res) => (said = res));
    const run = sliceRun(dir, {
      files,
      slices: files.map((f) => [f]),
      threads: 1, // this thread alone: no worker
      steps,
      input,
      progress: (_bytes, n) => {
        records += n;
        said();
      },
    });
    expect(run.threads).toBe(1);
    run.start();
    run.provide('pii', undefined); // as the runner does for a step with a preload (none here: the stage reads its packs)
    await saidSome;
    await run.stop();
    const after = records;
    await expect(run.runAll()).rejects.toMatchObject({ code: 'SCRUB_INTERNAL' });
    // it stopped inside the first file: nothing more was read after stop(), and b and c were never started
    await new Promise((r) => setTimeout(r, 50));
    expect(records).toBe(after);
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(perFile);
    expect(existsSync(join(dir, 'work/spill/phase-1/slice-1-of-3.spill'))).toBe(false);
  });
});

describe('LocalSliceRun: workers started with the CLI', () => {
  it('takes them for its units, ends those it has no use for, and runs as with fresh workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-early-'));
    const line = (id: string) => JSON.stringify({ id, turns: [{ role: 'customer', text: `你好 ${id}，电话 13812345678` }], labels: {}, source: { file: 'x', line: 1 }, meta: {} });
    for (const name of ['a', 'b']) writeFileSync(join(dir, `${name}.ndjson`), Array.from({ length: 50 }, (_, i) => line(`${name}${i}`)).join('\n') + '\n');
    const input = { files: '*.ndjson', format: 'ndjson' as const };
    const { steps } = validatePipeline({ version: 1, input, steps: [{ use: 'pii' }, { use: 'dedup' }], output: { path: 'out.ndjson' } } as never, buildRegistry(plugins), { file: 'p.yaml', baseDir: dir });
    const files = await resolveInputs(input.files, dir, { index: 0, count: 1 });
    const results = [];
    for (const early of [true, false]) {
      if (early) {
        // two started early where there are two cores (one per call): the run has a use for one
        prestartSliceWorkers(['run', 'p.yaml', '--threads', '2'], {});
        prestartSliceWorkers(['run', 'p.yaml', '--threads', '2'], {});
      }
      const run = sliceRun(join(dir, String(early)), { files, slices: files.map((f) => [f]), threads: 2, steps, input, baseDir: dir });
      run.start();
      run.provide('pii', undefined);
      expect(prestartedSliceWorkers()).toBe(0);
      const r = await run.runAll();
      results.push(r.map((x) => ({ records: x.ledger.input.records, spill: readFileSync(x.spill).toString('base64') })));
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0].map((x) => x.records)).toEqual([50, 50]);
  });
});

describe('LocalSliceRun: errors come out as one thread meets them', () => {
  it('a later unit that fails outside its stages (its lines-before count cannot be read) does not stand in for an earlier unit that fails on its input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-ready-'));
    const line = (id: string) => JSON.stringify({ id, turns: [{ role: 'customer', text: `你好 ${id}` }], labels: {}, source: { file: 'x', line: 1 }, meta: {} });
    writeFileSync(join(dir, 'a.ndjson'), [...Array.from({ length: 3000 }, (_, i) => line(`a${i}`)), '{broken', line('z')].join('\n') + '\n');
    const input = { files: '*.ndjson', format: 'ndjson' as const };
    const { steps } = validatePipeline({ version: 1, input, steps: [{ use: 'pii' }, { use: 'dedup' }], output: { path: 'out.ndjson' } } as never, buildRegistry(plugins), { file: 'p.yaml', baseDir: dir });
    const a = { path: join(dir, 'a.ndjson'), name: 'a.ndjson' };
    // the second unit: a later range of a file that is gone, whose lines-before scan fails at once
    const gone = { path: join(dir, 'gone.ndjson'), name: 'gone.ndjson', range: { start: 100, end: 200, linesBefore: -1 } };
    const run = sliceRun(dir, { files: [a, { path: gone.path, name: gone.name }], slices: [[a], [gone]], threads: 2, steps, input, strict: true });
    run.start();
    run.provide('pii', undefined);
    // the stages were made in the first unit: nothing to say before phase 0 (was: the second unit's read error)
    await expect(run.ready()).resolves.toBeUndefined();
    await expect(run.runAll()).rejects.toMatchObject({ code: 'SCRUB_JSON_PARSE', file: 'a.ndjson', line: 3001 });
  });
});

describe('LocalSliceRun: the last phase on the same threads', () => {
  it("yields the units in input order; a unit that fails gives its error after the units before it, also when a later unit failed first", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-last-'));
    const line = (id: string, role: string, text: string) => JSON.stringify({ id, turns: [{ role, text }, { role: 'customer', text: `订单 ${id} 到哪了` }], labels: {}, source: { file: 'x', line: 1 }, meta: {} });
    // the same agent greeting in every conversation: frequent for bot-filter
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `${name}.ndjson`), Array.from({ length: 3000 }, (_, i) => line(`${name}${i}`, 'agent', '您好，欢迎光临本店')).join('\n') + '\n');
    const input = { files: '*.ndjson', format: 'ndjson' as const };
    const { steps } = validatePipeline({ version: 1, input, steps: [{ use: 'pii' }, { use: 'bot-filter', with: { frequency: { minSessions: 2 } } }], output: { path: 'out.ndjson' } } as never, buildRegistry(plugins), { file: 'p.yaml', baseDir: dir });
    const files = await resolveInputs(input.files, dir, { index: 0, count: 1 });
    const lastOf = async (damage: (spills: string[]) => void) => {
      const run = sliceRun(join(dir, String(Math.random())), { files, slices: files.map((f) => [f]), threads: 3, steps, input, baseDir: dir });
      run.start();
      run.provide('pii', undefined);
      const results = await run.runAll(true);
      const spills = results.map((r) => r.spill);
      damage(spills);
      const got: { records: number; parts: number }[] = [];
      let error: unknown = null;
      try {
        for await (const r of run.runLast({ fromStep: 1, state: results[0].state, spills })) got.push({ records: r.ledger.output.records, parts: (r.output as unknown[]).length });
      } catch (e) {
        error = e;
      } finally {
        await run.stop();
      }
      return { got, error, spills };
    };
    const ok = await lastOf(() => {});
    expect(ok.error).toBeNull();
    expect(ok.got).toEqual([3000, 3000, 3000].map((records) => ({ records, parts: 1 })));
    // each unit's spill went once it was read
    expect(ok.spills.filter((f) => existsSync(f))).toEqual([]);
    // the second unit's spill cut short at its end (it fails late), the third's at its start (it fails at once)
    const bad = await lastOf((spills) => {
      truncateSync(spills[1], readFileSync(spills[1]).length - 5);
      truncateSync(spills[2], 3);
    });
    expect(bad.got).toEqual([{ records: 3000, parts: 1 }]);
    expect(bad.error).toMatchObject({ code: 'SCRUB_INTERNAL', file: bad.spills[1] });
    // with its counts as far as it came (the records of every batch but the cut one), for the failed run's report
    const counted = (bad.error as { unitLedger?: { stages: { id: string; counts: { in: number } }[] } }).unitLedger!.stages.find((s) => s.id === 'bot-filter')!.counts.in;
    expect(counted).toBeGreaterThan(2000);
    expect(counted).toBeLessThan(3000);
  });
});

describe('sliceInputs: a big JSON Lines file is cut at line ends', () => {
  const docs = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `d${from + i}`, turns: [{ role: 'customer', text: `第${from + i}句话，价格 ${i} 元` }] })).join('\n') + '\n';
  const input = { files: '*', format: 'ndjson' as const };

  it('into ranges that follow each other, each starting just after a newline, smaller towards the end, the lines before counted later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-ranges-'));
    const text = docs(20000);
    writeFileSync(join(dir, 'big.ndjson'), text);
    const size = Buffer.byteLength(text);
    const units = await sliceInputs({ ...runAll, threads: 2, input, minRangeBytes: 64 * 1024 }, [{ path: join(dir, 'big.ndjson'), name: 'big.ndjson' }], false, size);
    const n = units.length;
    expect(n).toBeGreaterThan(8);
    const ranges = units.map((u) => {
      expect(u).toHaveLength(1);
      return u[0].range!;
    });
    expect(ranges[0]).toEqual({ start: 0, end: ranges[1].start, linesBefore: 0 });
    expect(ranges[n - 1].end).toBe(size);
    // the first takes half a thread's share (a quarter of the input on two threads, to the next line end), the later ones less, none below the floor
    const lengths = ranges.map((r) => r.end - r.start);
    expect(Math.abs(lengths[0] - size / 4)).toBeLessThan(200);
    for (let k = 1; k < n - 1; k++) expect(lengths[k]).toBeLessThanOrEqual(lengths[k - 1] + 200);
    expect(Math.min(...lengths)).toBeGreaterThan(64 * 1024 - 200); // to a line end
    expect(lengths[n - 2]).toBeLessThan(2 * 64 * 1024);
    const bytes = Buffer.from(text);
    for (let k = 1; k < n; k++) {
      expect(ranges[k].start).toBe(ranges[k - 1].end);
      expect(bytes[ranges[k].start - 1]).toBe(10);
      expect(ranges[k].linesBefore).toBe(-1);
    }
    // without ranges' floor lowered: 1.3 MB is below two ranges of MIN_RANGE_BYTES, so the file stays whole
    expect(await sliceInputs({ ...runAll, threads: 2, input }, [{ path: join(dir, 'big.ndjson'), name: 'big.ndjson' }], false, size)).toHaveLength(1);
  });

  it('not gzip, not GB18030, not a row export, not a JSON array; a small file beside a big one stays whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-ranges-'));
    const text = docs(20000);
    writeFileSync(join(dir, 'big.ndjson.gz'), gzipSync(text));
    writeFileSync(join(dir, 'big.ndjson'), text);
    writeFileSync(join(dir, 'small.ndjson'), docs(10, 20000));
    writeFileSync(join(dir, 'gbk.ndjson'), Buffer.concat([Buffer.from(text), Buffer.from([0xc4, 0xe3, 0x0a])]));
    const f = (name: string) => ({ path: join(dir, name), name });
    const cut = (files: { path: string; name: string }[], inp: object = input) => sliceInputs({ ...runAll, threads: 2, input: inp as never, minRangeBytes: 64 * 1024 }, files, false, 2 << 20);
    const gz = await cut([f('big.ndjson.gz')]);
    expect(gz).toHaveLength(1);
    expect(gz[0][0].range).toBeUndefined();
    expect(await cut([f('big.ndjson')], { ...input, encoding: 'gbk' })).toHaveLength(1);
    expect(await cut([f('big.ndjson')], { ...input, format: 'json' })).toHaveLength(1);
    // auto: the first 64 KiB are UTF-8, so the file is cut (a later bad byte fails where one reader fails)
    expect((await cut([f('gbk.ndjson')], { ...input, encoding: 'auto' })).length).toBeGreaterThan(1);
    const mixed = await cut([f('small.ndjson'), f('big.ndjson')]);
    expect(mixed.flat().filter((x) => x.name === 'small.ndjson')).toEqual([f('small.ndjson')]);
    expect(mixed.flat().filter((x) => x.range).length).toBeGreaterThan(1);
  });

  it('a big file after small ones: its ranges near the end of the input are small units of their own; equal files stay whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-ranges-'));
    const make = (name: string, n: number, from: number) => {
      writeFileSync(join(dir, `${name}.ndjson`), docs(n, from));
      return { path: join(dir, `${name}.ndjson`), name: `${name}.ndjson` };
    };
    const files = [make('a', 1000, 0), make('b', 1000, 1000), make('c', 1000, 2000), make('d', 20000, 3000)];
    const units = await sliceInputs({ ...runAll, threads: 2, input, minRangeBytes: 64 * 1024 }, files, false, 2 << 20);
    // every file once, in order, whole or in ranges that follow each other
    expect(units.flat().map((x) => x.name).filter((n, i, a) => a[i - 1] !== n)).toEqual(['a.ndjson', 'b.ndjson', 'c.ndjson', 'd.ndjson']);
    for (const u of units) if (u.some((x) => x.range)) expect(u).toHaveLength(1);
    const ranges = units.flat().filter((x) => x.range).map((x) => x.range!.end - x.range!.start);
    expect(ranges.length).toBeGreaterThan(4);
    expect(units[units.length - 1][0].name).toBe('d.ndjson');
    expect(ranges[ranges.length - 2]).toBeLessThan(ranges[0] / 4);
    // four equal files share out evenly on two threads: none is cut (cutting costs a second read and more units)
    const equal = ['e', 'f', 'g', 'h'].map((name, k) => make(name, 20000, 30000 + k * 20000));
    const whole = await sliceInputs({ ...runAll, threads: 2, input, minRangeBytes: 64 * 1024 }, equal, false, 6 << 20);
    expect(whole).toEqual(equal.map((f) => [f]));
  });
});
