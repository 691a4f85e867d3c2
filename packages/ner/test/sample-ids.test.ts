import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StageReport, type ConversationRecord, type StageContext, type StageEnv } from '@scrubline/core';
import { nerStage } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const env: StageEnv = { stageId: 'ner', seed: 's', shard: { index: 0, count: 1 }, baseDir: root, rulesDir: join(root, 'rules'), log: { info: () => {}, warn: () => {} } };

const ctxOf = (report: StageReport) => ({ stageId: 'ner', seed: 's', shard: env.shard, report, drop: () => {}, quarantine: () => {}, log: env.log }) as unknown as StageContext;

describe('ner report samples', () => {
  it('show the record id through safeId: a phone number used as the id never reaches the report', async () => {
    const stage = await nerStage.create({ types: ['PERSON', 'ADDRESS', 'ORG'], minScore: 0, places: false, segmenter: true }, env);
    const report = new StageReport();
    const ctx = ctxOf(report);
    const text = '我叫张伟，地址：杭州市西湖区文三路259号';
    const recs: ConversationRecord[] = [
      { id: '13912345678', turns: [{ role: 'customer', text }], labels: {}, source: { file: 'x' }, meta: {} },
      { id: 'r2', turns: [{ role: 'customer', text }], labels: {}, source: { file: 'x' }, meta: {} },
    ];
    await stage.apply(recs, ctx);
    const persons = report.samples.PERSON as { record: string }[];
    expect(persons.map((s) => s.record)).toEqual(['###########', 'r2']);
    expect(JSON.stringify(report.toJSON())).not.toContain('13912345678');
  });

  it('keep the first maxSamples spans of a type in input order', async () => {
    const stage = await nerStage.create({ types: ['PERSON'], minScore: 0, places: false, segmenter: true }, env);
    const report = new StageReport();
    const ctx = ctxOf(report);
    const recs: ConversationRecord[] = Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, turns: [{ role: 'customer', text: '我叫张伟' }], labels: {}, source: { file: 'x' }, meta: {} }));
    await stage.apply(recs, ctx);
    expect(report.counters['spans.PERSON']).toBe(25);
    expect((report.samples.PERSON as { record: string }[]).map((s) => s.record)).toEqual(recs.slice(0, report.maxSamples).map((r) => r.id));
  });
});
