import { checkRecord, ScrubError, type ConversationRecord, type Turn } from '@scrubline/core';
import type { DocumentsMapping } from './config.js';
import { getPath, setDotted } from './path.js';
import { safeValue } from './safe.js';

export interface UnitPlace {
  file: string;
  line?: number;
  index?: number;
}

/**
 * Maps one conversation-per-record document to a canonical record; throws a coded error when it cannot.
 * `replacementChar` is U+FFFD as it appears in the text (see transparent.ts).
 */
export function mapDocument(doc: unknown, m: DocumentsMapping, place: UnitPlace, replacementChar = '\uFFFD'): ConversationRecord {
  const ctx = { file: place.file, line: place.line };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ScrubError('SCRUB_JSON_SHAPE', 'expected a JSON object for each conversation', ctx);
  }
  let id: string;
  if (m.id) {
    const v = getPath(doc, m.id);
    if (v === undefined || v === null || v === '') throw new ScrubError('SCRUB_FIELD_MISSING', 'conversation id is missing', { ...ctx, field: m.id });
    if (typeof v !== 'string' && typeof v !== 'number') throw new ScrubError('SCRUB_JSON_SHAPE', 'conversation id must be a string or number', { ...ctx, field: m.id });
    id = (m.idPrefix ?? '') + String(v);
  } else {
    id = `${m.idPrefix ?? ''}${place.file}#${place.index ?? place.line}`;
  }
  const rawTurns = getPath(doc, m.turns);
  if (!Array.isArray(rawTurns)) throw new ScrubError('SCRUB_JSON_SHAPE', 'turns must be an array', { ...ctx, field: m.turns, record: id });
  const textPath = typeof m.text === 'string' ? m.text : m.text.path;
  const join = typeof m.text === 'string' ? '\n' : m.text.join ?? '\n';
  const turns: Turn[] = [];
  for (let i = 0; i < rawTurns.length; i++) {
    const t = rawTurns[i];
    const rawRole = getPath(t, m.role.path);
    const role = m.role.map[String(rawRole)] ?? m.role.default;
    if (!role) {
      throw new ScrubError('SCRUB_ROLE_UNMAPPED', `role value ${safeValue(rawRole)} is not in documents.role.map`, {
        ...ctx,
        field: `${m.turns}[${i}].${m.role.path}`,
        record: id,
      });
    }
    const rawText = getPath(t, textPath);
    let text: string;
    if (typeof rawText === 'string') text = rawText;
    else if (Array.isArray(rawText) && rawText.every((x) => typeof x === 'string')) text = rawText.join(join);
    else if (rawText === undefined || rawText === null) text = '';
    else throw new ScrubError('SCRUB_JSON_SHAPE', 'turn text must be a string or an array of strings', { ...ctx, field: `${m.turns}[${i}].${textPath}`, record: id });
    if (text.includes(replacementChar)) {
      throw new ScrubError('SCRUB_REPLACEMENT_CHAR', 'text contains U+FFFD replacement characters (mis-decoded upstream)', { ...ctx, field: `${m.turns}[${i}].${textPath}`, record: id });
    }
    const turn: Turn = { role, text };
    if (m.timestamp) {
      const ts = getPath(t, m.timestamp);
      if (ts !== undefined && ts !== null) turn.ts = String(ts);
    }
    turns.push(turn);
  }
  const labels: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(m.labels ?? {})) {
    const v = getPath(doc, p);
    if (v !== undefined) setDotted(labels, k, v);
  }
  const meta: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(m.meta ?? {})) {
    const v = getPath(doc, p);
    if (v !== undefined) setDotted(meta, k, v);
  }
  const source: ConversationRecord['source'] = { file: place.file };
  if (place.line !== undefined) source.line = place.line;
  if (place.index !== undefined) source.index = place.index;
  return { id, turns, labels, source, meta };
}

/** Accepts an already canonical record (NDJSON between stages). */
export function mapCanonical(value: unknown, place: UnitPlace): ConversationRecord {
  const problem = checkRecord(value);
  if (problem) throw new ScrubError('SCRUB_RECORD_INVALID', `not a canonical record: ${problem}`, { file: place.file, line: place.line });
  const r = value as ConversationRecord;
  if (!r.source || typeof r.source.file !== 'string') r.source = { file: place.file, line: place.line };
  return r;
}
