import { describe, expect, it } from 'vitest';
import { labelReportKey, LabelValueGuard } from '../src/index.js';

describe('labelReportKey', () => {
  it('keeps class labels, including words with spaces, as they are', () => {
    for (const v of ['1', '5', 'positive', 'very good', 'not  satisfied', 'train', '满意', '非常 满意']) expect(labelReportKey(v)).toBe(v);
  });

  it('masks values that look identifying, with or without spaces', () => {
    expect(labelReportKey('13812345678')).toBe('###########');
    expect(labelReportKey('call 13812345678')).not.toContain('1381');
    expect(labelReportKey('a@b.cn')).not.toContain('a@b');
    expect(labelReportKey('see https://x.example/abc')).not.toContain('example');
    for (const v of ['138 - 1234 - 5678', '138 / 1234 / 5678', '138 — 1234 — 5678']) expect(labelReportKey(v), v).not.toMatch(/[0-9]/);
  });
});

describe('LabelValueGuard', () => {
  it('fails past the cap naming the path and the count, never a value', () => {
    const g = new LabelValueGuard({ stage: 'split', field: 'labelPath', path: 'meta.phone' }, 3);
    for (const v of ['13800000001', '13800000002', '13800000003']) g.add(v);
    expect(() => g.check()).not.toThrow();
    g.add('13800000004');
    expect(() => g.check()).toThrow(/labelPath 'meta.phone' has at least 4 distinct values/);
    try {
      g.check();
    } catch (e) {
      expect(String((e as Error).message)).not.toMatch(/1380/);
    }
  });
});
