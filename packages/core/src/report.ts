/**
 * Per-stage report: additive counters (so shard reports merge by summing, as
 * datatrove's MetricStats do), bounded samples, and messages shaped like
 * unified's VFileMessage (ruleId, source, place). Stages must put only masked
 * or hashed values into samples and messages.
 */
export interface ReportMessage {
  reason: string;
  ruleId?: string;
  source?: string;
  /** Where: record id, turn index, offsets. */
  place?: { record?: string; turn?: number; start?: number; end?: number; file?: string; line?: number };
  fatal?: boolean;
  /** A hashed or masked rendering of the value, never the value. */
  actual?: string;
}

export class StageReport {
  readonly counters: Record<string, number> = Object.create(null);
  readonly samples: Record<string, unknown[]> = Object.create(null);
  readonly messages: ReportMessage[] = [];
  /** Kinds a stage keeps fewer samples of than `maxSamples` (its own option, e.g. normalise `samples`). */
  private readonly limits: Record<string, number> = Object.create(null);
  constructor(readonly maxSamples = 20, readonly maxMessages = 200) {}

  count(key: string, n = 1): void {
    this.counters[key] = (this.counters[key] ?? 0) + n;
  }

  /** Whether `sample(kind, …, max)` would still keep a sample (so a caller can skip building one). */
  wants(kind: string, max?: number): boolean {
    return (this.samples[kind]?.length ?? 0) < Math.min(max ?? Infinity, this.limits[kind] ?? Infinity, this.maxSamples);
  }

  /**
   * Keeps the first `maxSamples` per kind, or the first `max` where the stage keeps fewer (remembered
   * for the kind, so reports merged from slices or shards keep as many): deterministic for a given
   * input order.
   */
  sample(kind: string, value: unknown, max?: number): void {
    if (max !== undefined && max < (this.limits[kind] ?? Infinity)) this.limits[kind] = max;
    const list = (this.samples[kind] ??= []);
    if (list.length < Math.min(this.limits[kind] ?? Infinity, this.maxSamples)) list.push(value);
  }

  message(m: ReportMessage): void {
    if (this.messages.length < this.maxMessages) this.messages.push(m);
    else this.count('messages.omitted');
  }

  toJSON(): { counters: Record<string, number>; samples: Record<string, unknown[]>; messages: ReportMessage[]; sampleLimits?: Record<string, number> } {
    const limited = Object.keys(this.limits).length > 0;
    return { counters: sortKeys(this.counters), samples: this.samples, messages: this.messages, ...(limited ? { sampleLimits: sortKeys(this.limits) } : {}) };
  }

  static merge(reports: ReturnType<StageReport['toJSON']>[], maxSamples = 20): StageReport {
    const out = new StageReport(maxSamples);
    for (const r of reports) {
      for (const [k, v] of Object.entries(r.counters)) out.count(k, v);
      for (const [k, list] of Object.entries(r.samples)) for (const s of list) out.sample(k, s, r.sampleLimits?.[k]);
      for (const m of r.messages) out.message(m);
    }
    return out;
  }
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
