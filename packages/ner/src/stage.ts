import { defineStage, mapStage, safeId, type ConversationRecord } from '@scrubline/core';
import { nerDetectorDefinition, NER_TYPES, type NerOptions, type NerType } from './detector.js';

export interface NerStageOptions extends Omit<NerOptions, 'rulesDir'> {
  /** Roles whose turns are scanned (default: all). */
  roles?: string[];
}

/**
 * `ner`: tags PERSON / ADDRESS / ORG spans into `turn.meta.ner` (offsets, type, score, rule — never the
 * text) for reporting and for later stages. It does not change the text: anonymisation is the pii stage's
 * job (`detectors: [rules, ner]`).
 */
export const nerStage = defineStage<NerStageOptions>({
  name: 'ner',
  // each record on its own; the counts per rule add up over slices
  sliceable: true,
  mergeSummaries: (list) => {
    const byRule: Record<string, number> = {};
    for (const s of list as { byRule: Record<string, number> }[]) for (const [k, n] of Object.entries(s.byRule)) byRule[k] = (byRule[k] ?? 0) + n;
    return { byRule: Object.fromEntries(Object.entries(byRule).sort()) };
  },
  description: 'Tag person names, addresses and organisations into turn meta (text unchanged; the pii stage anonymises).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      types: { type: 'array', items: { enum: [...NER_TYPES] }, default: [...NER_TYPES] },
      minScore: { type: 'number', minimum: 0, maximum: 1, default: 0 },
      places: { type: 'boolean', default: false },
      segmenter: { type: 'boolean', default: true },
      fullSegmentation: { type: 'boolean', default: false },
      mentions: { type: 'boolean', default: false },
      roles: { type: 'array', items: { enum: ['customer', 'agent', 'bot', 'system'] } },
    },
  },
  example: { types: ['PERSON', 'ADDRESS'], minScore: 0.5 },
  async create(options, env) {
    const { roles, ...detOptions } = options;
    const det = await nerDetectorDefinition.create(detOptions, env);
    const counts: Record<string, number> = {};
    return {
      apply: mapStage((record: ConversationRecord, ctx) => {
        record.turns.forEach((turn, ti) => {
          if (roles && !roles.includes(turn.role)) return;
          const spans = det.detect(turn.text, { role: turn.role });
          if (!spans.length) return;
          turn.meta = { ...(turn.meta ?? {}), ner: spans };
          for (const s of spans) {
            const key = `${s.type}.${s.rule}`;
            counts[key] = (counts[key] ?? 0) + 1;
            ctx.report.count(`spans.${s.type as NerType}`);
            // safeId and the sample object only while the report keeps samples of this type
            if (ctx.report.wants(s.type)) ctx.report.sample(s.type, { record: safeId(record.id), turn: ti, start: s.start, end: s.end, length: s.end - s.start, rule: s.rule });
          }
        });
        return record;
      }),
      summary: () => ({ byRule: Object.fromEntries(Object.entries(counts).sort()) }),
    };
  },
});
