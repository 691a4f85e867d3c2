import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger, type ConversationRecord } from '@scrubline/core';
import { readRecords, resolveInputs, type InputConfig } from '@scrubline/io';

export const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../fixtures/io');

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'scrubline-io-'));
}

export function write(dir: string, name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

export const JD_ROWS: InputConfig['rows'] = {
  session: 'session_id',
  role: { column: 'waiter_send', map: { '0': 'customer', '1': 'agent' } },
  text: 'content',
  meta: { customerId: 'user_id' },
};
/** The STC-3 helpdesk dialogue layout (helpdesk.json.gz, helpdesk.jsonl). */
export const STC3_DOCS = {
  id: 'id',
  turns: 'turns',
  role: { path: 'sender', map: { customer: 'customer' as const, helpdesk: 'agent' as const } },
  text: { path: 'utterances', join: '\n' },
  labels: { 'votes.S': 'annotations[*].quality.S' },
};
export const JD_CSV = { header: false, quote: false as const, columns: ['session_id', 'user_id', 'waiter_send', 'transfer', 'repeat', 'sku', 'content'] };

/** A ledger whose entries (quarantined, dropped) are collected in `seen`. */
export function watchedLedger(): { ledger: Ledger; seen: any[] } {
  const ledger = new Ledger();
  const seen: any[] = [];
  ledger.sink = (e) => seen.push(e);
  return { ledger, seen };
}

export async function readAll(input: InputConfig, baseDir: string, ledger = new Ledger()): Promise<{ records: ConversationRecord[]; ledger: Ledger; warnings: string[] }> {
  const files = await resolveInputs(input.files, baseDir);
  const records: ConversationRecord[] = [];
  const warnings: string[] = [];
  for await (const b of readRecords(files, { input, ledger, tmpDir: tmp(), onWarning: (w) => warnings.push(w) })) records.push(...b);
  ledger.outputRecords = records.length; // no stages: everything read is output
  return { records, ledger, warnings };
}

export async function readError(input: InputConfig, baseDir: string): Promise<any> {
  try {
    await readAll(input, baseDir);
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
