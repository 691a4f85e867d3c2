import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { gb11643CheckChar, getRuleEngine, luhnCheckDigit, piiStage, type PiiStageOptions } from '../src/index.js';
import { splitSpans } from '../src/split.js';

// Identifiers split over two consecutive turns of one speaker ("我留的号码是138" / "1234 5678").
const root = fileURLToPath(new URL('../../..', import.meta.url));
const env = { stageId: 'pii', seed: '7', shard: { index: 0, count: 1 }, baseDir: root, rulesDir: join(root, 'rules'), log: { info() {}, warn() {} } };
const engine = getRuleEngine();
const card = (body: string) => body + luhnCheckDigit(body);

async function scrub(turns: [string, string][], extra: Partial<PiiStageOptions> = {}): Promise<string[]> {
  const opts = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, workers: 1, ...extra } as unknown as PiiStageOptions;
  const stage = await piiStage.create(opts, env);
  const report = new StageReport();
  const ctx = { stageId: 'pii', seed: '7', shard: env.shard, report, log: env.log, drop() {}, quarantine() {} } as unknown as StageContext;
  const rec: ConversationRecord = { id: 'c1', turns: turns.map(([role, text]) => ({ role: role as 'customer', text })), labels: {}, source: { file: 'a.jsonl', line: 1 }, meta: {} };
  try {
    const [out] = await stage.apply([rec], ctx);
    return out.turns.map((t) => t.text);
  } finally {
    await stage.close?.();
  }
}

describe('identifiers split over two turns', () => {
  const c = card('622202123456789');
  const conversation: [string, string][] = [
    ['customer', '我留的号码是138'],
    ['customer', '1234 5678，刚才没打完'],
    ['agent', '好的'],
    ['customer', `卡号前面是${c.slice(0, 10)}`],
    ['customer', `后面是${c.slice(10)}`],
    ['customer', '买3件'],
    ['customer', '5个'],
    ['customer', '电话138'],
    ['agent', '00138000好的'],
  ];
  const expected = ['我留的号码是[PHONE_1]', '[PHONE_2]，刚才没打完', '好的', '卡号前面是[BANK_CARD_1]', '后面是[BANK_CARD_2]', '买3件', '5个', '电话138', '00138000好的'];

  it('marks both parts, on one thread and with a worker; counts and another speaker are left alone', async () => {
    expect(await scrub(conversation)).toEqual(expected);
    expect(await scrub(conversation, { workers: 2 })).toEqual(expected);
  });

  it('the same with the NER detector (the combined path)', async () => {
    await import('@scrubline/ner');
    expect(await scrub(conversation, { detectors: ['rules', 'ner'], workers: 1 })).toEqual(expected);
  });

  it('one turn of another speaker between the halves, whatever the roles option; an ID ending in X; a count after the number stays', async () => {
    const id17 = '11010519900307005';
    const id = id17 + gb11643CheckChar(id17);
    expect(id.endsWith('X')).toBe(true);
    const turns: [string, string][] = [
      ['customer', '号码是138'],
      ['bot', '请继续输入'],
      ['customer', '12345678'],
      ['customer', `身份证号码是${id.slice(0, 8)}`],
      ['customer', id.slice(8)],
      ['customer', '我的电话是139'],
      ['customer', '1234 5678 2 个包裹都没到'],
    ];
    const want = ['号码是[PHONE_1]', '请继续输入', '[PHONE_2]', '身份证号码是[PERSON_ID_1]', '[PERSON_ID_2]', '我的电话是[PHONE_3]', '[PHONE_2] 2 个包裹都没到'];
    // (the two second halves are the same digits, so they share a number)
    expect(await scrub(turns)).toEqual(want);
    expect(await scrub(turns, { workers: 2 })).toEqual(want);
    expect(await scrub(turns, { roles: ['customer', 'agent'] } as Partial<PiiStageOptions>)).toEqual(want);
    expect(await scrub(turns, { detectors: ['rules', 'ner'] })).toEqual(want);
  });

  it('splitSpans: a part its own turn already covers, or fewer than three digits, is no split', () => {
    expect(splitSpans('号码是138', '12345678', [], [], engine)?.map((s) => s.type)).toEqual(['PHONE', 'PHONE']);
    expect(splitSpans('号码是138', '12345678', [{ type: 'X', start: 3, end: 6, score: 1, rule: 'x' }], [], engine)).toBeNull();
    expect(splitSpans('号码是13', '812345678', [], [], engine)).toBeNull();
    // linear on long digit runs (scanned from the ends, no regex backtracking)
    expect(splitSpans('1 '.repeat(100_000) + '138', '1234 5678', [], [], engine)).not.toBeUndefined();
  });
});

describe('identifiers split over three turns (session 6)', () => {
  const c = card('622202123456789012');
  const id = '11010519491231002' + gb11643CheckChar('11010519491231002');
  it('the middle turn all digits: each part replaced, on the pooled and the combined path', async () => {
    const turns: [string, string][] = [
      ['customer', '我留的号码是138'],
      ['customer', '1234'],
      ['customer', '5678'],
      ['customer', `卡号${c.slice(0, 4)}`],
      ['customer', `${c.slice(4, 8)} ${c.slice(8, 12)}`],
      ['customer', `${c.slice(12, 16)} ${c.slice(16)}，谢谢`],
      ['customer', `身份证号${id.slice(0, 6)}`],
      ['customer', id.slice(6, 14)],
      ['customer', id.slice(14)],
    ];
    await import('@scrubline/ner');
    const runs = [await scrub(turns, { workers: 1 }), await scrub(turns, { workers: 2 }), await scrub(turns, { detectors: ['rules', 'ner'], workers: 1 })];
    for (const out of runs) {
      expect(out.join('|')).not.toMatch(/[0-9]{3}/);
      expect(out[5]).toMatch(/，谢谢$/);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    // the rule id says how it was found
    const [a, b, d] = turns.slice(0, 3).map(([, t]) => t);
    const { splitSpans3 } = await import('../src/split.js');
    expect(splitSpans3(a, b, d, [[], [], []], engine)?.map((s) => s.rule)).toEqual(['phone.cn.mobile.split-turns', 'phone.cn.mobile.split-turns', 'phone.cn.mobile.split-turns']);
  });
  it('counts and prices over three turns, a middle turn with words, or another speaker between stay as they are', async () => {
    expect(await scrub([['customer', '买了3'], ['customer', '100'], ['customer', '200块']])).toEqual(['买了3', '100', '200块']);
    expect(await scrub([['customer', '号码是138'], ['customer', '1234 还有'], ['customer', '5678']])).toEqual(['号码是138', '1234 还有', '5678']);
    expect(await scrub([['customer', '号码是138'], ['agent', '1234'], ['customer', '5678']])).toEqual(['号码是138', '1234', '5678']);
  });
});
