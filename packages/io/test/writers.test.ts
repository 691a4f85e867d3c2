import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { OutputSet } from '@scrubline/io';
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
