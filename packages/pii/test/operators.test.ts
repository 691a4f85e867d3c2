import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScrubError, seededRandom } from '@scrubline/core';
import {
  ConversationScope,
  detect,
  gb11643CheckChar,
  isValidResidentId,
  isValidUscc,
  luhnCheckDigit,
  luhnValid,
  makeSurrogate,
  mask,
  resolveHmacKey,
  scrubText,
  usccCheckChar,
  isValidCnMobile,
} from '../src/index.js';

const PID = '11010519900307123' + gb11643CheckChar('11010519900307123');
const CARD = '622202123456789' + luhnCheckDigit('622202123456789');
const USCC = '91350100M000100Y4' + usccCheckChar('91350100M000100Y4');
const KEY = 'k'.repeat(32);

/** Every text of `values` (and every run of 4 of their digits) is absent from `out`. */
function expectNoFragment(out: string, values: string[]) {
  for (const v of values) {
    expect(out).not.toContain(v);
    const d = v.replace(/[^0-9]/g, '');
    for (let i = 0; i + 4 <= d.length; i++) expect(out.replace(/[^0-9]/g, ' ')).not.toContain(d.slice(i, i + 4));
  }
}

const SAMPLE = `手机+86 138-1234-5678，身份证${PID}，卡号${CARD}，邮箱Zhang@Example.com，信用代码${USCC}，QQ：87654321，车牌京A12345`;
const VALUES = ['13812345678', PID, CARD, 'Zhang@Example.com', USCC, '87654321', '京A12345'];

describe('placeholder', () => {
  it('numbers per type and conversation; the same value gets the same number', () => {
    const scope = new ConversationScope('c1');
    const a = scrubText('打13812345678或者13987654321', { scope }).text;
    const b = scrubText('还是138-1234-5678吧', { scope }).text;
    expect(a).toBe('打[PHONE_1]或者[PHONE_2]');
    expect(b).toBe('还是[PHONE_1]吧');
    // a new conversation starts again at 1
    expect(scrubText('打13987654321', { scope: new ConversationScope('c2') }).text).toBe('打[PHONE_1]');
  });
  it('full-width and spoken forms of one number are the same value', () => {
    const scope = new ConversationScope('c');
    expect(scrubText('１３８１２３４５６７８', { scope }).text).toBe('[PHONE_1]');
    expect(scrubText('一三八一二三四五六七八', { scope }).text).toBe('[PHONE_1]');
  });
  it('leaves no fragment and is idempotent', () => {
    const once = scrubText(SAMPLE).text;
    expectNoFragment(once, VALUES);
    expect(scrubText(once).text).toBe(once);
  });
  it('template is configurable', () => {
    expect(scrubText('13812345678', { operator: { kind: 'placeholder', template: '<{type}-{n}>' } }).text).toBe('<PHONE-1>');
  });
});

describe('hmac', () => {
  it('needs a key: missing or short keys fail with a coded error naming no value', () => {
    expect(() => resolveHmacKey({ env: {} })).toThrow(ScrubError);
    try {
      resolveHmacKey({ env: {} });
    } catch (e) {
      expect((e as ScrubError).code).toBe('SCRUB_CONFIG_INVALID');
      expect((e as ScrubError).message).toContain('SCRUBLINE_PII_KEY');
    }
    expect(() => resolveHmacKey({ env: { SCRUBLINE_PII_KEY: 'short' } })).toThrow(/shorter/);
    expect(() => resolveHmacKey({ keyFile: '/nonexistent/key' })).toThrow(ScrubError);
  });
  it('reads the key from the named env variable or a key file', () => {
    expect(resolveHmacKey({ keyEnv: 'MY_KEY', env: { MY_KEY: KEY } }).toString()).toBe(KEY);
    const dir = mkdtempSync(join(tmpdir(), 'pii-key-'));
    writeFileSync(join(dir, 'k.txt'), KEY + '\n');
    expect(resolveHmacKey({ keyFile: 'k.txt', baseDir: dir, env: {} }).toString()).toBe(KEY);
  });
  it('same value → same token across conversations and runs; another key → another token', () => {
    const t1 = scrubText('手机13812345678', { operator: 'hmac', key: KEY, scope: new ConversationScope('a') }).text;
    const t2 = scrubText('电话138 1234 5678', { operator: 'hmac', key: KEY, scope: new ConversationScope('b') }).text;
    const t3 = scrubText('手机13812345678', { operator: 'hmac', key: 'x'.repeat(32) }).text;
    expect(t1).toMatch(/^手机\[PHONE:[0-9a-f]{16}\]$/);
    expect(t2.slice(2)).toBe(t1.slice(2));
    expect(t3).not.toBe(t1);
    expectNoFragment(scrubText(SAMPLE, { operator: 'hmac', key: KEY }).text, VALUES);
  });
  it('fails without a key instead of writing clear text', () => {
    expect(() => scrubText('13812345678', { operator: 'hmac' })).toThrow(ScrubError);
  });
});

describe('mask and redact', () => {
  it('mask hides everything by default and keeps at most a third', () => {
    expect(mask('138-1234-5678', {})).toBe('***-****-****');
    expect(mask('13812345678', { keepStart: 3, keepEnd: 4 })).toBe('138********'); // budget 3 of 11
    expect(mask('13812345678', { keepEnd: 2 })).toBe('*********78');
    expectNoFragment(scrubText(SAMPLE, { operator: 'mask' }).text, VALUES);
  });
  it('redact removes the span', () => {
    expect(scrubText('手机13812345678谢谢', { operator: 'redact' }).text).toBe('手机谢谢');
    expect(scrubText('手机13812345678谢谢', { operator: { kind: 'redact', replacement: '█' } }).text).toBe('手机█谢谢');
  });
  it('operators per type', () => {
    const out = scrubText('手机13812345678 邮箱a@b.com', { operators: { EMAIL: 'redact' } }).text;
    expect(out).toBe('手机[PHONE_1] 邮箱');
  });
});

describe('surrogates', () => {
  it('are format-valid with valid check digits and leave no fragment', () => {
    const out = scrubText(SAMPLE, { operator: 'surrogate', seed: 's1', scope: new ConversationScope('c') }).text;
    expect(out).not.toBe(SAMPLE);
    // each value alone: its surrogate shares no run of 4 digits with it
    const cues = ['手机', '身份证', '卡号', '邮箱', '信用代码', 'QQ：', '车牌'];
    VALUES.forEach((v, i) => {
      for (const seed of ['s1', 's2', 's3']) expectNoFragment(scrubText(cues[i] + v, { operator: 'surrogate', seed }).text.slice(cues[i].length), [v]);
    });
    const spans = detect(out);
    const types = spans.map((s) => s.type);
    for (const t of ['PHONE', 'PERSON_ID', 'BANK_CARD', 'EMAIL', 'USCC', 'PLATE']) expect(types).toContain(t);
    const val = (t: string) => {
      const s = spans.find((x) => x.type === t)!;
      return out.slice(s.start, s.end);
    };
    expect(isValidResidentId(val('PERSON_ID'))).toBe(true);
    expect(luhnValid(val('BANK_CARD'))).toBe(true);
    expect(isValidUscc(val('USCC'))).toBe(true);
    expect(isValidCnMobile(val('PHONE').replace(/[^0-9]/g, ''))).toBe(true);
  });
  it('are consistent within a conversation and deterministic from the seed', () => {
    const scope = new ConversationScope('c');
    const a = scrubText('13812345678', { operator: 'surrogate', seed: 's', scope }).text;
    const b = scrubText('138 1234 5678', { operator: 'surrogate', seed: 's', scope }).text;
    expect(b.replace(/ /g, '')).toBe(a.replace(/ /g, ''));
    expect(scrubText('13812345678', { operator: 'surrogate', seed: 's', scope: new ConversationScope('c') }).text).toBe(a);
    expect(scrubText('13812345678', { operator: 'surrogate', seed: 't', scope: new ConversationScope('c') }).text).not.toBe(a);
  });
  it('never reuse four digits of the original', () => {
    for (let i = 0; i < 200; i++) {
      const s = makeSurrogate('QQ', '87654321', '87654321', seededRandom('x', String(i)));
      expect(s).not.toBe('87654321');
      for (let j = 0; j + 4 <= 8; j++) expect(s).not.toContain('87654321'.slice(j, j + 4));
    }
  });
});

describe('ConversationScope.reservePlaceholders (session 15)', () => {
  it('takes the numbers of default placeholders per type; other bracketed text is not one', async () => {
    const { ConversationScope } = await import('../src/operators.js');
    const scope = new ConversationScope('c');
    scope.reservePlaceholders(['[PERSON_ID_12] 与 [PHONE_2]', '[订单x] [EMAIL:3fa9c0de] [QQ_x] [ORDER_ID]', '无']);
    expect(scope.number('PERSON_ID', 'a')).toBe(13);
    expect(scope.number('PHONE', 'b')).toBe(3);
    for (const t of ['EMAIL', 'QQ', 'ORDER_ID']) expect(scope.number(t, 'c')).toBe(1);
  });

  it('scrubText numbers after the placeholders its text holds', () => {
    expect(scrubText('我的手机[PHONE_1]，新号13812345678').text).toBe('我的手机[PHONE_1]，新号[PHONE_2]');
  });
});
