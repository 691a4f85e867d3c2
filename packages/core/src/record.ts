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

/** Fast structural check used on NDJSON input; returns a reason or null. */
export function checkRecord(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const r = value as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id === '') return 'id must be a non-empty string';
  if (!Array.isArray(r.turns)) return 'turns must be an array';
  for (let i = 0; i < r.turns.length; i++) {
    const t = r.turns[i] as Record<string, unknown>;
    if (t === null || typeof t !== 'object') return `turns[${i}] must be an object`;
    if (!ROLES.includes(t.role as Role)) return `turns[${i}].role must be one of ${ROLES.join(', ')}`;
    if (typeof t.text !== 'string') return `turns[${i}].text must be a string`;
  }
  if (r.labels === undefined) r.labels = {};
  if (r.meta === undefined) r.meta = {};
  if (r.source === undefined) r.source = { file: '-' };
  if (typeof r.labels !== 'object' || r.labels === null) return 'labels must be an object';
  if (typeof r.meta !== 'object' || r.meta === null) return 'meta must be an object';
  return null;
}

/**
 * `file:line` (or `file row N`, `file[index]`) of a record's source, to find it in the input: no id, no
 * text (report samples name places this way; an export's ids can be phone numbers or names).
 */
export function sourcePlace(record: { source?: RecordSource }): string {
  const src = record.source;
  const file = src?.file ?? '?';
  if (src?.line !== undefined) return `${file}:${src.line}`;
  if (src?.row !== undefined) return `${file} row ${src.row}`;
  if (src?.index !== undefined) return `${file}[${src.index}]`;
  return file;
}
