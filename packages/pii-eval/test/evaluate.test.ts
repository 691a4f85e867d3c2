import { describe, expect, it } from 'vitest';
import { evaluate, fBeta, parseGold, parsePred, maskContext, shapeMask, formatEval } from '@scrubline/pii-eval';

// Hand-made gold and predictions whose right numbers are worked out in the comments.
const GOLD = [
  { id: 'L1', text: 'call 13812345678 now', spans: [{ type: 'PHONE', start: 5, end: 16 }] },
  { id: 'L2', text: '邮箱ab12@x.com谢谢', spans: [{ type: 'EMAIL', start: 2, end: 12 }] },
  { id: 'L3', text: 'no pii here 400-800-8888', spans: [] },
  {
    id: 'L4',
    text: 'id 110101199003078515 and phone 13900001111',
    spans: [
      { type: 'PERSON_ID', start: 3, end: 21 },
      { type: 'PHONE', start: 32, end: 43 },
    ],
  },
];
const PRED = [
  { id: 'L1', spans: [{ type: 'PHONE', start: 5, end: 16, score: 0.9, rule: 'phone.cn.mobile' }] }, // exact
  { id: 'L2', spans: [{ type: 'EMAIL', start: 2, end: 7 }] }, // overlap only: leaves x.com (4 identifying chars)
  { id: 'L3', spans: [{ type: 'PHONE', start: 12, end: 24, rule: 'phone.cn.landline' }] }, // false alarm on a hotline
  { id: 'L4', spans: [{ type: 'PERSON_ID', start: 3, end: 21 }] }, // exact; the phone is missed
];

describe('evaluate', () => {
  const r = evaluate(GOLD, PRED);
  const byType = Object.fromEntries(r.types.map((t) => [t.type, t]));

  it('counts exact and overlap matches per type', () => {
    expect(byType.PHONE.exact).toMatchObject({ gold: 2, pred: 2, matchedGold: 1, matchedPred: 1, precision: 0.5, recall: 0.5, f2: 0.5 });
    expect(byType.EMAIL.exact).toMatchObject({ gold: 1, pred: 1, matchedGold: 0, precision: 0, recall: 0, f2: 0 });
    expect(byType.EMAIL.overlap).toMatchObject({ matchedGold: 1, matchedPred: 1, precision: 1, recall: 1, f2: 1 });
    expect(byType.PERSON_ID.exact).toMatchObject({ precision: 1, recall: 1 });
  });

  it('computes overall micro averages and F2', () => {
    expect(r.overall.exact).toMatchObject({ gold: 4, pred: 4, matchedGold: 2, matchedPred: 2, precision: 0.5, recall: 0.5 });
    expect(r.overall.overlap).toMatchObject({ matchedGold: 3, matchedPred: 3, precision: 0.75, recall: 0.75 });
    expect(r.overall.overlap.f2).toBeCloseTo(0.75, 10);
    expect(fBeta(1, 0.5)).toBeCloseTo(2.5 / 4.5, 10);
  });

  it('measures the leak on identifying characters only', () => {
    // gold chars: phone 11 + email 8 (a b 1 2 x c o m) + id 18 + phone 11 = 48; leaked: x c o m + 11 = 15
    expect(r.overall.leak).toEqual({ goldChars: 48, leakedChars: 15, share: 15 / 48 });
    expect(byType.EMAIL.leak).toEqual({ goldChars: 8, leakedChars: 4, share: 0.5 });
  });

  it('lists misses, partial covers and false alarms with masked context', () => {
    expect(r.missesTotal).toBe(2);
    expect(r.misses.map((m) => [m.id, m.kind, m.type])).toEqual([
      ['L2', 'partial', 'EMAIL'],
      ['L4', 'miss', 'PHONE'],
    ]);
    expect(r.misses[1].masked).toBe('…⟦PERSON_ID⟧ and phone ⟦PHONE ###########⟧');
    expect(r.misses[0].masked).toBe('邮箱⟦EMAIL xx##@x.xxx⟧谢谢');
    expect(r.falseAlarmsTotal).toBe(1);
    expect(r.falseAlarms[0]).toMatchObject({ id: 'L3', kind: 'false-alarm', type: 'PHONE', rule: 'phone.cn.landline' });
    expect(r.negativeLinesFlagged).toBe(1);
    expect(r.linesWithoutGold).toBe(1);
  });

  it('never prints a gold value, in JSON or in the table', () => {
    const out = JSON.stringify(r) + formatEval(r);
    for (const g of GOLD) for (const s of g.spans) expect(out).not.toContain(g.text.slice(s.start, s.end));
    expect(out).not.toContain('13900001111');
    expect(out).not.toContain('4008008888');
    expect(out).not.toContain('400-800-8888');
  });

  it('restricts to --types', () => {
    const p = evaluate(GOLD, PRED, { types: ['PHONE'] });
    expect(p.types.map((t) => t.type)).toEqual(['PHONE']);
    expect(p.overall.overlap).toMatchObject({ gold: 2, pred: 2, matchedGold: 1, matchedPred: 1 });
    expect(p.overall.leak).toEqual({ goldChars: 22, leakedChars: 11, share: 0.5 });
  });

  it('separates wrong types from plain misses; coverage by another type still stops the leak', () => {
    const gold = [{ id: 'q', text: 'QQ 12345678', spans: [{ type: 'QQ', start: 3, end: 11 }] }];
    const x = evaluate(gold, [{ id: 'q', spans: [{ type: 'PHONE', start: 3, end: 11 }] }]);
    expect(x.misses[0]).toMatchObject({ kind: 'wrong-type', type: 'QQ', otherTypes: ['PHONE'] });
    expect(x.falseAlarms[0]).toMatchObject({ kind: 'wrong-type', type: 'PHONE', otherTypes: ['QQ'] });
    expect(x.overall.leak.leakedChars).toBe(0);
    expect(x.overall.overlap.recall).toBe(0);
  });

  it('counts gold lines without a prediction line and ignores unknown ids', () => {
    const x = evaluate(GOLD, [{ id: 'zzz', spans: [] }]);
    expect(x.missingPredLines).toBe(4);
    expect(x.unknownPredLines).toBe(1);
    expect(x.overall.overlap.recall).toBe(0);
    expect(x.overall.overlap.precision).toBe(1); // nothing predicted
    const y = evaluate(GOLD, [{ id: 'L1', spans: [{ type: 'PHONE', start: 5, end: 99 }] }]);
    expect(y.outOfRangePredSpans).toBe(1);
    expect(formatEval(y)).toContain('1 predicted span(s) end past their gold text');
  });

  it('handles astral characters before spans (UTF-16 offsets)', () => {
    const text = '😀𠮷电话13812345678';
    const gold = [{ id: 'a', text, spans: [{ type: 'PHONE', start: 6, end: 17 }] }];
    expect(text.slice(6, 17)).toBe('13812345678');
    const x = evaluate(gold, [{ id: 'a', spans: [{ type: 'PHONE', start: 6, end: 17 }] }]);
    expect(x.overall.exact.recall).toBe(1);
    const m = evaluate(gold, []).misses[0].masked;
    expect(m).toBe('😀𠮷电话⟦PHONE ###########⟧');
  });
});

describe('parsing', () => {
  it('rejects malformed lines with file and line, without content', () => {
    expect(() => parseGold('{"id":"a","text":"x","spans":[]}\n{oops 13812345678', 'g.jsonl')).toThrowError(/not valid JSON/);
    try {
      parseGold('{"id":"a","text":"x","spans":[]}\n{oops 13812345678', 'g.jsonl');
    } catch (e: any) {
      expect(e.code).toBe('SCRUB_JSON_PARSE');
      expect(e.line).toBe(2);
      expect(e.format()).not.toContain('13812345678');
    }
    expect(() => parseGold('{"id":"a","text":"abc","spans":[{"type":"X","start":1,"end":9}]}')).toThrowError(/offsets/);
    expect(() => parseGold('{"id":"a","text":"a","spans":[]}\n{"id":"a","text":"b","spans":[]}')).toThrowError(/duplicate id/);
    // a duplicate id is named as safeId shows it: a phone number used as the line id stays out of the message
    expect(() => parseGold('{"id":"13812345678","text":"a","spans":[]}\n{"id":"13812345678","text":"b","spans":[]}')).toThrowError('duplicate id in gold (###########)');
    expect(parsePred('{"id":"a","spans":[{"type":"PHONE","start":0,"end":3,"score":0.5,"rule":"r"}],"text":"ignored"}')).toEqual([
      { id: 'a', spans: [{ type: 'PHONE', start: 0, end: 3, score: 0.5, rule: 'r' }] },
    ]);
  });
});

describe('masking', () => {
  it('shapes values and masks digits, mixed tokens and other spans in context', () => {
    expect(shapeMask('+86 138-1234-5678')).toBe('+## ###-####-####');
    expect(shapeMask('一三八幺两')).toBe('#####');
    expect(shapeMask('①③⑧１２')).toBe('#####');
    expect(shapeMask('粤B·D12345')).toBe('＊X·X#####');
    expect(shapeMask('Zhang.Wei@QQ.COM')).toBe('Xxxxx.Xxx@XX.XXX');
    const text = '我的微信zhang88，手机13812345678，邮箱a1@b.cn';
    const masked = maskContext(text, 14, 25, { type: 'PHONE', window: 30, protect: [{ type: 'WECHAT', start: 4, end: 11 }] });
    expect(masked).toBe('我的微信⟦WECHAT⟧，手机⟦PHONE ###########⟧，邮箱x#@x.xx');
    // @handles in the context, Chinese ones included, are masked; placeholders stay readable
    expect(maskContext('投诉@罗小明 和@zhang_88 见[PHONE_1]', 0, 2, { window: 40 })).toBe('⟦＊＊⟧@＊＊＊ 和@xxxxx_## 见[PHONE_1]');
    // unlabelled digits and Chinese-numeral runs in the context are masked too
    expect(maskContext('打一三八一二三四五六七八或者15000001111', 0, 1, { window: 30 })).toBe('⟦＊⟧###########或者###########');
  });
});

describe('list entries never show a gold or predicted span of their line', () => {
  it('an unlisted second gold name in the same line stays masked', () => {
    const gold = [{ id: 'n1', text: '张伟说李娜的电话13812345678', spans: [{ type: 'PERSON', start: 0, end: 2 }, { type: 'PERSON', start: 3, end: 5 }, { type: 'PHONE', start: 8, end: 19 }] }];
    // only the phone is missed (both names found): the names are in the context of the listed miss
    const pred = [{ id: 'n1', spans: [{ type: 'PERSON', start: 0, end: 2 }, { type: 'PERSON', start: 3, end: 5 }] }];
    const r = evaluate(gold, pred, { types: ['PHONE'] });
    expect(r.misses.map((m) => m.masked)).toEqual(['⟦PERSON⟧说⟦PERSON⟧的电话⟦PHONE ###########⟧']);
    const out = JSON.stringify(r) + formatEval(r);
    for (const raw of ['张伟', '李娜']) expect(out).not.toContain(raw);
  });

  it('a false alarm inside a longer gold span does not show the rest of that span', () => {
    // the predicted PHONE covers only the 88 of a gold address: the address around it was shown in clear before
    const gold = [{ id: 'a1', text: '寄到朝阳区幸福路88号，谢谢', spans: [{ type: 'ADDRESS', start: 2, end: 11 }] }];
    const pred = [{ id: 'a1', spans: [{ type: 'PHONE', start: 8, end: 10 }] }];
    const r = evaluate(gold, pred);
    expect(r.falseAlarms.map((f) => [f.kind, f.masked])).toEqual([['wrong-type', '寄到⟦ADDRESS⟧⟦PHONE ##⟧⟦ADDRESS⟧，谢谢']]);
    const out = JSON.stringify(r) + formatEval(r);
    for (const raw of ['朝阳', '幸福', '号，']) expect(out).not.toContain(raw);
  });

  it('shows line ids through safeId: an id that is a phone number is masked', () => {
    const r = evaluate([{ id: '13912345678', text: 'call 13812345678', spans: [{ type: 'PHONE', start: 5, end: 16 }] }], []);
    expect(r.misses[0].id).toBe('###########');
    expect(JSON.stringify(r) + formatEval(r)).not.toContain('13912345678');
  });
});
