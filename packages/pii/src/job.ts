import { ROLES, safeFile, type ConversationRecord, type Role } from '@scrubline/core';
import { applyOperators, ConversationScope, placeholderTokens, type OperatorConfig } from './operators.js';
import type { Analysis, RuleEngine } from './rules.js';
import { isNudge, keptLeft, TurnPairer, type PendingTurn } from './split.js';
import type { Tallier } from './tally.js';

const ROLE_INDEX = new Map<Role, number>(ROLES.map((r, i) => [r, i]));

/**
 * A batch's in-scope turns, flat, cut into pieces of about equal text length: what any thread
 * needs to scrub and count a piece. Cheap to post to a worker thread (typed arrays, a few
 * strings; the texts travel separately as one joined string, cut by `starts`).
 * Conversation j has ids[j], files[fileOf[j]] and the next counts[j] texts; text k is turn
 * turns[k] of its record, with role ROLES[roles[k]]. Piece i is conversations
 * [pieces[i], pieces[i+1]) and texts [pieceText[i], pieceText[i+1]).
 */
export interface ScrubJob {
  ids: string[];
  files: string[];
  fileOf: Int32Array;
  counts: Int32Array;
  turns: Int32Array;
  roles: Uint8Array;
  /** Where text k starts in the joined texts (length: texts + 1). */
  starts: Int32Array;
  pieces: Int32Array;
  pieceText: Int32Array;
  /** Per text: the turn right before it when that turn is outside the roles option ('' otherwise; split.ts's PendingTurn.before). */
  befores: string[];
  /** Per text: how many turns outside the roles option lie between it and the in-scope turn before it (PendingTurn.gap, at most 255). */
  gaps: Uint8Array;
  /** Per conversation: the default placeholders its turns outside the roles option hold, joined ('' mostly): their numbers are taken. */
  outsidePlaceholders: string[];
  /** Samples the report still takes per kind (absent: maxSamples). */
  sampleLeft: Record<string, number>;
  maxSamples: number;
}

export interface BuiltJob {
  job: ScrubJob;
  /** The in-scope texts, flat (index = text index). */
  texts: string[];
  /** Record (batch index) of each text. */
  recordOf: Int32Array;
}

/** Flattens a batch's in-scope turns into a job cut into about `pieceCount` pieces. */
export function buildJob(
  batch: readonly ConversationRecord[],
  inScope: (t: { role: Role; text: string }) => boolean,
  pieceCount: number,
  sampleLeft: Record<string, number>,
  maxSamples: number,
): BuiltJob {
  let total = 0;
  for (const r of batch) total += r.turns.length;
  const n = batch.length;
  const ids = new Array<string>(n);
  const files: string[] = [];
  // by the file as the record names it; `files` holds it as reports show it (safeFile, once per file)
  const fileIndex = new Map<string | undefined, number>();
  const fileOf = new Int32Array(n);
  const counts = new Int32Array(n);
  const turns = new Int32Array(total);
  const roles = new Uint8Array(total);
  const recordOf = new Int32Array(total);
  const starts = new Int32Array(total + 1);
  const texts: string[] = [];
  const befores: string[] = [];
  const gaps = new Uint8Array(total);
  const outsidePlaceholders = new Array<string>(n);
  let chars = 0;
  for (let j = 0; j < n; j++) {
    const r = batch[j];
    ids[j] = r.id;
    // as reports show it: a canonical record's source came with the data
    const raw = r.source?.file;
    let f = fileIndex.get(raw);
    if (f === undefined) {
      f = files.length;
      files.push(raw === undefined ? '-' : safeFile(raw));
      fileIndex.set(raw, f);
    }
    fileOf[j] = f;
    let c = 0;
    let outside = '';
    for (let t = 0; t < r.turns.length; t++) {
      const turn = r.turns[t];
      if (!inScope(turn)) {
        outside += placeholderTokens(turn.text);
        continue;
      }
      const k = texts.length;
      texts.push(turn.text);
      befores.push(outOfScopeBefore(r.turns, t, inScope));
      gaps[k] = outOfScopeGap(r.turns, t, inScope);
      turns[k] = t;
      roles[k] = ROLE_INDEX.get(turn.role)!;
      recordOf[k] = j;
      chars += turn.text.length;
      starts[k + 1] = chars;
      c++;
    }
    counts[j] = c;
    outsidePlaceholders[j] = outside;
  }
  // pieces of about equal text length (the last may be shorter)
  const target = Math.max(1, chars / Math.max(1, pieceCount));
  const cuts: number[] = [0];
  const textCuts: number[] = [0];
  let k = 0;
  let acc = 0;
  for (let j = 0; j < n; j++) {
    const end = k + counts[j];
    acc += starts[end] - starts[k];
    k = end;
    if (acc >= target && j + 1 < n) {
      cuts.push(j + 1);
      textCuts.push(k);
      acc = 0;
    }
  }
  cuts.push(n);
  textCuts.push(k);
  const m = texts.length;
  return {
    job: {
      ids,
      files,
      fileOf,
      counts,
      turns: turns.subarray(0, m),
      roles: roles.subarray(0, m),
      starts: starts.subarray(0, m + 1),
      pieces: Int32Array.from(cuts),
      pieceText: Int32Array.from(textCuts),
      befores,
      gaps: gaps.subarray(0, m),
      outsidePlaceholders,
      sampleLeft,
      maxSamples,
    },
    texts,
    recordOf: recordOf.subarray(0, m),
  };
}

export const pieceCount = (job: ScrubJob): number => job.pieces.length - 1;

/**
 * The text of the turn before turn `t` (the nearest one with text) when the roles option leaves it out, else ''
 * (an in-scope turn before is a pending turn of its own).
 */
export function outOfScopeBefore(turns: readonly { role: Role; text: string }[], t: number, inScope: (turn: { role: Role; text: string }) => boolean): string {
  let i = t - 1;
  while (i >= 0 && !turns[i].text) i--;
  if (i < 0 || inScope(turns[i])) return '';
  // a nudge (亲？) after its speaker's own question, both out of scope: the question, as TurnPairer reads in scope
  if (isNudge(turns[i].text)) {
    let q = i - 1;
    while (q >= 0 && !turns[q].text) q--;
    if (q >= 0 && !inScope(turns[q]) && turns[q].role === turns[i].role && turns[i].role !== turns[t].role) return turns[q].text;
  }
  return turns[i].text;
}

/**
 * How many turns with text, outside the roles option, lie between turn `t` and the in-scope turn before it (at most
 * 255): with roles [customer], a customer turn one agent turn after the last pairs with it as with all roles.
 */
export function outOfScopeGap(turns: readonly { role: Role; text: string }[], t: number, inScope: (turn: { role: Role; text: string }) => boolean): number {
  let n = 0;
  for (let i = t - 1; i >= 0 && n < 255; i--) {
    if (!turns[i].text) continue;
    if (inScope(turns[i])) break;
    n++;
  }
  return n;
}

/**
 * Conversation j's operator scope, with the numbers of the placeholders it already holds taken: in its texts `first`
 * … `first + count - 1` and in its turns outside the roles option.
 */
function scopeOf(job: ScrubJob, j: number, first: number, count: number, textAt: (k: number) => string): ConversationScope {
  const scope = new ConversationScope(job.ids[j]);
  scope.reservePlaceholdersIn(job.outsidePlaceholders[j]);
  for (let k = first; k < first + count; k++) scope.reservePlaceholdersIn(textAt(k));
  return scope;
}

/**
 * Detection, operators and counting (into `tallier`) for piece `i` of a job (one scope per
 * conversation, so a piece's result does not depend on the other pieces). `textAt(k)` gives text k.
 */
export function scrubPiece(job: ScrubJob, i: number, textAt: (k: number) => string, engine: RuleEngine, config: OperatorConfig, tallier: Tallier): void {
  tallier.piece(i);
  const totals = tallier.totals;
  let k = job.pieceText[i];
  for (let j = job.pieces[i]; j < job.pieces[i + 1]; j++) {
    const id = job.ids[j];
    const file = job.files[job.fileOf[j]];
    const c = job.counts[j];
    totals.records++;
    // the conversation's texts are first … first + c - 1
    const first = k;
    // made on the first finding: most conversations have none
    let scope: ConversationScope | null = null;
    // a turn's operators run once the two turns after it are analysed (an identifier split over two turns
    // of one speaker marks both: split.ts)
    const pairer = new TurnPairer<PendingTurn & { kept: Analysis['kept']; k: number }>(engine, (p) => {
      if (p.spans.length) {
        const turn = job.turns[p.k];
        const r = applyOperators(p.text, p.spans, (scope ??= scopeOf(job, j, first, c, textAt)), config);
        for (const x of r.replacements) {
          tallier.rep(id, turn, p.role, file, p.text, r.text, {
            type: x.span.type,
            rule: x.span.rule,
            score: x.span.score,
            start: x.span.start,
            end: x.span.end,
            outStart: x.outStart,
            outEnd: x.outEnd,
            op: x.operator,
          });
        }
        if (r.text !== p.text) tallier.changedText(p.k, r.text);
      }
      for (const kp of keptLeft(p)) tallier.kept(kp.kind, kp.rule, p.role, file);
    });
    for (let q = 0; q < c; q++, k++) {
      const text = textAt(k);
      totals.turns++;
      const a = engine.analyze(text);
      pairer.push({ text, role: ROLES[job.roles[k]], spans: a.spans, kept: a.kept, k, before: job.befores[k], gap: job.gaps[k], hints: engine.lastHints });
    }
    pairer.end();
    tallier.count('turns.scanned', c);
  }
}
