import { existsSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessSpill, readSpill, spillWriter, type ConversationRecord } from '@scrubline/core';

const tmp = () => mkdtempSync(join(tmpdir(), 'scrubline-spill-'));
const rec = (i: number): ConversationRecord => ({
  id: `c${i}`,
  turns: [
    { role: 'customer', text: `第${i}句话 😀 [PHONE_1] \u0000 "quoted" \\ tail` },
    { role: 'agent', text: 'é'.repeat(i % 7), labels: { canned: i % 2 ? 'welcome' : null } as never },
  ],
  labels: { y: i % 5, nested: { list: [1, 2.5, -3, true, null] } } as never,
  source: { file: 'in.jsonl', line: i + 1 },
  meta: { split: i % 3 ? 'train' : 'test' },
});

async function writeSpill(path: string, batches: ConversationRecord[][]): Promise<void> {
  const w = spillWriter(path);
  for (const b of batches) await w.write(b);
  await w.close();
}
const all = async (it: AsyncIterable<ConversationRecord[]>) => {
  const out: ConversationRecord[][] = [];
  for await (const b of it) out.push(b);
  return out;
};

describe('spills', () => {
  it('read back the records written, in the batches NDJSON spills give, across files, in either format', async () => {
    const dir = tmp();
    const records = Array.from({ length: 700 }, (_, i) => rec(i));
    // uneven batches, split over two files
    const first = [records.slice(0, 3), records.slice(3, 300), records.slice(300, 301)];
    const second = [records.slice(301, 650), [], records.slice(650)];
    const got: ConversationRecord[][][] = [];
    for (const ext of ['spill', 'ndjson']) {
      await writeSpill(join(dir, `a.${ext}`), first);
      await writeSpill(join(dir, `b.${ext}`), second);
      got.push(await all(readSpill([join(dir, `a.${ext}`), join(dir, `b.${ext}`)])));
    }
    expect(isProcessSpill(join(dir, 'a.spill'))).toBe(true);
    expect(isProcessSpill(join(dir, 'a.ndjson'))).toBe(false);
    // the NDJSON file is JSON lines; the other is not text
    expect(readFileSync(join(dir, 'a.ndjson'), 'utf8').split('\n')[0]).toBe(JSON.stringify(records[0]));
    expect(got[0].map((b) => b.length)).toEqual([256, 256, 188]);
    expect(got[0]).toEqual(got[1]);
    expect(got[0].flat()).toEqual(JSON.parse(JSON.stringify(records)));
  });

  it('a spill that cannot be written fails the write or the close with a coded error naming it, not the process', async () => {
    // both formats: structured clones (a run of all phases) and NDJSON (a phase of a sharded run)
    for (const name of ['s.spill', 's.ndjson']) {
      const path = join(tmp(), 'no-such-folder', name);
      const w = spillWriter(path);
      const written = (async () => {
        await w.write([rec(1)]);
        await new Promise((r) => setTimeout(r, 20)); // the open fails meanwhile
        await w.write([rec(2)]);
        await w.close();
      })();
      await expect(written, name).rejects.toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: path, cause: { code: 'ENOENT' } });
    }
  });

  it('a spill whose last write fails while it closes fails the close, coded', async () => {
    if (!existsSync('/dev/full')) return; // Linux: every write to it fails with ENOSPC
    for (const name of ['s.spill', 's.ndjson']) {
      const path = join(tmp(), name);
      symlinkSync('/dev/full', path);
      const w = spillWriter(path);
      await w.write([rec(1)]);
      await expect(w.close(), name).rejects.toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: path });
    }
  });

  it('a truncated or damaged spill fails with a coded error naming the file, and no record text', async () => {
    const dir = tmp();
    const path = join(dir, 's.spill');
    await writeSpill(path, [[rec(1), rec(2)], [rec(3)]]);
    const size = readFileSync(path).length;
    truncateSync(path, size - 5);
    const err = await all(readSpill(path)).then(
      () => null,
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'SCRUB_INTERNAL', file: path });
    expect(String(err.message)).not.toMatch(/句话/);
    writeFileSync(path, Buffer.from([8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await expect(all(readSpill(path))).rejects.toMatchObject({ code: 'SCRUB_INTERNAL', file: path });
    // a damaged length far past the file's end: refused before reading (Node aborted on a read of 2 GiB or more)
    for (const n of [0x80000000, 0x7fffffff, 0xffffffff, 100]) {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(n);
      writeFileSync(path, Buffer.concat([head, Buffer.alloc(40)]));
      await expect(all(readSpill(path))).rejects.toMatchObject({ code: 'SCRUB_INTERNAL', message: /truncated or damaged/ });
    }
  });
});
