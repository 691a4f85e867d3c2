import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@scrubline/core';
import { loadRulePacks, RuleEngine, type RulePack, type RuleSpec } from '../src/rules.js';

// A rule's `gate` words are a prefilter: the rule runs only on a text holding one of them. That is safe only if
// its pattern cannot match without one, which these tests check for every shipped gate, on the fixture corpora
// and on many mutations of a matching example per rule (a mutation that drops or changes the gate word and still
// matches would show a gate that loses findings).

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packs = loadRulePacks(join(root, 'rules'));
const gated: RuleSpec[] = packs.flatMap((p) => p.rules.filter((r) => r.gate !== undefined));

/** A text each gated rule matches (synthetic values). */
const EXAMPLES: Record<string, string[]> = {
  'postcode.cn.after_address': ['广东省深圳市南山区 518057', '北京市朝阳区建国路88号，100022', '上海浦东新区张江镇 201203', '杭州西湖区文三路 310012', '深圳南山区3栋2单元 518000', '5号 518000'],
  'keep.service_number.intl': ['call 1-800-555-0199 now', '(888) 555-0142', '+1 833.555.0100', '0800 123 4567', '+44 808 157 0192'],
  'plate.cn': ['车牌粤B12345', '京A·D2731', '沪AD12345', '川A 12345', '浙B5K3R2'],
  'wechat.cue.v': ['加我V: abc12345', '我的V：zhang_wei1990', 'v=lily2020x', 'V  是 tom_88888'],
  'postcode.us.state': ['Springfield, IL 62704', 'Austin, TX, 73301', 'New York, NY 10001-1234', 'Boston MA 02108'],
  'phone.hk_mo_tw': ['+852 9123 4567', '00852-6123-4567', '+853 6612 3456', '+886 912 345 678', '00886-912-345-678'],
  'phone.uk': ['call 07700 900123', '+44 7700 900123', '+44 (0)20 7946 0958', '020 7946 0958', '0161 496 0123'],
};

const ALPHABET = [...'0123456789 .-·,，:：=+()号市区路省京粤沪VvABXabcILNTYx88500744', '\n', '的'];

function mutate(text: string, rnd: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (chars.length + 1));
    const c = ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    const kind = Math.floor(rnd() * 3);
    if (kind === 0) chars.splice(at, 1);
    else if (kind === 1) chars.splice(at, 1, c);
    else chars.splice(at, 0, c);
  }
  return chars.join('');
}

const holdsGate = (text: string, gate: readonly string[]): boolean => {
  const lower = text.toLowerCase();
  return gate.some((w) => lower.includes(w.toLowerCase()));
};

function fixtureTexts(): string[] {
  const dir = join(root, 'fixtures/pii');
  const texts: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line);
      if (typeof r.text === 'string') texts.push(r.text);
      for (const t of r.turns ?? []) if (typeof t.text === 'string') texts.push(t.text);
    }
  }
  return texts;
}

describe('rule gates (RuleSpec.gate)', () => {
  it('every shipped gate has examples here, and each example matches its pattern and holds a gate word', () => {
    expect(gated.map((r) => r.id).sort()).toEqual(Object.keys(EXAMPLES).sort());
    for (const r of gated) {
      for (const t of EXAMPLES[r.id]) {
        expect(new RegExp(r.pattern, 'g').test(t), `${r.id}: ${t}`).toBe(true);
        expect(holdsGate(t, r.gate!), `${r.id}: ${t}`).toBe(true);
      }
    }
  });

  it('no pattern matches a text without one of its gate words: fixture corpora and 20,000 mutations per rule', () => {
    const corpus = fixtureTexts();
    expect(corpus.length).toBeGreaterThan(2000);
    const rnd = mulberry32(29);
    for (const r of gated) {
      const re = new RegExp(r.pattern, 'g');
      const bad: string[] = [];
      let matched = 0;
      let matchedAfterEdit = 0;
      const check = (t: string, edited: boolean) => {
        re.lastIndex = 0;
        if (!re.test(t)) return;
        matched++;
        if (edited) matchedAfterEdit++;
        if (!holdsGate(t, r.gate!)) bad.push(t);
      };
      for (const t of corpus) check(t, false);
      for (let k = 0; k < 20000; k++) {
        const base = EXAMPLES[r.id][k % EXAMPLES[r.id].length];
        check(mutate(base, rnd), true);
      }
      expect(bad, r.id).toEqual([]);
      // not vacuous: many mutations still match
      expect(matchedAfterEdit, r.id).toBeGreaterThan(1000);
      expect(matched).toBeGreaterThanOrEqual(matchedAfterEdit);
    }
  });

  it('a rule does not run on a text without its gate words, and runs as before on one with them', () => {
    const pack = (gate?: string[]): RulePack => ({ pack: 't', rules: [{ id: 't.num', type: 'ORDER_ID', pattern: '(?<![0-9])[0-9]{6}(?![0-9])', base: 0.9, ...(gate ? { gate } : {}) }] });
    const plain = new RuleEngine([pack()]);
    const gatedEngine = new RuleEngine([pack(['单号', 'No.'])]);
    expect(plain.detect('编号 123456').map((s) => s.rule)).toEqual(['t.num']);
    expect(gatedEngine.detect('编号 123456')).toEqual([]);
    expect(gatedEngine.detect('单号 123456').map((s) => [s.start, s.end])).toEqual([[3, 9]]);
    // ASCII letters in either case, anywhere in the text
    expect(gatedEngine.detect('123456 (NO. on the box)').map((s) => [s.start, s.end])).toEqual([[0, 6]]);
  });

  it('a trigger or gate word with a capital letter outside ASCII is refused (it would never be found as written)', () => {
    for (const field of ['trigger', 'gate']) {
      const p = { pack: 't', rules: [{ id: 't.cap', type: 'ORDER_ID', pattern: 'Σ[0-9]{6}', base: 0.9, [field]: ['单号', 'Σ'] }] } as unknown as RulePack;
      expect(() => new RuleEngine([p])).toThrow(new RegExp(`t\\.cap: ${field} word "Σ" has a capital letter outside ASCII`));
      // lower-case and ASCII capitals are read as before
      const ok = { pack: 't', rules: [{ id: 't.ok', type: 'ORDER_ID', pattern: '[0-9]{6}', base: 0.9, [field]: ['σ', 'ORDER'] }] } as unknown as RulePack;
      expect(new RuleEngine([ok]).detect('order 123456').map((s) => s.rule)).toEqual(['t.ok']);
    }
  });

  it('a gate that is no list of words is a configuration error naming the rule', () => {
    for (const gate of [[], [''], 'word', [3]]) {
      const p = { pack: 't', rules: [{ id: 't.bad', type: 'ORDER_ID', pattern: '[0-9]{6}', gate }] } as unknown as RulePack;
      expect(() => new RuleEngine([p])).toThrow(/t\.bad: gate must be a list of words/);
    }
  });
});
