import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { defineStage, safeId, safeKey, ScrubError, type ConversationRecord, type StageContext } from '@scrubline/core';
import { maskContext, type MaskRange } from '@scrubline/pii-eval';
import { parseAllowList, RESIDUAL_SHAPES, scanResidual, type AllowRule } from './scan.js';

export interface ResidualScanOptions {
  /** Throw SCRUB_RESIDUAL_PII at the end of input when anything was found (the run fails, nothing is published). */
  failOnResidual: boolean;
  /** Digit runs shorter than this after removing separators are ignored. */
  minDigits: number;
  /** Shapes looked for. */
  shapes: string[];
  /** Allow-list file (`<shape> <regex>` lines), relative to the rules folder; '' for none. */
  allowFile: string;
  /** Extra allow rules in the same `<shape> <regex>` form. */
  allow: string[];
  /** Masked samples kept in the summary. */
  maxSamples: number;
  /** Characters of masked context either side of a sample. */
  context: number;
  /** Field paths scanned although left out by default (`id`, `source.file`, `turns.ts`): see {@link NOT_SCANNED}. */
  addFields: string[];
  /** Field paths not scanned (`turns.ts`, `meta.sku`); a path covers what lies under it. */
  skipFields: string[];
}

export interface ResidualSample {
  /** The record id as safeId shows it (an id that is a phone number or an e-mail is masked). */
  record: string;
  /** The turn, for a finding in a turn (its text, ts, meta or labels). */
  turn?: number;
  /**
   * Where in the record: `turns[2].text`, `turns[0].meta.sku`, `meta.contact`, `labels.note[1]`; a finding
   * in an object key ends in ` (key)`. Keys show through safeKey (a key shaped like a phone number is masked).
   */
  field: string;
  shape: string;
  /** Masked context: the candidate as its shape (`⟦mobile ###########⟧`), other candidates as `⟦shape⟧`, digits around it as `#`, letters as `x`/`＊` (placeholders kept). */
  masked: string;
}

export interface ResidualSummary {
  verdict: 'clean' | 'residual';
  failOnResidual: boolean;
  /** `chars`: characters of turn text; `fields` / `fieldChars`: the other values scanned (ts, meta, labels, keys) and their characters. */
  scanned: { records: number; turns: number; chars: number; fields: number; fieldChars: number };
  /** Values not scanned: copies of the record's own id in meta or labels (see {@link isIdCopy}), and values under skipFields. */
  notScanned: { idCopies: number; skipped: number };
  /** Records with at least one residual finding. */
  recordsFlagged: number;
  findings: number;
  byShape: Record<string, number>;
  /** Findings per field path without indices, as samples show it (`turns.text`, `turns.meta.sku`, `meta.contact`, `meta.#### (key)`). */
  byField: Record<string, number>;
  /** Candidates that matched a date/version cue or the allow-list: counted, not failed on. */
  allowed: Record<string, number>;
  samples: ResidualSample[];
}

/**
 * `residual-scan`: place it last. An independent high-recall sweep over every
 * output record for what still looks identifying (digit runs, @ signs, URL-like
 * strings, e-mail shapes, ID-like tokens); placeholders are ignored. Records pass
 * through unchanged; findings go to the report with masked context only.
 *
 * What is swept: every string the record carries that could hold a personal value,
 * not only turn text. The pii stage scrubs turn text only (by design), so a value a
 * mapping put into `meta`, `labels`, a turn's `meta`/`labels` or `ts` (a mis-mapped
 * column, a canonical input with a contact field) would otherwise be published
 * unseen. Those are walked recursively: strings, integers (a phone number can be a
 * JSON number; decimals are scores and weights, whose digit runs mean nothing) and
 * object keys. See {@link NOT_SCANNED} for what is left out by default.
 */
export const residualScan = defineStage<ResidualScanOptions>({
  name: 'residual-scan',
  description: 'Sweep the output for text that still looks identifying (masked report); failOnResidual fails the run.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      failOnResidual: { type: 'boolean', default: false },
      minDigits: { type: 'integer', minimum: 5, maximum: 20, default: 7 },
      shapes: { type: 'array', items: { enum: [...RESIDUAL_SHAPES] }, default: [...RESIDUAL_SHAPES] },
      allowFile: { type: 'string', default: 'report/residual-allow.txt' },
      allow: { type: 'array', items: { type: 'string' }, default: [] },
      maxSamples: { type: 'integer', minimum: 0, maximum: 1000, default: 20 },
      context: { type: 'integer', minimum: 0, maximum: 80, default: 12 },
      addFields: {
        description: 'field paths scanned beyond the default, which leaves out the record id, source (file, line …), turn roles and turn times (ts): e.g. id, source.file, turns.ts',
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: [],
      },
      skipFields: {
        description: 'field paths not scanned (a path covers what lies under it; turns.meta.sku means that field of every turn): e.g. turns.ts, meta.orderId',
        type: 'array',
        items: { type: 'string', minLength: 1 },
        default: [],
      },
    },
  },
  example: { failOnResidual: true, minDigits: 7, shapes: [...RESIDUAL_SHAPES], allowFile: 'report/residual-allow.txt', allow: [], maxSamples: 20, context: 12, addFields: [], skipFields: [] },
  // each record is scanned on its own and the flush fails the run on the summary's count: in a last
  // phase on slices (`run --threads`) the units scan, and the main thread flushes once on their joined summary
  joinedFlush: true,
  mergeSummaries: (list, options) => mergeResidualSummaries(list as ResidualSummary[], options),
  create: (options, env) => {
    const allow: AllowRule[] = [];
    if (options.allowFile) {
      const path = isAbsolute(options.allowFile) ? options.allowFile : join(env.rulesDir, options.allowFile);
      if (existsSync(path)) allow.push(...parseAllowListOrThrow(readFileSync(path, 'utf8'), path, (p) => readFileSync(resolve(dirname(path), p), 'utf8')));
      else if (options.allowFile !== 'report/residual-allow.txt') {
        throw new ScrubError('SCRUB_CONFIG_INVALID', 'the residual-scan allow file does not exist', { file: resolve(path), field: 'allowFile' });
      }
    }
    allow.push(...parseAllowListOrThrow(options.allow.join('\n'), 'allow', (p) => readFileSync(resolve(env.rulesDir, p), 'utf8')));
    const summary = emptySummary(options.failOnResidual);
    const scanOptions = { minDigits: options.minDigits, shapes: options.shapes, allow };
    const addFields = options.addFields.map(pathPattern);
    const skipFields = options.skipFields.map(pathPattern);
    const scansIds = addFields.some((p) => p === 'id');
    /** 'no' for what is left out by default, 'skip' for what skipFields leaves out. */
    const wanted = (norm: string): 'yes' | 'no' | 'skip' => (covers(skipFields, norm) ? 'skip' : !covers(NOT_SCANNED, norm) || covers(addFields, norm) ? 'yes' : 'no');

    /** Scans one value; returns whether anything was found. */
    const scan = (record: ConversationRecord, text: string, field: string, turn: number | undefined, ctx: StageContext): boolean => {
      let flagged = false;
      const found = scanResidual(text, scanOptions);
      // every candidate of the value is masked in a sample's context: maskContext's plain-text masking
      // does not know the shapes (a URL without digits would show as it is)
      let protect: MaskRange[] | undefined;
      for (const c of found) {
        if (c.allowed) {
          summary.allowed[c.shape] = (summary.allowed[c.shape] ?? 0) + 1;
          ctx.report.count(`allowed.${c.shape}`);
          continue;
        }
        flagged = true;
        summary.findings++;
        summary.byShape[c.shape] = (summary.byShape[c.shape] ?? 0) + 1;
        const at = field.replace(/\[[0-9]+\]/g, '');
        summary.byField[at] = (summary.byField[at] ?? 0) + 1;
        ctx.report.count(`residual.${c.shape}`);
        // both sample lists full: no masking for a sample that would be thrown away (a surrogate run finds every fake value)
        if (!ctx.report.wants('residual') && summary.samples.length >= options.maxSamples) continue;
        protect ??= found.map((x) => ({ start: x.start, end: x.end, type: x.shape }));
        // every letter of the context is masked too: a name or address the pii stage missed must not show
        const masked = maskContext(text, c.start, c.end, { type: c.shape, window: options.context, protect, letters: true });
        const sample: ResidualSample = turn === undefined ? { record: safeId(record.id), field, shape: c.shape, masked } : { record: safeId(record.id), turn, field, shape: c.shape, masked };
        ctx.report.sample('residual', sample);
        if (summary.samples.length < options.maxSamples) summary.samples.push(sample);
      }
      return flagged;
    };

    return {
      apply: (batch, ctx) => {
        for (const record of batch) {
          summary.scanned.records++;
          summary.scanned.turns += record.turns.length;
          let flagged = false;
          walk(record, (text, field, norm, turn, isKey) => {
            const want = wanted(norm);
            if (want !== 'yes') {
              if (want === 'skip' && !isKey) summary.notScanned.skipped++;
              return;
            }
            if (norm === 'turns.text') summary.scanned.chars += text.length;
            else {
              if (!isKey && !scansIds && isIdCopy(record.id, text, norm)) {
                summary.notScanned.idCopies++;
                return;
              }
              summary.scanned.fields++;
              summary.scanned.fieldChars += text.length;
            }
            if (scan(record, text, isKey ? `${field} (key)` : field, turn, ctx)) flagged = true;
          });
          if (flagged) {
            summary.recordsFlagged++;
            ctx.report.count('records.flagged');
          }
        }
        ctx.report.count('records.scanned', batch.length);
        if (summary.findings > 0) summary.verdict = 'residual';
        return batch;
      },
      flush: (ctx: StageContext) => {
        if (options.failOnResidual && summary.findings > 0) {
          const shapes = Object.entries(summary.byShape)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          throw new ScrubError('SCRUB_RESIDUAL_PII', `residual scan found ${summary.findings} item(s) that still look identifying in ${summary.recordsFlagged} record(s): ${shapes}`, {
            stage: ctx.stageId,
            hint: `${summary.samples.length ? `e.g. ${summary.samples.slice(0, 3).map((x) => `${where(x)} ${x.masked}`).join('; ')} — ` : ''}${fixHint(summary.byField)}`,
          });
        }
        return [];
      },
      summary: () => summary,
      adopt: (joined) => Object.assign(summary, joined as ResidualSummary),
    };
  },
});

/** A summary before any record: key order is the report's. */
function emptySummary(failOnResidual: boolean): ResidualSummary {
  return {
    verdict: 'clean',
    failOnResidual,
    scanned: { records: 0, turns: 0, chars: 0, fields: 0, fieldChars: 0 },
    notScanned: { idCopies: 0, skipped: 0 },
    recordsFlagged: 0,
    findings: 0,
    byShape: {},
    byField: {},
    allowed: {},
    samples: [],
  };
}

/**
 * The summary one instance would have given, from those of instances that scanned consecutive
 * records (in input order): counts added, keys in the order first met, the first samples kept.
 */
export function mergeResidualSummaries(list: ResidualSummary[], options: Pick<ResidualScanOptions, 'failOnResidual' | 'maxSamples'>): ResidualSummary {
  const out = emptySummary(options.failOnResidual);
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const s of list) {
    for (const k of Object.keys(out.scanned) as (keyof ResidualSummary['scanned'])[]) out.scanned[k] += s.scanned[k];
    out.notScanned.idCopies += s.notScanned.idCopies;
    out.notScanned.skipped += s.notScanned.skipped;
    out.recordsFlagged += s.recordsFlagged;
    out.findings += s.findings;
    add(out.byShape, s.byShape);
    add(out.byField, s.byField);
    add(out.allowed, s.allowed);
    for (const x of s.samples) if (out.samples.length < options.maxSamples) out.samples.push(x);
  }
  if (out.findings > 0) out.verdict = 'residual';
  return out;
}

function parseAllowListOrThrow(content: string, file: string, readLexicon: (path: string) => string): AllowRule[] {
  try {
    return parseAllowList(content, file, readLexicon);
  } catch (e) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', (e as Error).message, { file, field: 'allow' });
  }
}

/**
 * Left out of the scan by default (`addFields` brings them back):
 * - `id`: the record's id is its key through the whole run (ledger, quarantine, dedup, the split's
 *   groups) and the way back to the input; it comes from the mapping (idPrefix + the export's session
 *   id), not from what people wrote, and the pii stage never rewrites it. Exports' session ids are
 *   long digit runs or hex (STC-3's 16-digit ids, JDDC's 32-hex), so scanning it would fail every
 *   such run with findings no pii rule can fix. A pipeline that must not publish the export's ids
 *   renames them in a stage; reports show ids through safeId.
 * - `source` (file, line, lastLine, row, index): provenance the reader writes from the input path and
 *   the position in it, never from the export's content; numbers there are positions. A path that
 *   itself holds a name is the user's to see (`addFields: [source.file]`).
 * - `turns.role`: one of four fixed words.
 * - `turns.ts`: the time the reader copies from the export's time column (ISO 8601 or epoch seconds, as the
 *   record schema says): digit runs by nature, so every export with times would fail; a text column mapped
 *   there by mistake is a mapping error the scan cannot tell from a time (`addFields: [turns.ts]` scans it).
 */
const NOT_SCANNED: readonly string[] = ['id', 'source', 'turns.role', 'turns.ts'];

/**
 * A meta or labels string equal to the record's own id, or to an id it was derived from (the part
 * before a `#`: augment's `augmentedFrom` of `<id>#aug1`, balance's `oversampledFrom` of `<id>#os1`),
 * is a copy of the id: it tells nothing the (unscanned) id does not, so it is treated as the id is.
 */
function isIdCopy(id: string, value: string, norm: string): boolean {
  // turn text is never a copy of the id (the caller has ruled it out); a time is not either
  if (norm === 'turns.ts') return false;
  return value === id || (value !== '' && id.startsWith(value + '#'));
}

/** `turns[*].meta.sku`, `turns[].meta.sku`, `turns.meta.sku` → `turns.meta.sku` (indices do not matter in a pattern). */
function pathPattern(p: string): string {
  return p.replace(/\[[^\]]*\]/g, '').replace(/^\.+|\.+$/g, '');
}

function covers(patterns: readonly string[], norm: string): boolean {
  for (const p of patterns) if (norm === p || norm.startsWith(p + '.')) return true;
  return false;
}

/** What to do: turn text is the pii stage's to scrub; any other field is not scrubbed at all. */
function fixHint(byField: Record<string, number>): string {
  const fields = Object.keys(byField).filter((f) => f !== 'turns.text');
  const text = 'turns.text' in byField ? 'tighten the pii rules or add an allow rule (rules/report/residual-allow.txt)' : '';
  if (!fields.length) return text;
  const shown = fields.slice(0, 3).join(', ') + (fields.length > 3 ? ` and ${fields.length - 3} more` : '');
  return `${text ? text + '; ' : ''}the pii stage does not scrub ${shown}: leave ${fields.length > 1 ? 'them' : 'it'} out of the input mapping, or list ${fields.length > 1 ? 'them' : 'it'} in skipFields if ${fields.length > 1 ? 'they hold' : 'it holds'} no personal value`;
}

function where(x: ResidualSample): string {
  return x.turn !== undefined && x.field === `turns[${x.turn}].text` ? `${x.record}#${x.turn}` : `${x.record} ${x.field}`;
}

type Visit = (text: string, field: string, norm: string, turn: number | undefined, isKey: boolean) => void;

/**
 * Every string and integer of a record, in the record's own order (depth first), with its path as a
 * report shows it (`turns[2].meta.x`, keys through safeKey) and without indices (`turns.meta.x`, raw
 * keys, for matching patterns and counting). Object keys under meta and labels (record or turn) are
 * visited as well; the record's, a turn's and source's keys are the schema's. Iterative (no
 * recursion depth to think about).
 */
function walk(record: ConversationRecord, visit: Visit): void {
  /** A key's own item has `key` set (its value comes as the next item). */
  type Item = [value: unknown, field: string, norm: string, turn: number | undefined, keysAreData: boolean, key?: string];
  const stack: Item[] = [];
  const push = (o: Record<string, unknown>, field: string, norm: string, turn: number | undefined, keysAreData: boolean) => {
    const keys = Object.keys(o);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i];
      // keys under meta and labels are data (a contact list keyed by name): shown through safeId, which masks ideographs too
      const shown = keysAreData ? safeId(k) : safeKey(k);
      const f = field ? `${field}.${shown}` : shown;
      const n = norm ? `${norm}.${k}` : k;
      stack.push([o[k], f, n, turn, keysAreData]);
      if (keysAreData) stack.push([undefined, f, n, turn, true, k]);
    }
  };
  push(record as unknown as Record<string, unknown>, '', '', undefined, false);
  while (stack.length) {
    const [v, field, norm, turn, keysAreData, key] = stack.pop()!;
    if (key !== undefined) {
      visit(key, field, norm, turn, true);
      continue;
    }
    if (typeof v === 'string') visit(v, field, norm, turn, false);
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) visit(String(v), field, norm, turn, false);
    } else if (Array.isArray(v)) {
      if (norm === 'turns') {
        for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `turns[${i}]`, 'turns', i, false]);
      } else {
        for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${field}[${i}]`, norm, turn, keysAreData]);
      }
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // the keys of the record, a turn and source are the schema's; below meta and labels they are data
      const data = keysAreData || /^(?:turns\.)?(?:meta|labels)$/.test(norm);
      push(o, field, norm, turn, data);
    }
  }
}
