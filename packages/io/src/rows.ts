import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hash52, LineSplitter, NdjsonFileWriter, ScrubError, type ConversationRecord, type Ledger, type Role, type Turn } from '@scrubline/core';
import type { InputFileCounts } from '@scrubline/core';
import type { RowsMapping } from './config.js';
import { allowedValues, describeValue, headerName } from './safe.js';
import { SessionGuard } from './session-guard.js';
import { fromTransparent, toTransparent, TRANSPARENT_FFFD } from './transparent.js';
import { setDotted } from './path.js';

/** Column indexes resolved from the header (or configured column names). */
export interface RowColumns {
  session: number;
  role: number;
  text: number;
  timestamp: number;
  labels: [string, number][];
  meta: [string, number][];
  turnMeta: [string, number][];
}

export function resolveColumns(mapping: RowsMapping, header: string[], file: string): RowColumns {
  const idx = (name: string, field: string): number => {
    let i = header.indexOf(name);
    if (i === -1 && /^\d+$/.test(name)) i = Number(name);
    if (i === -1 || i >= header.length) {
      throw new ScrubError('SCRUB_FIELD_MISSING', `column '${name}' is not in the header`, {
        file,
        line: 1,
        field,
        // a file without a header row, read as if it had one, makes its first data row the "header":
        // list the names only when the row names another mapped column (a real header with a typo)
        hint: [mapping.session, mapping.role.column, mapping.text].some((c) => header.includes(c))
          ? `columns are: ${header.slice(0, 20).map(headerName).join(', ')}`
          : 'the first row names none of the mapped columns: if the file has no header row, set csv.header: false and csv.columns',
      });
    }
    return i;
  };
  const pairs = (m: Record<string, string> | undefined, field: string): [string, number][] =>
    Object.entries(m ?? {}).map(([k, col]) => [k, idx(col, `${field}.${k}`)]);
  return {
    session: idx(mapping.session, 'rows.session'),
    role: idx(mapping.role.column, 'rows.role.column'),
    text: idx(mapping.text, 'rows.text'),
    timestamp: mapping.timestamp ? idx(mapping.timestamp, 'rows.timestamp') : -1,
    labels: pairs(mapping.labels, 'rows.labels'),
    meta: pairs(mapping.meta, 'rows.meta'),
    turnMeta: pairs(mapping.turnMeta, 'rows.turnMeta'),
  };
}

/** In the message, not a hint: quarantine entries keep the message only. */
const ROLE_HINT = 'add the value to rows.role.map or set rows.role.default; a long value or one of many characters usually means rows.role.column names the wrong column';

/** The sessions a reader met (of the whole input, or of one slice of a sliced read), as sorted runs on disk (see SessionGuard.keepRuns). */
export interface SessionRuns {
  runs: string[];
  /** Folder of the runs, for the caller to remove. */
  dir: string;
}

/** A session met again after other sessions, or in another file: the error, where it came back. */
export function sessionNotContiguous(file: string, line: number, what: string, mapping: RowsMapping): ScrubError {
  return new ScrubError('SCRUB_SESSION_NOT_CONTIGUOUS', `${what} appears again after other sessions or in another file`, {
    file,
    line,
    field: mapping.session,
    hint: mapping.grouping === 'sort' ? 'sessions must not span files' : "this export's rows are not grouped by session: set rows.grouping: sort (sessions must not span files)",
  });
}

/** One accepted row, compact (this is also the external-sort run format). */
type Row = [session: string, fileIdx: number, line: number, role: Role, text: string, ts: string | null, labels: (string | null)[], meta: (string | null)[], turnMeta: (string | null)[]];

/**
 * Validates rows and groups them into conversation records.
 * contiguous: streaming, memory = one session + a 52-bit hash per finished session
 * (to detect a session that comes back later, which is an error with a hint).
 * sort: a file's rows go into sorted runs of `sortRunRows`, spilled to disk and k-way merged.
 * Sessions never span files in either mode.
 */
export class RowGrouper {
  private current: Row[] = [];
  private currentSession: string | null = null;
  private currentLine = 0;
  /** hash52 of the current session, for the SessionGuard (hashed once per session). */
  private currentHash = 0;
  /** Finished sessions, to detect one that comes back (bounded memory, see SessionGuard). */
  private readonly closed: SessionGuard;
  private readonly files: string[] = [];
  private counts!: InputFileCounts;
  private sorter: RowSorter | null = null;
  private cols!: RowColumns;
  private file = '';
  private fileIdx = 0;
  /** This file's fields are transparent text (transparent.ts); records go out in that form. */
  private transparent = false;
  /** What goes into records, in the form of this file's fields. */
  private out!: { file: string; idPrefix: string; roles: Record<string, Role>; replacement: string; labels: string[]; meta: string[]; turnMeta: string[] };

  constructor(
    private readonly mapping: RowsMapping,
    private readonly ledger: Ledger,
    private readonly emit: (r: ConversationRecord, form?: 'text' | 'transparent') => void,
    tmpDir: string,
  ) {
    if (mapping.grouping === 'sort') this.sorter = new RowSorter(tmpDir, mapping.sortRunRows ?? 200_000);
    this.closed = new SessionGuard(tmpDir, mapping.sessionWindow ?? 1 << 16);
  }

  /** Each file may have its own header. */
  startFile(file: string, fileIdx: number, cols: RowColumns, transparent = false): void {
    this.file = file;
    this.fileIdx = fileIdx;
    this.files[fileIdx] = file;
    this.cols = cols;
    this.counts = this.ledger.file(file);
    this.transparent = transparent;
    const t = transparent ? toTransparent : (x: string) => x;
    const roles: Record<string, Role> = {};
    for (const [k, v] of Object.entries(this.mapping.role.map)) roles[t(k)] = v;
    this.out = {
      file: t(file),
      idPrefix: t(this.mapping.idPrefix ?? ''),
      roles,
      replacement: transparent ? TRANSPARENT_FFFD : '\uFFFD',
      labels: cols.labels.map(([k]) => t(k)),
      meta: cols.meta.map(([k]) => t(k)),
      turnMeta: cols.turnMeta.map(([k]) => t(k)),
    };
  }

  /** A field value as text, for emptiness checks and error messages. */
  private text(v: string): string {
    return this.transparent ? fromTransparent(v) : v;
  }

  /** Synchronous (no promise per row); call `settle()` between chunks so sorted runs can spill. */
  push(fields: string[], line: number): void {
    const c = this.cols;
    const counts = this.counts;
    counts.units++;
    const session = fields[c.session] ?? '';
    // whitespace beyond ASCII (U+00A0, U+3000 …) starts with a lead byte ≥ 0xC2 in transparent text,
    // after any ASCII whitespace: look at the first character that trim() leaves
    const trimmed = session.trim();
    if (trimmed === '' || (this.transparent && trimmed.charCodeAt(0) >= 0xc2 && this.text(session).trim() === '')) {
      return this.reject('SCRUB_FIELD_EMPTY', 'session id is empty', line, this.mapping.session);
    }
    const rawRole = fields[c.role] ?? '';
    const role = this.out.roles[rawRole] ?? this.mapping.role.default;
    if (!role) {
      return this.reject('SCRUB_ROLE_UNMAPPED', `role value is not in rows.role.map: ${describeValue(this.text(rawRole))}; ${allowedValues(this.mapping.role.map)} (${ROLE_HINT})`, line, this.mapping.role.column);
    }
    const text = fields[c.text] ?? '';
    if (text.includes(this.out.replacement)) {
      return this.reject('SCRUB_REPLACEMENT_CHAR', 'text contains U+FFFD replacement characters (the export was mis-decoded upstream)', line, this.mapping.text);
    }
    const row: Row = [session, this.fileIdx, line, role, text, c.timestamp >= 0 ? fields[c.timestamp] ?? null : null, pick(fields, c.labels), pick(fields, c.meta), pick(fields, c.turnMeta)];
    counts.unitsUsed++;
    if (this.sorter) {
      this.sorter.add(row);
      return;
    }
    if (session !== this.currentSession) {
      this.closeCurrent();
      this.startSession(session, line);
    }
    this.current.push(row);
  }

  async settle(): Promise<void> {
    await this.sorter?.settle();
  }

  /**
   * Ends a file: sessions never span files (a file belongs to exactly one shard,
   * so grouping per file is what keeps sharded and single runs identical).
   */
  async endFile(): Promise<void> {
    if (this.sorter) {
      for await (const row of this.sorter.drain()) {
        if (row[0] !== this.currentSession) {
          this.closeCurrent();
          this.startSession(row[0], row[2]);
        }
        this.current.push(row);
      }
    }
    this.closeCurrent();
  }

  /**
   * The session id as text for the cross-file check: a transparent file's non-ASCII id decoded, so that
   * one id hashes alike in a UTF-8 file (transparent) and a GBK file (decoded) of the same run.
   */
  private sessionKey(session: string): string {
    if (!this.transparent) return session;
    for (let i = 0; i < session.length; i++) if (session.charCodeAt(i) >= 0x80) return fromTransparent(session);
    return session;
  }

  private startSession(session: string, line: number): void {
    const h = hash52(this.sessionKey(session));
    if (this.closed.seenRecently(h)) throw this.notContiguous(this.file, line, `the session starting here, ${describeValue(this.text(session))},`);
    this.currentSession = session;
    this.currentLine = line;
    this.currentHash = h;
  }

  /** Whether a session left the recent window: only then can one that came back have gone unnoticed. */
  get sessionsLeftWindow(): boolean {
    return this.closed.spilled;
  }

  /**
   * The sessions met so far, as sorted runs on disk, unchecked: the finished ones and the open one
   * (its start passed this reader's check). A session that came back after the recent window is found
   * by merging them (`sessionRepeatAcrossSlices`), also across the slices of a sliced read, and is
   * reported where it came back, as one reader would at once had its window been large enough.
   */
  keepSessions(): SessionRuns {
    if (this.currentSession !== null) {
      this.closed.close(this.currentHash, this.fileIdx, this.currentLine);
      this.currentSession = null;
    }
    return this.closed.keepRuns();
  }

  private notContiguous(file: string, line: number, what: string): ScrubError {
    return sessionNotContiguous(file, line, what, this.mapping);
  }

  private reject(code: string, message: string, line: number, field: string): void {
    this.ledger.quarantineInput(new ScrubError(code, message, { file: this.file, line, field }));
  }

  private closeCurrent(): void {
    if (this.current.length === 0 || this.currentSession === null) return;
    const rows = this.current;
    this.current = [];
    this.closed.close(this.currentHash, this.fileIdx, this.currentLine);
    this.currentSession = null;
    if (this.mapping.order === 'timestamp') rows.sort((a, b) => ((a[5] ?? '') < (b[5] ?? '') ? -1 : (a[5] ?? '') > (b[5] ?? '') ? 1 : 0));
    const c = this.cols;
    const first = rows[0];
    const turns: Turn[] = rows.map((r) => {
      const t: Turn = { role: r[3], text: r[4] };
      if (r[5] !== null) t.ts = r[5];
      if (c.turnMeta.length) {
        const meta: Record<string, unknown> = {};
        this.out.turnMeta.forEach((k, i) => r[8][i] !== null && setDotted(meta, k, r[8][i]));
        t.meta = meta;
      }
      return t;
    });
    const labels: Record<string, unknown> = {};
    const meta: Record<string, unknown> = {};
    this.out.labels.forEach((k, i) => {
      const v = rows.find((r) => r[6][i] !== null)?.[6][i];
      if (v !== undefined && v !== null) setDotted(labels, k, v);
    });
    this.out.meta.forEach((k, i) => {
      const v = rows.find((r) => r[7][i] !== null)?.[7][i];
      if (v !== undefined && v !== null) setDotted(meta, k, v);
    });
    let lastLine = first[2];
    for (const r of rows) if (r[1] === first[1] && r[2] > lastLine) lastLine = r[2];
    const record: ConversationRecord = {
      id: this.out.idPrefix + first[0],
      turns,
      labels,
      source: { file: this.out.file, line: first[2], lastLine },
      meta,
    };
    this.counts.records++;
    this.emit(record, this.transparent ? 'transparent' : 'text');
  }

}

const NONE: (string | null)[] = [];
/** Column values for a mapping (shared empty array when nothing is mapped: no allocation per row). */
function pick(fields: string[], list: [string, number][]): (string | null)[] {
  if (list.length === 0) return NONE;
  return list.map(([, i]) => (fields[i] === undefined || fields[i] === '' ? null : fields[i]));
}

const cmpRow = (a: Row, b: Row): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]);

/** Bounded external sort of rows by (session, file, line). */
class RowSorter {
  private buf: Row[] = [];
  /** Full runs waiting to be written (rows are added synchronously; writing is async). */
  private full: Row[][] = [];
  private runs: string[] = [];
  private dir: string;
  constructor(tmpDir: string, private readonly runRows: number) {
    this.dir = join(tmpDir, `sort-${process.pid}-${Date.now()}`);
  }
  add(row: Row): void {
    this.buf.push(row);
    if (this.buf.length >= this.runRows) {
      this.full.push(this.buf);
      this.buf = [];
    }
  }
  /** Writes the full runs; called between chunks, so memory is bounded by runRows plus one chunk. */
  async settle(): Promise<void> {
    while (this.full.length) await this.spill(this.full.shift()!);
  }
  private async spill(run: Row[]): Promise<void> {
    run.sort(cmpRow);
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `run-${this.runs.length}.ndjson`);
    const w = new NdjsonFileWriter(path);
    for (let i = 0; i < run.length; i += 1024) await w.write(run.slice(i, i + 1024));
    await w.close();
    this.runs.push(path);
  }
  async *drain(): AsyncGenerator<Row> {
    await this.settle();
    if (this.runs.length === 0) {
      this.buf.sort(cmpRow);
      yield* this.buf;
      this.buf = [];
      return;
    }
    if (this.buf.length) {
      await this.spill(this.buf);
      this.buf = [];
    }
    const iters = this.runs.map((p) => readRows(p));
    const heads: (Row | null)[] = [];
    for (const it of iters) heads.push((await it.next()).value ?? null);
    try {
      for (;;) {
        let best = -1;
        for (let i = 0; i < heads.length; i++) if (heads[i] && (best < 0 || cmpRow(heads[i]!, heads[best]!) < 0)) best = i;
        if (best < 0) break;
        yield heads[best]!;
        heads[best] = (await iters[best].next()).value ?? null;
      }
    } finally {
      await rm(this.dir, { recursive: true, force: true });
      this.runs = [];
    }
  }
}

async function* readRows(path: string): AsyncGenerator<Row> {
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    splitter.push(chunk as string, (l) => l && lines.push(l));
    for (const l of lines.splice(0)) yield JSON.parse(l) as Row;
  }
  splitter.end((l) => l && lines.push(l));
  for (const l of lines) yield JSON.parse(l) as Row;
}

