import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { isDynamicPattern } from '../src/glob.js';

const fg = createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');

describe('isDynamicPattern without loading fast-glob for a plain path', () => {
  it('agrees with fast-glob on hand-picked and on 50,000 random patterns', () => {
    const picked = [
      'a.jsonl', 'data/in.csv.gz', '../fixtures/demo/helpdesk-export.json.gz', '/abs/path/file (1).jsonl', 'file,with,commas.csv',
      '*.jsonl', 'data/**/x.csv', 'a?.json', 'a[0-9].csv', '[abc]', '{a,b}.csv', '{1..3}.csv', '!(a).csv', '@(a|b).csv', '+(a).csv',
      '(a|b).csv', '!neg.csv', 'a\\*.csv', 'a\\b', 'a@b.csv', 'a+b.csv', 'a(b).csv', 'a{b}.csv', 'a]b', 'a[b', '导出/会话.jsonl',
    ];
    const alphabet = ['a', 'b', '.', '/', '-', '_', ' ', ',', '*', '?', '[', ']', '{', '}', '(', ')', '!', '@', '+', '|', '\\', '^', '$', '~', '中', '1'];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const random = Array.from({ length: 50_000 }, () => Array.from({ length: 1 + rand(10) }, () => alphabet[rand(alphabet.length)]).join(''));
    let dynamic = 0;
    for (const p of [...picked, ...random]) {
      const want = fg.isDynamicPattern(p);
      expect(isDynamicPattern(p), p).toBe(want);
      if (want) dynamic++;
    }
    // both kinds are well represented, so the agreement means something
    expect(dynamic).toBeGreaterThan(10_000);
    expect(50_026 - dynamic).toBeGreaterThan(5_000);
  });
});
