import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { defineStage, safeId, ScrubError, type StageContext } from '@scrubline/core';
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
}

export interface ResidualSample {
  /** The record id as safeId shows it (an id that is a phone number or an e-mail is masked). */
  record: string;
  turn: number;
  shape: string;
  /** Masked context: the candidate as its shape (`⟦mobile ###########⟧`), other candidates as `⟦shape⟧`, digits around it as `#`, letters as `x`/`＊` (placeholders kept). */
  masked: string;
}

export interface ResidualSummary {
  verdict: 'clean' | 'residual';
  failOnResidual: boolean;
  scanned: { records: number; turns: number; chars: number };
  /** Records with at least one residual finding. */
  recordsFlagged: number;
  findings: number;
  byShape: Record<string, number>;
  /** Candidates that matched a date/version cue or the allow-list: counted, not failed on. */
  allowed: Record<string, number>;
  samples: ResidualSample[];
}

/**
 * `residual-scan`: place it last. An independent high-recall sweep over every
 * output turn for what still looks identifying (digit runs, @ signs, URL-like
 * strings, e-mail shapes, ID-like tokens); placeholders are ignored. Records pass
 * through unchanged; findings go to the report with masked context only.
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
    },
  },
  example: { failOnResidual: true, minDigits: 7, shapes: [...RESIDUAL_SHAPES], allowFile: 'report/residual-allow.txt', allow: [], maxSamples: 20, context: 12 },
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
    const summary: ResidualSummary = {
      verdict: 'clean',
      failOnResidual: options.failOnResidual,
      scanned: { records: 0, turns: 0, chars: 0 },
      recordsFlagged: 0,
      findings: 0,
      byShape: {},
      allowed: {},
      samples: [],
    };
    const scanOptions = { minDigits: options.minDigits, shapes: options.shapes, allow };
    return {
      apply: (batch, ctx) => {
        for (const record of batch) {
          summary.scanned.records++;
          let flagged = false;
          record.turns.forEach((turn, t) => {
            summary.scanned.turns++;
            summary.scanned.chars += turn.text.length;
            const found = scanResidual(turn.text, scanOptions);
            // every candidate of the turn is masked in a sample's context: maskContext's plain-text masking
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
              ctx.report.count(`residual.${c.shape}`);
              // both sample lists full: no masking for a sample that would be thrown away (a surrogate run finds every fake value)
              if (!ctx.report.wants('residual') && summary.samples.length >= options.maxSamples) continue;
              protect ??= found.map((x) => ({ start: x.start, end: x.end, type: x.shape }));
              // every letter of the context is masked too: a name or address the pii stage missed must not show
              const masked = maskContext(turn.text, c.start, c.end, { type: c.shape, window: options.context, protect, letters: true });
              const sample: ResidualSample = { record: safeId(record.id), turn: t, shape: c.shape, masked };
              ctx.report.sample('residual', sample);
              if (summary.samples.length < options.maxSamples) summary.samples.push(sample);
            }
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
            hint: `${summary.samples.length ? `e.g. ${summary.samples.slice(0, 3).map((x) => `${x.record}#${x.turn} ${x.masked}`).join('; ')} — ` : ''}tighten the pii rules or add an allow rule (rules/report/residual-allow.txt)`,
          });
        }
        return [];
      },
      summary: () => summary,
    };
  },
});

function parseAllowListOrThrow(content: string, file: string, readLexicon: (path: string) => string): AllowRule[] {
  try {
    return parseAllowList(content, file, readLexicon);
  } catch (e) {
    throw new ScrubError('SCRUB_CONFIG_INVALID', (e as Error).message, { file, field: 'allow' });
  }
}
