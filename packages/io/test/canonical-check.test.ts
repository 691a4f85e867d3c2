import { describe, expect, it } from 'vitest';
import { ScrubError } from '@scrubline/core';
import { mapCanonical } from '@scrubline/io';

describe('mapCanonical', () => {
  it('refuses a record outside the published schema with the field path in the error context, never the value', () => {
    const bad = { id: 'r1', turns: [{ role: 'customer', text: 'hi', phone: '13844445555' }], labels: {}, meta: {}, source: { file: 'a.jsonl', line: 1 } };
    let err: unknown;
    try {
      mapCanonical(bad, { file: 'a.jsonl', line: 7 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScrubError);
    const e = err as ScrubError;
    expect(e.code).toBe('SCRUB_RECORD_INVALID');
    expect(e.field).toBe('turns[0].phone');
    expect(e.format()).toMatch(/^SCRUB_RECORD_INVALID a\.jsonl:7 \(turns\[0\]\.phone\): /);
    expect(e.format()).not.toContain('13844445555');
  });
});

describe('encodingMismatch', () => {
  it('names the line of an overlong form or a surrogate, which a lead-and-continuation check alone passes', async () => {
    const { encodingMismatch } = await import('../src/decode.js');
    for (const bad of [[0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const buf = Buffer.concat([Buffer.from('{"a":1}\n{"b":2}\n'), Buffer.from(bad), Buffer.from('\n{"c":3}\n')]);
      expect(encodingMismatch('x.jsonl', 'utf-8', buf, 0).line).toBe(3);
    }
  });
});
