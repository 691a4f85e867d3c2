import { describe, expect, it } from 'vitest';
import { ScrubError } from '@scrubline/core';

describe('ScrubError', () => {
  it('serialises with the record id masked (an id can be a phone number or a name)', () => {
    const e = new ScrubError('SCRUB_STAGE_FAILED', 'stage x failed', { record: '13812345678', stage: 'x', file: 'a.jsonl', line: 3 });
    const json = JSON.stringify(e);
    expect(json).not.toContain('13812345678');
    expect(JSON.parse(json)).toMatchObject({ code: 'SCRUB_STAGE_FAILED', stage: 'x', file: 'a.jsonl', line: 3 });
    expect(JSON.stringify(new ScrubError('SCRUB_STAGE_FAILED', 'm', { record: '张伟' }))).not.toContain('张伟');
    // the live error keeps the id for the code that handles it (the quarantine file is data-side)
    expect(e.record).toBe('13812345678');
    expect(JSON.parse(JSON.stringify(new ScrubError('SCRUB_INTERNAL', 'm')))).not.toHaveProperty('record');
  });
});
