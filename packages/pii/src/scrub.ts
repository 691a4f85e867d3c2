import { maskLetters, type Detector, type PiiSpan, type Role } from '@scrubline/core';
import { getRuleEngine, type EngineOptions } from './engine.js';
import { applyOperators, ConversationScope, mask, type OperatorConfig, type OperatorInput } from './operators.js';
import type { Analysis, KeptSpan, RuleEngine } from './rules.js';

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
  const r = applyOperators(text, spans, options.scope ?? new ConversationScope(''), config);
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

/**
 * The turns (in scope) of consecutive conversations, flat: conversation i has ids[i] and the
 * next counts[i] texts. Cheaper to pass to a worker thread than one object per conversation
 * (measured: about 5× less structured-clone time).
 */
export interface ConvBatch {
  ids: string[];
  counts: number[];
  texts: string[];
}

/** Conversations [from, to) of a batch; `textStart` is where conversation `from`'s texts begin. */
export function sliceBatch(b: ConvBatch, from: number, to: number, textStart: number): ConvBatch {
  let n = 0;
  for (let i = from; i < to; i++) n += b.counts[i];
  return { ids: b.ids.slice(from, to), counts: b.counts.slice(from, to), texts: b.texts.slice(textStart, textStart + n) };
}

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

/**
 * Rule-engine detection and operators over a share of a batch (one scope per conversation),
 * packed for cheap transfer between threads: the changed texts (null = unchanged), and per turn in `nums`:
 * [reps, kept, (start, end, outStart, outEnd, score, type, rule, op) × reps, (kind, rule) × kept]
 * where type/rule/op/kind index `strings`.
 */
export interface PackedShare {
  texts: (string | null)[];
  nums: Float64Array;
  strings: string[];
}

export function scrubShare(batch: ConvBatch, engine: RuleEngine, operators: WorkerOperatorConfig): PackedShare {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const sid = (x: string) => {
    let i = index.get(x);
    if (i === undefined) {
      i = strings.length;
      strings.push(x);
      index.set(x, i);
    }
    return i;
  };
  const texts: (string | null)[] = [];
  let nums = new Float64Array(256);
  let p = 0;
  const room = (k: number) => {
    if (p + k <= nums.length) return;
    const grown = new Float64Array(Math.max(nums.length * 2, p + k));
    grown.set(nums.subarray(0, p));
    nums = grown;
  };
  const config: OperatorConfig = { ...operators, canonicalOf: engine.canonicalOf };
  const { ids, counts, texts: list } = batch;
  let ti = 0;
  for (let j = 0; j < ids.length; j++) {
    // made on the first finding: most conversations have none
    let scope: ConversationScope | null = null;
    for (let t = 0; t < counts[j]; t++) {
      const text = list[ti++];
      const a = engine.analyze(text);
      const kept = a.kept;
      if (a.spans.length === 0) {
        texts.push(null);
        room(2 + kept.length * 2);
        nums[p++] = 0;
        nums[p++] = kept.length;
      } else {
        const r = applyOperators(text, a.spans, (scope ??= new ConversationScope(ids[j])), config);
        texts.push(r.text === text ? null : r.text);
        const reps = r.replacements;
        room(2 + reps.length * 8 + kept.length * 2);
        nums[p++] = reps.length;
        nums[p++] = kept.length;
        for (let i = 0; i < reps.length; i++) {
          const x = reps[i];
          nums[p++] = x.span.start;
          nums[p++] = x.span.end;
          nums[p++] = x.outStart;
          nums[p++] = x.outEnd;
          nums[p++] = x.span.score;
          nums[p++] = sid(x.span.type);
          nums[p++] = sid(x.span.rule);
          nums[p++] = sid(x.operator);
        }
      }
      for (let i = 0; i < kept.length; i++) {
        nums[p++] = sid(kept[i].kind);
        nums[p++] = sid(kept[i].rule);
      }
    }
  }
  return { texts, nums: nums.subarray(0, p), strings };
}
