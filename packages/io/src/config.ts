import type { Role } from '@scrubline/core';

export type InputFormat = 'auto' | 'csv' | 'tsv' | 'json' | 'jsonl' | 'ndjson';
export type InputShape = 'rows' | 'documents' | 'canonical';

export interface CsvOptions {
  /** Field delimiter; default `,` for csv and `\t` for tsv. */
  delimiter?: string;
  /** First row names the columns (default true). */
  header?: boolean;
  /** Column names when there is no header (or to rename them). */
  columns?: string[];
  /** Quote character, or false for exports that never quote (fast path for TSV). */
  quote?: string | false;
  escape?: string;
}

export interface RowsMapping {
  /** Column that groups rows into conversations. */
  session: string;
  role: { column: string; map: Record<string, Role>; default?: Role };
  text: string;
  timestamp?: string;
  /** Turn order: file order (default) or timestamp (stable). */
  order?: 'row' | 'timestamp';
  /**
   * `contiguous` (default): a session's rows are adjacent; streaming, constant memory;
   * a session that reappears later is an error. `sort`: any order; bounded external sort.
   */
  grouping?: 'contiguous' | 'sort';
  /** Rows held in memory per sorted run in `sort` mode. */
  sortRunRows?: number;
  /**
   * Finished sessions checked at once for a repeat (default 65,536, ≈3 MB); older ones
   * are spilled to disk and checked when the input ends, so memory does not grow with the file.
   */
  sessionWindow?: number;
  /** label name (dots nest) → column; taken from the first row that has a value. */
  labels?: Record<string, string>;
  /** meta name → column, conversation level. */
  meta?: Record<string, string>;
  /** meta name → column, per turn. */
  turnMeta?: Record<string, string>;
  idPrefix?: string;
}

export interface DocumentsMapping {
  /** Path of the id; when absent, `<file>#<index>`. */
  id?: string;
  /** Path of the turns array. */
  turns: string;
  role: { path: string; map: Record<string, Role>; default?: Role };
  /** Path of the text within a turn; arrays (utterances) are joined. */
  text: string | { path: string; join?: string };
  timestamp?: string;
  /** label name (dots nest) → path, `[*]` collects arrays (e.g. `annotations[*].quality.S`). */
  labels?: Record<string, string>;
  meta?: Record<string, string>;
  idPrefix?: string;
}

export interface InputConfig {
  /** fast-glob patterns (sorted, de-duplicated) or `-` for stdin. */
  files: string | string[];
  format?: InputFormat;
  encoding?: string;
  allowEmpty?: boolean;
  /** Longest accepted line in characters (default 64 Mi). */
  maxLineLength?: number;
  csv?: CsvOptions;
  /** For JSON documents: path of the records array inside the document (default: the root array). */
  json?: { pick?: string };
  shape?: InputShape;
  rows?: RowsMapping;
  documents?: DocumentsMapping;
  batchSize?: number;
}

export type OutputFormat = 'ndjson' | 'json' | 'csv';

export interface OutputConfig {
  /** Path, may use `{shard}` and `{meta.<key>}` (e.g. `out/{meta.split}.ndjson`); `-` for stdout. */
  path: string;
  format?: OutputFormat;
  quarantine?: string;
  dropped?: string;
  manifest?: string;
  report?: string;
  html?: string;
}

const roleEnum = { enum: ['customer', 'agent', 'bot', 'system'] };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

export const inputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['files'],
  properties: {
    files: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }] },
    format: { enum: ['auto', 'csv', 'tsv', 'json', 'jsonl', 'ndjson'], default: 'auto' },
    encoding: { type: 'string', default: 'utf-8', description: 'utf-8, gbk, gb18030 or auto' },
    allowEmpty: { type: 'boolean', default: false },
    maxLineLength: { type: 'integer', minimum: 1 },
    batchSize: { type: 'integer', minimum: 1, default: 256 },
    csv: {
      type: 'object',
      additionalProperties: false,
      properties: {
        delimiter: { type: 'string', minLength: 1 },
        header: { type: 'boolean' },
        columns: { type: 'array', items: { type: 'string' } },
        quote: { anyOf: [{ type: 'string', maxLength: 1 }, { const: false }] },
        escape: { type: 'string', maxLength: 1 },
      },
    },
    json: { type: 'object', additionalProperties: false, properties: { pick: { type: 'string' } } },
    shape: { enum: ['rows', 'documents', 'canonical'] },
    rows: {
      type: 'object',
      additionalProperties: false,
      required: ['session', 'role', 'text'],
      properties: {
        session: { type: 'string' },
        role: {
          type: 'object',
          additionalProperties: false,
          required: ['column', 'map'],
          properties: { column: { type: 'string' }, map: { type: 'object', additionalProperties: roleEnum }, default: roleEnum },
        },
        text: { type: 'string' },
        timestamp: { type: 'string' },
        order: { enum: ['row', 'timestamp'] },
        grouping: { enum: ['contiguous', 'sort'] },
        sortRunRows: { type: 'integer', minimum: 2 },
        sessionWindow: { type: 'integer', minimum: 2 },
        labels: stringMap,
        meta: stringMap,
        turnMeta: stringMap,
        idPrefix: { type: 'string' },
      },
    },
    documents: {
      type: 'object',
      additionalProperties: false,
      required: ['turns', 'role', 'text'],
      properties: {
        id: { type: 'string' },
        turns: { type: 'string' },
        role: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'map'],
          properties: { path: { type: 'string' }, map: { type: 'object', additionalProperties: roleEnum }, default: roleEnum },
        },
        text: {
          anyOf: [
            { type: 'string' },
            { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string' }, join: { type: 'string' } } },
          ],
        },
        timestamp: { type: 'string' },
        labels: stringMap,
        meta: stringMap,
        idPrefix: { type: 'string' },
      },
    },
  },
} as const;

export const outputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string' },
    format: { enum: ['ndjson', 'json', 'csv'] },
    quarantine: { type: 'string' },
    dropped: { type: 'string' },
    manifest: { type: 'string' },
    report: { type: 'string' },
    html: { type: 'string' },
  },
} as const;
