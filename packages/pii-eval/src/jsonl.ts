import { ROLES, safeId, ScrubError, type Role } from '@scrubline/core';

/** A gold span: entity type and UTF-16 offsets of the line's text, end exclusive. */
export interface GoldSpan {
  type: string;
  start: number;
  end: number;
}

/** A predicted span (score and rule optional: the `detect` output carries them). */
export interface PredSpan extends GoldSpan {
  score?: number;
  rule?: string;
}

/** One labelled line: `{"id","text","spans"}`, or one turn of a labelled conversation (id `<conversation id>#<turn index>`). */
export interface GoldLine {
  id: string;
  text: string;
  spans: GoldSpan[];
  /** The conversation the line is a turn of, and its speaker: its turns are detected together. */
  conversation?: { id: string; role: Role };
}

/** One prediction line: `{"id","spans"}` (the shape `scrubline detect` writes). */
export interface PredLine {
  id: string;
  spans: PredSpan[];
}

/**
 * Parses gold JSONL. Errors name the file and line, never the content.
 */
export function parseGold(content: string, file = 'gold'): GoldLine[] {
  const out: GoldLine[] = [];
  const seen = new Set<string>();
  const add = (g: GoldLine, line: number, field: string) => {
    if (seen.has(g.id)) throw new ScrubError('SCRUB_JSON_SHAPE', `duplicate id in gold (${safeId(g.id)})`, { file, line, field });
    seen.add(g.id);
    out.push(g);
  };
  forEachJsonLine(content, file, (value, line) => {
    const c = value as { id?: unknown; text?: unknown; turns?: unknown };
    // a labelled conversation: {"id","turns":[{"role","text","spans"}, …]}, one gold line per turn
    if (c && typeof c === 'object' && typeof c.id === 'string' && c.text === undefined && Array.isArray(c.turns)) {
      c.turns.forEach((t: unknown, i: number) => {
        const x = t as { role?: unknown; text?: unknown; spans?: unknown };
        if (!x || typeof x !== 'object' || typeof x.text !== 'string' || !Array.isArray(x.spans) || !(ROLES as readonly unknown[]).includes(x.role)) {
          throw new ScrubError('SCRUB_JSON_SHAPE', `turns[${i}] needs "role" (${ROLES.join(', ')}), "text" (string) and "spans" (array)`, { file, line, field: `turns[${i}]` });
        }
        const spans = (x.spans as unknown[]).map((s, k) => checkSpan(s, (x.text as string).length, file, line, k));
        checkDisjoint(spans, file, line);
        add({ id: `${c.id}#${i}`, text: x.text, spans, conversation: { id: c.id as string, role: x.role as Role } }, line, `turns[${i}]`);
      });
      return;
    }
    const v = value as Partial<GoldLine>;
    if (!v || typeof v !== 'object' || typeof v.id !== 'string' || typeof v.text !== 'string' || !Array.isArray(v.spans)) {
      throw new ScrubError('SCRUB_JSON_SHAPE', 'a gold line needs "id" (string), "text" (string) and "spans" (array), or "id" and "turns" (a conversation)', { file, line });
    }
    const spans = v.spans.map((s, i) => checkSpan(s, v.text!.length, file, line, i));
    checkDisjoint(spans, file, line);
    add({ id: v.id, text: v.text, spans }, line, 'id');
  });
  return out;
}

/**
 * Gold spans of a line must not repeat or overlap (a character has one label): the error names
 * the file, the line and the two spans by index (`spans[i]`), never their text. Sort and sweep:
 * when no span overlaps the one before it in start order, none overlap at all.
 */
function checkDisjoint(spans: GoldSpan[], file: string, line: number): void {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a].start - spans[b].start || spans[a].end - spans[b].end || a - b);
  for (let k = 1; k < order.length; k++) {
    const a = spans[order[k - 1]];
    const b = spans[order[k]];
    if (b.start >= a.end) continue;
    const [i, j] = [order[k - 1], order[k]].sort((x, y) => x - y);
    const same = a.start === b.start && a.end === b.end;
    const what = same && a.type === b.type ? `repeats spans[${i}]` : same ? `has the offsets of spans[${i}] with another type` : `overlaps spans[${i}]`;
    throw new ScrubError('SCRUB_JSON_SHAPE', `gold span spans[${j}] ${what}: gold spans must not repeat or overlap`, { file, line, field: `spans[${j}]` });
  }
}

/**
 * Parses prediction JSONL (`{"id","spans"}`; a `text` field is allowed and ignored). An id may
 * appear once (as in gold): a repeated id is an error, not merged, since two runs written into
 * one file would otherwise be scored as one. Predicted spans may overlap.
 */
export function parsePred(content: string, file = 'pred'): PredLine[] {
  const out: PredLine[] = [];
  const seen = new Set<string>();
  forEachJsonLine(content, file, (value, line) => {
    const v = value as Partial<PredLine>;
    if (!v || typeof v !== 'object' || typeof v.id !== 'string' || !Array.isArray(v.spans)) {
      throw new ScrubError('SCRUB_JSON_SHAPE', 'a prediction line needs "id" (string) and "spans" (array)', { file, line });
    }
    if (seen.has(v.id)) throw new ScrubError('SCRUB_JSON_SHAPE', `duplicate id in predictions (${safeId(v.id)})`, { file, line, field: 'id' });
    seen.add(v.id);
    out.push({
      id: v.id,
      spans: v.spans.map((s, i) => {
        const span: PredSpan = checkSpan(s, Infinity, file, line, i);
        if (typeof (s as PredSpan).score === 'number') span.score = (s as PredSpan).score;
        if (typeof (s as PredSpan).rule === 'string') span.rule = (s as PredSpan).rule;
        return span;
      }),
    });
  });
  return out;
}

function checkSpan(s: unknown, textLength: number, file: string, line: number, i: number): GoldSpan {
  const span = s as GoldSpan;
  if (
    !span ||
    typeof span.type !== 'string' ||
    !Number.isInteger(span.start) ||
    !Number.isInteger(span.end) ||
    span.start < 0 ||
    span.end <= span.start ||
    span.end > textLength
  ) {
    throw new ScrubError('SCRUB_JSON_SHAPE', 'a span needs "type" and integer offsets with 0 <= start < end <= text length', {
      file,
      line,
      field: `spans[${i}]`,
    });
  }
  return { type: span.type, start: span.start, end: span.end };
}

function forEachJsonLine(content: string, file: string, fn: (value: unknown, line: number) => void): void {
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ScrubError('SCRUB_JSON_PARSE', 'the line is not valid JSON', { file, line: i + 1 });
    }
    fn(value, i + 1);
  }
}
