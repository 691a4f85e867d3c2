import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Ledger, ScrubError } from '@scrubline/core';
import { describeValue } from '../src/safe.js';
import { readRecords, resolveInputs } from '../src/index.js';
import { FIXTURES, JD_CSV, JD_ROWS, readAll, readError, STC3_DOCS, tmp, watchedLedger, write } from './helpers.js';

describe('shape (a): row-per-message exports', () => {
  it('groups the JD-layout TSV into conversations with roles mapped and every row accounted for', async () => {
    const { records, ledger } = await readAll({ files: 'jd-export.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, FIXTURES);
    const rows = readFileSync(`${FIXTURES}/jd-export.tsv`, 'utf8').trim().split('\n');
    expect(records).toHaveLength(40);
    expect(records.reduce((n, r) => n + r.turns.length, 0)).toBe(rows.length);
    const first = rows[0].split('\t');
    expect(records[0].id).toBe(first[0]);
    expect(records[0].turns[0]).toEqual({ role: first[2] === '0' ? 'customer' : 'agent', text: first[6] });
    expect(records[0].meta.customerId).toBe(first[1]);
    expect(records[0].source).toMatchObject({ file: 'jd-export.tsv', line: 1 });
    expect(ledger.verify()).toEqual([]);
    expect(ledger.file('jd-export.tsv').units).toBe(rows.length);
  });

  it('refuses interleaved sessions in contiguous mode with a hint, and groups them in sort mode', async () => {
    const base = { files: 'jd-export-interleaved.tsv', format: 'tsv' as const, csv: JD_CSV, shape: 'rows' as const };
    const err = await readError({ ...base, rows: JD_ROWS }, FIXTURES);
    expect(err).toBeInstanceOf(ScrubError);
    expect(err.code).toBe('SCRUB_SESSION_NOT_CONTIGUOUS');
    expect(err.line).toBeGreaterThan(1);
    expect(err.hint).toMatch(/grouping: sort/);

    // sortRunRows 5 forces many spilled runs and a k-way merge
    const { records } = await readAll({ ...base, rows: { ...JD_ROWS, grouping: 'sort', sortRunRows: 5 } }, FIXTURES);
    const rows = readFileSync(`${FIXTURES}/jd-export-interleaved.tsv`, 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const sessions = [...new Set(rows.map((r) => r[0]))].sort();
    expect(records.map((r) => r.id)).toEqual(sessions);
    for (const r of records) {
      const own = rows.filter((x) => x[0] === r.id).map((x) => x[6]);
      expect(r.turns.map((t) => t.text)).toEqual(own); // file order kept within a session
    }
  });

  it('checks contiguity in bounded memory: a session that comes back after the recent window is found when the input ends', async () => {
    const dir = tmp();
    const row = (sid: string, i: number) => `${sid}\tu\t${i % 2}\t0\t0\tnan\t第${i}句`;
    const sessions = Array.from({ length: 50 }, (_, k) => `s${String(k).padStart(3, '0')}`);
    const lines = sessions.flatMap((sid) => [row(sid, 0), row(sid, 1)]);
    write(dir, 'ok.tsv', lines.join('\n') + '\n');
    // 50 sessions through a window of 4: 12 spilled runs, merged at the end, no false alarm
    const { records, ledger } = await readAll({ files: 'ok.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, sessionWindow: 4 } }, dir);
    expect(records).toHaveLength(50);
    expect(ledger.verify()).toEqual([]);
    // s003 comes back at line 101, long after a window of 4 has moved on; s049 comes back at 102 within it:
    // whatever the window, the earlier place is the error, and it describes the value as when met at once
    write(dir, 'back.tsv', [...lines, row('s003', 2), row('s049', 3)].join('\n') + '\n');
    const messages: string[] = [];
    for (const sessionWindow of [4, 1 << 18]) {
      const err = await readError({ files: 'back.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, sessionWindow } }, dir);
      expect(err.code).toBe('SCRUB_SESSION_NOT_CONTIGUOUS');
      expect(err.line).toBe(101);
      expect(err.file).toBe('back.tsv');
      expect(err.message).toMatch(/^the session starting here, a 4-character value/);
      messages.push(err.message);
    }
    expect(messages[1]).toBe(messages[0]);
    // and at the end of the input when nothing else fails: the same error
    write(dir, 'late.tsv', [...lines, row('s003', 2)].join('\n') + '\n');
    expect((await readError({ files: 'late.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, sessionWindow: 4 } }, dir)).message).toBe(messages[0]);
    // from standard input the cell cannot be read again: the late repeat is named by place, and a file
    // that happens to be called '-' is not read for it
    const cwd = process.cwd();
    const here = tmp();
    write(here, '-', [...lines, row('13812345678', 2)].join('\n') + '\n');
    process.chdir(here);
    try {
      const stdin = Readable.from([Buffer.from([...lines, row('s003', 2)].join('\n') + '\n')]);
      const files = await resolveInputs('-', here);
      let err: any = null;
      try {
        for await (const _ of readRecords(files, { input: { files: '-', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, sessionWindow: 4 } }, ledger: new Ledger(), tmpDir: tmp(), stdin }));
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'SCRUB_SESSION_NOT_CONTIGUOUS', file: '-', line: 101 });
      expect(err.message).toMatch(/^the session starting here appears again/);
    } finally {
      process.chdir(cwd);
    }
    // across files too (sessions never span files)
    write(dir, 'a.tsv', lines.slice(0, 20).join('\n') + '\n');
    write(dir, 'b.tsv', [...lines.slice(20), row('s001', 9)].join('\n') + '\n');
    const err = await readError({ files: ['a.tsv', 'b.tsv'], format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, sessionWindow: 4 } }, dir);
    expect(err).toMatchObject({ code: 'SCRUB_SESSION_NOT_CONTIGUOUS', file: 'b.tsv', line: 81 });
  });

  it('reads a CSV with a header, quoted commas, doubled quotes and newlines in fields, CRLF', async () => {
    const { records, ledger } = await readAll(
      {
        files: 'chat-export.csv',
        shape: 'rows',
        rows: { session: 'session', role: { column: 'from', map: { user: 'customer', agent: 'agent' } }, text: 'message', timestamp: 'time', order: 'timestamp' },
      },
      FIXTURES,
    );
    expect(records).toHaveLength(8);
    expect(records[0].turns[2].text).toMatch(/, 对吧\?\n"确认"一下$/);
    expect(records[0].turns[0].ts).toBe('2026-11-01T10:00:00');
    expect(ledger.verify()).toEqual([]);
  });

  it('quarantines a row with too many fields, naming file and line, and goes on', async () => {
    const dir = tmp();
    write(dir, 'x.csv', 'session,from,message\ns1,user,hi\ns1,agent,hello,extra\ns1,user,bye\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 'x.csv', shape: 'rows', rows: { session: 'session', role: { column: 'from', map: { user: 'customer', agent: 'agent' } }, text: 'message' } }, dir, ledger);
    expect(records[0].turns.map((t) => t.text)).toEqual(['hi', 'bye']);
    expect(seen).toEqual([expect.objectContaining({ kind: 'quarantined', code: 'SCRUB_CSV_FIELD_COUNT', source: expect.objectContaining({ file: 'x.csv', line: 3 }) })]);
    expect(ledger.verify()).toEqual([]);
  });

  it('quarantines an unterminated quote with its line', async () => {
    const dir = tmp();
    write(dir, 'q.csv', 'session,from,message\ns1,user,hi\ns1,agent,"never closed\ns1,user,bye\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 'q.csv', shape: 'rows', rows: { session: 'session', role: { column: 'from', map: { user: 'customer', agent: 'agent' } }, text: 'message' } }, dir, ledger);
    expect(records[0].turns.map((t) => t.text)).toEqual(['hi']);
    expect(seen).toHaveLength(1);
    expect(seen[0].code).toBe('SCRUB_CSV_QUOTE');
    expect(seen[0].source.line).toBeGreaterThanOrEqual(3);
    expect(ledger.verify()).toEqual([]);
  });

  it('stops on a missing session column before reading rows', async () => {
    const err = await readError(
      { files: 'chat-export.csv', shape: 'rows', rows: { session: 'conversation', role: { column: 'from', map: { user: 'customer' } }, text: 'message' } },
      FIXTURES,
    );
    expect(err.code).toBe('SCRUB_FIELD_MISSING');
    expect(err.field).toBe('rows.session');
    expect(err.hint).toMatch(/session, from, message, time/);
  });

  it('does not echo a data row as column names when a header-less file is read with a header', async () => {
    // jd-export.tsv has no header row: its first row (ids, message text) would be the "header"
    const first = readFileSync(`${FIXTURES}/jd-export.tsv`, 'utf8').split('\n')[0].split('\t');
    const err = await readError({ files: 'jd-export.tsv', format: 'tsv', csv: { quote: false }, shape: 'rows', rows: JD_ROWS }, FIXTURES);
    expect(err.code).toBe('SCRUB_FIELD_MISSING');
    expect(err.hint).toMatch(/csv.header: false/);
    for (const v of [first[0], first[1], first[6]]) expect(`${err.message} ${err.hint}`).not.toContain(v);
  });

  it('quarantines a row with an empty session id and an unmapped role', async () => {
    const dir = tmp();
    write(dir, 'e.tsv', 's1\tu\t0\t0\t0\tnan\thi\n\tu\t0\t0\t0\tnan\torphan\ns1\tu\t7\t0\t0\tnan\twho\ns1\tu\t1\t0\t0\tnan\thello\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 'e.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir, ledger);
    expect(records).toHaveLength(1);
    expect(records[0].turns.map((t) => t.text)).toEqual(['hi', 'hello']);
    expect(seen.map((e) => [e.code, e.source.line])).toEqual([
      ['SCRUB_FIELD_EMPTY', 2],
      ['SCRUB_ROLE_UNMAPPED', 3],
    ]);
    expect(ledger.file('e.tsv')).toMatchObject({ units: 4, unitsUsed: 2, unitsQuarantined: 2 });
    expect(ledger.verify()).toEqual([]);
  });

  it('--strict turns the first malformed row into an error', async () => {
    const dir = tmp();
    write(dir, 'e.tsv', 's1\tu\t0\t0\t0\tnan\thi\n\tu\t0\t0\t0\tnan\torphan\n');
    const ledger = new Ledger();
    ledger.strict = true;
    await expect(readAll({ files: 'e.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir, ledger)).rejects.toMatchObject({ code: 'SCRUB_FIELD_EMPTY', line: 2 });
  });
});

describe('shape (b): conversation-per-record documents', () => {
  it('reads the gzipped STC-3-layout array: utterances joined, annotator votes kept', async () => {
    const { records, ledger } = await readAll({ files: 'helpdesk.json.gz', format: 'json', shape: 'documents', documents: STC3_DOCS }, FIXTURES);
    const raw = JSON.parse(gunzipSync(readFileSync(`${FIXTURES}/helpdesk.json.gz`)).toString());
    expect(records).toHaveLength(raw.length);
    expect(records[0].id).toBe(raw[0].id);
    expect(records[0].turns[0].text).toBe(raw[0].turns[0].utterances.join('\n'));
    expect(records[0].turns[1].role).toBe('agent');
    expect((records[0].labels.votes as any).S).toEqual(raw[0].annotations.map((a: any) => a.quality.S));
    expect(records[3].source).toMatchObject({ file: 'helpdesk.json.gz', index: 3 });
    expect(ledger.verify()).toEqual([]);
  });

  it('reads the same dialogues from JSONL identically (but for the source)', async () => {
    const a = await readAll({ files: 'helpdesk.json.gz', format: 'json', documents: STC3_DOCS }, FIXTURES);
    const b = await readAll({ files: 'helpdesk.jsonl', documents: STC3_DOCS }, FIXTURES);
    const strip = (rs: any[]) => rs.map(({ source, ...r }) => r);
    expect(strip(b.records)).toEqual(strip(a.records));
  });

  it('reads a nested document through json.pick', async () => {
    const dir = tmp();
    write(dir, 'n.json', JSON.stringify({ export: { version: 2, items: [{ id: 'a', turns: [{ sender: 'customer', utterances: ['hi'] }] }] } }));
    const { records } = await readAll({ files: 'n.json', json: { pick: 'export.items' }, documents: STC3_DOCS }, dir);
    expect(records.map((r) => r.id)).toEqual(['a']);
  });

  it('quarantines one invalid JSONL line with its number and keeps the rest', async () => {
    const dir = tmp();
    const lines = readFileSync(`${FIXTURES}/helpdesk.jsonl`, 'utf8').trim().split('\n').slice(0, 5);
    lines[2] = lines[2].slice(0, 40);
    write(dir, 'bad.jsonl', lines.join('\n') + '\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 'bad.jsonl', documents: STC3_DOCS }, dir, ledger);
    expect(records).toHaveLength(4);
    expect(seen).toEqual([expect.objectContaining({ code: 'SCRUB_JSON_PARSE', source: expect.objectContaining({ file: 'bad.jsonl', line: 3 }) })]);
    expect(ledger.verify()).toEqual([]);
  });

  it('stops on a JSON array cut in the middle', async () => {
    const dir = tmp();
    const text = gunzipSync(readFileSync(`${FIXTURES}/helpdesk.json.gz`)).toString();
    write(dir, 'cut.json', text.slice(0, Math.floor(text.length / 2)));
    const err = await readError({ files: 'cut.json', documents: STC3_DOCS }, dir);
    expect(err.code).toBe('SCRUB_JSON_TRUNCATED');
    expect(err.file).toBe('cut.json');
  });

  it('a syntax error inside a complete JSON array is SCRUB_JSON_PARSE, not a cut file (session 15)', async () => {
    const dir = tmp();
    const text = gunzipSync(readFileSync(`${FIXTURES}/helpdesk.json.gz`)).toString();
    // two elements with no comma between, half-way through: the file still ends with its ]
    const at = text.indexOf('},', Math.floor(text.length / 2));
    write(dir, 'broken.json', text.slice(0, at + 1) + ' ' + text.slice(at + 2));
    const err = await readError({ files: 'broken.json', documents: STC3_DOCS }, dir);
    expect(err.code).toBe('SCRUB_JSON_PARSE');
    expect(err.message).toMatch(/^invalid JSON after \d+ element\(s\)/);
    // cut right after an element, its ] missing: a cut file
    write(dir, 'cut2.json', text.slice(0, at + 1));
    expect((await readError({ files: 'cut2.json', documents: STC3_DOCS }, dir)).code).toBe('SCRUB_JSON_TRUNCATED');
  });

  it('quarantines a document without the mapped shape', async () => {
    const dir = tmp();
    write(dir, 's.jsonl', '{"id":"a","turns":[{"sender":"customer","utterances":["hi"]}]}\n{"id":"b","turns":"oops"}\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 's.jsonl', documents: STC3_DOCS }, dir, ledger);
    expect(records).toHaveLength(1);
    expect(seen[0]).toMatchObject({ code: 'SCRUB_JSON_SHAPE', source: { file: 's.jsonl', line: 2, field: 'turns' } });
  });

  it('handles a single 10 MB line', async () => {
    const dir = tmp();
    const big = 'x'.repeat(10 * 1024 * 1024);
    write(dir, 'big.jsonl', JSON.stringify({ id: 'big', turns: [{ sender: 'customer', utterances: [big] }] }) + '\n' + JSON.stringify({ id: 'small', turns: [] }) + '\n');
    const { records } = await readAll({ files: 'big.jsonl', documents: STC3_DOCS }, dir);
    expect(records.map((r) => r.id)).toEqual(['big', 'small']);
    expect(records[0].turns[0].text.length).toBe(big.length);
  });

  it('quarantines a line over maxLineLength without holding it', async () => {
    const dir = tmp();
    write(dir, 'long.jsonl', JSON.stringify({ id: 'a', turns: [] }) + '\n' + JSON.stringify({ id: 'b', pad: 'y'.repeat(5000), turns: [] }) + '\n' + JSON.stringify({ id: 'c', turns: [] }) + '\n');
    const { ledger, seen } = watchedLedger();
    const { records } = await readAll({ files: 'long.jsonl', documents: STC3_DOCS, maxLineLength: 1000 }, dir, ledger);
    expect(records.map((r) => r.id)).toEqual(['a', 'c']);
    expect(seen[0]).toMatchObject({ code: 'SCRUB_LINE_TOO_LONG', source: { line: 2 } });
    expect(ledger.verify()).toEqual([]);
  });
});

describe('files, gzip and encodings', () => {
  it('stops on a truncated gzip', async () => {
    const dir = tmp();
    const gz = readFileSync(`${FIXTURES}/helpdesk.json.gz`);
    write(dir, 't.json.gz', gz.subarray(0, gz.length - 200));
    const err = await readError({ files: 't.json.gz', documents: STC3_DOCS }, dir);
    expect(err.code).toBe('SCRUB_GZIP_TRUNCATED');
    expect(err.file).toBe('t.json.gz');
  });

  it('stops on an empty file, unless allowed', async () => {
    const dir = tmp();
    write(dir, 'empty.jsonl', '');
    expect((await readError({ files: 'empty.jsonl', documents: STC3_DOCS }, dir)).code).toBe('SCRUB_INPUT_EMPTY');
    const { records } = await readAll({ files: 'empty.jsonl', documents: STC3_DOCS, allowEmpty: true }, dir);
    expect(records).toEqual([]);
  });

  it('stops on a pattern that matches nothing', async () => {
    const err = await readError({ files: 'nothing-*.tsv', documents: STC3_DOCS }, FIXTURES);
    expect(err.code).toBe('SCRUB_INPUT_NOT_FOUND');
  });

  it('strips a UTF-8 BOM', async () => {
    const dir = tmp();
    write(dir, 'bom.jsonl', '\uFEFF' + JSON.stringify({ id: 'a', turns: [{ sender: 'customer', utterances: ['你好'] }] }) + '\n');
    const { records } = await readAll({ files: 'bom.jsonl', documents: STC3_DOCS }, dir);
    expect(records[0].id).toBe('a');
  });

  const gbkTsv = () => {
    // GBK bytes for 你好 (C4E3 BAC3) and 谢谢 (D0BB D0BB)
    const hi = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]);
    const thanks = Buffer.from([0xd0, 0xbb, 0xd0, 0xbb]);
    return Buffer.concat([Buffer.from('s1\tu\t0\t0\t0\tnan\t'), hi, Buffer.from('\ns1\tu\t1\t0\t0\tnan\t'), thanks, Buffer.from('\n')]);
  };

  it('decodes a declared GBK file', async () => {
    const dir = tmp();
    write(dir, 'g.tsv', gbkTsv());
    const { records } = await readAll({ files: 'g.tsv', format: 'tsv', encoding: 'gbk', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir);
    expect(records[0].turns.map((t) => t.text)).toEqual(['你好', '谢谢']);
  });

  it('detects GBK with encoding auto, with a warning', async () => {
    const dir = tmp();
    write(dir, 'g.tsv', gbkTsv());
    const { records, warnings } = await readAll({ files: 'g.tsv', format: 'tsv', encoding: 'auto', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir);
    expect(records[0].turns[0].text).toBe('你好');
    expect(warnings[0]).toMatch(/GB18030/);
  });

  it('refuses a GBK file declared as UTF-8, naming the line, instead of writing replacement characters', async () => {
    const dir = tmp();
    write(dir, 'g.tsv', Buffer.concat([Buffer.from('s0\tu\t0\t0\t0\tnan\tok\n'), gbkTsv()]));
    const err = await readError({ files: 'g.tsv', format: 'tsv', encoding: 'utf-8', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir);
    expect(err.code).toBe('SCRUB_ENCODING_MISMATCH');
    expect(err.line).toBe(2);
    expect(err.hint).toMatch(/gbk/i);
  });

  it('quarantines text that already holds U+FFFD from an upstream bad decode', async () => {
    const dir = tmp();
    write(dir, 'r.tsv', 's1\tu\t0\t0\t0\tnan\thi\ns1\tu\t1\t0\t0\tnan\tbroken \uFFFD\uFFFD text\n');
    const { ledger, seen } = watchedLedger();
    await readAll({ files: 'r.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir, ledger);
    expect(seen[0]).toMatchObject({ code: 'SCRUB_REPLACEMENT_CHAR', source: { line: 2 } });
  });

  it('rejects an unknown encoding', async () => {
    const err = await readError({ files: 'jd-export.tsv', format: 'tsv', encoding: 'latin-9', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, FIXTURES);
    expect(err.code).toBe('SCRUB_ENCODING_UNKNOWN');
  });

  it('takes deterministic shards of the sorted file list', async () => {
    const { resolveInputs } = await import('@scrubline/io');
    const all = await resolveInputs('*', FIXTURES);
    const parts = [0, 1, 2].map((i) => resolveInputs('*', FIXTURES, { index: i, count: 3 }));
    const shards = await Promise.all(parts);
    expect(shards.flat().map((f) => f.name).sort()).toEqual(all.map((f) => f.name));
    expect(shards[1].map((f) => f.name)).toEqual(all.filter((_, i) => i % 3 === 1).map((f) => f.name));
  });
});

describe('missing input', () => {
  it('stops on a file that does not exist, before reading anything', async () => {
    const { resolveInputs } = await import('@scrubline/io');
    await expect(resolveInputs(['jd-export.tsv', 'no-such.tsv'], FIXTURES)).rejects.toMatchObject({ code: 'SCRUB_INPUT_NOT_FOUND', file: 'no-such.tsv' });
  });
});

describe('sessions and files', () => {
  it('never groups a session across files: one that continues in another file is an error', async () => {
    const dir = tmp();
    write(dir, 'a.tsv', 's1\tu\t0\t0\t0\tnan\thi\ns2\tu\t0\t0\t0\tnan\tyo\n');
    write(dir, 'b.tsv', 's2\tu\t1\t0\t0\tnan\thello\n');
    const err = await readError({ files: '*.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir);
    expect(err).toMatchObject({ code: 'SCRUB_SESSION_NOT_CONTIGUOUS', file: 'b.tsv', line: 1 });
  });
});

describe('no personal values in errors', () => {
  it('names an unmapped role value only when it looks like a code', async () => {
    const dir = tmp();
    // role column misconfigured onto the text column: the message must not echo the text
    write(dir, 'm.tsv', 's1\tu\t0\t0\t0\tnan\t我的手机13912345678\n');
    const { ledger, seen } = watchedLedger();
    await readAll({ files: 'm.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, role: { column: 'content', map: { '0': 'customer' } } } }, dir, ledger);
    expect(seen[0].code).toBe('SCRUB_ROLE_UNMAPPED');
    expect(JSON.stringify(seen)).not.toContain('13912345678');
    expect(seen[0].message).toMatch(/-character value/);
  });
});

describe('role and session values are described, never shown', () => {
  it('a name in a mis-mapped role column does not appear in the error; its shape, place and the map keys do', async () => {
    const dir = tmp();
    // role mapped onto the user_id column, which holds customer names in this export
    write(dir, 'n.tsv', 's1\t张伟\t0\t0\t0\tnan\t你好\n');
    const { ledger, seen } = watchedLedger();
    await readAll({ files: 'n.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: { ...JD_ROWS, role: { column: 'user_id', map: { '0': 'customer', '1': 'agent' } } } }, dir, ledger);
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(seen)).not.toContain('张');
    expect(JSON.stringify(seen)).not.toContain('伟');
    expect(seen[0]).toMatchObject({ code: 'SCRUB_ROLE_UNMAPPED', source: expect.objectContaining({ file: 'n.tsv', line: 1 }) });
    expect(seen[0].message).toMatch(/^role value is not in rows\.role\.map: a 2-character value \(2 CJK characters\); the map has '0', '1' \(add the value .*rows\.role\.column names the wrong column\)$/);
    expect(seen[0].source.field).toBe('user_id');
  });

  it('a short Latin name in a documents role field is not shown either', async () => {
    const dir = tmp();
    write(dir, 'd.jsonl', JSON.stringify({ id: 'x1', turns: [{ sender: 'Ann', utterances: ['hi'] }] }) + '\n');
    const { ledger, seen } = watchedLedger();
    await readAll({ files: 'd.jsonl', documents: STC3_DOCS }, dir, ledger);
    expect(seen[0].code).toBe('SCRUB_ROLE_UNMAPPED');
    expect(JSON.stringify(seen)).not.toContain('Ann');
    expect(seen[0].message).toMatch(/^role value is not in documents\.role\.map: a 3-character value \(3 Latin letters\); the map has 'customer', 'helpdesk' \(/);
    expect(seen[0].source).toMatchObject({ file: 'd.jsonl', line: 1, field: 'turns[0].sender' });
  });

  it('a session that comes back is described, not named', async () => {
    const dir = tmp();
    write(dir, 's.tsv', '王芳\tu\t0\t0\t0\tnan\thi\nb2\tu\t0\t0\t0\tnan\tyo\n王芳\tu\t1\t0\t0\tnan\thello\n');
    const err = await readError({ files: 's.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, dir);
    expect(err).toMatchObject({ code: 'SCRUB_SESSION_NOT_CONTIGUOUS', file: 's.tsv', line: 3 });
    expect(err.format()).not.toMatch(/王|芳/);
    expect(err.message).toContain('a 2-character value (2 CJK characters)');
  });

  it('describeValue gives length and character classes only', () => {
    expect(describeValue('客服小王')).toBe('a 4-character value (4 CJK characters)');
    expect(describeValue('Li 13812345678')).toBe('a 14-character value (11 digits, 2 Latin letters, 1 space)');
    expect(describeValue('a@b.cn')).toBe('a 6-character value (4 Latin letters, 2 punctuation marks or symbols)');
    expect(describeValue('😀')).toBe('a 1-character value (1 punctuation or symbol)');
    expect(describeValue('')).toBe('an empty value');
    expect([describeValue(undefined), describeValue(null), describeValue(3), describeValue({}), describeValue([1, 2])]).toEqual(['no value', 'null', 'a number', 'an object', 'an array of 2']);
  });
});

describe('foreign error messages', () => {
  it('a JSON.parse message that quotes the input does not reach the quarantine entry', async () => {
    const dir = tmp();
    write(dir, 'p.jsonl', 'not json 13987654321 a@b.cn\n');
    const { ledger, seen } = watchedLedger();
    await readAll({ files: 'p.jsonl', documents: { turns: 'turns', role: { path: 'sender', map: {} }, text: 'text' } }, dir, ledger);
    expect(seen[0].code).toBe('SCRUB_JSON_PARSE');
    expect(seen[0].message).not.toContain('13987654321');
    expect(seen[0].message).not.toContain('a@b.cn');
    expect(ScrubError.from(new Error('Unexpected token, "call 13987654321" is not valid JSON')).message).not.toContain('13987654321');
  });
});
