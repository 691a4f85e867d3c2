import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SideFile } from '../src/execute.js';

const dir = () => mkdtempSync(join(tmpdir(), 'scrubline-side-'));

describe('SideFile', () => {
  it('publishes the earlier parts, then its own entries, under its name', async () => {
    const d = dir();
    writeFileSync(join(d, 'part-0'), '{"n":0}\n');
    const f = new SideFile(join(d, 'dropped.ndjson'));
    f.add({ n: 1 });
    await f.close();
    await f.commit([join(d, 'part-0'), join(d, 'missing')]);
    expect(readFileSync(join(d, 'dropped.ndjson'), 'utf8')).toBe('{"n":0}\n{"n":1}\n');
    expect(readdirSync(d).sort()).toEqual(['dropped.ndjson', 'part-0']);
  });

  it('a write that fails fails close() with a coded error naming the file, not the process', async () => {
    if (!existsSync('/dev/full')) return; // Linux: every write to it fails with ENOSPC
    const d = dir();
    const path = join(d, 'quarantine.ndjson');
    symlinkSync('/dev/full', `${path}.tmp-${process.pid}`);
    const f = new SideFile(path);
    f.add({ id: 'x' });
    await expect(f.close()).rejects.toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: path });
    expect(existsSync(path)).toBe(false);
  });

  it('joining the parts fails before anything is published, coded, and abort() leaves no joined file', async () => {
    if (!existsSync('/dev/full')) return;
    const d = dir();
    const path = join(d, 'dropped.ndjson');
    writeFileSync(join(d, 'part-0'), '{"n":0}\n'.repeat(1000));
    symlinkSync('/dev/full', `${path}.tmp-${process.pid}.joined`);
    const f = new SideFile(path);
    f.add({ n: 1 });
    await f.close();
    await expect(f.prepare([join(d, 'part-0')])).rejects.toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: path });
    await f.abort();
    expect(readdirSync(d).sort()).toEqual(['part-0']);
  });
});
