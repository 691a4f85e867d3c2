import { describe, expect, it } from 'vitest';
import { evaluate, fBeta, matchCounts, parseGold, parsePred, pctDown, pctUp, maskContext, shapeMask, formatEval, type GoldSpan } from '@scrubline/pii-eval';

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
    expect(x.overall.overlap.precision).toBeNull(); // nothing predicted: n/a, not 100 %
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

describe('matched predictions are counted on their own', () => {
  it('the same gold span twice, predicted once, keeps precision at 100 % (was 200 %)', () => {
    // parseGold rejects such a file; evaluate() still counts each side once
    const gold = [{ id: 'a', text: 'call 13812345678', spans: [{ type: 'PHONE', start: 5, end: 16 }, { type: 'PHONE', start: 5, end: 16 }] }];
    const r = evaluate(gold, [{ id: 'a', spans: [{ type: 'PHONE', start: 5, end: 16 }] }]);
    expect(r.overall.exact).toEqual({ gold: 2, pred: 1, matchedGold: 2, matchedPred: 1, precision: 1, recall: 1, f2: 1 });
    expect(r.overall.overlap).toEqual(r.overall.exact);
    expect(formatEval(r)).not.toMatch(/200\.0|111\.1/);
  });

  it('a prediction repeated twice matches one gold span: both are right, recall and precision 100 %', () => {
    const gold = [{ id: 'a', text: 'call 13812345678', spans: [{ type: 'PHONE', start: 5, end: 16 }] }];
    const p = { type: 'PHONE', start: 5, end: 16 };
    expect(evaluate(gold, [{ id: 'a', spans: [p, { ...p }] }]).overall.exact).toMatchObject({ gold: 1, pred: 2, matchedGold: 1, matchedPred: 2, precision: 1, recall: 1 });
  });
});

describe('n/a where there is nothing to divide by', () => {
  it('precision n/a without predictions, recall n/a without gold, F2 n/a only without both', () => {
    expect(matchCounts(3, 0, 0, 0)).toEqual({ gold: 3, pred: 0, matchedGold: 0, matchedPred: 0, precision: null, recall: 0, f2: 0 });
    expect(matchCounts(0, 2, 0, 0)).toEqual({ gold: 0, pred: 2, matchedGold: 0, matchedPred: 0, precision: 0, recall: null, f2: 0 });
    expect(matchCounts(0, 0, 0, 0)).toMatchObject({ precision: null, recall: null, f2: null });
    expect(matchCounts(4, 2, 2, 2).f2).toBeCloseTo(fBeta(1, 0.5), 12);
  });

  it('the table shows n/a, never 100.0, for a type nothing was predicted for', () => {
    const r = evaluate([{ id: 'a', text: 'QQ 12345678', spans: [{ type: 'QQ', start: 3, end: 11 }] }], [{ id: 'a', spans: [] }]);
    expect(formatEval(r)).toMatch(/\nQQ\s+1\s+0\s+n\/a\s+0\.0\s+0\.0\s+n\/a\s+0\.0\s+0\.0\s+100\.00\n/);
    const empty = evaluate([], []);
    expect(empty.overall.overlap).toMatchObject({ precision: null, recall: null, f2: null });
    expect(formatEval(empty)).toMatch(/\noverall\s+0\s+0\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+n\/a\s+0\.00\n/);
  });
});

describe('numbers are never shown better than they are', () => {
  it('floors precision and recall, rounds the leak up, from the counts', () => {
    expect(pctDown(2546, 2547)).toBe('99.9');
    expect(pctDown(2547, 2547)).toBe('100.0');
    expect(pctDown(57, 100)).toBe('57.0'); // not 56.9 (0.57 * 1000 is 569.999…)
    expect(pctDown(1, 3, 2)).toBe('33.33');
    expect(pctDown(0, 0)).toBe('n/a');
    expect(pctUp(1, 100000)).toBe('0.01'); // a leak never shows as 0.00
    expect(pctUp(0, 100000)).toBe('0.00');
    expect(pctUp(8, 26, 3)).toBe('30.770');
  });

  it('the overall row of 2546 of 2547 found is 99.9, not 100.0', () => {
    const n = 2547;
    const text = 'ip 1.1.1.1 '.repeat(n);
    const spans = Array.from({ length: n }, (_, i) => ({ type: 'IP', start: i * 11 + 3, end: i * 11 + 10 }));
    const r = evaluate([{ id: 'a', text, spans }], [{ id: 'a', spans: spans.slice(1) }]);
    const table = formatEval(r);
    expect(table).toMatch(/\noverall\s+2547\s+2546\s+100\.0\s+99\.9\s+99\.9\s+100\.0\s+99\.9\s+99\.9\s+0\.04\n/);
    expect(table).not.toMatch(/\noverall.*\s100\.0\s+100\.0/);
  });
});

describe('boundary mismatches', () => {
  const text = 'call me: 0086-138-12345678 ok';
  const gold = [{ id: 'b', text, spans: [{ type: 'PHONE', start: 9, end: 26 }] }];
  const one = (spans: GoldSpan[]) => evaluate(gold, [{ id: 'b', spans }]);

  it('lists a prediction that swallows a context word (found by overlap, nothing leaks, not exact)', () => {
    const r = one([{ type: 'PHONE', start: 5, end: 26 }]);
    expect(r.missesTotal).toBe(0);
    expect(r.falseAlarmsTotal).toBe(0);
    expect(r.boundariesTotal).toBe(1);
    expect(r.boundaries).toEqual([{ id: 'b', kind: 'boundary', type: 'PHONE', start: 9, end: 26, predStart: 5, predEnd: 26, preds: 1, masked: 'call ⟦PHONE⟧⟦PHONE ####-###-########⟧ ok' }]);
    expect(formatEval(r)).toContain('  b  PHONE  boundary (gold [9,26) predicted [5,26): 4 before)  call ⟦PHONE⟧⟦PHONE ####-###-########⟧ ok');
  });

  it('lists too short, shifted and split predictions; an exact one is not listed', () => {
    expect(one([{ type: 'PHONE', start: 9, end: 21 }]).boundaries[0]).toMatchObject({ predStart: 9, predEnd: 21, preds: 1, leakedChars: 5 });
    expect(formatEval(one([{ type: 'PHONE', start: 10, end: 28 }]))).toContain('boundary (gold [9,26) predicted [10,28): 1 short at start, 2 after)');
    expect(formatEval(one([{ type: 'PHONE', start: 9, end: 17 }, { type: 'PHONE', start: 18, end: 26 }]))).toContain('boundary (gold [9,26) predicted [9,26): split in 2)');
    expect(one([{ type: 'PHONE', start: 9, end: 26 }]).boundariesTotal).toBe(0);
    // another type's prediction is a wrong type (a miss), not a boundary mismatch
    expect(one([{ type: 'QQ', start: 5, end: 26 }]).boundariesTotal).toBe(0);
  });

  it('counts exactly the gap between overlap and exact matches', () => {
    const r = evaluate(GOLD, PRED);
    expect(r.boundariesTotal).toBe(r.overall.overlap.matchedGold - r.overall.exact.matchedGold);
    expect(r.boundaries.map((b) => [b.id, b.type])).toEqual([['L2', 'EMAIL']]);
  });
});

describe('parsing rejects what cannot be scored', () => {
  it('gold spans that repeat or overlap: file, line and spans[i], no text', () => {
    const line = (spans: GoldSpan[]) => JSON.stringify({ id: 'a', text: 'phone 13812345678 ok', spans });
    const err = (content: string) => {
      try {
        parseGold(content, 'g.jsonl');
      } catch (e: any) {
        return { code: e.code, line: e.line, field: e.field, text: e.format() };
      }
      return null;
    };
    const P = { type: 'PHONE', start: 6, end: 17 };
    expect(err(line([P, P]))).toEqual({ code: 'SCRUB_JSON_SHAPE', line: 1, field: 'spans[1]', text: 'SCRUB_JSON_SHAPE g.jsonl:1 (spans[1]): gold span spans[1] repeats spans[0]: gold spans must not repeat or overlap' });
    expect(err('\n' + line([{ type: 'X', start: 0, end: 2 }, { type: 'QQ', start: 6, end: 17 }, P]))?.text).toBe(
      'SCRUB_JSON_SHAPE g.jsonl:2 (spans[2]): gold span spans[2] has the offsets of spans[1] with another type: gold spans must not repeat or overlap',
    );
    expect(err(line([{ type: 'PHONE', start: 8, end: 17 }, { type: 'X', start: 0, end: 2 }, { type: 'QQ', start: 6, end: 12 }]))?.text).toBe(
      'SCRUB_JSON_SHAPE g.jsonl:1 (spans[2]): gold span spans[2] overlaps spans[0]: gold spans must not repeat or overlap',
    );
    // touching spans are fine
    expect(err(line([{ type: 'PHONE', start: 6, end: 10 }, { type: 'QQ', start: 10, end: 17 }]))).toBeNull();
  });

  it('repeated prediction ids: an error in parsePred and in evaluate, not a silent merge', () => {
    expect(() => parsePred('{"id":"a","spans":[]}\n{"id":"13812345678","spans":[]}\n{"id":"13812345678","spans":[]}', 'p.jsonl')).toThrowError(
      'duplicate id in predictions (###########)',
    );
    let thrown: any;
    try {
      parsePred('{"id":"a","spans":[]}\n{"id":"a","spans":[]}', 'p.jsonl');
    } catch (e) {
      thrown = e;
    }
    expect([thrown?.code, thrown?.line, thrown?.field]).toEqual(['SCRUB_JSON_SHAPE', 2, 'id']);
    expect(() => evaluate(GOLD, [{ id: 'L1', spans: [] }, { id: 'L1', spans: [] }])).toThrowError(/prediction id repeated \(L1\)/);
  });
});

describe('matching cost', () => {
  it('grows as n log n in the spans of one line, not n² (counted reads of span offsets, not time)', () => {
    // every read of a span's start is counted: the old matching scanned all predictions for every gold span
    let reads = 0;
    const span = (type: string, start: number, end: number) => ({
      type,
      get start() {
        reads++;
        return start;
      },
      end,
    });
    const n = 3000;
    const text = '1.1.1.1 '.repeat(n);
    // even: exact IP; odd: a PHONE at the gold's offsets (a wrong type: miss and false alarm)
    const gold = [{ id: 'a', text, spans: Array.from({ length: n }, (_, i) => span('IP', i * 8, i * 8 + 7)) }];
    const pred = [{ id: 'a', spans: Array.from({ length: n }, (_, i) => span(i % 2 ? 'PHONE' : 'IP', i * 8, i * 8 + 7)) }];
    const r = evaluate(gold, pred);
    expect(r.overall.exact).toMatchObject({ gold: n, pred: n, matchedGold: n / 2, matchedPred: n / 2 });
    expect(r.missesTotal).toBe(n / 2);
    expect(r.falseAlarmsTotal).toBe(n / 2);
    expect(r.misses[0]).toMatchObject({ kind: 'wrong-type', otherTypes: ['PHONE'] });
    // n² would be 9,000,000 reads; n log2 n is about 35,000
    expect(reads).toBeLessThan(20 * n * Math.log2(n));
  });
});

