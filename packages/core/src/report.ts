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
  constructor(readonly maxSamples = 20, readonly maxMessages = 200) {}

  count(key: string, n = 1): void {
    this.counters[key] = (this.counters[key] ?? 0) + n;
  }

  /** Whether `sample(kind, …)` would still keep a sample (so a caller can skip building one). */
  wants(kind: string): boolean {
    return (this.samples[kind]?.length ?? 0) < this.maxSamples;
  }

  /** Keeps the first `maxSamples` per kind: deterministic for a given input order. */
  sample(kind: string, value: unknown): void {
    const list = (this.samples[kind] ??= []);
    if (list.length < this.maxSamples) list.push(value);
  }

  message(m: ReportMessage): void {
    if (this.messages.length < this.maxMessages) this.messages.push(m);
    else this.count('messages.omitted');
  }

  toJSON(): { counters: Record<string, number>; samples: Record<string, unknown[]>; messages: ReportMessage[] } {
    return { counters: sortKeys(this.counters), samples: this.samples, messages: this.messages };
  }

  static merge(reports: ReturnType<StageReport['toJSON']>[], maxSamples = 20): StageReport {
    const out = new StageReport(maxSamples);
    for (const r of reports) {
      for (const [k, v] of Object.entries(r.counters)) out.count(k, v);
      for (const [k, list] of Object.entries(r.samples)) for (const s of list) out.sample(k, s);
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
