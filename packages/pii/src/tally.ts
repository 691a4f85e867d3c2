import { PLACEHOLDER_SOURCE, safeId, ScrubError, type Role, type StageReport } from '@scrubline/core';
import { maskContext, maskedSample, type RepOut } from './scrub.js';

/** Counter key: `found|TYPE|rule|role|file`, `kept|KIND|rule|role|file`, `score|TYPE|bucket`, `operator|TYPE|kind`. */
export function counterKey(...parts: string[]): string {
  return parts.join('|');
}

const BUCKETS = Array.from({ length: 11 }, (_, b) => (b / 10).toFixed(1));

/** The score's histogram bucket index, 0–10 (0.0, 0.1, … 1.0). */
function bucketIndex(score: number): number {
  return Math.max(0, Math.min(10, Math.floor(score * 10 + 1e-9)));
}

export function scoreBucket(score: number): string {
  return BUCKETS[bucketIndex(score)];
}

/** The stage's running totals (its summary). */
export interface PiiTotals {
  records: number;
  turns: number;
  turnsChanged: number;
  findings: number;
  kept: number;
  byType: Record<string, number>;
  keptByKind: Record<string, number>;
}

export const emptyTotals = (): PiiTotals => ({ records: 0, turns: 0, turnsChanged: 0, findings: 0, kept: 0, byType: {}, keptByKind: {} });

/**
 * What scrubbing pieces of a batch found, on one thread: report counter increments, samples,
 * totals and the changed texts. Plain data, cheap to post between threads (typed arrays and a
 * few strings), and added to the stage report by `mergeTallies`: counters are sums and samples
 * are ordered by piece, so the report does not depend on which thread scanned which piece.
 */
export interface PiiTally {
  /** Counter increments as [key id, n] pairs; ids index the sending tallier's key table. */
  counts: Float64Array;
  /** Keys the tallier made since its previous tally: ids `keyBase`, `keyBase + 1`, … */
  newKeys: string[];
  keyBase: number;
  totals: PiiTotals;
  /** [piece, kind, sample], in input order within each piece; per piece at most the number still wanted per kind. */
  samples: [number, string, unknown][];
  /** Text indexes (in the batch's flat list) whose text changed; the new texts joined, cut by `changedEnds`. */
  changed: Int32Array;
  changedText: string;
  changedEnds: Int32Array;
  /** The new texts as they are, for a tally merged on the thread that made it (finish(false)); null when joined. */
  changedList: string[] | null;
}

type Sample = [number, string, unknown];
/** A tally's sample list: made in one place, so that every list has the shape V8 learnt for the first. */
const noSamples = (): Sample[] => [];

type KeyCache = Map<string, Map<string, Map<string, Map<string, number>>>>;

/**
 * Counts findings into tallies. One per thread: it numbers the counter keys it builds (each
 * key is built once and then travels as a number), so it is not shared between threads.
 * Use: `begin`, then `piece(i)` before each piece, the counting calls, and `finish`.
 */
export class Tallier {
  private readonly keys: string[] = [];
  private readonly keyIds = new Map<string, number>();
  private sentKeys = 0;
  private readonly keyCache: KeyCache = new Map();
  private readonly keptCache: KeyCache = new Map();
  /** Per type: counter ids of `score|TYPE|bucket` by bucket index (-1: not made yet). */
  private readonly scoreIds = new Map<string, Int32Array>();
  /** Per type and operator kind: the counter id of `operator|TYPE|kind`. */
  private readonly operatorIds = new Map<string, Map<string, number>>();
  private readonly sampleKinds = new Map<string, string>();
  // counter increments of the tally being filled: dense by key id, and the ids touched
  private acc = new Float64Array(64);
  private seen = new Uint8Array(64);
  private readonly touched: number[] = [];
  private sampleLeftAtStart: Record<string, number> = {};
  // Maps and arrays kept for the tallier's life, not objects that gain keys or fresh arrays per tally: the
  // hot methods then see one shape from the start, and V8 optimises them once (each new shape after that
  // threw their optimised code away)
  private readonly sampleLeft = new Map<string, number>();
  private readonly byType = new Map<string, number>();
  private readonly keptByKind = new Map<string, number>();
  private maxSamples = 0;
  private current = 0;
  private samples: Sample[] = noSamples();
  private readonly changed: number[] = [];
  private readonly changedTexts: string[] = [];
  /** Totals of the tally being filled (its byType and keptByKind are filled by `finish`). */
  totals: PiiTotals = emptyTotals();

  constructor(readonly sampleContext: number) {}

  /** Starts a tally; `sampleLeft` says how many samples per kind the report still takes. */
  begin(sampleLeft: Record<string, number>, maxSamples: number): void {
    // a tally left unfinished (its batch failed) must not leak counts into this one
    for (const id of this.touched) {
      this.acc[id] = 0;
      this.seen[id] = 0;
    }
    this.touched.length = 0;
    this.sampleLeftAtStart = sampleLeft;
    this.maxSamples = maxSamples;
    this.totals = emptyTotals();
    this.byType.clear();
    this.keptByKind.clear();
    this.samples = noSamples();
    this.changed.length = 0;
    this.changedTexts.length = 0;
  }

  /** What follows belongs to piece `i` (samples are wanted per piece: which pieces come first is not known here). */
  piece(i: number): void {
    this.current = i;
    this.sampleLeft.clear();
    for (const kind in this.sampleLeftAtStart) this.sampleLeft.set(kind, this.sampleLeftAtStart[kind]);
  }

  /** The id of a counter key. */
  id(key: string): number {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.keyIds.set(key, id);
      if (id >= this.acc.length) {
        const acc = new Float64Array(this.acc.length * 2);
        acc.set(this.acc);
        this.acc = acc;
        const seen = new Uint8Array(acc.length);
        seen.set(this.seen);
        this.seen = seen;
      }
    }
    return id;
  }

  countId(id: number, n = 1): void {
    // an increment of 0 still makes the key (as report.count(k, 0) does)
    if (this.seen[id] === 0) {
      this.seen[id] = 1;
      this.touched.push(id);
    }
    this.acc[id] += n;
  }

  count(key: string, n = 1): void {
    this.countId(this.id(key), n);
  }

  /** `found|type|rule|role|file` (or `kept|kind|…` from `cache = keptCache`), built once. */
  private foundId(type: string, rule: string, role: string, file: string, cache: KeyCache, kind: string): number {
    let byRule = cache.get(type);
    if (!byRule) cache.set(type, (byRule = new Map()));
    let byRole = byRule.get(rule);
    if (!byRole) byRule.set(rule, (byRole = new Map()));
    let byFile = byRole.get(role);
    if (!byFile) byRole.set(role, (byFile = new Map()));
    let k = byFile.get(file);
    if (k === undefined) byFile.set(file, (k = this.id(counterKey(kind, type, rule, role, file))));
    return k;
  }

  // built once per type and bucket / operator (two findings per text on average: no string is made per finding)
  private scoreId(type: string, score: number): number {
    let ids = this.scoreIds.get(type);
    if (!ids) this.scoreIds.set(type, (ids = new Int32Array(11).fill(-1)));
    const b = bucketIndex(score);
    let id = ids[b];
    if (id < 0) ids[b] = id = this.id(counterKey('score', type, BUCKETS[b]));
    return id;
  }

  private operatorId(type: string, op: string): number {
    let ids = this.operatorIds.get(type);
    if (!ids) this.operatorIds.set(type, (ids = new Map()));
    let id = ids.get(op);
    if (id === undefined) ids.set(op, (id = this.id(counterKey('operator', type, op))));
    return id;
  }

  /** A span left in the text (a placeholder already there, a report-only type). */
  kept(kind: string, rule: string, role: Role, file: string): void {
    this.countId(this.foundId(kind, rule, role, file, this.keptCache, 'kept'));
    this.totals.kept++;
    this.keptByKind.set(kind, (this.keptByKind.get(kind) ?? 0) + 1);
  }

  /** Text `textIndex` of the batch changed to `text`. */
  changedText(textIndex: number, text: string): void {
    this.totals.turnsChanged++;
    this.count('turns.changed');
    this.changed.push(textIndex);
    this.changedTexts.push(text);
  }

  /** A replacement made in turn `turn` of record `id`; `original` and `out` are the turn's text before and after. */
  rep(id: string, turn: number, role: Role, file: string, original: string, out: string, rep: RepOut): void {
    this.countId(this.foundId(rep.type, rep.rule, role, file, this.keyCache, 'found'));
    this.countId(this.scoreId(rep.type, rep.score));
    this.countId(this.operatorId(rep.type, rep.op));
    this.count('chars.replaced', rep.end - rep.start);
    this.totals.findings++;
    this.byType.set(rep.type, (this.byType.get(rep.type) ?? 0) + 1);
    let kind = this.sampleKinds.get(rep.type);
    if (kind === undefined) this.sampleKinds.set(rep.type, (kind = `finding.${rep.type}`));
    const left = this.sampleLeft.get(kind) ?? this.maxSamples;
    if (left <= 0) return;
    this.sampleLeft.set(kind, left - 1);
    const w = this.sampleContext;
    this.samples.push([
      this.current,
      kind,
      {
        record: safeId(id),
        turn,
        role,
        file,
        type: rep.type,
        rule: rep.rule,
        score: rep.score,
        masked: maskedSample(original.slice(rep.start, rep.end)),
        context: maskContext(windowOf(out, Math.max(0, rep.outStart - w), rep.outEnd + w)),
      },
    ]);
  }

  /**
   * Ends the tally: what was counted since `begin`, ready to post (`forPosting`: the changed texts joined into one
   * string, which a structured clone copies at once) or to merge on this thread (the texts as they are: joining
   * and cutting them again cost the one-thread step 2 %).
   */
  finish(forPosting = true): PiiTally {
    const counts = new Float64Array(this.touched.length * 2);
    let p = 0;
    for (const id of this.touched) {
      counts[p++] = id;
      counts[p++] = this.acc[id];
      this.acc[id] = 0;
      this.seen[id] = 0;
    }
    this.touched.length = 0;
    this.totals.byType = Object.fromEntries(this.byType);
    this.totals.keptByKind = Object.fromEntries(this.keptByKind);
    const changedEnds = new Int32Array(forPosting ? this.changedTexts.length : 0);
    let end = 0;
    if (forPosting) for (let i = 0; i < this.changedTexts.length; i++) changedEnds[i] = end += this.changedTexts[i].length;
    const t: PiiTally = {
      counts,
      newKeys: this.keys.slice(this.sentKeys),
      keyBase: this.sentKeys,
      totals: this.totals,
      samples: this.samples,
      changed: Int32Array.from(this.changed),
      changedText: forPosting ? this.changedTexts.join('') : '',
      changedEnds,
      changedList: forPosting ? null : this.changedTexts.slice(),
    };
    this.sentKeys = this.keys.length;
    this.totals = emptyTotals();
    this.byType.clear();
    this.keptByKind.clear();
    this.samples = noSamples();
    this.changed.length = 0;
    this.changedTexts.length = 0;
    return t;
  }
}

/** Samples each kind of `report` still takes (kinds not listed: all `report.maxSamples`). */
export function samplesLeft(report: StageReport): Record<string, number> {
  const left: Record<string, number> = {};
  for (const [kind, list] of Object.entries(report.samples)) left[kind] = report.maxSamples - list.length;
  return left;
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k];
}

/**
 * The receiving side of one tallier's tallies (one per sending thread): its copy of the key
 * table. Tallies from one tallier must be merged in the order it finished them.
 */
export class TallyKeys {
  private readonly keys: string[] = [];

  /** Adds `t` to the report and the totals (samples excepted: see mergeTallies); `onChanged(textIndex, text)` applies each changed text. */
  merge(t: PiiTally, report: StageReport, totals: PiiTotals, onChanged: (textIndex: number, text: string) => void): void {
    if (t.keyBase !== this.keys.length) throw new ScrubError('SCRUB_INTERNAL', `pii tally keys out of step: ${t.keyBase} after ${this.keys.length}`);
    for (const k of t.newKeys) this.keys.push(k);
    const c = t.counts;
    for (let i = 0; i < c.length; i += 2) report.count(this.keys[c[i]], c[i + 1]);
    const x = t.totals;
    totals.records += x.records;
    totals.turns += x.turns;
    totals.turnsChanged += x.turnsChanged;
    totals.findings += x.findings;
    totals.kept += x.kept;
    addInto(totals.byType, x.byType);
    addInto(totals.keptByKind, x.keptByKind);
    if (t.changedList !== null) {
      for (let i = 0; i < t.changed.length; i++) onChanged(t.changed[i], t.changedList[i]);
      return;
    }
    let start = 0;
    for (let i = 0; i < t.changed.length; i++) {
      const end = t.changedEnds[i];
      onChanged(t.changed[i], t.changedText.slice(start, end));
      start = end;
    }
  }
}

/**
 * Merges the tallies of one batch (each with the key table of the thread that made it) into the
 * report and totals. Samples go in piece order, so the report keeps the first ones in input order
 * whatever thread found them.
 */
export function mergeTallies(
  tallies: readonly { tally: PiiTally; keys: TallyKeys }[],
  report: StageReport,
  totals: PiiTotals,
  onChanged: (textIndex: number, text: string) => void,
): void {
  const samples: [number, string, unknown][] = [];
  for (const { tally, keys } of tallies) {
    keys.merge(tally, report, totals, onChanged);
    for (const s of tally.samples) samples.push(s);
  }
  if (tallies.length > 1) samples.sort((a, b) => a[0] - b[0]); // stable: input order within a piece
  for (const [, kind, s] of samples) report.sample(kind, s);
}

const PLACEHOLDERS = new RegExp(PLACEHOLDER_SOURCE, 'g');

/**
 * `s.slice(a, b)` widened so that it cuts no placeholder in two: a cut `[PHONE_` would be masked
 * letter by letter (`[xxxxx_`), an auditor reads `[PHONE_2]`.
 */
export function windowOf(s: string, a: number, b: number): string {
  // placeholders are at most ~90 characters (an hmac token), so one that reaches into the window starts after a - 96
  PLACEHOLDERS.lastIndex = Math.max(0, a - 96);
  for (let m = PLACEHOLDERS.exec(s); m !== null && m.index < b; m = PLACEHOLDERS.exec(s)) {
    const end = m.index + m[0].length;
    if (m.index < a && end > a) a = m.index;
    if (end > b) b = end;
  }
  return s.slice(a, b);
}
