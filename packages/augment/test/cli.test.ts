// The three dataset-shaping stages through the real CLI (in-process): a pipeline file
// split → balance → augment, outputs routed by {meta.split}; and split as a stdin filter.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '@scrubline/cli';
import { ioPlugin } from '@scrubline/io';
import { splitPlugin } from '@scrubline/split';
import { balancePlugin } from '@scrubline/balance';
import type { ConversationRecord } from '@scrubline/core';
import { augmentPlugin } from '../src/index.js';
import { corpus } from '../../split/test/run.js';

const plugins = [ioPlugin, splitPlugin, balancePlugin, augmentPlugin];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function io(cwd: string, input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const stdin = new PassThrough();
  stdin.end(input);
  return { io: { stdin, stdout, stderr, cwd, rulesDir: join(process.cwd(), 'rules') }, out: () => out, err: () => err };
}

const ndjson = (rs: ConversationRecord[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';
const parse = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ConversationRecord);

describe('split → balance → augment through the CLI', () => {
  it('runs a pipeline file and writes one file per split', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shaping-'));
    dirs.push(dir);
    const input = corpus(300);
    await writeFile(join(dir, 'in.ndjson'), ndjson(input));
    await writeFile(
      join(dir, 'p.yaml'),
      [
        'seed: 7',
        'input: { files: in.ndjson, format: ndjson, shape: canonical }',
        'output: { path: "out/{meta.split}.ndjson" }',
        'steps:',
        '  - use: split',
        '    with: { groupPath: meta.customerId, ratios: { train: 0.8, validation: 0.1, test: 0.1 } }',
        '  - use: balance',
        '    with: { strategy: inverse, maxFactor: 2, weightsFile: out/class-weights.json }',
        '  - use: augment',
        '    with: { variants: 1, replaceRate: 0.5, dictionaries: [{ path: ' + JSON.stringify(join(process.cwd(), 'fixtures/augment/cilin-mini-gbk-crlf.txt')) + ', encoding: gbk }] }',
      ].join('\n'),
    );
    const h = io(dir);
    const code = await main(['run', 'p.yaml', '--quiet'], { plugins, io: h.io });
    expect(code, h.err()).toBe(0);
    const files = (await readdir(join(dir, 'out'))).sort();
    expect(files).toEqual(expect.arrayContaining(['class-weights.json', 'test.ndjson', 'train.ndjson', 'validation.ndjson']));
    expect(files.filter((f) => f.endsWith('.ndjson') && !['dropped.ndjson', 'quarantine.ndjson'].includes(f))).toHaveLength(3);
    const read = async (s: string) => parse(await readFile(join(dir, 'out', `${s}.ndjson`), 'utf8'));
    const [train, validation, test] = [await read('train'), await read('validation'), await read('test')];
    for (const r of [...validation, ...test]) {
      expect(r.meta.augmented).toBeUndefined();
      expect(r.meta.oversampled).toBeUndefined();
      expect(r.id).not.toMatch(/#(aug|os)\d+/);
    }
    expect(validation.length + test.length + train.filter((r) => !r.meta.augmented && !r.meta.oversampled).length).toBe(input.length);
    expect(train.some((r) => r.meta.augmented)).toBe(true);
    expect(train.some((r) => r.meta.oversampled)).toBe(true);
    // customers never cross splits
    const where = new Map<string, string>();
    for (const [name, rs] of [['train', train], ['validation', validation], ['test', test]] as const) {
      for (const r of rs) {
        const c = r.meta.customerId as string;
        expect(where.get(c) ?? name).toBe(name);
        where.set(c, name);
      }
    }
    const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
    const byId = Object.fromEntries(report.stages.map((s: { id: string }) => [s.id, s]));
    expect(byId.split.summary.plan.records).toBe(input.length);
    expect(byId.balance.summary.classes['3'].before).toBe(train.filter((r) => !r.meta.augmented && !r.meta.oversampled && r.labels.satisfaction === 3).length);
    expect(byId.augment.summary.totals.variants).toBe(train.filter((r) => r.meta.augmented).length);
    const weights = JSON.parse(await readFile(join(dir, 'out', 'class-weights.json'), 'utf8'));
    expect(Object.keys(weights.weights)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('split works as a stdin → stdout filter (fit pass and all)', async () => {
    const input = corpus(120);
    const dir = await mkdtemp(join(tmpdir(), 'shaping-'));
    dirs.push(dir);
    const h = io(dir, ndjson(input));
    const code = await main(['split', '--set', 'groupPath=meta.customerId', '--seed', '3'], { plugins, io: h.io });
    expect(code, h.err()).toBe(0);
    const out = parse(h.out());
    expect(out).toHaveLength(input.length);
    expect(new Set(out.map((r) => r.meta.split))).toEqual(new Set(['train', 'validation', 'test']));
  });
});
