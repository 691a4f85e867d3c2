import { setFlagsFromString } from 'node:v8';

let done = false;

/**
 * Turns on V8's linear-time fallback engine for regexes that backtrack too much
 * (`--enable-experimental-regexp_engine-on-excessive-backtracks`). It covers
 * patterns without the u/i flags, lookarounds and backreferences; the rule
 * loader additionally rejects unbounded quantifiers, so every attempt is
 * bounded even where the fallback does not apply. Idempotent.
 */
export function enableRegexpFallback(): void {
  if (done) return;
  done = true;
  try {
    setFlagsFromString('--enable-experimental-regexp_engine-on-excessive-backtracks');
  } catch {
    // not fatal: the bounded-quantifier rule still holds
  }
}
