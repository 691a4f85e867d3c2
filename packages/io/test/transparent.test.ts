import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { decodeStream, newFileInfo, OutputSet, readRecords, resolveInputs, type InputConfig } from '@scrubline/io';
import { FIXTURES, JD_CSV, JD_ROWS, STC3_DOCS, tmp, watchedLedger, write } from './helpers.js';

/** Reads and writes with or without the transparent path; returns the output bytes and the quarantine entries. */
async function ingest(input: InputConfig, baseDir: string, transparent: boolean, path = 'out.ndjson'): Promise<{ bytes: Map<string, string>; quarantined: unknown[]; records: number }> {
  const dir = tmp();
  const { ledger, seen: quarantined } = watchedLedger();
  const files = await resolveInputs(input.files, baseDir);
  const out = new OutputSet({ path, baseDir: dir, transparent });
  let records = 0;
  for await (const b of readRecords(files, { input, ledger, tmpDir: tmp(), transparent })) {
    records += b.length;
    await out.write(b);
  }
  const written = await out.close();
  await out.commit();
  const bytes = new Map(written.map((w) => [w.path.slice(dir.length + 1), readFileSync(w.path, 'latin1')]));
  return { bytes, quarantined, records };
}

async function same(input: InputConfig, baseDir: string, path?: string) {
  const a = await ingest(input, baseDir, false, path);
  const b = await ingest(input, baseDir, true, path);
  expect(b.records).toBe(a.records);
  expect([...b.bytes.keys()]).toEqual([...a.bytes.keys()]);
  for (const [k, v] of a.bytes) expect(b.bytes.get(k) === v, `${k} differs`).toBe(true);
  expect(b.quarantined).toEqual(a.quarantined);
  return a;
}

describe('byte-transparent ingest (no transcoding when no stage reads the text)', () => {
  it('writes the same bytes as the decoding path on the fixtures: JSONL, JSON array, TSV rows', async () => {
    const a = await same({ files: 'helpdesk.jsonl', documents: STC3_DOCS }, FIXTURES);
    expect([...a.bytes.values()][0]).toMatch(/\n$/);
    await same({ files: 'helpdesk.json.gz', documents: STC3_DOCS }, FIXTURES);
    await same({ files: 'jd-export.tsv', format: 'tsv', csv: JD_CSV, shape: 'rows', rows: JD_ROWS }, FIXTURES);
  });

  it('handles escapes, astral characters, BOM, CRLF, non-ASCII mapping keys, bad lines and U+FFFD alike', async () => {
    const dir = tmp();
    const lines = [
      '\uFEFF' + JSON.stringify({ 编号: 'a1', 对话: [{ 角色: '客户', 话: ['你好😀，é', '第二句'] }], 评分: [{ S: 1 }] }),
      // \u escapes: JSON.parse makes real characters; those lines take the decoding path
      '{"编号":"a2","对话":[{"角色":"客服","话":["\\u4e2d\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\n"]}],"评分":[]}',
      '{"编号":"a3","对话":[{"角色":"客户","话":["坏\\u"]}]}', // invalid escape: quarantined
      '{"编号":"a4","对话":[{"角色":"经理","话":["未映射的角色"]}]}', // unmapped role: quarantined with the same message
      JSON.stringify({ 编号: 'a5', 对话: [{ 角色: '客户', 话: ['乱码\uFFFD'] }] }), // U+FFFD: quarantined
      'not json at all 中文',
      '   ',
      JSON.stringify({ 编号: 'a6', 对话: [{ 角色: '客服', 话: '直接是字符串\t制表' }], 评分: [{ S: -2 }, { S: 2 }] }),
    ];
    write(dir, 'zh.jsonl', lines.join('\r\n') + '\r\n');
    const input: InputConfig = {
      files: 'zh.jsonl',
      documents: { id: '编号', idPrefix: '会话-', turns: '对话', role: { path: '角色', map: { 客户: 'customer', 客服: 'agent' } }, text: { path: '话', join: '／' }, labels: { '满意度.票': '评分[*].S' } },
    };
    const a = await same(input, dir);
    const out = [...a.bytes.values()][0];
    const recs = Buffer.from(out, 'latin1').toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as ConversationRecord);
    expect(recs.map((r) => r.id)).toEqual(['会话-a1', '会话-a2', '会话-a6']);
    expect(recs[0].turns[0].text).toBe('你好😀，é／第二句');
    expect(recs[1].turns[0].text).toBe('中é😀 "q" \\ \n');
    expect(recs[2].labels).toEqual({ 满意度: { 票: [-2, 2] } });
    expect(a.quarantined.map((q: any) => q.code)).toEqual(['SCRUB_JSON_PARSE', 'SCRUB_ROLE_UNMAPPED', 'SCRUB_REPLACEMENT_CHAR', 'SCRUB_JSON_PARSE']);
  });

  it('groups TSV and CSV rows alike: non-ASCII header, role values and labels, blank-looking session ids, bad rows', async () => {
    const dir = tmp();
    const rows = [
      '会话\t角色\t内容\t评分',
      '甲1\t顾客\t你好😀\t5',
      '甲1\t客服\t您好，请讲\t',
      '\u3000\t顾客\t全角空格会话\t1', // U+3000 only: empty session id, as when decoded
      '\u00a0\t顾客\t不换行空格会话\t1',
      '乙2\t经理\t未映射\t2',
      '乙2\t顾客\t乱码\uFFFD\t2',
      '乙2\t顾客\t多了\t一\t列',
      '乙2\t顾客\t正常\t3',
    ];
    write(dir, 'zh.tsv', rows.join('\n') + '\n');
    const mapping = { session: '会话', role: { column: '角色', map: { 顾客: 'customer' as const, 客服: 'agent' as const } }, text: '内容', labels: { 满意度: '评分' }, idPrefix: '京-' };
    for (const quote of [false as const, undefined]) {
      const a = await same({ files: 'zh.tsv', format: 'tsv', csv: { quote }, shape: 'rows', rows: mapping }, dir);
      const recs = Buffer.from([...a.bytes.values()][0], 'latin1').toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as ConversationRecord);
      expect(recs.map((r) => [r.id, r.turns.length, r.labels])).toEqual([['京-甲1', 2, { 满意度: '5' }], ['京-乙2', 1, { 满意度: '3' }]]);
      expect(a.quarantined.map((q: any) => q.code)).toEqual(['SCRUB_FIELD_EMPTY', 'SCRUB_FIELD_EMPTY', 'SCRUB_ROLE_UNMAPPED', 'SCRUB_REPLACEMENT_CHAR', 'SCRUB_CSV_FIELD_COUNT']);
    }
    write(dir, 'zh.csv', '"会话","角色","内容"\r\n"丙","顾客","引号里有,逗号和""双引号""\n换行"\r\n');
    await same({ files: 'zh.csv', shape: 'rows', rows: { session: '会话', role: mapping.role, text: '内容' } }, dir);
  });

  it('rejects a session id of ASCII and non-ASCII blanks alike (an ASCII blank first)', async () => {
    const dir = tmp();
    const rows = ['s\tr\tt', 'a\t0\t你好', ' \u3000\t0\t空白会话', ' \u00a0\t0\t空白会话', 'b\t0\t再见'];
    write(dir, 'blank.tsv', rows.join('\n') + '\n');
    for (const quote of [false as const, undefined]) {
      const a = await same({ files: 'blank.tsv', format: 'tsv', csv: { quote }, shape: 'rows', rows: { session: 's', role: { column: 'r', map: { '0': 'customer' } }, text: 't' } }, dir);
      expect(a.records).toBe(2);
      expect(a.quarantined.map((q: any) => q.code)).toEqual(['SCRUB_FIELD_EMPTY', 'SCRUB_FIELD_EMPTY']);
    }
  });

  it('checks input.maxLineLength in characters, not bytes', async () => {
    const dir = tmp();
    const rec = (text: string) => JSON.stringify({ id: 'x', turns: [{ sender: 'customer', utterances: [text] }] });
    const short = rec('汉'.repeat(40)); // 40 characters of text, 120 bytes
    write(dir, 'long.jsonl', [short, rec('汉'.repeat(400)), rec('a'.repeat(40))].join('\n') + '\n');
    const max = short.length + 5; // in characters: the first line fits although its bytes do not
    const a = await same({ files: 'long.jsonl', documents: STC3_DOCS, maxLineLength: max }, dir);
    expect(a.records).toBe(2);
    expect(a.quarantined.map((q: any) => q.code)).toEqual(['SCRUB_LINE_TOO_LONG']);
    const row = (n: number) => `s${n}\t0\t${'汉'.repeat(n)}`;
    write(dir, 'long.tsv', [row(10), row(30), row(200)].join('\n') + '\n');
    const t = await same({ files: 'long.tsv', format: 'tsv', csv: { quote: false, columns: ['s', 'r', 't'], header: false }, shape: 'rows', rows: { session: 's', role: { column: 'r', map: { '0': 'customer' } }, text: 't' }, maxLineLength: 40 }, dir);
    expect(t.records).toBe(2);
    expect(t.quarantined.map((q: any) => q.code)).toEqual(['SCRUB_LINE_TOO_LONG']);
  });

  it('reads canonical NDJSON and GBK input, and names files from meta values, alike', async () => {
    const dir = tmp();
    const canon = { id: '甲', turns: [{ role: 'customer', text: '查订单' }], labels: {}, source: { file: '源.jsonl', line: 3 }, meta: { 分组: '训练' } };
    write(dir, 'c.ndjson', JSON.stringify(canon) + '\n' + JSON.stringify({ ...canon, id: '乙', meta: { split: '测试' } }) + '\n');
    await same({ files: 'c.ndjson' }, dir, 'out-{meta.split}.ndjson');
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
    write(dir, 'g.jsonl', Buffer.concat([Buffer.from('{"id":"g","turns":[{"sender":"customer","utterances":["'), gbk, Buffer.from('"]}]}\n')]));
    const g = await same({ files: 'g.jsonl', encoding: 'gbk', documents: STC3_DOCS }, dir);
    expect(Buffer.from([...g.bytes.values()][0], 'latin1').toString('utf8')).toContain('你好');
  });

  it('validates UTF-8 strictly across any chunking, without holding back or copying chunks', async () => {
    const text = '\uFEFF中文😀é\nabc\n' + '漢字テスト'.repeat(50) + '\n';
    const bytes = Buffer.from(text, 'utf8');
    const cut = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
    const bad = Buffer.concat([Buffer.from('ab\n'), Buffer.from([0xe4, 0xb8]), Buffer.from('\ncd\n')]);
    const truncated = Buffer.concat([Buffer.from('ab\n'), Buffer.from([0xe4, 0xb8])]);
    // the decoding path shares the validation: it must hold the same across chunkings
    for (const transparent of [true, false]) {
      for (let size = 1; size <= 9; size++) {
        let out = '';
        for await (const s of decodeStream(Readable.from(cut(bytes, size)), { transparent }, newFileInfo('x'))) out += s;
        expect(transparent ? Buffer.from(out, 'latin1').toString('utf8') : out).toBe(text.slice(1));
        for (const b of [bad, truncated]) {
          const err = await (async () => {
            try {
              for await (const _ of decodeStream(Readable.from(cut(b, size)), { transparent }, newFileInfo('x')));
            } catch (e) {
              return e as { code: string };
            }
            return null;
          })();
          expect(err?.code, `chunk size ${size}, transparent ${transparent}`).toBe('SCRUB_ENCODING_MISMATCH');
        }
      }
    }
  });

  it('names the line of a bad GB18030 sequence however the input is chunked, also when it starts in an earlier chunk', async () => {
    // 你好 in GBK, a valid four-byte GB18030 sequence, and lines enough to span many chunks
    const good = Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0x2c, 0x81, 0x30, 0x81, 0x30, 0x0a]);
    const head = Buffer.concat(Array.from({ length: 30 }, () => good));
    const bads: [string, number[]][] = [
      ['a byte that starts nothing', [0xff]],
      ['a lead byte before a newline', [0x81, 0x0a]],
      ['a four-byte sequence broken at its third byte', [0x81, 0x30, 0x20]],
      ['a four-byte sequence past the last code point, seen at its fourth byte', [0x84, 0x31, 0xa5, 0x30]],
    ];
    for (const [what, bad] of bads) {
      // line 31 holds the bad bytes after text of its own; more lines follow
      const bytes = Buffer.concat([head, Buffer.from([0xc4, 0xe3, 0x20]), Buffer.from(bad), Buffer.from(' tail\n'), head]);
      for (const size of [1, 2, 3, 5, 7, 64, 1000, bytes.length]) {
        const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
        const err = await (async () => {
          try {
            for await (const _ of decodeStream(Readable.from(chunks), { encoding: 'gbk' }, newFileInfo('g.tsv')));
          } catch (e) {
            return e as { code: string; line: number };
          }
          return null;
        })();
        expect(err?.code, `${what}, chunks of ${size}`).toBe('SCRUB_ENCODING_MISMATCH');
        expect(err?.line, `${what}, chunks of ${size}`).toBe(31);
      }
    }
  });
});

describe('sessions across files of different encodings (encoding: auto)', () => {
  it('finds a non-ASCII session id that continues from a UTF-8 file into a GBK file, on both paths', async () => {
    const dir = tmp();
    // 会话 in GBK: BB E1 BB B0
    write(dir, 'a.tsv', '会话\tu\t0\t0\t0\tnan\t你好\n');
    write(dir, 'b.tsv', Buffer.concat([Buffer.from([0xbb, 0xe1, 0xbb, 0xb0]), Buffer.from('\tu\t1\t0\t0\tnan\tok\n')]));
    const input: InputConfig = { files: '*.tsv', format: 'tsv', encoding: 'auto', csv: JD_CSV, shape: 'rows', rows: JD_ROWS };
    for (const transparent of [false, true]) {
      const err = await ingest(input, dir, transparent).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `transparent ${transparent}`).toMatchObject({ code: 'SCRUB_SESSION_NOT_CONTIGUOUS', file: 'b.tsv', line: 1 });
    }
  });
});

