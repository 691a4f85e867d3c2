import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@scrubline/core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupEndsMatch, loadRulePacks, RuleEngine, trieRegex, WordScanner } from '../src/rules.js';
import { ConversationScope } from '../src/operators.js';
import { scrubText } from '../src/index.js';

/** The matches of the plain scan WordScanner replaces: global trie regex, restarting one character after each match. */
function plainScan(words: string[], s: string): [string, number][] {
  const re = new RegExp(trieRegex(words), 'g');
  const out: [string, number][] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    out.push([m[0], m.index]);
    re.lastIndex = m.index + 1;
  }
  return out;
}

describe('WordScanner', () => {
  const words = ['qq', 'q号', '扣扣', '扣', 'vx', 'v信', '微信', '身份证', '身份证号码', '订单', '订单编号', '+v', 'wechat', 'id', '企鹅号', '𠮷野'];
  const alphabet = [...'qQvVxX扣微信身份证号码订单编企鹅𠮷野+iIdD ,1a中', '𠮷'];

  it('finds the same (overlapping) matches as the global regex scan, ASCII letters in either case', () => {
    const scanner = new WordScanner(words);
    const rnd = mulberry32(11);
    for (let k = 0; k < 3000; k++) {
      let s = '';
      const n = Math.floor(rnd() * 24);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const got: [string, number][] = [];
      scanner.scan(s, (w, i) => got.push([w, i]));
      expect(got).toEqual(plainScan(words, s));
    }
    const got: string[] = [];
    scanner.scan('加我VX或者QQ号，身份证号码', (w) => got.push(w));
    expect(got).toEqual(['VX', 'QQ', 'Q号', '身份证号码']);
  });

  it("wordAt gives the sticky trie regex's match at every position, and longestAt the word the trie holds", () => {
    const scanner = new WordScanner(words);
    const sticky = new RegExp(trieRegex(words), 'y');
    const rnd = mulberry32(12);
    for (let k = 0; k < 2000; k++) {
      let s = '';
      const n = Math.floor(rnd() * 24);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      for (let i = 0; i <= s.length; i++) {
        sticky.lastIndex = i;
        const m = sticky.exec(s);
        const expected = m === null || m[0] === '' ? null : m[0];
        expect(scanner.wordAt(s, i)).toBe(expected);
        const node = scanner.longestAt(s, i);
        expect(node < 0 ? null : scanner.wordOf[node]).toBe(expected === null ? null : expected.toLowerCase());
      }
    }
    // a word's upper-case ASCII letters are read as lower case (review: Ac after ab shared ab's child, and ac matched)
    const upper = new WordScanner(['Ab']);
    expect(['Ab', 'AB', 'ab', 'aB'].map((s) => upper.wordAt(s, 0))).toEqual(['Ab', 'AB', 'ab', 'aB']);
    for (const list of [['Ac', 'ab'], ['ab', 'Ac']]) {
      const got: [string, number][] = [];
      new WordScanner(list).scan('Ac ac AB ad', (w, i) => got.push([w, i]));
      expect(got).toEqual([['Ac', 0], ['ac', 3], ['AB', 6]]);
    }
    // no word: nothing found
    const none: string[] = [];
    new WordScanner([]).scan('abc', (w) => none.push(w));
    expect(none).toEqual([]);
  });

  it('falls back to the plain scan for an empty word', () => {
    const scanner = new WordScanner(['', 'ab']);
    const got: [string, number][] = [];
    scanner.scan('xab', (w, i) => got.push([w, i]));
    expect(got).toEqual(plainScan(['', 'ab'], 'xab'));
  });
});

describe('operators without per-conversation garbage', () => {
  it('a scope numbers values per type and keeps surrogates, with maps made on first use', () => {
    const scope = new ConversationScope('c1');
    expect(scope.number('PHONE', '13800000000')).toBe(1);
    expect(scope.number('EMAIL', 'a@b.c')).toBe(1);
    expect(scope.number('PHONE', '13900000000')).toBe(2);
    expect(scope.number('PHONE', '13800000000')).toBe(1);
    let made = 0;
    const make = () => `s${++made}`;
    expect(scope.surrogate('PHONE', 'x', make)).toBe('s1');
    expect(scope.surrogate('PHONE', 'x', make)).toBe('s1');
    expect(scope.surrogate('PHONE', 'y', make)).toBe('s2');
  });

  it('the default placeholder and a custom template give the documented shapes', () => {
    const phone = '13812345678';
    expect(scrubText(`打${phone}或者${phone}`).text).toBe('打[PHONE_1]或者[PHONE_1]');
    expect(scrubText(`打${phone}`, { operators: { PHONE: { kind: 'placeholder', template: '<{type}#{n}>' } } }).text).toBe('打<PHONE#1>');
  });
});

describe('rule packs handed to a worker', () => {
  it('loadRulePacks returns packs preloaded for that folder and names; others are still read', async () => {
    const { loadRulePacks, preloadRulePacks } = await import('../src/rules.js');
    const dir = '/nonexistent-rules-dir-for-test';
    expect(() => loadRulePacks(dir)).toThrow(/no PII rule packs/);
    const packs = [{ pack: 'x', rules: [] }];
    preloadRulePacks(dir, undefined, packs);
    expect(loadRulePacks(dir)).toBe(packs);
    expect(loadRulePacks(dir, [])).toBe(packs);
    expect(() => loadRulePacks(dir, ['cn'])).toThrow(/no PII rule packs/);
  });
});

describe('groupEndsMatch: a value group read from the match end (no `d` flag)', () => {
  it('takes a group followed only by lookaheads, at the top level', () => {
    expect(groupEndsMatch('(?<v>[0-9]{6})(?![0-9])', 'v')).toBe(true);
    expect(groupEndsMatch('(?<![A-Z])QQ[ ]{0,2}(?<v>[1-9][0-9]{4,10})(?![0-9])(?=[^)])', 'v')).toBe(true);
    expect(groupEndsMatch('[(](?<v>x\\))(?![)])', 'v')).toBe(true);
  });
  it('refuses a group that something consumes after, or that sits inside another group or alternative', () => {
    expect(groupEndsMatch('(?<v>x)y', 'v')).toBe(false);
    expect(groupEndsMatch('(?<v>x)(?<=x)', 'v')).toBe(false);
    expect(groupEndsMatch('(?:a(?<v>x))+', 'v')).toBe(false);
    expect(groupEndsMatch('(?:a(?<v>x)|b)', 'v')).toBe(false);
    expect(groupEndsMatch('a|(?<v>x)', 'v')).toBe(false);
    expect(groupEndsMatch('(?<v>x)|b', 'v')).toBe(false);
    expect(groupEndsMatch('(?<v>x)?', 'v')).toBe(false);
    expect(groupEndsMatch('(?<v>x){0,2}', 'v')).toBe(false);
    expect(groupEndsMatch('(?<w>x)', 'v')).toBe(false);
    // a name written with escapes may be the real group: the plain-looking one is an escaped paren
    expect(groupEndsMatch('(?<\\u0076>[0-9]{2})(?:\\(?<v>[0-9])(?=a)', 'v')).toBe(false);
  });
  it('places every shipped group rule as match indices do, over the fixture corpus', () => {
    const texts = readFileSync(fileURLToPath(new URL('../../../fixtures/pii/corpus.jsonl', import.meta.url)), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { text: string }).text);
    const engine = new RuleEngine(loadRulePacks(fileURLToPath(new URL('../../../rules', import.meta.url))));
    const grouped = engine.rules.filter((r) => r.group);
    expect(grouped.length).toBeGreaterThan(5);
    let compared = 0;
    for (const r of grouped) {
      expect(r.groupAtEnd, r.id).toBe(true);
      const withIndices = new RegExp(r.re.source, 'gd');
      for (const t of texts) {
        withIndices.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = withIndices.exec(t)) !== null) {
          const ix = m.indices!.groups![r.group!];
          if (!ix) continue;
          const end = m.index + m[0].length;
          expect([end - m.groups![r.group!].length, end], r.id).toEqual(ix);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('rule packs are read as YAML 1.2 core', () => {
  it('keeps a date-like word as text, and names the file of a pack that is not YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrubline-packs-'));
    try {
      mkdirSync(join(dir, 'pii'));
      writeFileSync(join(dir, 'pii', 'a.yaml'), "rules:\n  - id: x\n    type: DOB\n    pattern: '[0-9]{4}'\n    context: { words: [2023-10-01, yes] }\n");
      const [pack] = loadRulePacks(dir);
      expect(pack.rules[0].context?.words).toEqual(['2023-10-01', 'yes']);
      writeFileSync(join(dir, 'pii', 'b.yaml'), 'rules:\n  - id: y\n   type: [A\n');
      expect(() => loadRulePacks(dir)).toThrow(expect.objectContaining({ code: 'SCRUB_CONFIG_INVALID', file: join(dir, 'pii', 'b.yaml') }));
      rmSync(join(dir, 'pii', 'b.yaml'));
      // numbers must be numbers: `+.2` is text under the core schema, and text would make a score pass every threshold
      const rule = (extra: string, types = '') =>
        writeFileSync(join(dir, 'pii', 'a.yaml'), `${types}rules:\n  - id: x\n    type: T\n    pattern: '[0-9]{4}'\n${extra}`);
      const fails = (field: string) => expect(() => new RuleEngine(loadRulePacks(dir))).toThrow(expect.objectContaining({ code: 'SCRUB_CONFIG_INVALID', field }));
      rule('    base: +.2\n    context: { words: [号码], bonus: 0.1 }\n');
      fails('a.x.base');
      rule('    minDigits: 12.5\n');
      fails('a.x.minDigits');
      rule('    context: { words: [号码], before: -1 }\n');
      fails('a.x.context.before');
      rule('', 'types:\n  T: { threshold: "0.5" }\n');
      fails('a.types.T.threshold');
      // left empty: the default, as before
      rule('    base: ~\n    minDigits:\n', 'types:\n  T: { threshold: ~ }\n');
      expect(new RuleEngine(loadRulePacks(dir)).analyze('号码1234').spans).toEqual([{ type: 'T', start: 2, end: 6, score: 0.5, rule: 'x' }]);
      rule('    base: 0.2\n    minDigits: 4\n');
      expect(new RuleEngine(loadRulePacks(dir)).analyze('号码1234').spans).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
