import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { reportError } from '../src/execute.js';

const capture = (e: unknown) => {
  const s = new PassThrough();
  let out = '';
  s.on('data', (b: Buffer) => (out += b.toString()));
  const code = reportError(e, s);
  return { code, out };
};

describe('reportError', () => {
  afterEach(() => {
    delete process.env.SCRUBLINE_DEBUG;
  });

  it('an unexpected error is one coded line without the raw value; with SCRUBLINE_DEBUG the stack frames follow, still without it', () => {
    const e = new Error('Unexpected token, "call 13812345678 or zhang.wei@example.com" is not valid JSON');
    const plain = capture(e);
    expect(plain.out).toMatch(/^scrubline: error SCRUB_INTERNAL: /);
    expect(plain.out.trim().split('\n')).toHaveLength(1);
    process.env.SCRUBLINE_DEBUG = '1';
    const debug = capture(e);
    expect(debug.out).toMatch(/\n\s+at /);
    for (const out of [plain.out, debug.out]) {
      expect(out).not.toContain('13812345678');
      expect(out).not.toContain('zhang.wei');
    }
    expect(debug.code).toBe(plain.code);
  });
});
