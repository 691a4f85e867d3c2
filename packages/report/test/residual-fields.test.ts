// The residual scan sweeps every value a record carries that could hold a personal value (not only
// turn text), and canonical input that does not match the record schema is quarantined before it,
// alike in a CLI filter and a pipeline.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { main } from '@scrubline/cli';
import { ioPlugin } from '@scrubline/io';
import { reportPlugin, residualScan, type ResidualSummary } from '@scrubline/report';
import { repoRoot, runSteps } from './helpers.js';
import { memoryIO } from '../../pii/test/helpers.js';

const RAW = ['13888889999', '13899990000', '13877778888', '13844445555', '13866667777', '13855556666', '13833334444', 'zhang.wei', 'example.net', 'li.na'];

/** Schema-valid: personal values only outside turn text, where the pii stage does not look. */
const leaky = (): ConversationRecord => ({
  id: 'c1',
  turns: [
    { role: 'customer', text: '你好，我的快递到了吗' },
    { role: 'agent', text: '请稍等', ts: '13877778888', meta: { x: 'zhang.wei@example.net', list: ['ok', { deep: 13866667777 }] }, labels: { who: 'li.na@example.net' } },
  ],
  labels: { note: 'call 13899990000', score: 4 },
  source: { file: 'x.jsonl', line: 1 },
  meta: { contact: '13888889999', nested: { '13855556666': true }, weight: 0.1234567891 },
});

const summaryOf = (r: Awaited<ReturnType<typeof runSteps>>) => r.report.stages[0].summary as ResidualSummary;

describe('residual-scan over meta, labels and turn fields', () => {
  it('finds values in meta, labels, ts, turn meta and labels (strings, integers, keys) with their field paths, masked', async () => {
    // ts is left out by default (a machine time): addFields scans it here
    const res = await runSteps([leaky()], [{ definition: residualScan, options: { maxSamples: 50, addFields: ['turns.ts'] } }]);
    expect(res.error).toBeUndefined();
    expect(res.output).toEqual([leaky()]);
    const sum = summaryOf(res);
    expect(sum.verdict).toBe('residual');
    expect(sum.samples.map((s) => [s.turn, s.field, s.shape])).toEqual([
      [1, 'turns[1].ts', 'mobile'],
      [1, 'turns[1].meta.x', 'email'],
      [1, 'turns[1].meta.list[1].deep', 'mobile'],
      [1, 'turns[1].labels.who', 'email'],
      [undefined, 'labels.note', 'mobile'],
      [undefined, 'meta.contact', 'mobile'],
      [undefined, 'meta.nested.########### (key)', 'mobile'],
    ]);
    expect(sum.byField).toEqual({
      'turns.ts': 1,
      'turns.meta.x': 1,
      'turns.meta.list.deep': 1,
      'turns.labels.who': 1,
      'labels.note': 1,
      'meta.contact': 1,
      'meta.nested.########### (key)': 1,
    });
    expect(sum.findings).toBe(7);
    expect(sum.recordsFlagged).toBe(1);
    expect(sum.scanned).toMatchObject({ records: 1, turns: 2, chars: '你好，我的快递到了吗'.length + '请稍等'.length });
    const contact = sum.samples.find((s) => s.field === 'meta.contact')!;
    expect(contact.masked).toBe('⟦mobile ###########⟧');
    expect(sum.samples.find((s) => s.field === 'labels.note')!.masked).toBe('xxxx ⟦mobile ###########⟧');
    // the decimal weight (0.1234567891) is no identifier and is not scanned; the id and source are not either
    expect(sum.byShape).toEqual({ mobile: 5, email: 2 });
    const json = JSON.stringify(res.report);
    for (const raw of RAW) expect(json).not.toContain(raw);
  });

  it('failOnResidual fails on a value that is only in meta, naming the field and never the value', async () => {
    const r: ConversationRecord = { id: 'm1', turns: [{ role: 'customer', text: '你好' }], labels: {}, source: { file: 'x.jsonl' }, meta: { contact: '13888889999' } };
    const { error } = await runSteps([r], [{ definition: residualScan, options: { failOnResidual: true } }]);
    expect(error?.code).toBe('SCRUB_RESIDUAL_PII');
    expect(error?.hint).toBe('e.g. m1 meta.contact ⟦mobile ###########⟧ — the pii stage does not scrub meta.contact: leave it out of the input mapping, or list it in skipFields if it holds no personal value');
    expect(error!.format() + JSON.stringify(error!.toJSON())).not.toContain('13888889999');
  });

  it('leaves out the id and source unless addFields names them, and skips skipFields', async () => {
    const r: ConversationRecord = {
      id: '13812345678',
      turns: [{ role: 'customer', text: '你好', ts: '13877778888', meta: { sku: '1000123456' } }],
      labels: {},
      source: { file: 'zhang.wei@example.net.jsonl', line: 1234567 },
      meta: { contact: '13888889999' },
    };
    const plain = summaryOf(await runSteps([r], [{ definition: residualScan }]));
    expect(plain.byField).toEqual({ 'turns.meta.sku': 1, 'meta.contact': 1 });
    const added = summaryOf(await runSteps([r], [{ definition: residualScan, options: { addFields: ['id', 'source.file', 'turns.ts'] } }]));
    expect(added.byField).toEqual({ id: 1, 'turns.ts': 1, 'turns.meta.sku': 1, 'source.file': 1, 'meta.contact': 1 });
    expect(JSON.stringify(added)).not.toMatch(/13812345678|zhang\.wei/);
    const skipped = summaryOf(await runSteps([r], [{ definition: residualScan, options: { addFields: ['turns.ts'], skipFields: ['turns[*].ts', 'turns.meta.sku', 'meta'] } }]));
    expect(skipped.findings).toBe(0);
    expect(skipped.notScanned.skipped).toBe(3);
    // ISO 8601 and epoch times in ts pass by default; a contact list keyed by names shows the names masked
    const timed: ConversationRecord = { id: 'r2', turns: [{ role: 'customer', text: 'hi', ts: '2019-03-01T10:22:33+08:00' }, { role: 'customer', text: 'ok', ts: '1551406953123' }], labels: {}, source: { file: 'a' }, meta: { contacts: { 李娜: '13812345678' } } };
    const t = summaryOf(await runSteps([timed], [{ definition: residualScan }]));
    expect(t.byField).toEqual({ 'meta.contacts.＊＊': 1 });
    expect(JSON.stringify(t)).not.toContain('李娜');
    const addSource = summaryOf(await runSteps([r], [{ definition: residualScan, options: { addFields: ['source'] } }]));
    expect(addSource.byField).toMatchObject({ 'source.file': 1, 'source.line': 1 });
  });

  it('treats copies of the record id in meta (augment, balance) as the id, but not other values', async () => {
    const base: ConversationRecord = { id: 'demo-4100000000000000', turns: [{ role: 'customer', text: '你好' }], labels: {}, source: { file: 'x.json' }, meta: {} };
    const variant: ConversationRecord = {
      ...structuredClone(base),
      id: 'demo-4100000000000000#os1#aug1',
      meta: { oversampled: true, oversampledFrom: 'demo-4100000000000000', augmented: true, augmentedFrom: 'demo-4100000000000000#os1', other: 'demo-4100000000000001' },
    };
    const sum = summaryOf(await runSteps([base, variant], [{ definition: residualScan }]));
    expect(sum.notScanned.idCopies).toBe(2);
    expect(sum.byField).toEqual({ 'meta.other': 1 });
    // once the ids are scanned, so are their copies
    const withIds = summaryOf(await runSteps([variant], [{ definition: residualScan, options: { addFields: ['id'] } }]));
    expect(withIds.notScanned.idCopies).toBe(0);
    expect(withIds.byField).toEqual({ id: 1, 'meta.oversampledFrom': 1, 'meta.augmentedFrom': 1, 'meta.other': 1 });
  });
});

// --- through the CLI: a filter and a pipeline quarantine the same records -------------------

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The pii package's in-memory CommandIO, in the shape these tests read. */
function io(cwd: string, input = '') {
  const m = memoryIO([], input, cwd, join(repoRoot, 'rules'));
  return { io: m.cio, out: () => m.result().out, err: () => m.result().err };
}

const plugins = [ioPlugin, reportPlugin];
const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** The reviewer's record and its neighbours: each breaks the schema once. */
const offSchema = [
  { id: 'bad-extra', turns: [{ role: 'customer', text: '你好' }], labels: {}, source: { file: 'x.jsonl', line: 1 }, meta: {}, extra: 'zhang.wei@example.net' },
  { id: 'bad-turn', turns: [{ role: 'customer', text: '你好', phone: '13844445555' }], labels: {}, source: { file: 'x.jsonl', line: 2 }, meta: {} },
  { id: 'bad-line', turns: [{ role: 'customer', text: '你好' }], labels: {}, source: { file: 'x.jsonl', line: '13812121212' }, meta: {} },
  { id: 'bad-ts', turns: [{ role: 'customer', text: '你好', ts: 13877778888 }], labels: {}, source: { file: 'x.jsonl', line: 4 }, meta: {} },
];
const clean = { id: 'ok', turns: [{ role: 'customer', text: '你好', ts: '2018-03-01 10:00:01' }], labels: { satisfaction: 4 }, source: { file: 'x.jsonl', line: 5 }, meta: { lang: 'zh' } };
const reviewerValid = {
  id: 'rv',
  turns: [{ role: 'customer', text: '你好', ts: '13877778888', meta: { phone: '13844445555' } }],
  labels: { note: 'call 13899990000' },
  source: { file: 'x.jsonl', line: 1 },
  meta: { contact: '13888889999', extra: 'zhang.wei@example.net' },
};
const ndjson = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('residual-scan and the record check through the CLI', () => {
  it('`residual-scan --set failOnResidual=true` fails on personal values in meta, labels, ts and turn meta', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'residual-fields-'));
    dirs.push(dir);
    const h = io(dir, ndjson([reviewerValid]));
    // ts is scanned only when asked (addFields): it holds a machine time by default
    const code = await main(['residual-scan', '--set', 'failOnResidual=true', '--with', '{"addFields":["turns.ts"]}', '--report', 'r.json'], { plugins, io: h.io });
    expect(code, h.err()).toBe(4);
    expect(h.err()).toMatch(/SCRUB_RESIDUAL_PII/);
    expect(h.err()).toMatch(/rv turns\[0\]\.ts ⟦mobile ###########⟧/);
    for (const raw of RAW) expect(h.err()).not.toContain(raw);
  });

  it('quarantines off-schema records alike as a filter and in a pipeline, with line and field, never the value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'residual-fields-'));
    dirs.push(dir);
    const input = ndjson([...offSchema, clean]);
    await writeFile(join(dir, 'in.ndjson'), input);
    const f = io(dir, input);
    const fcode = await main(['residual-scan', '--set', 'failOnResidual=true', '--quarantine', 'fq.ndjson', '--out', 'fout.ndjson'], { plugins, io: f.io });
    expect(fcode, f.err()).toBe(0);
    await writeFile(
      join(dir, 'p.yaml'),
      ['seed: 1', 'input: { files: in.ndjson, format: ndjson, shape: canonical }', 'output: { path: pout.ndjson, quarantine: pq.ndjson }', 'steps:', '  - use: residual-scan', '    with: { failOnResidual: true }'].join('\n'),
    );
    const p = io(dir);
    const pcode = await main(['run', 'p.yaml', '--quiet'], { plugins, io: p.io });
    expect(pcode, p.err()).toBe(0);
    expect(lines(await readFile(join(dir, 'fout.ndjson'), 'utf8'))).toEqual([clean]);
    expect(lines(await readFile(join(dir, 'pout.ndjson'), 'utf8'))).toEqual([clean]);
    const fq = lines(await readFile(join(dir, 'fq.ndjson'), 'utf8'));
    const pq = lines(await readFile(join(dir, 'pq.ndjson'), 'utf8'));
    const shown = (q: any[]) => q.map((e) => [e.code, e.source?.line, e.message]);
    expect(shown(fq)).toEqual([
      ['SCRUB_RECORD_INVALID', 1, "not a canonical record: the record has an unknown property 'extra' (allowed: id, turns, labels, source, meta)"],
      ['SCRUB_RECORD_INVALID', 2, "not a canonical record: turns[0] has an unknown property 'phone' (allowed: role, text, ts, labels, meta)"],
      ['SCRUB_RECORD_INVALID', 3, 'not a canonical record: source.line must be an integer ≥ 1'],
      ['SCRUB_RECORD_INVALID', 4, 'not a canonical record: turns[0].ts must be a string'],
    ]);
    expect(shown(pq)).toEqual(shown(fq));
    const all = JSON.stringify(fq) + JSON.stringify(pq) + f.err() + p.err();
    for (const raw of RAW) expect(all).not.toContain(raw);
  });
});
