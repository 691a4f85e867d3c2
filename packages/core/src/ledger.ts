import { ScrubError } from './errors.js';
import type { ConversationRecord, RecordSource } from './record.js';
import { sortKeys } from './report.js';

/**
 * The ledger: every input record ends written, dropped (stage and reason) or
 * quarantined (error code and location). Counts are additive across shards.
 *
 * Invariant checked by `verify()`:
 *   input.records + Σ stage.added == output.records + Σ stage.dropped + Σ stage.quarantined
 * and, for each stage: in + added == out + dropped + quarantined.
 * Items quarantined while reading (malformed rows) never became records; they
 * are counted under `input.quarantined`, and for each file rows read ==
 * rows grouped into records + rows quarantined.
 */
export interface StageCounts {
  in: number;
  out: number;
  added: number;
  dropped: Record<string, number>;
  quarantined: Record<string, number>;
}

export interface InputFileCounts {
  path: string;
  bytes?: number;
  sha256?: string;
  /** Units read from the file: rows for row-per-message exports, documents otherwise. */
  units: number;
  /** Units that became (part of) records. */
  unitsUsed: number;
  /** Units quarantined. */
  unitsQuarantined: number;
  records: number;
}

export interface LedgerEntry {
  kind: 'dropped' | 'quarantined';
  stage: string;
  id?: string;
  reason?: string;
  code?: string;
  message?: string;
  source?: RecordSource | { file?: string; line?: number; field?: string };
  detail?: Record<string, unknown>;
  /** Raw content, only for input quarantine (a malformed row needs its bytes to be repaired). */
  raw?: string;
}

export interface LedgerJSON {
  input: { records: number; quarantined: Record<string, number>; files: InputFileCounts[] };
  stages: { id: string; counts: StageCounts }[];
  output: { records: number };
}

export type LedgerSink = (entry: LedgerEntry) => void;

export class Ledger {
  readonly files = new Map<string, InputFileCounts>();
  inputRecords = 0;
  readonly inputQuarantined: Record<string, number> = Object.create(null);
  readonly stages = new Map<string, StageCounts>();
  outputRecords = 0;
  /** Receives each drop and quarantine entry (e.g. to write them to files). */
  sink: LedgerSink | undefined;
  strict = false;

  file(path: string): InputFileCounts {
    let f = this.files.get(path);
    if (!f) {
      f = { path, units: 0, unitsUsed: 0, unitsQuarantined: 0, records: 0 };
      this.files.set(path, f);
    }
    return f;
  }

  stage(id: string): StageCounts {
    let s = this.stages.get(id);
    if (!s) {
      s = { in: 0, out: 0, added: 0, dropped: Object.create(null), quarantined: Object.create(null) };
      this.stages.set(id, s);
    }
    return s;
  }

  /** A malformed input unit (row, line, document) that never became a record. */
  quarantineInput(error: ScrubError, raw?: string): void {
    if (this.strict) throw error;
    this.inputQuarantined[error.code] = (this.inputQuarantined[error.code] ?? 0) + 1;
    if (error.file) this.file(error.file).unitsQuarantined++;
    this.sink?.({
      kind: 'quarantined',
      stage: 'input',
      code: error.code,
      message: error.message,
      source: { file: error.file, line: error.line, field: error.field },
      raw,
    });
  }

  drop(stageId: string, record: ConversationRecord, reason: string, detail?: Record<string, unknown>): void {
    const s = this.stage(stageId);
    s.dropped[reason] = (s.dropped[reason] ?? 0) + 1;
    this.sink?.({ kind: 'dropped', stage: stageId, id: record.id, reason, source: record.source, detail });
  }

  quarantine(stageId: string, record: ConversationRecord, error: ScrubError): void {
    if (this.strict) throw error;
    const s = this.stage(stageId);
    s.quarantined[error.code] = (s.quarantined[error.code] ?? 0) + 1;
    this.sink?.({
      kind: 'quarantined',
      stage: stageId,
      id: record.id,
      code: error.code,
      message: error.message,
      source: record.source,
    });
  }

  totals(): { input: number; added: number; dropped: number; quarantined: number; output: number; inputQuarantined: number } {
    let added = 0;
    let dropped = 0;
    let quarantined = 0;
    for (const s of this.stages.values()) {
      added += s.added;
      dropped += sum(s.dropped);
      quarantined += sum(s.quarantined);
    }
    return { input: this.inputRecords, added, dropped, quarantined, output: this.outputRecords, inputQuarantined: sum(this.inputQuarantined) };
  }

  /** Returns the list of broken invariants; empty when the counts add up. */
  verify(): string[] {
    const problems: string[] = [];
    for (const [id, s] of this.stages) {
      const lhs = s.in + s.added;
      const rhs = s.out + sum(s.dropped) + sum(s.quarantined);
      if (lhs !== rhs) problems.push(`stage ${id}: in ${s.in} + added ${s.added} != out ${s.out} + dropped ${sum(s.dropped)} + quarantined ${sum(s.quarantined)}`);
    }
    const t = this.totals();
    if (t.input + t.added !== t.output + t.dropped + t.quarantined) {
      problems.push(`run: input ${t.input} + added ${t.added} != output ${t.output} + dropped ${t.dropped} + quarantined ${t.quarantined}`);
    }
    for (const f of this.files.values()) {
      if (f.units !== f.unitsUsed + f.unitsQuarantined) {
        problems.push(`file ${f.path}: units read ${f.units} != used ${f.unitsUsed} + quarantined ${f.unitsQuarantined}`);
      }
    }
    return problems;
  }

  toJSON(): LedgerJSON {
    return {
      input: {
        records: this.inputRecords,
        quarantined: sortKeys(this.inputQuarantined),
        files: [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      },
      stages: [...this.stages].map(([id, counts]) => ({
        id,
        counts: { ...counts, dropped: sortKeys(counts.dropped), quarantined: sortKeys(counts.quarantined) },
      })),
      output: { records: this.outputRecords },
    };
  }

  /** Restores a ledger saved by an earlier phase of a sharded run. */
  static fromJSON(json: LedgerJSON): Ledger {
    const l = new Ledger();
    l.inputRecords = json.input.records;
    Object.assign(l.inputQuarantined, json.input.quarantined);
    for (const f of json.input.files) l.files.set(f.path, { ...f });
    for (const s of json.stages) l.stages.set(s.id, { ...s.counts, dropped: { ...s.counts.dropped }, quarantined: { ...s.counts.quarantined } });
    l.outputRecords = json.output.records;
    return l;
  }

  /** Sums ledgers of several shards. */
  static merge(ledgers: LedgerJSON[]): Ledger {
    const l = new Ledger();
    for (const j of ledgers) {
      l.inputRecords += j.input.records;
      addInto(l.inputQuarantined, j.input.quarantined);
      for (const f of j.input.files) {
        const t = l.file(f.path);
        t.units += f.units;
        t.unitsUsed += f.unitsUsed;
        t.unitsQuarantined += f.unitsQuarantined;
        t.records += f.records;
        if (f.bytes !== undefined) t.bytes = f.bytes;
        if (f.sha256) t.sha256 = f.sha256;
      }
      for (const s of j.stages) {
        const t = l.stage(s.id);
        t.in += s.counts.in;
        t.out += s.counts.out;
        t.added += s.counts.added;
        addInto(t.dropped, s.counts.dropped);
        addInto(t.quarantined, s.counts.quarantined);
      }
      l.outputRecords += j.output.records;
    }
    return l;
  }
}

function sum(o: Record<string, number>): number {
  let n = 0;
  for (const k in o) n += o[k];
  return n;
}

function addInto(target: Record<string, number>, src: Record<string, number>): void {
  for (const [k, v] of Object.entries(src)) target[k] = (target[k] ?? 0) + v;
}
