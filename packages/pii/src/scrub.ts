import { maskLetters, type Detector, type PiiSpan, type Role } from '@scrubline/core';
import { getRuleEngine, type EngineOptions } from './engine.js';
import { applyOperators, ConversationScope, mask, type OperatorConfig, type OperatorInput } from './operators.js';
import { RuleEngine, type Analysis, type KeptSpan } from './rules.js';
import { TurnPairer, type PendingTurn } from './split.js';

/**
 * Merges spans from several detectors: overlapping spans become their union,
 * labelled with the longest member (then the highest score). The result is
 * sorted and non-overlapping, so no operator cuts an identifier in two.
 */
export function mergeSpans(spans: readonly PiiSpan[]): PiiSpan[] {
  if (spans.length <= 1) return [...spans];
  const list = [...spans].sort((a, b) => a.start - b.start || b.end - a.end || b.score - a.score);
  const out: PiiSpan[] = [];
  let cur = { ...list[0] };
  let best = list[0];
  for (let i = 1; i < list.length; i++) {
    const s = list[i];
    if (s.start < cur.end) {
      if (s.end - s.start > best.end - best.start || (s.end - s.start === best.end - best.start && s.score > best.score)) best = s;
      if (s.end > cur.end) cur.end = s.end;
      cur.type = best.type;
      cur.rule = best.rule;
      cur.score = Math.max(cur.score, s.score);
    } else {
      out.push(cur);
      cur = { ...s };
      best = s;
    }
  }
  out.push(cur);
  return out;
}

/** Detection for one turn: rule-engine analysis (possibly from a worker) plus other detectors. */
export function combine(text: string, analysis: Analysis | null, others: readonly Detector[], ctx?: { role?: Role; lang?: string }): { spans: PiiSpan[]; kept: KeptSpan[] } {
  let spans = analysis?.spans ?? [];
  const kept = analysis?.kept ?? [];
  if (others.length) {
    const extra: PiiSpan[] = [];
    for (const d of others) for (const s of d.detect(text, ctx)) extra.push(s);
    if (extra.length) {
      // another detector's span inside kept text (a placeholder) is dropped, like the rules' own
      const fresh = extra.filter((s) => !kept.some((k) => k.start <= s.start && s.end <= k.end));
      spans = mergeSpans([...spans, ...fresh]);
    }
  }
  return { spans, kept };
}

export interface ScrubTextOptions extends EngineOptions {
  operator?: OperatorInput;
  operators?: Record<string, OperatorInput>;
  /** HMAC key for the hmac operator (see resolveHmacKey). */
  key?: string | Buffer;
  seed?: string;
  /** Conversation scope: pass the same one for every turn of a conversation. */
  scope?: ConversationScope;
  /** Extra detectors (e.g. the NER tier), run after the rule packs. */
  detectors?: Detector[];
}

/** Finds PII in one text: resolved spans, UTF-16 offsets of the original, end exclusive. */
export function detect(text: string, options: EngineOptions = {}): PiiSpan[] {
  return getRuleEngine(options).detect(text);
}

/**
 * The spans of each turn of one conversation as the pii stage finds them: each turn's own (the rules and the
 * other detectors, merged as `combine` does), then identifiers split over turns and numbers that answer the
 * turn before (split.ts; only where `detectors` holds the rules). For `scrubline detect` and the evaluation of
 * conversations.
 */
export function conversationSpans(turns: readonly { role: Role; text: string; lang?: string }[], detectors: readonly Detector[]): PiiSpan[][] {
  const engine = (detectors.find((d) => d instanceof RuleEngine) as RuleEngine | undefined) ?? null;
  const others = detectors.filter((d) => d !== engine);
  const out: PiiSpan[][] = turns.map(() => []);
  const pairer = new TurnPairer<PendingTurn & { i: number }>(engine, (t) => (out[t.i] = t.spans));
  turns.forEach((t, i) => {
    const { spans, kept } = combine(t.text, engine ? engine.analyze(t.text) : null, others, { role: t.role, lang: t.lang });
    pairer.push({ i, text: t.text, role: t.role, spans, kept });
  });
  pairer.end();
  return out;
}

/** Scrubs one text with the rule packs (and any extra detectors) and the configured operators. */
export function scrubText(text: string, options: ScrubTextOptions = {}): { text: string; spans: PiiSpan[]; kept: KeptSpan[] } {
  const engine = getRuleEngine(options);
  const { spans, kept } = combine(text, engine.analyze(text), options.detectors ?? []);
  const config: OperatorConfig = {
    operator: options.operator,
    operators: options.operators,
    key: options.key,
    seed: options.seed,
    canonicalOf: engine.canonicalOf,
  };
  let scope = options.scope;
  if (!scope) {
    // numbers after those of the placeholders the text already holds (a text scrubbed before)
    scope = new ConversationScope('');
    scope.reservePlaceholders([text]);
  }
  const r = applyOperators(text, spans, scope, config);
  return { text: r.text, spans, kept };
}

/** A masked rendering for reports: separators kept, everything else masked. */
export function maskedSample(value: string): string {
  return mask(value, {});
}

/**
 * Masks a context window taken from scrubbed output for the report: placeholders (ours, `[PHONE_1]`, and
 * the export's, `[订单x]`) stay readable; digits become `#`, @-tokens `*`, and every other letter `x`
 * (Latin) or `＊` — a name or address the detectors missed must not reach the report. The one masking
 * the residual scan's samples use too (core's maskLetters).
 */
export const maskContext: (s: string) => string = maskLetters;

/** A replacement made in one turn: the span (original offsets) and where its replacement sits in the output. */
export interface RepOut {
  type: string;
  rule: string;
  score: number;
  start: number;
  end: number;
  outStart: number;
  outEnd: number;
  op: string;
}

/** Operator settings that travel to worker threads (the rule engine supplies canonical modes). */
export type WorkerOperatorConfig = Omit<OperatorConfig, 'canonicalOf'>;
