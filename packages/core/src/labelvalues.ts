import { ScrubError } from './errors.js';
import { safeKey } from './mask.js';
import { sha256 } from './hash.js';

/** Default cap on the distinct label values a stage may turn into report keys (`maxLabelValues`). */
export const MAX_LABEL_VALUES = 64;

/** The `maxLabelValues` option as the labels, split and balance stages declare it. */
export const maxLabelValuesSchema = {
  description: `more distinct label values than this is a configuration error (the path points at an id, phone or text field, whose values would all become report keys); default ${MAX_LABEL_VALUES}`,
  type: 'integer',
  minimum: 1,
  default: MAX_LABEL_VALUES,
} as const;

/**
 * A label value as a report key (`label.<v>`, per-class stats): itself for a class label (`1`..`5`,
 * `positive`, `very good`, `train`), and through {@link safeKey} (safeId without its rule for ideographs) when it looks identifying (six or
 * more digits in a run, an e-mail or URL shape, over 64 characters), so such a value is never a key.
 * Unlike an id, a label with spaces is a class name (`not satisfied`), not a masked name: a path
 * pointing at a name field is caught by the distinct-value cap ({@link LabelValueGuard}).
 */
export function labelReportKey(value: string): string {
  if (!/\s/.test(value)) return safeKey(value);
  // joined keeps the length check; tight lets a digit run spaced around its separators (`138 - 1234 - 5678`) count as one
  const joined = value.replace(/\s/g, '_');
  const tight = value.replace(/\s+/g, '');
  return safeKey(joined) === joined && safeKey(tight) === tight ? value : safeKey(value);
}

/**
 * Label values shown as report keys ({@link labelReportKey}, computed once per value: a run has few).
 * The values themselves stay the classes (strata, plans, weights files); only what goes into a report
 * is shown this way, and classes that show alike are added up there.
 */
export class LabelReportKeys {
  private readonly shown = new Map<string, string>();

  key(value: string): string {
    let k = this.shown.get(value);
    if (k === undefined) this.shown.set(value, (k = labelReportKey(value)));
    return k;
  }

  /** `counts` keyed by report key, summed where values show alike. */
  counts(counts: Record<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [v, n] of Object.entries(counts)) {
      const k = this.key(v);
      out[k] = (out[k] ?? 0) + n;
    }
    return out;
  }
}

/**
 * Counts the distinct values a label path yields. A path misconfigured to an id, phone or free-text
 * field makes every value a report key; more than `max` distinct values stops the run with a
 * `SCRUB_CONFIG_INVALID` error that names the option, the path and the count, never a value.
 * Memory: at most `max` values plus one batch.
 */
export class LabelValueGuard {
  private readonly seen = new Set<string>();
  readonly max: number;

  constructor(
    private readonly where: { stage: string; field: string; path: string },
    max: number | undefined,
  ) {
    this.max = max ?? MAX_LABEL_VALUES;
  }

  add(value: string): void {
    this.seen.add(value);
  }

  /**
   * The values seen, as short hashes (sorted): a shard's share of the count for its fit state, so
   * that the merged check counts distinct raw values across shards exactly as one process does
   * (counting merged report keys would not: values that mask alike, such as phone numbers, collapse).
   * At most `max` + 1 entries, since `check` stops a shard beyond that.
   */
  hashes(): string[] {
    return [...this.seen].map((v) => sha256(v).slice(0, 16)).sort();
  }

  /**
   * The merged check over the shards' {@link hashes}. `fallback` is the merged key count, used when a
   * state comes from an older run without hashes.
   */
  checkMerged(lists: readonly (readonly string[] | undefined)[], fallback: number): void {
    if (lists.some((l) => l === undefined)) return this.check(fallback, false);
    const all = new Set<string>();
    for (const l of lists) for (const h of l!) all.add(h);
    this.check(all.size, false);
  }

  /** Throws when more than `max` distinct values were seen (call after each batch, and with the merged count). */
  check(count = this.seen.size, soFar = true): void {
    if (count <= this.max) return;
    const { stage, field, path } = this.where;
    throw new ScrubError(
      'SCRUB_CONFIG_INVALID',
      `${stage}: ${field} '${path}' has ${soFar ? 'at least ' : ''}${count} distinct values, more than maxLabelValues (${this.max}); it must point at a class label, not an id, phone number or text field`,
      { stage, field, hint: `check ${field}, or raise maxLabelValues if there really are that many classes` },
    );
  }
}
