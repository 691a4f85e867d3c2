import { maskDigitRuns, safeId } from './mask.js';

/**
 * Errors with stable codes and context, in the manner of node-csv's CsvError.
 * The message is one human line; file / line / field say where. Messages must
 * never carry raw personal values: callers pass locations and masked hints only.
 */
export const ERROR_CODES = {
  SCRUB_CONFIG_INVALID: 'the pipeline or command configuration is invalid',
  SCRUB_CONFIG_UNKNOWN_STAGE: 'a step names a stage that does not exist',
  SCRUB_INPUT_NOT_FOUND: 'an input file or pattern matched nothing',
  SCRUB_INPUT_EMPTY: 'an input file is empty',
  SCRUB_ENCODING_UNKNOWN: 'the declared encoding is not supported',
  SCRUB_ENCODING_MISMATCH: 'the bytes are not valid in the declared encoding',
  SCRUB_REPLACEMENT_CHAR: 'the text contains U+FFFD replacement characters from an earlier bad decode',
  SCRUB_GZIP_TRUNCATED: 'a gzip file ends before its end-of-stream marker',
  SCRUB_GZIP_CORRUPT: 'a gzip file is corrupt',
  SCRUB_CSV_FIELD_COUNT: 'a CSV/TSV row has a different number of fields than the header',
  SCRUB_CSV_QUOTE: 'a CSV/TSV quote is not closed or is misplaced',
  SCRUB_CSV_PARSE: 'a CSV/TSV row could not be parsed',
  SCRUB_JSON_PARSE: 'a JSON line could not be parsed',
  SCRUB_JSON_TRUNCATED: 'a JSON document ends in the middle',
  SCRUB_JSON_SHAPE: 'a JSON value does not have the shape the mapping expects',
  SCRUB_FIELD_MISSING: 'a mapped field or column is missing',
  SCRUB_FIELD_EMPTY: 'a required field is empty',
  SCRUB_ROLE_UNMAPPED: 'a role value is not in the role map',
  SCRUB_SESSION_NOT_CONTIGUOUS: "a session's rows are not contiguous",
  SCRUB_LINE_TOO_LONG: 'a line is longer than the configured maximum',
  SCRUB_RECORD_INVALID: 'a record does not match the canonical record schema',
  SCRUB_STAGE_FAILED: 'a stage failed on a batch',
  SCRUB_STAGE_LOST_RECORDS: 'a stage returned fewer records than it kept (records lost without a reason)',
  SCRUB_LEDGER_MISMATCH: 'the run counts do not add up',
  SCRUB_SHARD_INVALID: 'the shard specification is invalid',
  SCRUB_SHARD_STATE_MISSING: 'a fit state from another shard is missing',
  SCRUB_OUTPUT_FAILED: 'an output could not be written',
  SCRUB_RESIDUAL_PII: 'the residual scan found text that still looks identifying',
  SCRUB_USAGE: 'the command line is invalid',
  SCRUB_INTERNAL: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES | (string & {});

export interface ErrorContext {
  file?: string;
  line?: number;
  /** Column name, JSON path or YAML path. */
  field?: string;
  /** Record id, when a record exists. */
  record?: string;
  stage?: string;
  /** A short, non-identifying hint on how to fix it. */
  hint?: string;
}

export class ScrubError extends Error implements ErrorContext {
  override readonly name = 'ScrubError';
  readonly code: ErrorCode;
  file?: string;
  line?: number;
  field?: string;
  record?: string;
  stage?: string;
  hint?: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.assign(this, stripUndefined({ ...context }));
  }

  /** Where, as `file:line (field)`; empty when nothing is known. */
  get where(): string {
    let s = this.file ?? '';
    if (this.line !== undefined) s += `${s ? ':' : 'line '}${this.line}`;
    if (this.field) s += `${s ? ' ' : ''}(${this.field})`;
    return s;
  }

  /** One line for a person: `CODE file:line (field): message. hint`. */
  format(): string {
    const where = this.where;
    return `${this.code}${where ? ' ' + where : ''}: ${this.message}${this.hint ? ` — ${this.hint}` : ''}`;
  }

  /** For logs and reports: the record id masked as report samples mask it (an id can be a phone number). */
  toJSON(): Record<string, unknown> {
    return stripUndefined({
      code: this.code,
      message: this.message,
      file: this.file,
      line: this.line,
      field: this.field,
      record: this.record === undefined ? undefined : safeId(this.record),
      stage: this.stage,
      hint: this.hint,
    });
  }

  static is(value: unknown): value is ScrubError {
    return value instanceof ScrubError;
  }

  /** Wrap anything thrown into a ScrubError without losing a coded one. */
  static from(value: unknown, code: ErrorCode = 'SCRUB_INTERNAL', context: ErrorContext = {}): ScrubError {
    if (value instanceof ScrubError) {
      for (const [k, v] of Object.entries(context)) if ((value as any)[k] === undefined) (value as any)[k] = v;
      return value;
    }
    // a foreign message may quote input (JSON.parse does): sanitise it at the one place it enters
    const message = safeMessage(value instanceof Error ? value.message : String(value), 200);
    return new ScrubError(code, message, context, { cause: value });
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Makes a foreign error message (JSON.parse, a parser, a library) safe for logs and
 * reports: Node quotes the offending input (`Unexpected token 'o', "call 1391…" is not
 * valid JSON`), so quoted snippets go, and digit runs, e-mails and @handles are masked.
 */
export function safeMessage(message: string, max = 120): string {
  // a phone or ID written in groups (138-1234-5678, １３８ １２３４ …) is a digit run too
  return maskDigitRuns(
    message
      // from the first double quote to the last: the quoted input may hold quotes itself (x"王建国 …"), and
      // pairing them would leave what lies between in clear
      .replace(/"[\s\S]*"/, '"…"')
      // a quoted word (a token of the input); not "',' or '}'", which pairs two quoted punctuation marks
      .replace(/'[^'\s,]{2,}'/g, "'…'")
      .replace(/\S+@\S+/g, '⟦email⟧')
      .replace(/@\S+/g, '⟦handle⟧')
      .replace(/\d{5,}/g, (d) => '#'.repeat(d.length)),
  ).slice(0, max);
}

const OPTION_NAME = /^--?[A-Za-z][\w-]*$/;

/**
 * A node:util parseArgs error as a usage error (SCRUB_USAGE): it names the option only when the
 * offending word is a plain option name, never a value or a positional argument (which may be
 * anything, a phone number typed in the wrong place included), nor a name holding a long digit run.
 */
export function parseArgsUsageError(e: unknown, command: string, positionalHint?: string): ScrubError {
  const code = (e as { code?: string })?.code;
  const msg = (e as { message?: string })?.message ?? '';
  const m = /'(?:-[A-Za-z], )?(-{1,2}[^\s',]*)/.exec(msg);
  const name = m && OPTION_NAME.test(m[1]) && !/[0-9]{5}/.test(m[1]) ? m[1] : undefined;
  const hint = `see scrubline ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new ScrubError('SCRUB_USAGE', name ? `unknown option ${name}` : 'unknown option (not shown: not an option name)', { hint });
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new ScrubError('SCRUB_USAGE', `${command} takes no positional arguments`, { hint: positionalHint ?? hint });
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const what = name ? `option ${name}` : 'an option';
    return new ScrubError('SCRUB_USAGE', /does not take an argument/.test(msg) ? `${what} takes no value` : `${what} needs a value`, { hint });
  }
  return new ScrubError('SCRUB_USAGE', 'the command line is invalid', { hint });
}

