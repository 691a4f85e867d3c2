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

describe('detect: a conversation line (session 13)', () => {
  const conv = {
    id: 'c1',
    turns: [
      { role: 'agent', text: '麻烦提供一下您的QQ号' },
      { role: 'customer', text: '73920561' },
      { role: 'customer', text: '我留的号码是138' },
      { role: 'customer', text: '1234 5678，刚才没打完' },
    ],
  };

  it('gets one line per turn, id <id>#<turn>, with what the turns read together show; each turn alone shows none of it', async () => {
    const { cio, result } = io([], JSON.stringify(conv) + '\n' + JSON.stringify({ id: 'alone', text: '73920561' }) + '\n');
    expect(await detectCommand.run(cio)).toBe(0);
    const lines = result().out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['c1#0', 'c1#1', 'c1#2', 'c1#3', 'alone']);
    expect(lines.map((l) => l.spans.map((s: { type: string; rule: string }) => `${s.type} ${s.rule}`))).toEqual([
      [],
      ['QQ qq.cue.previous-turn'],
      ['PHONE phone.cn.mobile.split-turns'],
      ['PHONE phone.cn.mobile.split-turns'],
      [],
    ]);
    // the same turns as separate lines
    const each = io([], conv.turns.map((t, i) => JSON.stringify({ id: `t${i}`, text: t.text })).join('\n') + '\n');
    expect(await detectCommand.run(each.cio)).toBe(0);
    expect(each.result().out.trim().split('\n').every((l) => JSON.parse(l).spans.length === 0)).toBe(true);
  });

  it.each([
    ['a turn without text', { id: 'c', turns: [{ role: 'agent' }] }, '(turns[0].text): turns[0] must be an object with a "text" string'],
    ['an unknown role', { id: 'c', turns: [{ role: 'boss', text: '13812345678' }] }, '(turns[0].role): turns[0].role must be one of customer, agent, bot, system'],
    ['no id', { turns: [{ role: 'agent', text: 'x' }] }, '(id): "id" is missing'],
  ])('%s is an input error (exit 3) naming line and field, not the text', async (_what, bad, said) => {
    const { cio, result } = io([], JSON.stringify(bad) + '\n');
    expect(await detectCommand.run(cio)).toBe(3);
    const { out, err } = result();
    expect(err).toContain(`SCRUB_JSON_SHAPE -:1 ${said}`);
    expect(err).not.toContain('13812345678');
    expect(out).toBe('');
  });
});
