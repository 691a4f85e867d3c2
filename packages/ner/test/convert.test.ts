import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { convertWeibo, convertResume } from '../scripts/convert-ner-data.mjs';

describe('corpus converters (synthetic snippets in the corpora formats)', () => {
  it('Weibo BIO with segment digits: PER.NAM → PERSON, GPE/LOC.NAM → ADDRESS, NOM dropped', () => {
    const src = ['我0\tO', '叫0\tO', '张0\tB-PER.NAM', '伟1\tI-PER.NAM', '在0\tO', '杭0\tB-GPE.NAM', '州1\tI-GPE.NAM', '老0\tB-PER.NOM', '师1\tI-PER.NOM', '', '好0\tO', ''].join('\n');
    const items = convertWeibo(src);
    expect(items).toEqual([
      { id: 'weibo-dev-0001', text: '我叫张伟在杭州老师', spans: [{ type: 'PERSON', start: 2, end: 4 }, { type: 'ADDRESS', start: 5, end: 7 }] },
      { id: 'weibo-dev-0002', text: '好', spans: [] },
    ]);
  });
  it('Resume BMES: NAME → PERSON, ORG → ORG, S- single characters', () => {
    const src = ['李 B-NAME', '明 E-NAME', '， O', '王 S-NAME', '在 O', '华 B-ORG', '为 E-ORG', ''].join('\n');
    expect(convertResume(src)).toEqual([
      { id: 'resume-dev-0001', text: '李明，王在华为', spans: [{ type: 'PERSON', start: 0, end: 2 }, { type: 'PERSON', start: 3, end: 4 }, { type: 'ORG', start: 5, end: 7 }] },
    ]);
  });
});
