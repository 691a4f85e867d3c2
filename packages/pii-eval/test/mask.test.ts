import { describe, expect, it } from 'vitest';
import { maskLetters, safeId } from '@scrubline/core';
import { maskContext, maskPlain } from '@scrubline/pii-eval';

// core's maskLetters and safeId are the masking the pii stage, the residual scan, eval-pii and the HTML report share.
describe('maskLetters', () => {
  it('masks every letter and number outside placeholders, keeping the shape', () => {
    expect(maskLetters('我叫王小明，Tom Baker，电话[PHONE_1]，订单[订单x]')).toBe('＊＊＊＊＊，xxx xxxxx，＊＊[PHONE_1]，＊＊[订单x]');
    // numbers of any script (full-width, circled) and Chinese numerals
    expect(maskLetters('１３８①一三八')).toBe('####＊＊＊');
    // other scripts, combining marks with their letter
    expect(maskLetters('Ива́н สมชาย')).toBe('＊＊＊＊ ＊＊＊＊＊');
    expect(maskLetters('[EMAIL:3fa9c0de] [PHONE] a@b.cn')).toBe('[EMAIL:3fa9c0de] [PHONE] ******');
  });

  it('does not take bracketed values for placeholders', () => {
    expect(maskLetters('[zhang@qq.com]')).toBe('**************');
    expect(maskLetters('[G12345678] [13812345678x] [张三丰x1]')).toBe('[x########] [###########x] [＊＊＊x#]');
    expect(maskPlain('[G12345678]')).toBe('[X########]');
  });
});

describe('safeId', () => {
  it('shows harmless ids as they are and masks phone numbers, e-mails, URLs and text', () => {
    for (const id of ['conv-17', 'r2', '00001-zh-person_id.18', 'L4', 'sess_12345']) expect(safeId(id)).toBe(id);
    expect(safeId('13912345678')).toBe('###########');
    expect(safeId(13912345678)).toBe('###########');
    expect(safeId('s-000123')).toBe('s-######');
    expect(safeId('139-1234-5678')).toBe('###-####-####');
    expect(safeId('zhang.wei@example.com')).toBe('*********************');
    expect(safeId('https://x.cn/u/zhangwei')).toBe('xxxxx://x.xx/x/xxxxxxxx');
    expect(safeId('zhangwei.com')).toBe('xxxxxxxx.xxx');
    expect(safeId('我叫王小明 电话')).toBe('＊＊＊＊＊ ＊＊');
    expect(safeId('x'.repeat(70))).toBe('x'.repeat(64) + '…');
  });
});

describe('maskContext', () => {
  it('letters: true masks every letter of the unlabelled context', () => {
    const text = '我叫欧阳娜娜，电话13987654321，见[订单x]';
    expect(maskContext(text, 9, 20, { type: 'mobile', window: 30, letters: true })).toBe('＊＊＊＊＊＊，＊＊⟦mobile ###########⟧，＊[订单x]');
    expect(maskContext(text, 9, 20, { type: 'mobile', window: 30 })).toBe('我叫欧阳娜娜，电话⟦mobile ###########⟧，见[订单x]');
  });

  it('keeps the parts of a protected range that overlaps the focus masked', () => {
    // an address 朝阳区幸福路8号 around a focus on its "8": the address around it must not show
    const text = '住在朝阳区幸福路8号附近';
    expect(maskContext(text, 8, 9, { type: 'PHONE', window: 20, protect: [{ type: 'ADDRESS', start: 2, end: 10 }] })).toBe('住在⟦ADDRESS⟧⟦PHONE #⟧⟦ADDRESS⟧附近');
  });
});
