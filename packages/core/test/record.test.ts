import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { checkRecord, recordJsonSchema, recordProblem, seededRandom } from '@scrubline/core';

// ajv is CommonJS; its default export lands on .default under NodeNext
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => { compile(s: object): ((v: unknown) => boolean) & { errors?: unknown } };
const validate = new Ajv({ allErrors: true, strict: false }).compile(recordJsonSchema);

const good = () => ({
  id: 'c1',
  turns: [
    { role: 'customer', text: '你好', ts: '2018-03-01 10:00:01', labels: { canned: 'x' }, meta: { ner: [{ start: 0, end: 1 }] } },
    { role: 'agent', text: '您好' },
  ],
  labels: { satisfaction: 4, votes: { S: [1, 0, 1] } },
  source: { file: 'chat.tsv', line: 1, lastLine: 9, row: 2, index: 0 },
  meta: { lang: 'zh' },
});

describe('recordProblem / checkRecord', () => {
  it('accepts a record that matches the schema, and fills in missing labels, meta and source', () => {
    expect(recordProblem(good())).toBeNull();
    const bare: Record<string, unknown> = { id: 'c2', turns: [] };
    expect(checkRecord(bare)).toBeNull();
    expect(bare).toEqual({ id: 'c2', turns: [], labels: {}, meta: {}, source: { file: '-' } });
    expect(validate(bare)).toBe(true);
  });

  // the reviewer's record: fields outside the schema and a phone number where an integer belongs
  const cases: [string, (r: any) => void, string, RegExp][] = [
    ['top-level property', (r) => (r.extra = 'zhang.wei@example.net'), 'extra', /the record has an unknown property 'extra' \(allowed: id, turns, labels, source, meta\)/],
    ['turn property', (r) => (r.turns[1].phone = '13844445555'), 'turns[1].phone', /turns\[1\] has an unknown property 'phone'/],
    ['source.line as a string', (r) => (r.source.line = '13812121212'), 'source.line', /source\.line must be an integer ≥ 1/],
    ['source.line 0', (r) => (r.source.line = 0), 'source.line', /source\.line must be an integer ≥ 1/],
    ['source.lastLine fraction', (r) => (r.source.lastLine = 1.5), 'source.lastLine', /source\.lastLine must be an integer/],
    ['source.row as a string', (r) => (r.source.row = '3'), 'source.row', /source\.row must be an integer/],
    ['source.index negative', (r) => (r.source.index = -1), 'source.index', /source\.index must be an integer ≥ 0/],
    ['source.file missing', (r) => delete r.source.file, 'source.file', /source\.file must be a string/],
    ['source property', (r) => (r.source.contact = '13888889999'), 'source.contact', /source has an unknown property 'contact'/],
    ['source not an object', (r) => (r.source = 'chat.tsv'), 'source', /source must be an object/],
    ['ts as a number', (r) => (r.turns[0].ts = 13877778888), 'turns[0].ts', /turns\[0\]\.ts must be a string/],
    ['turn meta as an array', (r) => (r.turns[0].meta = ['13888889999']), 'turns[0].meta', /turns\[0\]\.meta must be an object/],
    ['turn labels null', (r) => (r.turns[0].labels = null), 'turns[0].labels', /turns\[0\]\.labels must be an object/],
    ['meta as an array', (r) => (r.meta = ['13888889999']), 'meta', /meta must be an object/],
    ['labels as a string', (r) => (r.labels = 'call 13899990000'), 'labels', /labels must be an object/],
    ['turn as an array', (r) => (r.turns[0] = ['customer', 'hi']), 'turns[0]', /turns\[0\] must be an object/],
    ['id as a number', (r) => (r.id = 13888889999), 'id', /id must be a non-empty string/],
  ];
  for (const [name, mutate, field, message] of cases) {
    it(`rejects ${name} with its field path and no value`, () => {
      const r = good();
      mutate(r);
      const p = recordProblem(r);
      expect(p?.field).toBe(field);
      expect(p?.message).toMatch(message);
      expect(checkRecord(structuredClone(r))).toBe(p!.message);
      for (const raw of ['13844445555', '13812121212', '13888889999', '13877778888', '13899990000', 'zhang.wei', 'example.net']) expect(p!.message).not.toContain(raw);
      expect(validate(r)).toBe(false);
    });
  }

  it('masks unknown keys that look identifying and counts the rest', () => {
    const r: any = good();
    r['13888889999'] = 1;
    r['zhang.wei@example.net'] = 2;
    r['张伟'] = 3;
    r.x = 4;
    const p = recordProblem(r)!;
    expect(p.message).toMatch(/has 4 unknown properties '#{11}', '\*+', '＊＊' and 1 more/);
    expect(p.field).toBe('###########');
    expect(p.message + p.field).not.toMatch(/138|zhang|张伟/);
  });

  it('agrees with the published schema (ajv) on many mutated records', () => {
    const rnd = seededRandom('0', 'record-schema');
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const values = [undefined, null, 0, -1, 1, 1.5, 7, '', 'x', '13812121212', true, [], ['a'], {}, { a: 1 }, 'customer', 'bot'];
    const paths: (string | number)[][] = [
      ['id'], ['turns'], ['labels'], ['meta'], ['source'], ['extra'],
      ['turns', 0], ['turns', 0, 'role'], ['turns', 0, 'text'], ['turns', 0, 'ts'], ['turns', 0, 'labels'], ['turns', 0, 'meta'], ['turns', 1, 'phone'], ['turns', 1, 'role'],
      ['source', 'file'], ['source', 'line'], ['source', 'lastLine'], ['source', 'row'], ['source', 'index'], ['source', 'extra'],
      ['meta', 'contact'], ['labels', 'note'],
    ];
    let valid = 0;
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      const r: any = good();
      const n = 1 + Math.floor(rnd() * 2);
      for (let k = 0; k < n; k++) {
        const path = pick(paths);
        let o = r;
        for (const step of path.slice(0, -1)) o = o?.[step];
        if (o === null || typeof o !== 'object') continue;
        const v = pick(values);
        if (v === undefined) delete o[path[path.length - 1]];
        else o[path[path.length - 1]] = structuredClone(v);
      }
      const copy = structuredClone(r);
      const problem = recordProblem(copy);
      // the check fills in a missing labels/meta/source; the schema judges what goes on
      expect(problem === null, `${JSON.stringify(r)} → ${problem?.message}`).toBe(validate(copy));
      if (problem) invalid++;
      else valid++;
    }
    expect(valid).toBeGreaterThan(200);
    expect(invalid).toBeGreaterThan(200);
  });
});
