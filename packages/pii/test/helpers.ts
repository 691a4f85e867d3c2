import { PassThrough } from 'node:stream';
import type { CommandIO, ConversationRecord } from '@scrubline/core';
import { gb11643CheckChar, luhnCheckDigit } from '../src/index.js';

/** A CommandIO over in-memory streams; `result()` gives what was written to stdout and stderr. */
export function memoryIO(argv: string[], input: string, cwd: string, rulesDir: string) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  stdin.end(input);
  const cio: CommandIO = { argv, stdin, stdout, stderr, cwd, env: {}, rulesDir };
  return { cio, result: () => ({ out, err }) };
}

const PID = '11010519491231002' + gb11643CheckChar('11010519491231002');
const CARD = '622202123456789' + luhnCheckDigit('622202123456789');

/**
 * Synthetic conversations for the thread tests: PII in several shapes, astral characters, CJK; ids
 * `<idPrefix><j>` for j in [from, from + n); `emptyBotTurn` adds an out-of-scope turn.
 */
export function chatRecords(n: number, o: { idPrefix: string; from?: number; emptyBotTurn?: boolean; file: (j: number) => string }): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  const from = o.from ?? 0;
  for (let j = from; j < from + n; j++) {
    const phone = `1390000${String(j % 10000).padStart(4, '0')}`;
    out.push({
      id: `${o.idPrefix}${j}`,
      turns: [
        { role: 'customer', text: `手机${phone}，身份证${PID} 😀𠮷` },
        { role: 'agent', text: j % 3 ? '好的，请稍等' : `邮箱u${j}@example.com，卡号${CARD}` },
        { role: 'customer', text: `还是打${phone}吧，订单编号:[订单x] ${'长'.repeat(j % 50)}` },
        ...(o.emptyBotTurn ? [{ role: 'bot' as const, text: '' }] : []),
      ],
      labels: {},
      source: { file: o.file(j), line: j + 1 },
      meta: {},
    });
  }
  return out;
}

