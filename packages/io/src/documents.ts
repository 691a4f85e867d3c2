import { recordProblem, ScrubError, type ConversationRecord, type Turn } from '@scrubline/core';
import type { DocumentsMapping } from './config.js';
import { getPath, parsePath, setDotted } from './path.js';
import { allowedValues, describeValue } from './safe.js';

export interface UnitPlace {
  file: string;
  line?: number;
  index?: number;
}

type Getter = (v: unknown) => unknown;

/** A mapping with its paths parsed once (the per-record work is then only walking). */
interface CompiledMapping {
  id?: Getter;
  turns: Getter;
  role: Getter;
  text: Getter;
  textPath: string;
  join: string;
  timestamp?: Getter;
  labels: [string, Getter][];
  meta: [string, Getter][];
}

const compiled = new WeakMap<DocumentsMapping, CompiledMapping>();

function getter(path: string): Getter {
  const segs = parsePath(path);
  if (segs.includes('*')) return (v) => getPath(v, path);
  if (segs.length === 1) {
    const k = segs[0];
    return (v) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined);
  }
  return (v) => {
    for (const k of segs) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[k];
    }
    return v;
  };
}

function compile(m: DocumentsMapping): CompiledMapping {
  let c = compiled.get(m);
  if (c) return c;
  const textPath = typeof m.text === 'string' ? m.text : m.text.path;
  c = {
    id: m.id ? getter(m.id) : undefined,
    turns: getter(m.turns),
    role: getter(m.role.path),
    text: getter(textPath),
    textPath,
    join: typeof m.text === 'string' ? '\n' : m.text.join ?? '\n',
    timestamp: m.timestamp ? getter(m.timestamp) : undefined,
    labels: Object.entries(m.labels ?? {}).map(([k, p]) => [k, getter(p)]),
    meta: Object.entries(m.meta ?? {}).map(([k, p]) => [k, getter(p)]),
  };
  compiled.set(m, c);
  return c;
}

/**
 * Maps one conversation-per-record document to a canonical record; throws a coded error when it cannot.
 * `replacementChar` is U+FFFD as it appears in the text (see transparent.ts).
 */
export function mapDocument(doc: unknown, m: DocumentsMapping, place: UnitPlace, replacementChar = '\uFFFD'): ConversationRecord {
  const c = compile(m);
  const ctx = () => ({ file: place.file, line: place.line });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ScrubError('SCRUB_JSON_SHAPE', 'expected a JSON object for each conversation', ctx());
  }
  let id: string;
  if (c.id) {
    const v = c.id(doc);
    if (v === undefined || v === null || v === '') throw new ScrubError('SCRUB_FIELD_MISSING', 'conversation id is missing', { ...ctx(), field: m.id });
    if (typeof v !== 'string' && typeof v !== 'number') throw new ScrubError('SCRUB_JSON_SHAPE', 'conversation id must be a string or number', { ...ctx(), field: m.id });
    id = (m.idPrefix ?? '') + String(v);
  } else {
    id = `${m.idPrefix ?? ''}${place.file}#${place.index ?? place.line}`;
  }
  const rawTurns = c.turns(doc);
  if (!Array.isArray(rawTurns)) throw new ScrubError('SCRUB_JSON_SHAPE', 'turns must be an array', { ...ctx(), field: m.turns, record: id });
  const turns: Turn[] = [];
  for (let i = 0; i < rawTurns.length; i++) {
    const t = rawTurns[i];
    const rawRole = c.role(t);
    const role = m.role.map[String(rawRole)] ?? m.role.default;
    if (!role) {
      throw new ScrubError('SCRUB_ROLE_UNMAPPED', `role value is not in documents.role.map: ${describeValue(rawRole)}; ${allowedValues(m.role.map)} (add the value to the map or set documents.role.default; a long value usually means documents.role.path points at the wrong field)`, {
        ...ctx(),
        field: `${m.turns}[${i}].${m.role.path}`,
        record: id,
      });
    }
    const rawText = c.text(t);
    let text: string;
    if (typeof rawText === 'string') text = rawText;
    else if (Array.isArray(rawText) && allStrings(rawText)) text = rawText.length === 1 ? rawText[0] : rawText.join(c.join);
    else if (rawText === undefined || rawText === null) text = '';
    else throw new ScrubError('SCRUB_JSON_SHAPE', 'turn text must be a string or an array of strings', { ...ctx(), field: `${m.turns}[${i}].${c.textPath}`, record: id });
    if (text.includes(replacementChar)) {
      throw new ScrubError('SCRUB_REPLACEMENT_CHAR', 'text contains U+FFFD replacement characters (mis-decoded upstream)', { ...ctx(), field: `${m.turns}[${i}].${c.textPath}`, record: id });
    }
    const turn: Turn = { role, text };
    if (c.timestamp) {
      const ts = c.timestamp(t);
      if (ts !== undefined && ts !== null) turn.ts = String(ts);
    }
    turns.push(turn);
  }
  const labels: Record<string, unknown> = {};
  for (const [k, get] of c.labels) {
    const v = get(doc);
    if (v !== undefined) setDotted(labels, k, v);
  }
  const meta: Record<string, unknown> = {};
  for (const [k, get] of c.meta) {
    const v = get(doc);
    if (v !== undefined) setDotted(meta, k, v);
  }
  const source: ConversationRecord['source'] = { file: place.file };
  if (place.line !== undefined) source.line = place.line;
  if (place.index !== undefined) source.index = place.index;
  return { id, turns, labels, source, meta };
}

function allStrings(a: unknown[]): a is string[] {
  for (const x of a) if (typeof x !== 'string') return false;
  return true;
}

/** Accepts an already canonical record (NDJSON between stages). */
export function mapCanonical(value: unknown, place: UnitPlace): ConversationRecord {
  const problem = recordProblem(value);
  if (problem) throw new ScrubError('SCRUB_RECORD_INVALID', `not a canonical record: ${problem.message}`, { file: place.file, line: place.line, ...(problem.field ? { field: problem.field } : {}) });
  const r = value as ConversationRecord;
  if (!r.source || typeof r.source.file !== 'string') r.source = { file: place.file, line: place.line };
  return r;
}
