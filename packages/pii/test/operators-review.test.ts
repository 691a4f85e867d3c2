/**
 * Operator review fixes: one phone number written with and without its country code is one value
 * (placeholder, hmac, surrogate); surrogates valid by the validator that recognises the original;
 * distinct surrogates for distinct values of a conversation. Synthetic values only.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { seededRandom, type PiiSpan } from '@scrubline/core';
import {
  applyOperators,
  canonicalValue,
  ConversationScope,
  gb11643CheckChar,
  hkidCheckChar,
  isValidCnMobile,
  isValidHkid,
  isValidOrgCode,
  isValidResidencePermit,
  isValidResidentId,
  isValidS10,
  isValidTaiwanId,
  isValidUscc,
  loadRulePacks,
  luhnCheckDigit,
  luhnValid,
  makeSurrogate,
  RuleEngine,
  s10CheckDigit,
  scrubText,
  taiwanIdCheckDigit,
  usccCheckChar,
  gb11714CheckChar,
  type OperatorConfig,
  type OperatorInput,
  type RulePack,
  type RuleSpec,
} from '../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const KEY = 'k'.repeat(32);

// The engine with the phone rules on the phone modes (whatever the YAML in the tree says yet).
const PHONE_MODES: Record<string, RuleSpec['canonical']> = {
  'phone.cn.mobile': 'phone-cn',
  'phone.cn.landline': 'phone-cn',
  'phone.us': 'phone-nanp',
  'phone.us.e164': 'phone-nanp',
  'phone.uk': 'phone-uk',
};
const packs: RulePack[] = loadRulePacks(join(root, 'rules')).map((p) => ({
  ...p,
  rules: p.rules.map((r) => (PHONE_MODES[r.id] ? { ...r, canonical: PHONE_MODES[r.id] } : r)),
}));
const engine = new RuleEngine(packs);

function run(text: string, operator: OperatorInput, scope = new ConversationScope('c'), seed = 's') {
  const spans = engine.analyze(text).spans;
  const config: OperatorConfig = { operator, key: KEY, seed, canonicalOf: engine.canonicalOf };
  const r = applyOperators(text, spans, scope, config);
  return { text: r.text, spans, outs: r.replacements.map((x) => r.text.slice(x.outStart, x.outEnd)) };
}

/** The phone spans of `text`, as written. */
function phones(text: string): string[] {
  return engine
    .analyze(text)
    .spans.filter((s) => s.type === 'PHONE')
    .map((s) => text.slice(s.start, s.end));
}

const MOBILE = ['13912345678', '86-13912345678', '+86 13912345678', '(+86)139 1234 5678', '0086 13912345678'];
const LANDLINE = ['010-62345678', '+86 10 62345678', '0086 10 6234 5678', '(010)62345678', '+86 010 62345678'];
const NANP = ['+1 415-555-0123', '(415) 555-0123', '415-555-0123', '+14155550123'];
const UK = ['+44 20 7946 0958', '+44 (0)20 7946 0958', '020 7946 0958'];
const ALL = [...MOBILE, ...LANDLINE, ...NANP, ...UK];
/** A text with every spelling, each once, separated so each is one finding. */
const TEXT = ALL.map((v, i) => `${i % 2 ? '电话' : 'call'} ${v}`).join('；');

describe('phone canonical modes', () => {
  it('phone-cn: a mobile with +86 / 86 / 0086 / (+86) is its 11 digits; a landline after 86 gets its trunk 0 back', () => {
    for (const v of MOBILE) expect(canonicalValue(v, 'phone-cn')).toBe('13912345678');
    for (const v of LANDLINE) expect(canonicalValue(v, 'phone-cn')).toBe('01062345678');
    expect(canonicalValue('0755-8612 3456', 'phone-cn')).toBe('075586123456'); // 86 inside the number stays
    expect(canonicalValue('+86 755 86123456', 'phone-cn')).toBe('075586123456');
    // what `digits` did: the country code made another value
    expect(new Set(MOBILE.map((v) => canonicalValue(v, 'digits'))).size).toBeGreaterThan(1);
  });
  it('phone-nanp drops the 1 of an 11-digit number; phone-uk turns +44 into 0 and drops "(0)"', () => {
    for (const v of NANP) expect(canonicalValue(v, 'phone-nanp')).toBe('4155550123');
    expect(canonicalValue('1 415 555 0123', 'phone-nanp')).toBe('4155550123');
    for (const v of UK) expect(canonicalValue(v, 'phone-uk')).toBe('02079460958');
    expect(canonicalValue('0044 7700 900123', 'phone-uk')).toBe('07700900123');
    expect(canonicalValue('07700 900123', 'phone-uk')).toBe('07700900123');
  });
  it('the modes are part of RuleSpec; an unknown mode is still a type error', () => {
    const rules = join(root, 'packages/pii/src/rules.ts');
    const file = join(root, 'packages/pii/test/__canonical_check.ts');
    const src =
      `import type { RuleSpec } from './../src/rules.js';\n` +
      `export const ok: RuleSpec['canonical'][] = ['phone-cn', 'phone-nanp', 'phone-uk', 'digits', 'raw'];\n` +
      `export const bad: RuleSpec['canonical'] = 'phone-xx';\n`;
    const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === file ? src : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => f === file || exists(f);
    const get = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, src, lang) : get(f, lang, ...rest));
    const program = ts.createProgram([file], options, host);
    expect(program.getSourceFile(rules)).toBeDefined();
    const diags = program.getSemanticDiagnostics(program.getSourceFile(file));
    const lines = diags.map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line);
    expect(lines).toEqual([2]); // only the unknown mode, on line 3
    expect(ts.flattenDiagnosticMessageText(diags[0].messageText, '\n')).toContain('phone-xx');
  });
});

describe('one phone number, every spelling: one placeholder, one hmac token, one surrogate', () => {
  it('the engine finds each spelling whole', () => {
    for (const v of ALL) expect(phones(`电话 ${v} 谢谢`)).toEqual([v]);
  });
  it('placeholder numbers agree across spellings (4 numbers → 4 placeholders)', () => {
    const { outs, spans } = run(TEXT, 'placeholder');
    expect(spans.length).toBe(ALL.length);
    const at = (list: string[], from: number) => outs.slice(from, from + list.length);
    expect(new Set(at(MOBILE, 0))).toEqual(new Set(['[PHONE_1]']));
    expect(new Set(at(LANDLINE, MOBILE.length))).toEqual(new Set(['[PHONE_2]']));
    expect(new Set(at(NANP, MOBILE.length + LANDLINE.length))).toEqual(new Set(['[PHONE_3]']));
    expect(new Set(at(UK, MOBILE.length + LANDLINE.length + NANP.length))).toEqual(new Set(['[PHONE_4]']));
  });
  it('hmac tokens agree across spellings and conversations', () => {
    const a = run(TEXT, 'hmac').outs;
    const b = run([...ALL].reverse().join(' / '), 'hmac', new ConversationScope('other')).outs.reverse();
    expect(b).toEqual(a);
    const groups = [MOBILE, LANDLINE, NANP, UK];
    let k = 0;
    const tokens = groups.map((g) => {
      const t = new Set(a.slice(k, (k += g.length)));
      expect(t.size).toBe(1);
      return [...t][0];
    });
    expect(new Set(tokens).size).toBe(4);
  });
  it('surrogates agree across spellings, keep each spelling’s country code and layout, and are found again as phones', () => {
    for (const seed of ['s1', 's2', 's3', 's4']) {
      const { outs } = run(TEXT, 'surrogate', new ConversationScope('c'), seed);
      const groups: [string[], RuleSpec['canonical']][] = [[MOBILE, 'phone-cn'], [LANDLINE, 'phone-cn'], [NANP, 'phone-nanp'], [UK, 'phone-uk']];
      let k = 0;
      const fakes = new Set<string>();
      for (const [list, mode] of groups) {
        const got = outs.slice(k, (k += list.length));
        const canon = new Set(got.map((g) => canonicalValue(g, mode)));
        expect(canon.size).toBe(1);
        const fake = [...canon][0];
        fakes.add(fake);
        expect(fake).not.toBe(canonicalValue(list[0], mode));
        list.forEach((orig, i) => {
          // same layout: digits where digits were, the country code as written
          expect(got[i].replace(/[0-9]/g, '#')).toBe(orig.replace(/[0-9]/g, '#'));
          const cc = /^(?:\+86 |86-|\(\+86\)|0086 |\+1 |\+1|\+44 )/.exec(orig)?.[0];
          if (cc) expect(got[i].startsWith(cc)).toBe(true);
          expect(phones(`电话 ${got[i]} 谢谢`)).toEqual([got[i]]);
        });
      }
      expect(fakes.size).toBe(4);
      for (const m of outs.slice(0, MOBILE.length)) expect(isValidCnMobile(canonicalValue(m, 'digits'))).toBe(true);
    }
  });
  it('a landline with +86 keeps the country code and the area code’s shape (was +97 78 …)', () => {
    for (let i = 0; i < 200; i++) {
      for (const mode of ['phone-cn', undefined] as const) {
        const s = makeSurrogate('PHONE', '+86 10 62345678', canonicalValue('+86 10 62345678', mode ?? 'digits'), seededRandom('x', String(i)), { mode });
        expect(s).toMatch(/^\+86 [12][0-9] [2-8][0-9]{7}$/);
        expect(s.slice(7)).not.toContain('6234');
        expect(phones(`座机 ${s}`)).toEqual([s]);
      }
      const t = makeSurrogate('PHONE', '0086-755-8612 3456', '075586123456', seededRandom('y', String(i)), { mode: 'phone-cn' });
      expect(t).toMatch(/^0086-[3-9][0-9]{2}-[2-8][0-9]{3} [0-9]{4}$/);
    }
  });
});

// ---------------------------------------------------------------------------
// Format-valid surrogates
// ---------------------------------------------------------------------------

/** 300 surrogates of one value, each with its own seed. */
function many(type: string, value: string, canon: string, mode?: RuleSpec['canonical']): string[] {
  return Array.from({ length: 300 }, (_, i) => makeSurrogate(type, value, canon, seededRandom('review', String(i)), { mode }));
}

function expectNoRun(s: string, identifying: string) {
  const d = s.replace(/[^0-9]/g, '');
  for (let i = 0; i + 4 <= identifying.length; i++) expect(d).not.toContain(identifying.slice(i, i + 4));
}

const S10 = 'RR12345678' + s10CheckDigit('12345678') + 'CN';
const HKID = 'A123456(' + hkidCheckChar('A123456') + ')';
const HKID2 = 'XY987654' + hkidCheckChar('XY987654');
const TWID = 'A12345678' + taiwanIdCheckDigit('A12345678');
const TWID_F = 'F23456789'.slice(0, 9) + taiwanIdCheckDigit('F23456789'.slice(0, 9));
const ORG8 = 'MA1B2C3D';
const USCC17 = '91350100' + ORG8 + gb11714CheckChar(ORG8);
const USCC = USCC17 + usccCheckChar(USCC17);

describe('surrogates are valid by the validator that recognises the original', () => {
  it('test values are valid', () => {
    expect(isValidS10(S10)).toBe(true);
    expect(S10).toBe('RR123456785CN');
    expect(isValidHkid(HKID)).toBe(true);
    expect(HKID).toBe('A123456(3)');
    expect(isValidHkid(HKID2)).toBe(true);
    expect(isValidTaiwanId(TWID)).toBe(true);
    expect(TWID).toBe('A123456789');
    expect(isValidTaiwanId(TWID_F)).toBe(true);
    expect(isValidUscc(USCC) && isValidOrgCode(USCC.slice(8, 17))).toBe(true);
    expect(isValidOrgCode(USCC.slice(8, 16) + (USCC[16] === '0' ? '1' : '0'))).toBe(false);
  });
  it('taiwanIdCheckDigit gives the one digit that passes isValidTaiwanId', () => {
    for (let i = 0; i < 200; i++) {
      const r = seededRandom('tw', String(i));
      const first9 = 'ABCDEFGHJKLMNPQRSTUVXYWZIO'[Math.floor(r() * 26)] + (r() < 0.5 ? '1' : '2') + String(Math.floor(r() * 1e7)).padStart(7, '0');
      const good = taiwanIdCheckDigit(first9);
      for (let d = 0; d <= 9; d++) expect(isValidTaiwanId(first9 + d)).toBe(String(d) === good);
    }
  });
  it('UPU S10: service and country letters kept, right check digit', () => {
    for (const s of many('TRACKING_NO', S10, S10, 'alnum')) {
      expect(isValidS10(s)).toBe(true);
      expect(s).toMatch(/^RR[0-9]{9}CN$/);
      expectNoRun(s, S10.replace(/[^0-9]/g, ''));
    }
  });
  it('HKID: valid check character, letters and brackets as written', () => {
    for (const s of many('PERMIT', HKID, HKID, 'raw')) {
      expect(isValidHkid(s)).toBe(true);
      expect(s).toMatch(/^A[0-9]{6}\([0-9A]\)$/);
      expectNoRun(s, '1234563');
    }
    for (const s of many('PERMIT', HKID2, HKID2, 'raw')) {
      expect(isValidHkid(s)).toBe(true);
      expect(s).toMatch(/^XY[0-9]{6}[0-9A]$/);
    }
  });
  it('Taiwan ID: valid check digit, letter and sex digit kept', () => {
    for (const [v, head] of [[TWID, 'A1'], [TWID_F, 'F2']]) {
      for (const s of many('PERMIT', v, v, 'alnum')) {
        expect(isValidTaiwanId(s)).toBe(true);
        expect(s.slice(0, 2)).toBe(head);
        expectNoRun(s, v.slice(1));
      }
    }
  });
  it('USCC: the GB 32100 check and the embedded GB 11714 organisation-code check both hold', () => {
    const all = many('USCC', USCC, USCC, 'alnum');
    for (const s of all) {
      expect(isValidUscc(s)).toBe(true);
      expect(isValidOrgCode(s.slice(8, 17))).toBe(true);
      expect(s.slice(0, 2)).toBe('91');
      expectNoRun(s, USCC.replace(/[^0-9]/g, ''));
    }
    expect(new Set(all).size).toBe(all.length);
  });
  it('residence permits 810000/820000/830000 get a valid permit, not [PERSON_ID]', () => {
    for (const region of ['810000', '820000', '830000']) {
      for (const date of ['19900101', '20000101', '19801231']) {
        const first17 = region + date + '123';
        const v = first17 + gb11643CheckChar(first17);
        expect(isValidResidencePermit(v)).toBe(true);
        for (const s of many('PERSON_ID', v, v, 'digits')) {
          expect(s).not.toBe('[PERSON_ID]');
          expect(isValidResidencePermit(s)).toBe(true);
          expect(s.slice(0, 6)).toBe(region);
          expectNoRun(s.slice(6), v.slice(6));
        }
      }
    }
  });
  it('the other formats stay valid too (resident ID, bank card, mobile)', () => {
    const id = '11010519900307123' + gb11643CheckChar('11010519900307123');
    const card = '622202123456789' + luhnCheckDigit('622202123456789');
    for (const s of many('PERSON_ID', id, id, 'digits')) expect(isValidResidentId(s)).toBe(true);
    for (const s of many('BANK_CARD', card, card, 'digits')) expect(luhnValid(s)).toBe(true);
    for (const s of many('PHONE', '+86 139 1234 5678', '13912345678', 'phone-cn')) {
      expect(s).toMatch(/^\+86 1[3-9][0-9] [0-9]{4} [0-9]{4}$/);
      expect(isValidCnMobile(s.replace(/[^0-9]/g, ''))).toBe(true);
    }
  });
  it('end to end through the rule packs: each surrogate is found again by the rule that found the original', () => {
    const cases: [string, string, (s: string) => boolean][] = [
      ['快递单号', S10, isValidS10],
      ['香港身份证', HKID, isValidHkid],
      ['台湾身份证', TWID, isValidTaiwanId],
      ['信用代码', USCC, (s) => isValidUscc(s) && isValidOrgCode(s.slice(8, 17))],
      ['居住证号码', '81000019900101123' + gb11643CheckChar('81000019900101123'), isValidResidencePermit],
    ];
    for (const [cue, v, valid] of cases) {
      const found = engine.analyze(cue + v).spans;
      expect(found.length).toBe(1);
      for (const seed of ['a', 'b', 'c', 'd', 'e']) {
        const out = run(cue + v, 'surrogate', new ConversationScope('c'), seed).text;
        const s = out.slice(cue.length);
        expect(valid(s)).toBe(true);
        const again = engine.analyze(out).spans;
        expect(again.map((x) => [x.rule, out.slice(x.start, x.end)])).toEqual([[found[0].rule, s]]);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Distinct surrogates per distinct value within a conversation
// ---------------------------------------------------------------------------

/** Applies surrogates to `values` joined by a separator, with hand-made spans of `type`. */
function surrogateAll(type: string, values: string[], seed = 's', scopeId = 'c', rule = 'test') {
  let text = '';
  const spans: PiiSpan[] = [];
  for (const v of values) {
    if (text) text += ' | ';
    spans.push({ type, start: text.length, end: text.length + v.length, score: 1, rule });
    text += v;
  }
  const r = applyOperators(text, spans, new ConversationScope(scopeId), { operator: 'surrogate', seed, canonicalOf: engine.canonicalOf });
  return { text: r.text, outs: r.replacements.map((x) => r.text.slice(x.outStart, x.outEnd)) };
}

const ZH_SUR = Array.from('赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗');
const ZH_GIV = Array.from('一二三四五六七八九十');
const n50 = Array.from({ length: 50 }, (_, i) => i);

const DISTINCT: Record<string, string[]> = {
  PERSON: n50.map((i) => ZH_SUR[i] + ZH_GIV[i % 10] + (i % 2 ? '' : ZH_GIV[(i * 3) % 10])),
  ORG: n50.map((i) => `${ZH_SUR[i]}氏${ZH_GIV[i % 10]}号贸易有限公司`),
  ADDRESS: n50.map((i) => `杭州市西湖区文${ZH_GIV[i % 10]}路${100 + i}号`),
  PHONE: n50.map((i) => `139${String(10000000 + i * 7919).padStart(8, '0')}`),
  PERSON_ID: n50.map((i) => {
    const f = `1101051990${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(100 + i).slice(-3)}`;
    return f + gb11643CheckChar(f);
  }),
  BANK_CARD: n50.map((i) => {
    const b = `6222021234${String(10000 + i * 37).padStart(5, '0')}`;
    return b + luhnCheckDigit(b);
  }),
  EMAIL: n50.map((i) => `person${i}@example.org`),
  QQ: n50.map((i) => String(87654321 + i * 1013)),
  WECHAT: n50.map((i) => `wxid_abc${i}`),
  PLATE: n50.map((i) => `京A${String(10000 + i * 131).slice(-5)}`),
  DOB: n50.map((i) => `1990-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`),
  SSN: n50.map((i) => `2${String(10 + i).padStart(2, '0')}-45-${String(1000 + i * 17)}`),
  IP: n50.map((i) => `192.168.${i}.${i + 1}`),
  URL: n50.map((i) => `https://shop.example.net/item/${i}`),
  HANDLE: n50.map((i) => `@小${ZH_SUR[i]}的店`),
  USCC: n50.map((i) => {
    const o = `MA${String(100000 + i * 7).slice(-6)}`;
    const f = '91350100' + o + gb11714CheckChar(o);
    return f + usccCheckChar(f);
  }),
  TRACKING_NO: n50.map((i) => {
    const s = String(20000000 + i * 4099).slice(-8);
    return 'EA' + s + s10CheckDigit(s) + 'CN';
  }),
  PERMIT: n50.map((i) => {
    const b = `A${String(200000 + i * 11).slice(-6)}`;
    return `${b}(${hkidCheckChar(b)})`;
  }),
  PASSPORT: n50.map((i) => `E${String(30000000 + i * 211)}`),
};

describe('distinct values get distinct surrogates within a conversation', () => {
  it('50 distinct values of every type → 50 distinct surrogates, none an original, repeats consistent', () => {
    for (const [type, values] of Object.entries(DISTINCT)) {
      expect(new Set(values).size, type).toBe(50);
      const { outs } = surrogateAll(type, [...values, ...values]);
      const first = outs.slice(0, 50);
      const key = (s: string) => s.toLowerCase().replace(/[^0-9a-z\u3400-\u9fff]/g, '');
      expect(new Set(first.map(key)).size, type).toBe(50);
      expect(outs.slice(50), type).toEqual(first);
      const originals = new Set(values.map(key));
      for (const s of first) {
        expect(originals.has(key(s)), `${type} ${s}`).toBe(false);
        expect(s, type).not.toBe(`[${type}]`);
      }
    }
  });
  it('7 person names give 7 fakes; an English and a Chinese organisation list too (was 5 names, one 示例公司)', () => {
    const names = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏'];
    for (const seed of ['0', '1', '2', '3', '4', '5', '6', '7']) {
      const outs = surrogateAll('PERSON', names, seed).outs;
      expect(new Set(outs).size).toBe(7);
      for (const o of outs) expect(names).not.toContain(o);
      for (const o of outs) expect(Array.from(o).length).toBe(2); // a two-character name stays two characters
    }
    const orgs = ['阿里巴巴', '腾讯', '京东', '美团', '百度', '网易', '小米'];
    expect(new Set(surrogateAll('ORG', orgs).outs).size).toBe(7);
    const en = ['Acme Corp', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark'];
    expect(new Set(surrogateAll('ORG', en).outs).size).toBe(7);
    const people = ['John Smith', 'Mary Jones', 'Bob Brown', 'Ann Lee', 'Tom Hill', 'Eve Adams', 'Sam Cook'];
    expect(new Set(surrogateAll('PERSON', people).outs).size).toBe(7);
  });
  it('single-character surnames (李先生 → 李) stay distinct even when there are many', () => {
    const outs = surrogateAll('PERSON', ZH_SUR.slice(0, 40)).outs;
    expect(new Set(outs).size).toBe(40);
    for (const o of outs) expect(ZH_SUR.slice(0, 40)).not.toContain(o);
  });
  it('phones written differently are one value; different numbers differ (surrogate keys are national numbers)', () => {
    const vals = ['13912345678', '+86 139 1234 5678', '13912345679', '86-13912345679'];
    let text = '';
    const spans: PiiSpan[] = [];
    for (const v of vals) {
      if (text) text += '，';
      spans.push({ type: 'PHONE', start: text.length, end: text.length + v.length, score: 1, rule: 'phone.cn.mobile' });
      text += v;
    }
    const r = applyOperators(text, spans, new ConversationScope('c'), { operator: 'surrogate', seed: 's', canonicalOf: engine.canonicalOf });
    const outs = r.replacements.map((x) => canonicalValue(r.text.slice(x.outStart, x.outEnd), 'phone-cn'));
    expect(outs[0]).toBe(outs[1]);
    expect(outs[2]).toBe(outs[3]);
    expect(outs[0]).not.toBe(outs[2]);
  });
  it('deterministic: same seed and conversation → same output; another seed or conversation → another', () => {
    const vals = DISTINCT.PERSON.slice(0, 20);
    const a = surrogateAll('PERSON', vals, 's', 'c').text;
    expect(surrogateAll('PERSON', vals, 's', 'c').text).toBe(a);
    expect(surrogateAll('PERSON', vals, 't', 'c').text).not.toBe(a);
    expect(surrogateAll('PERSON', vals, 's', 'd').text).not.toBe(a);
    const t = run(TEXT, 'surrogate').text;
    expect(run(TEXT, 'surrogate').text).toBe(t);
  });
  it('scrubText (the packs in the tree) still gives valid, consistent surrogates', () => {
    const scope = new ConversationScope('c');
    const a = scrubText('手机13812345678', { operator: 'surrogate', seed: 's', scope }).text;
    const b = scrubText('手机138 1234 5678', { operator: 'surrogate', seed: 's', scope }).text;
    expect(b.replace(/ /g, '')).toBe(a.replace(/ /g, ''));
    expect(isValidCnMobile(a.slice(2))).toBe(true);
  });
});

describe('IPv6 surrogates (session 6)', () => {
  it('an address in 2001:db8::/32 gets one from 3fff::/20 instead of [IP]; others stay in 2001:db8::/32', () => {
    for (const v of ['2001:db8::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334']) {
      const out = scrubText(`服务器地址 ${v} 连不上`, { operator: 'surrogate', seed: 's' }).text;
      expect(out).toMatch(/^服务器地址 3fff:[0-9a-f]{3}::[0-9a-f]{4} 连不上$/);
    }
    expect(scrubText('IP:fe80::1', { operator: 'surrogate', seed: 's' }).text).toMatch(/^IP:2001:db8::[0-9a-f]{4}$/);
  });
});
