import type { ConversationRecord, Role, Turn } from '@scrubline/core';
import type { BotRule } from './rules.js';
import { normaliseUtterance, utteranceKey } from './frequency.js';

/** Why a turn (or part of it) is canned. */
export interface TurnVerdict {
  /** Rule id, `frequent`, or `role:bot` / `role:system` (role given by the export); null: not canned. */
  canned: string | null;
  /** The whole turn is canned (otherwise only `spans`). */
  whole: boolean;
  /** Canned spans [start, end) in UTF-16 offsets, for span rules. */
  spans: [number, number][];
  /** What the turn really is, from the rule (`bot` | `system`). */
  as?: 'bot' | 'system';
}

export interface ClassifyOptions {
  rules: BotRule[];
  /** Keys (utteranceKey of the normalised text) of utterances the fit pass found frequent. */
  frequent?: ReadonlySet<string>;
  /** Roles the frequency list applies to. */
  frequencyRoles?: readonly Role[];
}

const NOT_CANNED: TurnVerdict = Object.freeze({ canned: null, whole: false, spans: [] }) as TurnVerdict;

/** Text that carries nothing once canned parts are gone: whitespace, punctuation, symbols. */
export function isBlank(text: string): boolean {
  return !/[\p{L}\p{N}]/u.test(text);
}

/** Classifies one turn. Turn rules win over span rules; rules win over the frequency list. */
export function classifyTurn(turn: Turn, o: ClassifyOptions): TurnVerdict {
  if (turn.role === 'bot' || turn.role === 'system') return { canned: `role:${turn.role}`, whole: true, spans: [] };
  const spans: [number, number][] = [];
  let spanRule: BotRule | undefined;
  for (const rule of o.rules) {
    if (!rule.roles.includes(turn.role)) continue;
    rule.regex.lastIndex = 0;
    if (rule.scope === 'turn') {
      if (rule.regex.test(turn.text)) return { canned: rule.id, whole: true, spans: [], as: rule.as };
      continue;
    }
    // exec on the rule's own global pattern: matchAll would clone the pattern for every turn
    for (let m = rule.regex.exec(turn.text); m !== null; m = rule.regex.exec(turn.text)) {
      if (m[0].length === 0) {
        // past an empty match by one code point (the patterns are unicode), as matchAll steps
        const at = rule.regex.lastIndex;
        const c = turn.text.charCodeAt(at);
        rule.regex.lastIndex = at + (c >= 0xd800 && c <= 0xdbff && (turn.text.charCodeAt(at + 1) & 0xfc00) === 0xdc00 ? 2 : 1);
        continue;
      }
      spans.push([m.index, m.index + m[0].length]);
      spanRule ??= rule;
    }
  }
  if (o.frequent && o.frequent.size && (o.frequencyRoles ?? ['agent']).includes(turn.role)) {
    if (o.frequent.has(utteranceKey(normaliseUtterance(turn.text)))) return { canned: 'frequent', whole: true, spans: [] };
  }
  if (!spanRule) return NOT_CANNED;
  const merged = mergeSpans(spans);
  const rest = stripSpans(turn.text, merged);
  if (isBlank(rest)) return { canned: spanRule.id, whole: true, spans: [], as: spanRule.as };
  return { canned: spanRule.id, whole: false, spans: merged, as: spanRule.as };
}

export function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

/** Removes spans and tidies the whitespace left behind. */
export function stripSpans(text: string, spans: [number, number][]): string {
  let out = '';
  let at = 0;
  for (const [s, e] of spans) {
    out += text.slice(at, s) + ' ';
    at = e;
  }
  out += text.slice(at);
  return out.replace(/\s+/gu, ' ').trim();
}

export type BotAction = 'tag' | 'drop-turn';

export interface ApplyResult {
  record: ConversationRecord;
  /** Verdict per original turn index (null entries: not canned). */
  verdicts: (TurnVerdict | null)[];
  turnsDropped: number;
  /** True when no customer turn with content is left. */
  noCustomerContent: boolean;
}

/**
 * Applies the verdicts to a record: `tag` writes `turn.labels.canned` (and
 * `cannedSpans`), `drop-turn` removes canned turns and strips canned spans.
 * `relabel` sets a canned turn's role to the rule's `as` (tag only).
 * Returns a new record; the input is not changed.
 */
export function applyToRecord(record: ConversationRecord, o: ClassifyOptions & { action: BotAction; relabel?: boolean }): ApplyResult {
  const verdicts: (TurnVerdict | null)[] = [];
  const turns: Turn[] = [];
  let turnsDropped = 0;
  let customerContent = false;
  for (const turn of record.turns) {
    const v = classifyTurn(turn, o);
    verdicts.push(v.canned ? v : null);
    if (!v.canned) {
      turns.push(turn);
      if (turn.role === 'customer' && !isBlank(turn.text)) customerContent = true;
      continue;
    }
    if (o.action === 'drop-turn') {
      if (v.whole) {
        turnsDropped++;
        continue;
      }
      const text = stripSpans(turn.text, v.spans);
      turns.push({ ...turn, text, labels: { ...turn.labels, cannedStripped: v.canned } });
      if (turn.role === 'customer') customerContent = true;
      continue;
    }
    const labels: Record<string, unknown> = { ...turn.labels, canned: v.canned };
    if (!v.whole) labels.cannedSpans = v.spans;
    const t: Turn = { ...turn, labels };
    if (o.relabel && v.whole && v.as && !v.canned.startsWith('role:')) t.role = v.as;
    turns.push(t);
    if (turn.role === 'customer' && !v.whole) customerContent = true;
  }
  return { record: { ...record, turns }, verdicts, turnsDropped, noCustomerContent: !customerContent };
}
