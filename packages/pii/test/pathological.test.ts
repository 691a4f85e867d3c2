import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkPatternSafety, detect, getRuleEngine, RuleEngine, scrubText } from '../src/index.js';

// Correctness on adversarial inputs, and that every scan finishes (the test
// timeout is the only clock: no timing thresholds). Linear time comes from
// bounded quantifiers (checked for every shipped rule below) and V8's
// non-backtracking fallback, switched on when the engine is created.

const rulesDir = fileURLToPath(new URL('../../../rules/pii', import.meta.url));

describe('pathological inputs finish with correct results', () => {
  it('100 KB of digits: no identifier boundaries, nothing found', () => {
    const text = '1234567890'.repeat(10_000);
    expect(detect(text)).toEqual([]);
    expect(scrubText(text).text).toBe(text);
  });
  it('a 1 MB line of a@a@a@…: no e-mail, no handle', () => {
    const text = 'a@'.repeat(500_000);
    expect(detect(text)).toEqual([]);
  });
  it('50,000 × "1-": nothing found', () => {
    expect(detect('1-'.repeat(50_000))).toEqual([]);
  });
  it('other adversarial shapes', () => {
    expect(detect('a'.repeat(1_000_000))).toEqual([]);
    expect(detect('1:'.repeat(100_000))).toEqual([]);
    expect(detect('1.'.repeat(100_000))).toEqual([]);
    expect(detect('一二'.repeat(50_000))).toEqual([]);
    expect(detect('['.repeat(100_000))).toEqual([]);
    expect(detect('ab:'.repeat(100_000))).toEqual([]);
    // one long URL is one span
    const url = 'http://' + 'www.'.repeat(100_000) + 'x';
    expect(detect(url)).toEqual([{ type: 'URL', start: 0, end: url.length, score: 0.9, rule: 'url' }]);
  });
  it('a real value at the end of a long adversarial run is still found', () => {
    const text = 'a@'.repeat(100_000) + ' 手机13812345678';
    const spans = detect(text);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['13812345678']);
  });
});

describe('pattern safety', () => {
  it('rejects unbounded quantifiers and backreferences', () => {
    expect(checkPatternSafety('[0-9]+')).toMatch(/unbounded/);
    expect(checkPatternSafety('(a*)*b')).toMatch(/unbounded/);
    expect(checkPatternSafety('a{2,}')).toMatch(/unbounded/);
    expect(checkPatternSafety('(a)\\1')).toMatch(/backreference/);
    expect(checkPatternSafety('[+*]{1,3}\\+')).toBeNull();
    expect(checkPatternSafety('[0-9]{1,5}')).toBeNull();
  });
  it('every shipped rule is safe, flag-free and compiles', () => {
    for (const f of readdirSync(rulesDir).filter((x) => x.endsWith('.yaml'))) {
      const pack = parseYaml(readFileSync(join(rulesDir, f), 'utf8'));
      for (const r of pack.rules) {
        expect(checkPatternSafety(r.pattern), `${f} ${r.id}`).toBeNull();
        expect(() => new RegExp(r.pattern)).not.toThrow();
      }
    }
    expect(getRuleEngine().rules.length).toBeGreaterThan(40);
  });
  it('a pack with an unsafe pattern is refused with a coded error', () => {
    expect(() => new RuleEngine([{ pack: 'bad', rules: [{ id: 'x', type: 'PHONE', pattern: '[0-9]+' }] }])).toThrow(/unbounded/);
    expect(() => new RuleEngine([{ pack: 'bad', rules: [{ id: 'x', type: 'PHONE', pattern: '[0-9]{3}', validator: 'nope' }] }])).toThrow(/unknown validator/);
    // a misspelt canonical mode would silently give each spelling of a value its own placeholder
    expect(() => new RuleEngine([{ pack: 'bad', rules: [{ id: 'x', type: 'PHONE', pattern: '[0-9]{3}', canonical: 'phone-xx' as never }] }])).toThrow(/unknown canonical mode phone-xx/);
  });
});
