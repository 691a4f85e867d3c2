import { safeFile, safeId } from './mask.js';

/** The canonical conversation record: one conversation per record, NDJSON between stages. */
export type Role = 'customer' | 'agent' | 'bot' | 'system';
export const ROLES: readonly Role[] = ['customer', 'agent', 'bot', 'system'];

export interface Turn {
  role: Role;
  text: string;
  /** ISO 8601 or the export's own timestamp string. */
  ts?: string;
  /** Per-turn labels (e.g. a canned-reply tag). */
  labels?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export interface RecordSource {
  /** Input file path as given (relative to the pipeline file's folder when it came from one). */
  file: string;
  /** First line of the record in the file (1-based). */
  line?: number;
  /** Last line, for row-per-message exports. */
  lastLine?: number;
  /** Row number (1-based, data rows only) for CSV/TSV. */
  row?: number;
  /** Index in a JSON array document. */
  index?: number;
}

export interface ConversationRecord {
  id: string;
  turns: Turn[];
  /** e.g. `{ satisfaction: 4, votes: { S: [-1, 0, …] } }` */
  labels: Record<string, unknown>;
  source: RecordSource;
  meta: Record<string, unknown>;
}

/** JSON Schema (draft 2020-12 subset that ajv 8 accepts) of the canonical record. */
export const recordJsonSchema = {
  $id: 'https://scrubline.dev/schema/conversation-record.json',
  title: 'scrubline conversation record',
  type: 'object',
  required: ['id', 'turns', 'labels', 'source', 'meta'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1 },
    turns: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role', 'text'],
        additionalProperties: false,
        properties: {
          role: { enum: ['customer', 'agent', 'bot', 'system'] },
          text: { type: 'string' },
          ts: { type: 'string' },
          labels: { type: 'object' },
          meta: { type: 'object' },
        },
      },
    },
    labels: { type: 'object' },
    source: {
      type: 'object',
      required: ['file'],
      additionalProperties: false,
      properties: {
        file: { type: 'string' },
        line: { type: 'integer', minimum: 1 },
        lastLine: { type: 'integer', minimum: 1 },
        row: { type: 'integer', minimum: 1 },
        index: { type: 'integer', minimum: 0 },
      },
    },
    meta: { type: 'object' },
  },
} as const;

/** Where a record breaks the schema: `field` is a JSON path (`turns[2].ts`, `source.line`, `meta`), '' for the whole value. */
export interface RecordProblem {
  field: string;
  /** One line naming the field and what it must be; never the value (a mis-mapped field can hold a phone number or a name). */
  message: string;
}

const RECORD_KEYS = new Set(Object.keys(recordJsonSchema.properties));
const TURN_KEYS = new Set(Object.keys(recordJsonSchema.properties.turns.items.properties));
const SOURCE_KEYS = new Set(Object.keys(recordJsonSchema.properties.source.properties));
const SOURCE_INTS = [
  ['line', 1],
  ['lastLine', 1],
  ['row', 1],
  ['index', 0],
] as const;

/**
 * The structural check every reader of canonical NDJSON runs (pipeline input with `shape: canonical`, every
 * CLI filter's stdin, the pii stage's parallel filter workers): exactly {@link recordJsonSchema}, written out
 * by hand because it runs on every record (a test holds it to the schema through ajv). Lenient in one way
 * only: a missing `labels` or `meta` becomes `{}` and a missing `source` `{ file: '-' }` (filled in on
 * `value`), so what goes on always matches the schema. Unknown properties (top level, turn, source) and
 * wrong types are problems; the first one found is returned, null when the record is fine. Keys of unknown
 * properties show through {@link safeId} (a key can be a phone number too); values never show.
 */
export function recordProblem(value: unknown): RecordProblem | null {
  if (!isObject(value)) return { field: '', message: 'not an object' };
  const r = value as Record<string, unknown>;
  const unknownTop = unknownKeys(r, RECORD_KEYS, '');
  if (unknownTop) return unknownTop;
  if (typeof r.id !== 'string' || r.id === '') return { field: 'id', message: 'id must be a non-empty string' };
  if (!Array.isArray(r.turns)) return { field: 'turns', message: 'turns must be an array' };
  for (let i = 0; i < r.turns.length; i++) {
    const t = r.turns[i] as Record<string, unknown>;
    const at = `turns[${i}]`;
    if (!isObject(t)) return { field: at, message: `${at} must be an object` };
    const unknownTurn = unknownKeys(t, TURN_KEYS, at);
    if (unknownTurn) return unknownTurn;
    if (!ROLES.includes(t.role as Role)) return { field: `${at}.role`, message: `${at}.role must be one of ${ROLES.join(', ')}` };
    if (typeof t.text !== 'string') return { field: `${at}.text`, message: `${at}.text must be a string` };
    if (t.ts !== undefined && typeof t.ts !== 'string') return { field: `${at}.ts`, message: `${at}.ts must be a string` };
    if (t.labels !== undefined && !isObject(t.labels)) return { field: `${at}.labels`, message: `${at}.labels must be an object` };
    if (t.meta !== undefined && !isObject(t.meta)) return { field: `${at}.meta`, message: `${at}.meta must be an object` };
  }
  if (r.labels === undefined) r.labels = {};
  if (r.meta === undefined) r.meta = {};
  if (r.source === undefined) r.source = { file: '-' };
  if (!isObject(r.labels)) return { field: 'labels', message: 'labels must be an object' };
  if (!isObject(r.meta)) return { field: 'meta', message: 'meta must be an object' };
  if (!isObject(r.source)) return { field: 'source', message: 'source must be an object' };
  const src = r.source as Record<string, unknown>;
  const unknownSource = unknownKeys(src, SOURCE_KEYS, 'source');
  if (unknownSource) return unknownSource;
  if (typeof src.file !== 'string') return { field: 'source.file', message: 'source.file must be a string' };
  for (const [k, min] of SOURCE_INTS) {
    const v = src[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
      return { field: `source.${k}`, message: `source.${k} must be an integer ≥ ${min}` };
    }
  }
  return null;
}

/** {@link recordProblem} as the reason alone (its message names the field), or null. */
export function checkRecord(value: unknown): string | null {
  return recordProblem(value)?.message ?? null;
}

/** A JSON object: not null, not an array (JSON Schema's `type: object`). */
function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>, at: string): RecordProblem | null {
  let extra: string[] | undefined;
  for (const k of Object.keys(o)) if (!allowed.has(k)) (extra ??= []).push(k);
  if (!extra) return null;
  const shown = extra.slice(0, 3).map((k) => `'${safeId(k)}'`).join(', ') + (extra.length > 3 ? ` and ${extra.length - 3} more` : '');
  const where = at || 'the record';
  return {
    field: at ? `${at}.${safeId(extra[0])}` : safeId(extra[0]),
    message: `${where} has ${extra.length === 1 ? 'an unknown property' : `${extra.length} unknown properties`} ${shown} (allowed: ${[...allowed].join(', ')})`,
  };
}

/**
 * `file:line` (or `file row N`, `file[index]`) of a record's source, to find it in the input: no id, no
 * text (report samples name places this way; an export's ids can be phone numbers or names).
 */
export function sourcePlace(record: { source?: RecordSource }): string {
  const src = record.source;
  const file = src?.file === undefined ? '?' : safeFile(src.file);
  if (src?.line !== undefined) return `${file}:${src.line}`;
  if (src?.row !== undefined) return `${file} row ${src.row}`;
  if (src?.index !== undefined) return `${file}[${src.index}]`;
  return file;
}
