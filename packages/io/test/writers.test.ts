import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { OutputParts, OutputSet } from '@scrubline/io';
import { tmp } from './helpers.js';

const rec = (i: number): ConversationRecord => ({ id: `r${i}`, turns: [{ role: 'customer', text: `第${i}条消息` }], labels: {}, source: { file: 'x', line: i }, meta: {} });

describe('OutputSet', () => {
  it('writes to a stream it was given without reusing buffers the stream still holds', async () => {
    // a PassThrough hands on the very buffers written to it; keep them, as a consumer that has not
    // looked at them yet would, and compare only at the end
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const out = new OutputSet({ path: '-', baseDir: tmp(), stdout });
    const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 50 }, (_, i) => rec(b * 50 + i)));
    for (const b of batches) {
      await out.write(b);
      await new Promise((r) => setImmediate(r)); // as between batches read from a file: write callbacks run
    }
    await out.close();
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    expect(lines).toEqual(batches.flat().map((r) => JSON.stringify(r)));
  });
});

describe('OutputParts and OutputSet.writePart', () => {
  it('units encoded apart and copied in order make the bytes of one OutputSet, in every format and for a path template', async () => {
    // records for two files by template; some units hold none for a file, one holds none at all
    const recs = Array.from({ length: 60 }, (_, i) => ({ ...rec(i), meta: { lang: i % 3 === 0 ? 'en' : 'zh' }, turns: [{ role: 'customer' as const, text: `第${i}条, "引号"\n换行` }] }));
    const units = [recs.slice(0, 7), [], recs.slice(7, 8), recs.slice(8, 60)];
    for (const path of ['out.ndjson', 'out.json', 'out.csv', '{meta.lang}/out.json', '{meta.lang}/out.csv']) {
      const one = tmp();
      const whole = new OutputSet({ path, baseDir: one });
      for (const b of [recs.slice(0, 20), recs.slice(20, 21), recs.slice(21)]) await whole.write(b);
      const a = await whole.close();
      const two = tmp();
      const joined = new OutputSet({ path, baseDir: two });
      for (const [i, u] of units.entries()) {
        const parts = new OutputParts({ path, dir: `${two}/parts-${i}` });
        for (let k = 0; k < u.length; k += 5) parts.write(u.slice(k, k + 5));
        for (const part of parts.close()) await joined.writePart(part);
      }
      const b = await joined.close();
      expect(b.map((w) => ({ ...w, path: w.path.slice(two.length) })), path).toEqual(a.map((w) => ({ ...w, path: w.path.slice(one.length) })));
      expect(a.reduce((n, w) => n + w.records, 0)).toBe(60);
    }
  });
});

describe('OutputSet: a write that fails', () => {
  it('fails the run with a coded error naming the file, at the next write or at close, instead of an unheard error event', async () => {
    if (!existsSync('/dev/full')) return; // Linux: every write to it fails with ENOSPC
    const dir = tmp();
    // the temp name the set writes under is known: make it a link to /dev/full
    symlinkSync('/dev/full', join(dir, `out.ndjson.tmp-${process.pid}`));
    const out = new OutputSet({ path: 'out.ndjson', baseDir: dir });
    const big = Array.from({ length: 2000 }, (_, i) => rec(i));
    let error: unknown = null;
    try {
      for (let k = 0; k < 50; k++) {
        await out.write(big);
        await new Promise((r) => setTimeout(r, 5)); // the write reaches the file and fails meanwhile
      }
      await out.close();
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: join(dir, 'out.ndjson') });
  });

  it('also when the only write fails while close() waits for it (end() hears of it before the error event)', async () => {
    if (!existsSync('/dev/full')) return;
    for (const path of ['out.ndjson', 'out.json']) {
      const dir = tmp();
      symlinkSync('/dev/full', join(dir, `${path}.tmp-${process.pid}`));
      const out = new OutputSet({ path, baseDir: dir });
      await out.write([rec(1), rec(2)]);
      await expect(out.close(), path).rejects.toMatchObject({ code: 'SCRUB_OUTPUT_FAILED', file: join(dir, path) });
    }
  });
});
