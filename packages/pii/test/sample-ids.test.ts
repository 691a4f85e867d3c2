import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { piiStage, type PiiStageOptions } from '../src/index.js';
import { windowOf } from '../src/tally.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const env = { stageId: 'pii', seed: '7', shard: { index: 0, count: 1 }, baseDir: root, rulesDir: join(root, 'rules'), log: { info() {}, warn() {} } };

describe('pii report samples', () => {
  it('show the record id through safeId: an id that is a phone number or an e-mail never reaches the report', async () => {
    const opts = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, workers: 1 } as unknown as PiiStageOptions;
    const stage = await piiStage.create(opts, env);
    const report = new StageReport();
    const ctx = { stageId: 'pii', seed: '7', shard: env.shard, report, log: env.log, drop() {}, quarantine() {} } as unknown as StageContext;
    const recs: ConversationRecord[] = [
      { id: '13912345678', turns: [{ role: 'customer', text: '我的手机13812345678' }], labels: {}, source: { file: 'a.jsonl', line: 1 }, meta: {} },
      { id: 'wang.fang@example.com', turns: [{ role: 'customer', text: '电话13812345678' }], labels: {}, source: { file: 'a.jsonl', line: 2 }, meta: {} },
      { id: 'conv-7', turns: [{ role: 'customer', text: '电话13812345678' }], labels: {}, source: { file: 'a.jsonl', line: 3 }, meta: {} },
    ];
    try {
      await stage.apply(recs, ctx);
    } finally {
      await stage.close?.();
    }
    const samples = report.samples['finding.PHONE'] as { record: string }[];
    expect(samples.map((s) => s.record)).toEqual(['###########', expect.any(String), 'conv-7']);
    expect(samples[1].record).toMatch(/^[*x.#]+$/);
    const json = JSON.stringify(report.toJSON());
    expect(json).not.toContain('13912345678');
    expect(json).not.toContain('wang.fang');
    expect(json).not.toContain('example');
  });

  it('show whole placeholders at the edges of a sample context, never a cut one masked letter by letter', async () => {
    expect(windowOf('abc[PHONE_12]def', 6, 14)).toBe('[PHONE_12]d');
    expect(windowOf('abc[PHONE_12]def', 0, 5)).toBe('abc[PHONE_12]');
    expect(windowOf('x[EMAIL:3fa9c0de12]y[订单x]z', 10, 22)).toBe('[EMAIL:3fa9c0de12]y[订单x]');
    expect(windowOf('no placeholder here', 3, 9)).toBe('placeh');
    const opts = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 6, workers: 1 } as unknown as PiiStageOptions;
    const stage = await piiStage.create(opts, env);
    const report = new StageReport();
    const ctx = { stageId: 'pii', seed: '7', shard: env.shard, report, log: env.log, drop() {}, quarantine() {} } as unknown as StageContext;
    const recs: ConversationRecord[] = [{ id: 'c1', turns: [{ role: 'customer', text: '打13812345678或13912345678' }], labels: {}, source: { file: 'a.jsonl', line: 1 }, meta: {} }];
    try {
      await stage.apply(recs, ctx);
    } finally {
      await stage.close?.();
    }
    const contexts = (report.samples['finding.PHONE'] as { context: string }[]).map((x) => x.context);
    expect(contexts).toEqual(['＊[PHONE_1]＊[PHONE_2]', '[PHONE_1]＊[PHONE_2]']);
  });
});
