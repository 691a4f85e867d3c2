import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectCommand, scrubCommand } from '../src/index.js';
import { memoryIO } from './helpers.js';

// `detect` and `scrub --text` read {"id","text"} lines: what an id may be, and detect's command line.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
const io = (argv: string[], input = '') => memoryIO(argv, input, root, rulesDir);

describe('detect: line ids', () => {
  it('takes a string id as it is and an integer id as its decimal string', async () => {
    const { cio, result } = io(['--rules', 'contact'], '{"id":"a-1","text":"x"}\n{"id":42,"text":"y"}\n{"id":-7,"text":"z"}\n');
    expect(await detectCommand.run(cio)).toBe(0);
    expect(result().out.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['a-1', '42', '-7']);
  });

  it.each([
    ['missing', '{"text":"call 13812345678"}', 'is missing'],
    ['null', '{"id":null,"text":"call 13812345678"}', 'is null'],
    ['an object', '{"id":{"a":13812345678},"text":"call"}', 'is an object'],
    ['an array', '{"id":["13812345678"],"text":"call"}', 'is an array'],
    ['empty', '{"id":"","text":"call 13812345678"}', 'is empty'],
    ['a fraction', '{"id":13812345678.5,"text":"call"}', 'is a number that is not an integer'],
    ['a boolean', '{"id":true,"text":"call 13812345678"}', 'is a boolean'],
  ])('an id that is %s is an input error (exit 3) naming line and field, not the value', async (_what, bad, said) => {
    // the bad line is the second: a made-up id (the line number) could collide with the first line's "2"
    const { cio, result } = io(['--rules', 'contact'], `{"id":"2","text":"x"}\n${bad}\n`);
    expect(await detectCommand.run(cio)).toBe(3);
    const { out, err } = result();
    expect(err).toBe(`SCRUB_JSON_SHAPE -:2 (id): "id" ${said}: it must be a non-empty string (or an integer)\n`);
    expect(out).toBe('');
    expect(err).not.toContain('13812345678');
  });

  it('scrub --text applies the same rule', async () => {
    const ok = io(['--text', '--quiet', '--set', 'workers=1'], '{"id":7,"text":"手机13812345678"}\n');
    expect(await scrubCommand.run(ok.cio)).toBe(0);
    // the line keeps its own id; only the text changes
    expect(JSON.parse(ok.result().out)).toEqual({ id: 7, text: '手机[PHONE_1]' });
    const bad = io(['--text', '--quiet', '--set', 'workers=1'], '{"id":{"a":1},"text":"手机13812345678"}\n');
    // an input error, exit 3, as in detect
    expect(await scrubCommand.run(bad.cio)).toBe(3);
    expect(bad.result().err).toMatch(/^SCRUB_JSON_SHAPE -:1 \(id\): "id" is an object/);
    expect(bad.result().out).toBe('');
  });
});

describe('detect: command line', () => {
  it.each([
    [['--bogus'], 'SCRUB_USAGE: unknown option --bogus — see scrubline detect --help'],
    [['-x'], 'SCRUB_USAGE: unknown option -x — see scrubline detect --help'],
    [['--bogus=13812345678'], 'SCRUB_USAGE: unknown option --bogus — see scrubline detect --help'],
    [['--in'], 'SCRUB_USAGE: option --in needs a value — see scrubline detect --help'],
    [['--in', '--out', 'x.jsonl'], 'SCRUB_USAGE: option --in needs a value — see scrubline detect --help'],
    [['foo.jsonl'], 'SCRUB_USAGE: detect takes no positional arguments — read a file with --in FILE'],
    [['--13812345678'], 'SCRUB_USAGE: unknown option (not shown: not an option name) — see scrubline detect --help'],
    [['--x13812345678'], 'SCRUB_USAGE: unknown option (not shown: not an option name) — see scrubline detect --help'],
  ])('%j is a usage error (exit 2) naming only a plain option name', async (argv, said) => {
    const { cio, result } = io(argv);
    expect(await detectCommand.run(cio)).toBe(2);
    expect(result().err).toBe(said + '\n');
    expect(result().out).toBe('');
  });
});
