import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AUTO_SLICE_BYTES,
  endPrestartedSliceWorkers,
  explicitRunThreads,
  pipelineInputBytes,
  prestartedSliceWorkers,
  prestartSliceWorkers,
  runThreadsArg,
  sliceThreads,
  takePrestartedSliceWorkers,
} from '../src/early-slices.js';

describe('slice workers started with the CLI (`run --threads N`)', () => {
  it('reads the thread count as parseArgs would, and starts nothing where the run will not be sliced', () => {
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '4'], {})).toBe(4);
    expect(explicitRunThreads(['run', 'p.yaml', '--threads=3', '--quiet'], {})).toBe(3);
    expect(explicitRunThreads(['run', '--threads', '2', 'p.yaml', '--threads', '5'], {})).toBe(5); // the last one wins
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--phase', 'all'], {})).toBe(2);
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--phase=all'], {})).toBe(2);
    // auto or none: the run decides from the input's size
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', 'auto'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2.5'], {})).toBeNull();
    // other commands, help, a shard or a single phase: never sliced
    expect(explicitRunThreads(['scrub', '--threads', '2'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--help'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--shard', '0/2'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--phase', '0'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2', '--phase=1'], {})).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2'], { SLURM_ARRAY_TASK_ID: '1' })).toBeNull();
    expect(explicitRunThreads(['run', 'p.yaml', '--threads', '2'], { JOB_COMPLETION_INDEX: '0' })).toBeNull();
    // after --, arguments are not options
    expect(explicitRunThreads(['run', 'p.yaml', '--', '--threads', '2'], {})).toBeNull();
  });

  it('starts N − 1 workers for N threads (at most one fewer than the cores), hands out what is asked for, and ends the rest', async () => {
    prestartSliceWorkers(['run', 'p.yaml', '--threads', '1'], {});
    expect(prestartedSliceWorkers()).toBe(0);
    const cores = availableParallelism();
    prestartSliceWorkers(['run', 'p.yaml', '--threads', '3'], {});
    const started = Math.min(3, cores) - 1;
    expect(prestartedSliceWorkers()).toBe(started);
    prestartSliceWorkers(['run', 'p.yaml', '--threads', '2'], {}); // one more where there are two cores
    expect(prestartedSliceWorkers()).toBe(started + Math.min(2, cores) - 1);
    const before = prestartedSliceWorkers();
    const taken = takePrestartedSliceWorkers(1);
    expect(taken).toHaveLength(Math.min(1, before));
    expect(prestartedSliceWorkers()).toBe(before - taken.length);
    endPrestartedSliceWorkers();
    expect(prestartedSliceWorkers()).toBe(0);
    expect(takePrestartedSliceWorkers(2)).toEqual([]);
    // the one taken is a live slice worker: it ends when told there is no more work
    for (const w of taken) {
      const exited = new Promise<number>((res) => w.once('exit', res));
      w.postMessage({ type: 'end' });
      expect(await exited).toBe(0);
    }
  });
});

describe('slice workers started with the CLI for `--threads auto` (the default)', () => {
  it('finds the pipeline file among run\'s options', () => {
    expect(runThreadsArg(['run', 'p.yaml'], {})).toEqual({ threads: 'auto', pipeline: 'p.yaml' });
    expect(runThreadsArg(['run', '--work-dir', 'w', '-q', '--seed=3', 'p.yaml', '--strict'], {})).toEqual({ threads: 'auto', pipeline: 'p.yaml' });
    expect(runThreadsArg(['run', '--threads', 'auto', '--rules-dir', 'r', 'p.yaml'], {})).toEqual({ threads: 'auto', pipeline: 'p.yaml' });
    expect(runThreadsArg(['run', '--threads', '3', '--', '-odd.yaml'], {})).toEqual({ threads: 3, pipeline: '-odd.yaml' });
    expect(runThreadsArg(['run', 'p.yaml', '--shard', '0/2'], {})).toBeNull();
  });

  it('sizes the input from the pipeline file: paths and globs against its folder; null for stdin or anything unclear', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-early-'));
    try {
      mkdirSync(join(dir, 'in'));
      writeFileSync(join(dir, 'in', 'a.ndjson'), 'x'.repeat(100));
      writeFileSync(join(dir, 'in', 'b.ndjson'), 'x'.repeat(20));
      writeFileSync(join(dir, 'one.csv'), 'x'.repeat(7));
      const pipeline = (files: string) => {
        writeFileSync(join(dir, 'p.yaml'), `version: 1\ninput:\n  files: ${files}\nsteps: []\noutput:\n  path: out/o.ndjson\n`);
        return pipelineInputBytes('p.yaml', dir);
      };
      expect(pipeline('in/*.ndjson')).toBe(120);
      expect(pipeline('in/a.ndjson')).toBe(100);
      expect(pipeline('[in/a.ndjson, one.csv, "in/*.ndjson"]')).toBe(127); // a file named twice counts once
      expect(pipeline('"-"')).toBeNull();
      expect(pipeline('missing.ndjson')).toBeNull();
      expect(pipeline('[unclosed')).toBeNull();
      // an empty pattern or a folder: the run reports them, nothing is sized
      expect(pipeline('""')).toBeNull();
      expect(pipeline('[in/a.ndjson, ""]')).toBeNull();
      expect(pipeline('in')).toBeNull();
      expect(pipelineInputBytes('no-such.yaml', dir)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the workers auto would use for an input of at least AUTO_SLICE_BYTES, none for a smaller one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-early-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), 'version: 1\ninput:\n  files: big.ndjson\nsteps: []\noutput:\n  path: out/o.ndjson\n');
      writeFileSync(join(dir, 'big.ndjson'), '');
      truncateSync(join(dir, 'big.ndjson'), AUTO_SLICE_BYTES - 1); // sparse: no disk used
      endPrestartedSliceWorkers();
      prestartSliceWorkers(['run', 'p.yaml'], {}, dir);
      expect(prestartedSliceWorkers()).toBe(0);
      truncateSync(join(dir, 'big.ndjson'), AUTO_SLICE_BYTES);
      prestartSliceWorkers(['run', 'p.yaml', '--threads', 'auto'], {}, dir);
      const auto = sliceThreads('auto', AUTO_SLICE_BYTES);
      expect(prestartedSliceWorkers()).toBe(Math.min(auto, availableParallelism()) - 1);
      // a shard never slices: nothing starts
      endPrestartedSliceWorkers();
      prestartSliceWorkers(['run', 'p.yaml'], { SLURM_ARRAY_TASK_ID: '0' }, dir);
      expect(prestartedSliceWorkers()).toBe(0);
    } finally {
      endPrestartedSliceWorkers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
