import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ConversationRecord } from '@scrubline/core';
import { canReadInRanges, cutAtLineEnds, readRecords, scanFile, type FileInfo, type InputConfig } from '@scrubline/io';
import { tmp, watchedLedger, write } from './helpers.js';

const STC3 = { id: 'id', turns: 'turns', role: { path: 'who', map: { c: 'customer' as const, a: 'agent' as const } }, text: 'text' };
const input: InputConfig = { files: '*', format: 'jsonl', shape: 'documents', documents: STC3 };

/** Every record and ledger entry of reading `files`. */
async function readAll(files: { path: string; name: string; range?: { start: number; end: number; linesBefore: number } }[]) {
  const { ledger, seen } = watchedLedger();
  const fileInfos: FileInfo[] = [];
  const records: ConversationRecord[] = [];
  for await (const b of readRecords(files, { input, ledger, tmpDir: tmp(), fileInfos })) records.push(...b);
  return { records, seen: seen.map((e) => ({ code: e.code, file: e.source?.file, line: e.source?.line })), ledger: ledger.toJSON(), fileInfos };
}

describe('reading a file in ranges (run --threads on one big JSON Lines file)', () => {
  // a BOM at the start; CRLF lines; a bad line; a line that starts with U+FEFF (a character there, not a mark)
  const lines = [
    ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `a${i}`, turns: [{ who: 'c', text: `你好 ${i}` }] })),
    '{bad json',
    '\uFEFF' + JSON.stringify({ id: 'bom-inside', turns: [{ who: 'a', text: '好的' }] }),
    ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `b${i}`, turns: [{ who: 'a', text: `第${i}条 👍` }] })),
  ];
  const dir = tmp();
  const path = write(dir, 'x.jsonl', '\uFEFF' + lines.join('\r\n') + '\r\n');
  const bytes = readFileSync(path);

  it('gives the records, line numbers and quarantine entries of one reader, and the scan counts the lines before each cut', async () => {
    const whole = await readAll([{ path, name: 'x.jsonl' }]);
    // cut just before the bad line and just before the U+FEFF line, and somewhere after
    const at = (k: number) => bytes.indexOf(Buffer.from(lines[k].slice(0, 12)));
    const cuts = await cutAtLineEnds(path, [at(30) - 1, at(31) - 1, at(45)]);
    expect(cuts.slice(0, 2)).toEqual([at(30), at(31)]);
    expect(cuts).toHaveLength(3);
    const before: number[] = [];
    const sha = await scanFile(path, cuts, (k, n) => (before[k] = n));
    expect(before).toEqual([30, 31, 46]);
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const bounds = [0, ...cuts, bytes.length];
    const parts = bounds.slice(1).map((end, k) => ({ path, name: 'x.jsonl', range: { start: bounds[k], end, linesBefore: k === 0 ? 0 : before[k - 1] } }));
    const cutRead = await readAll(parts);
    expect(cutRead.records).toEqual(whole.records);
    expect(cutRead.records.find((r) => r.id === 'b0')?.source).toEqual({ file: 'x.jsonl', line: 33 });
    // U+FEFF at the start of a range's first line stays a character (JSON.parse refuses it, as for one reader)
    expect(cutRead.seen).toEqual([
      { code: 'SCRUB_JSON_PARSE', file: 'x.jsonl', line: 31 },
      { code: 'SCRUB_JSON_PARSE', file: 'x.jsonl', line: 32 },
    ]);
    expect(cutRead.seen).toEqual(whole.seen);
    expect(cutRead.ledger.input).toEqual(whole.ledger.input);
    // each range's info: its own bytes, no digest (the scan gives the file's), lines numbered on
    expect(cutRead.fileInfos.map((f) => f.bytes)).toEqual(bounds.slice(1).map((end, k) => end - bounds[k]));
    expect(cutRead.fileInfos.every((f) => f.sha256 === '')).toBe(true);
    expect(cutRead.fileInfos[cutRead.fileInfos.length - 1].newlines).toBe(whole.fileInfos[0].newlines);
    expect(whole.fileInfos[0].sha256).toBe(sha);
  });

  it('auto decides as one reader does: a GBK byte that can never start a UTF-8 character at the end of the first 64 KiB keeps the file whole', async () => {
    const line = '{"id":"x","turns":[]}\n';
    const ascii = line.repeat(Math.ceil(65533 / line.length)).slice(0, 65533);
    const gbk = write(dir, 'gbk-late.jsonl', Buffer.concat([Buffer.from(ascii), Buffer.from([0xc4, 0xe3]), Buffer.from('\n' + line.repeat(10))]));
    expect(await canReadInRanges({ path: gbk, name: 'gbk-late.jsonl' }, { ...input, encoding: 'auto' })).toBe(false);
    // the same file, UTF-8 at that place: cut
    const utf8 = write(dir, 'utf8-late.jsonl', Buffer.concat([Buffer.from(ascii), Buffer.from('你\n' + line.repeat(10))]));
    expect(await canReadInRanges({ path: utf8, name: 'utf8-late.jsonl' }, { ...input, encoding: 'auto' })).toBe(true);
  });

  it('a bad UTF-8 sequence cut by the end of a chunk is named on its own line, wherever the reading began', async () => {
    const line = '{"id":"x","turns":[]}\n';
    const head = line.repeat(Math.ceil((5 * 65536) / line.length)).slice(0, 5 * 65536 - 1);
    const path = write(dir, 'straddle.jsonl', Buffer.concat([Buffer.from(head), Buffer.from([0xe4]), Buffer.from('A' + '\n' + line.repeat(3000))]));
    const trueLine = head.split('\n').length;
    const errorOf = async (files: Parameters<typeof readAll>[0]) => readAll(files).then(() => null, (e) => e.line);
    expect(await errorOf([{ path, name: 'straddle.jsonl' }])).toBe(trueLine);
    const [cut] = await cutAtLineEnds(path, [100000]);
    const before: number[] = [];
    await scanFile(path, [cut], (k, n) => (before[k] = n));
    expect(await errorOf([{ path, name: 'straddle.jsonl', range: { start: cut, end: readFileSync(path).length, linesBefore: before[0] } }])).toBe(trueLine);
  });

  it('a bad UTF-8 byte in a later range names the line one reader names', async () => {
    const bad = write(dir, 'bad.jsonl', Buffer.concat([Buffer.from(lines.slice(0, 40).join('\n') + '\n'), Buffer.from('{"id":"z","turns":[{"who":"c","text":"'), Buffer.from([0xc4, 0xe3]), Buffer.from('"}]}\n')]));
    const errorOf = async (files: Parameters<typeof readAll>[0]) => readAll(files).then(() => null, (e) => ({ code: e.code, file: e.file, line: e.line }));
    const one = await errorOf([{ path: bad, name: 'bad.jsonl' }]);
    expect(one).toEqual({ code: 'SCRUB_ENCODING_MISMATCH', file: 'bad.jsonl', line: 41 });
    const [cut] = await cutAtLineEnds(bad, [200]);
    const before: number[] = [];
    await scanFile(bad, [cut], (k, n) => (before[k] = n));
    const size = readFileSync(bad).length;
    expect(await errorOf([{ path: bad, name: 'bad.jsonl', range: { start: cut, end: size, linesBefore: before[0] } }])).toEqual(one);
  });
});
