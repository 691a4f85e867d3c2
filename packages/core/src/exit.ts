import { ScrubError } from './errors.js';

/** Exit codes of every scrubline command (README's table). */
export const EXIT = {
  OK: 0,
  /** A stage failed, or --strict met bad input. */
  RUN_FAILED: 1,
  /** Bad command line or pipeline file. */
  USAGE: 2,
  /** An input file is missing, empty, truncated or in the wrong encoding. */
  INPUT: 3,
  /** The residual scan found text that still looks identifying (--fail-on-residual). */
  RESIDUAL: 4,
  /** The counts did not add up; nothing was published. */
  LEDGER: 6,
  INTERNAL: 70,
} as const;

/** The exit code for an error: its code decides (usage, input, residual, ledger, internal, else a failed run). */
export function exitCodeFor(e: unknown): number {
  if (!(e instanceof ScrubError)) return EXIT.INTERNAL;
  const c = String(e.code);
  if (c === 'SCRUB_CONFIG_INVALID' || c === 'SCRUB_CONFIG_UNKNOWN_STAGE' || c === 'SCRUB_USAGE' || c === 'SCRUB_SHARD_INVALID' || c === 'SCRUB_ENCODING_UNKNOWN') return EXIT.USAGE;
  if (c === 'SCRUB_RESIDUAL_PII') return EXIT.RESIDUAL;
  if (c === 'SCRUB_LEDGER_MISMATCH') return EXIT.LEDGER;
  if (['SCRUB_INPUT_NOT_FOUND', 'SCRUB_INPUT_EMPTY', 'SCRUB_ENCODING_MISMATCH', 'SCRUB_GZIP_TRUNCATED', 'SCRUB_GZIP_CORRUPT', 'SCRUB_JSON_TRUNCATED', 'SCRUB_SESSION_NOT_CONTIGUOUS', 'SCRUB_FIELD_MISSING', 'SCRUB_SHARD_STATE_MISSING'].includes(c)) return EXIT.INPUT;
  if (c === 'SCRUB_INTERNAL') return EXIT.INTERNAL;
  return EXIT.RUN_FAILED;
}

/**
 * The error to report for a failure: a write to a closed stdout (`… | head`) is said plainly as
 * SCRUB_OUTPUT_FAILED, not as a stage or internal failure; anything else as a coded ScrubError.
 */
export function errorToReport(e: unknown): ScrubError {
  return isBrokenPipe(e) ? brokenPipe() : ScrubError.from(e);
}

/** A write to a closed pipe (EPIPE), itself or as the cause of a wrapped error. */
export function isBrokenPipe(e: unknown): boolean {
  return (e as { code?: string })?.code === 'EPIPE' || (e as { cause?: { code?: string } })?.cause?.code === 'EPIPE';
}

/** The reader of our stdout went away (`… | head`). */
export function brokenPipe(): ScrubError {
  return new ScrubError('SCRUB_OUTPUT_FAILED', 'stdout was closed before all records were written (broken pipe)', { file: '-' });
}
