import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const BIN = join(ROOT, 'packages/cli/bin/scrubline.js');

/**
 * Runs the built CLI as a user would (the test script builds before running tests).
 * Asynchronous, so vitest's worker stays responsive during long runs.
 */
export function scrubline(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'scrubline-e2e-'));
}

export function write(dir: string, name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export const JD_INPUT = (files: string) => `input:
  files: ${files}
  format: tsv
  csv:
    header: false
    quote: false
    columns: [session_id, user_id, waiter_send, transfer, repeat, sku, content]
  shape: rows
  rows:
    session: session_id
    role:
      column: waiter_send
      map: { "0": customer, "1": agent }
    text: content
    meta: { customerId: user_id }
`;
