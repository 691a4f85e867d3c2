import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { endPrestartedSliceWorkers, explicitRunThreads, prestartedSliceWorkers, prestartSliceWorkers, takePrestartedSliceWorkers } from '../src/early-slices.js';

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
