import { describe, expect, it } from 'vitest';
import { LineSplitter, ScrubError, checkOptions } from '@scrubline/core';

describe('LineSplitter', () => {
  it('splits across chunk boundaries, handles CRLF and a last line without newline', () => {
    const s = new LineSplitter();
    const got: [string, number][] = [];
    const emit = (l: string, n: number) => got.push([l, n]);
    for (const c of ['ab', 'c\r\nde', 'f\n\ng', 'h']) s.push(c, emit);
    s.end(emit);
    expect(got).toEqual([
      ['abc', 1],
      ['def', 2],
      ['', 3],
      ['gh', 4],
    ]);
  });
});

describe('LineSplitter: CRLF lines at the length limit', () => {
  it('keeps a CRLF line of exactly maxLineLength and skips one character more, wherever the chunks end', () => {
    const max = 8;
    const text = 'a'.repeat(max) + '\r\n' + 'b'.repeat(max + 1) + '\r\n' + 'c\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      for (let cut2 = cut; cut2 <= text.length; cut2++) {
        const kept: [string, number][] = [];
        const tooLong: number[] = [];
        const sp = new LineSplitter({ maxLineLength: max, onTooLong: (line) => tooLong.push(line) });
        for (const chunk of [text.slice(0, cut), text.slice(cut, cut2), text.slice(cut2)]) sp.push(chunk, (l, n) => kept.push([l, n]));
        sp.end((l, n) => kept.push([l, n]));
        expect([kept, tooLong], `chunks cut at ${cut}, ${cut2}`).toEqual([[['a'.repeat(max), 1], ['c', 3]], [2]]);
      }
    }
  });
});

describe('ScrubError', () => {
  it('formats code, place and hint on one line', () => {
    const e = new ScrubError('SCRUB_CSV_FIELD_COUNT', 'row has 8 fields, expected 7', { file: 'a.tsv', line: 12, field: 'content', hint: 'check the delimiter' });
    expect(e.format()).toBe('SCRUB_CSV_FIELD_COUNT a.tsv:12 (content): row has 8 fields, expected 7 — check the delimiter');
    expect(e.toJSON()).toMatchObject({ code: 'SCRUB_CSV_FIELD_COUNT', line: 12 });
  });
});

describe('checkOptions', () => {
  it('names the path of an unknown key and suggests the close one', () => {
    const schema = { type: 'object', additionalProperties: false, properties: { threshold: { type: 'number' } } };
    expect(checkOptions(schema, { treshold: 1 }, 'steps[1].with')).toEqual([{ path: 'steps[1].with.treshold', message: "unknown option 'treshold'", hint: "did you mean 'threshold'?" }]);
    expect(checkOptions(schema, { threshold: 'x' }, 'w')[0]).toMatchObject({ path: 'w.threshold' });
  });
});
