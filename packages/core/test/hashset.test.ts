import { describe, expect, it } from 'vitest';
import { Hash52Set } from '@scrubline/core';

describe('Hash52Set', () => {
  it('is an exact set of hashes through many resizes', () => {
    const s = new Hash52Set(4);
    for (let i = 0; i < 50_000; i++) expect(s.addKey(`session-${i}`)).toBe(true);
    expect(s.size).toBe(50_000);
    for (let i = 0; i < 50_000; i++) expect(s.hasKey(`session-${i}`)).toBe(true);
    for (let i = 50_000; i < 60_000; i++) expect(s.hasKey(`session-${i}`)).toBe(false);
    expect(s.addKey('session-7')).toBe(false);
    expect(s.add(0)).toBe(true);
    expect(s.has(0)).toBe(true);
    expect(s.bytes).toBeLessThanOrEqual(50_001 * 4 * 8);
  });
});
