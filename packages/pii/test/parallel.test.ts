import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRecord } from '@scrubline/core';
import { scrubCommand } from '../src/index.js';
import { chatRecords, memoryIO } from './helpers.js';
import { FileLineChunks, lineChunks } from '../src/parallel.js';
import { countNewlines, NdjsonWriter } from '../src/ndjson.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
/** Synthetic conversations: PII in several shapes, astral characters, CJK. */
const records = (n: number): ConversationRecord[] => chatRecords(n, { idPrefix: 'p', file: () => 'par.jsonl' });

function io(argv: string[], input = '') {
  return memoryIO(argv, input, root, rulesDir);
}

beforeAll(() => {
  // the line-parallel workers run the compiled worker script
  execFileSync('npx', ['tsc', '-b', 'packages/pii'], { cwd: root, stdio: 'inherit' });
  expect(existsSync(join(root, 'packages/pii/dist/filter-worker.js'))).toBe(true);
}, 120_000);

describe('NdjsonWriter', () => {
  it('writes the same bytes as stringify + join + encode, growing a small buffer', () => {
    const recs: unknown[] = [{ a: '中文😀𠮷' }, { b: 'lone \ud800 surrogate', c: [1, 2, { d: null }] }, 'x'.repeat(5000), { e: '\u3000①' }];
    const w = new NdjsonWriter(Buffer.allocUnsafeSlow(8));
    w.write(recs.slice(0, 2));
    w.write(recs.slice(2));
    const expected = Buffer.from(recs.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(w.length).toBe(expected.length);
    expect(Buffer.compare(w.buf.subarray(0, w.length), expected)).toBe(0);
    expect(w.buf.length).toBeGreaterThan(8);
  });

  it('counts newlines in a range', () => {
    const b = Buffer.from('a\nb\n\nc');
    expect(countNewlines(b)).toBe(3);
    expect(countNewlines(b, 2, 4)).toBe(1);
    expect(countNewlines(new Uint8Array(b), 0, 2)).toBe(1);
  });
});

describe('line chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pii-chunks-'));
  const collect = async (src: AsyncIterable<{ bytes: Uint8Array; firstLine: number }>, recycle?: (b: ArrayBuffer) => void) => {
    const out: [string, number][] = [];
    for await (const c of src) {
      out.push([Buffer.from(c.bytes).toString(), c.firstLine]);
      // a worker would get the buffer transferred and send it back once spent
      recycle?.(c.bytes.buffer as ArrayBuffer);
    }
    return out;
  };

  it('a file is cut at newlines; long lines, a missing last newline and line numbers are handled', async () => {
    const file = join(dir, 'a.txt');
    const text = 'a\nbb\n' + 'x'.repeat(20) + '\nccc\n\nd';
    writeFileSync(file, text);
    const src = new FileLineChunks(file, 4);
    const chunks = await collect(src, (b) => src.recycle(b));
    expect(chunks.map((c) => c[0]).join('')).toBe(text + '\n');
    for (const [s] of chunks) expect(s.endsWith('\n')).toBe(true);
    // first line numbers follow the newlines before each chunk
    let line = 1;
    for (const [s, first] of chunks) {
      expect(first).toBe(line);
      line += countNewlines(Buffer.from(s));
    }
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    // the same cuts from a stream
    const parts = [Buffer.from(text.slice(0, 3)), Buffer.from(text.slice(3, 9)), Buffer.from(text.slice(9))];
    const fromStream = await collect(lineChunks(parts, 4));
    expect(fromStream.map((c) => c[0]).join('')).toBe(text + '\n');
    for (const [s] of fromStream) expect(s.endsWith('\n')).toBe(true);
  });

  it('reused buffers never leak bytes from an earlier chunk', async () => {
    const file = join(dir, 'b.txt');
    const lines = Array.from({ length: 500 }, (_, i) => `${i}:${'z'.repeat(i % 37)}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const src = new FileLineChunks(file, 64);
    let reused = 0;
    const seen = new Set<ArrayBuffer>();
    const chunks = await collect(src, (b) => {
      if (seen.has(b)) reused++;
      seen.add(b);
      src.recycle(b);
    });
    expect(reused).toBeGreaterThan(0);
    expect(chunks.map((c) => c[0]).join('')).toBe(lines.join('\n') + '\n');
  });

  it('an empty file gives no chunk', async () => {
    const file = join(dir, 'empty.txt');
    writeFileSync(file, '');
    expect(await collect(new FileLineChunks(file, 16))).toEqual([]);
  });
});

describe('scrub --threads over many chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pii-par2-'));
  const recs = records(400).map((r) => JSON.stringify(r));
  // a BOM at the start, CRLF line ends, blank and whitespace-only lines, bad JSON, a non-record
  recs.splice(37, 0, '{not json 13900001234');
  recs.splice(120, 0, '   ');
  recs.splice(200, 0, '{"id": 5}');
  const input = '\ufeff' + recs.map((l, i) => (i % 7 === 3 ? l + '\r' : l)).join('\n') + '\n\n';
  const file = join(dir, 'in.jsonl');
  writeFileSync(file, input);

  const runWith = async (argv: string[], stdin = '') => {
    const out = join(dir, `out-${argv.join('_').replace(/[^a-z0-9_]/gi, '')}-${stdin ? 'stdin' : 'file'}.jsonl`);
    const report = out + '.report.json';
    const { cio, result } = io([...argv, '--report', report, '--quiet', ...(stdin ? [] : ['--in', relative(root, file), '--out', out])], stdin);
    const code = await scrubCommand.run(cio);
    const r = result();
    return { code, out: stdin ? r.out : readFileSync(out, 'utf8'), err: r.err, report: JSON.parse(readFileSync(report, 'utf8')) };
  };

  it('1 and 2 threads, small chunks, file or stdin: byte-identical to the stage path', async () => {
    const ref = await runWith(['--set', 'workers=1']);
    expect(ref.code).toBe(0);
    expect(ref.out).not.toContain('13900001234');
    expect(ref.err).toMatch(/SCRUB_JSON_PARSE/);
    const runs = [
      await runWith(['--threads', '1', '--chunk-bytes', '3000']),
      await runWith(['--threads', '2', '--chunk-bytes', '3000']),
      await runWith(['--threads', '2', '--chunk-bytes', '100']),
      await runWith(['--threads', '2', '--chunk-bytes', '3000'], input),
    ];
    for (const [i, r] of runs.entries()) {
      expect(r.code).toBe(0);
      // a file is named alike on every path (relative to the working folder), so the ledgers agree exactly
      if (i < 3) expect(r.report.ledger).toEqual(ref.report.ledger);
      expect(r.out).toBe(ref.out);
      expect(r.err.replace(/ -:/g, ` ${relative(root, file)}:`)).toBe(ref.err);
      expect(r.report.stages[0].counters).toEqual(ref.report.stages[0].counters);
      expect(r.report.stages[0].samples).toEqual(ref.report.stages[0].samples);
      const paths = (l: any) => JSON.parse(JSON.stringify(l).replace(/"path":"[^"]*"/g, '"path":"?"'));
      expect(paths(r.report.ledger)).toEqual(paths(ref.report.ledger));
    }
  });

  it('without --threads: line-parallel on the default threads (two where the machine has two cores), same bytes as the stage path', async () => {
    const { defaultScrubThreads } = await import('../src/early-workers.js');
    const ref = await runWith(['--set', 'workers=1']);
    const plain = await runWith([]);
    expect(plain.code).toBe(0);
    expect(plain.out).toBe(ref.out);
    expect(plain.report.stages[0].counters).toEqual(ref.report.stages[0].counters);
    expect(plain.report.stages[0].summary.mode).toBe(defaultScrubThreads() > 1 ? 'line-parallel' : undefined);
    expect(ref.report.stages[0].summary.mode).toBeUndefined();
    // --in given as an absolute path: both paths name the file as the shared reader does, in the ledger and the counters
    const abs = async (argv: string[]) => {
      const report = join(dir, `abs-${argv.length}.report.json`);
      const { cio } = io([...argv, '--in', file, '--out', join(dir, `abs-${argv.length}.jsonl`), '--report', report, '--quiet']);
      expect(await scrubCommand.run(cio)).toBe(0);
      return JSON.parse(readFileSync(report, 'utf8'));
    };
    const [a, b] = [await abs(['--threads', '2']), await abs(['--set', 'workers=1'])];
    expect(a.stages[0].summary.mode).toBe('line-parallel');
    expect(a.ledger).toEqual(b.ledger);
    expect(a.stages[0].counters).toEqual(b.stages[0].counters);
    expect(JSON.stringify(a.ledger)).toContain(JSON.stringify(relative(root, file)));
  });

  it('a worker that stops without an error fails the run (exit 1, nothing published), it never hangs it', async () => {
    const { Worker } = await import('node:worker_threads');
    const post = Worker.prototype.postMessage;
    // the third chunk's worker is stopped from outside, as if it had called process.exit
    Worker.prototype.postMessage = function (this: InstanceType<typeof Worker>, msg: unknown, ...rest: unknown[]) {
      if ((msg as { seq?: number })?.seq === 2) {
        void this.terminate();
        return;
      }
      return (post as (...a: unknown[]) => void).call(this, msg, ...rest);
    } as typeof post;
    try {
      const out = join(dir, 'stopped-out.jsonl');
      const { cio, result } = io(['--threads', '2', '--chunk-bytes', '3000', '--in', file, '--out', out, '--quiet']);
      expect(await scrubCommand.run(cio)).toBe(1);
      expect(result().err).toMatch(/SCRUB_STAGE_FAILED.*worker stopped/);
      expect(existsSync(out)).toBe(false);
    } finally {
      Worker.prototype.postMessage = post;
    }
  }, 30_000);

  it("'--in -' and '--out -' are standard input and output", async () => {
    const ref = await runWith(['--threads', '2', '--chunk-bytes', '3000'], input);
    const { cio, result } = io(['--in', '-', '--out', '-', '--threads', '2', '--chunk-bytes', '3000', '--quiet'], input);
    expect(await scrubCommand.run(cio)).toBe(0);
    expect(result().out).toBe(ref.out);
  });

  it('invalid UTF-8 fails the run and publishes nothing', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, Buffer.concat([Buffer.from(recs.slice(0, 30).join('\n') + '\n'), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]));
    const out = join(dir, 'bad-out.jsonl');
    const { cio, result } = io(['--threads', '2', '--chunk-bytes', '2000', '--in', bad, '--out', out, '--quiet']);
    // input in the wrong encoding: exit 3, as in the CLI's table
    expect(await scrubCommand.run(cio)).toBe(3);
    // the error names the file and the line with the bad byte (line 31: 30 good lines before it)
    expect(result().err).toMatch(/^SCRUB_ENCODING_MISMATCH .*bad\.jsonl:31: invalid utf-8 byte sequence.* — the file is not valid UTF-8\n$/);
    expect(existsSync(out)).toBe(false);
    // the stage path exits the same way, with the same words (not a message that depends on the chunking)
    const stagePath = io(['--set', 'workers=1', '--in', bad, '--out', out, '--quiet']);
    expect(await scrubCommand.run(stagePath.cio)).toBe(3);
    expect(stagePath.result().err).toBe(result().err);
    expect(existsSync(out)).toBe(false);
    // GBK bytes: both paths say so
    const gbk = join(dir, 'gbk.jsonl');
    writeFileSync(gbk, Buffer.concat([Buffer.from('{"id":"g","turns":[{"role":"customer","text":"'), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from('"}]}\n')]));
    const gp = io(['--threads', '2', '--in', gbk, '--out', out, '--quiet']);
    const gs = io(['--set', 'workers=1', '--in', gbk, '--out', out, '--quiet']);
    expect(await scrubCommand.run(gp.cio)).toBe(3);
    expect(await scrubCommand.run(gs.cio)).toBe(3);
    expect(gp.result().err).toMatch(/look like GBK/);
    expect(gp.result().err).toBe(gs.result().err);
  });

  it('workers started before the command (as the CLI entry does) are taken and give the same bytes', async () => {
    const { defaultScrubThreads, prestartFilterWorkers, takePrestartedWorkers } = await import('../src/early-workers.js');
    // not scrub, --text, fewer than 2 threads, or options that may choose other detectors or the stage's workers: nothing is started
    for (const argv of [
      ['run', 'p.yaml', '--threads', '2'],
      ['scrub', '--text', '--threads', '2'],
      ['scrub', '--threads', '1'],
      ['scrub', '--threads', 'x'],
      ['scrub', '--set', 'workers=2'],
      ['scrub', '--set=workers=2'],
      ['scrub', '--detectors', 'rules,ner'],
      ['scrub', '--config', 'c.yaml'],
    ]) {
      prestartFilterWorkers(argv);
      expect(takePrestartedWorkers(8)).toHaveLength(0);
    }
    // plain `scrub`: the default threads, where the machine has two cores
    prestartFilterWorkers(['scrub', '--in', 'x.jsonl']);
    const byDefault = takePrestartedWorkers(8);
    expect(byDefault).toHaveLength(defaultScrubThreads() > 1 ? defaultScrubThreads() : 0);
    for (const w of byDefault) await w.terminate();
    const ref = await runWith(['--threads', '1', '--chunk-bytes', '3000']);
    // the last --threads wins, as in parseArgs
    prestartFilterWorkers(['scrub', '--threads', '5', '--in', 'x', '--threads=3']);
    const early = takePrestartedWorkers(8);
    expect(early).toHaveLength(3);
    for (const w of early.splice(2)) await w.terminate();
    // give two back: the run takes them (and would start fresh ones for any missing)
    prestartFilterWorkers(['scrub', '--threads', '2']);
    for (const w of early) await w.terminate();
    const r = await runWith(['--threads', '2', '--chunk-bytes', '700']);
    expect(takePrestartedWorkers(8)).toHaveLength(0);
    expect(r.code).toBe(0);
    expect(r.out).toBe(ref.out);
    expect(r.report.stages[0].counters).toEqual(ref.report.stages[0].counters);
  });

  it('--in is resolved as the shared reader does: a missing or empty file is an input error, a gzip file or a pattern gives the stage path bytes', async () => {
    const run = async (argv: string[], stdin = '') => {
      const { cio, result } = io([...argv, '--quiet'], stdin);
      return { code: await scrubCommand.run(cio), ...result() };
    };
    for (const t of [[], ['--threads', '2']]) {
      const missing = await run([...t, '--in', join(dir, 'missing.jsonl')]);
      expect(missing.code).toBe(3);
      expect(missing.err).toMatch(/SCRUB_INPUT_NOT_FOUND .*missing\.jsonl/);
      writeFileSync(join(dir, 'empty.jsonl'), '');
      const empty = await run([...t, '--in', join(dir, 'empty.jsonl')]);
      expect(empty.code).toBe(3);
      expect(empty.err).toMatch(/SCRUB_INPUT_EMPTY .*empty\.jsonl/);
      const emptyStdin = await run(t);
      expect(emptyStdin.code).toBe(3);
      expect(emptyStdin.err).toMatch(/SCRUB_INPUT_EMPTY/);
    }
    const ref = await run(['--set', 'workers=1', '--in', file]);
    expect(ref.code).toBe(0);
    const gz = join(dir, 'in.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    mkdirSync(join(dir, 'glob'), { recursive: true });
    writeFileSync(join(dir, 'glob', 'a.jsonl'), readFileSync(file));
    for (const t of [[], ['--threads', '2']]) {
      for (const input of [gz, join(dir, 'glob', '*.jsonl')]) {
        const r = await run([...t, '--in', input]);
        expect(r.code).toBe(0);
        expect(r.out).toBe(ref.out);
      }
    }
  });

  it('an option the workers refuse is a usage error (exit 2, its code and field), as on the stage path', async () => {
    for (const t of [['--threads', '2'], ['--set', 'workers=1']]) {
      const out = join(dir, `hmac-out-${t.join('')}.jsonl`);
      const { cio, result } = io([...t, '--set', 'operator=hmac', '--set', 'keyEnv=SCRUBLINE_TEST_NO_SUCH_KEY', '--in', file, '--out', out, '--quiet']);
      expect(await scrubCommand.run(cio)).toBe(2);
      expect(result().err).toMatch(/^SCRUB_CONFIG_INVALID \(keyEnv\): the hmac operator needs a key/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('--chunk-bytes must be a positive integer', async () => {
    const { cio, result } = io(['--threads', '2', '--chunk-bytes', '0', '--in', file]);
    expect(await scrubCommand.run(cio)).toBe(2);
    expect(result().err).toMatch(/--chunk-bytes/);
  });
});
