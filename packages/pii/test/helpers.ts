import { PassThrough } from 'node:stream';
import type { CommandIO } from '@scrubline/core';

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
