import { describe, expect, it } from 'vitest';
import { detect, scrubText } from '@scrubline/pii';
import { evaluate, formatEval, type PredLine } from '@scrubline/pii-eval';
import { renderHtml, residualScan, type ResidualSummary } from '@scrubline/report';
import { goldValues, leakedValues, loadCorpus, rulesDir, runSteps, toRecords } from './helpers.js';

// Runs the pii detector and scrubber over the whole fixture corpus and collects every report,
// list, page, log line and error message this package and pii-eval produce: no gold value may appear.
const corpus = loadCorpus();
const values = goldValues(corpus);

describe('no gold value leaks into reports, lists or errors', () => {
  it('eval-pii output (predictions of the rules detector, none, and shifted ones)', () => {
    const pred: PredLine[] = corpus.map((g) => ({ id: g.id, spans: detect(g.text, { rulesDir }) }));
    const none: PredLine[] = corpus.map((g) => ({ id: g.id, spans: [] }));
    const shifted: PredLine[] = corpus.map((g) => ({ id: g.id, spans: g.spans.map((s) => ({ type: s.type === 'PHONE' ? 'QQ' : s.type, start: s.start, end: Math.max(s.start + 1, s.end - 3) })) }));
    let out = '';
    for (const p of [pred, none, shifted]) {
      const r = evaluate(corpus, p, { maxList: 100_000 });
      out += JSON.stringify(r) + formatEval(r, { maxList: 100_000 });
    }
    expect(out.length).toBeGreaterThan(100_000); // the lists really were printed
    expect(leakedValues(out, values)).toEqual([]);
  });

  it('residual scan, HTML and the SCRUB_RESIDUAL_PII error over the raw corpus (worst case: nothing scrubbed)', async () => {
    const logs: string[] = [];
    const raw = toRecords(corpus);
    const { report, error } = await runSteps(raw, [{ definition: residualScan, options: { failOnResidual: true, maxSamples: 1000 } }], logs);
    expect(error?.code).toBe('SCRUB_RESIDUAL_PII');
    const sum = report.stages[0]?.summary as ResidualSummary | undefined;
    const html = renderHtml(report);
    const out = JSON.stringify(report) + html + error!.format() + JSON.stringify(error!.toJSON()) + logs.join('\n');
    expect(leakedValues(out, values)).toEqual([]);
    // the raw corpus must light the scan up: it is the control for the scrubbed run below
    const ok = await runSteps(raw, [{ definition: residualScan, options: { maxSamples: 1000 } }]);
    const s = ok.report.stages[0].summary as ResidualSummary;
    expect(s.findings).toBeGreaterThan(1500);
    expect(s.byShape.mobile).toBeGreaterThan(400);
    expect(s.byShape.email).toBeGreaterThan(150);
    expect(s.byShape['resident-id']).toBeGreaterThan(150);
    expect(leakedValues(renderHtml(ok.report) + JSON.stringify(ok.report), values)).toEqual([]);
    expect(sum).toBeUndefined(); // a failed run has no stage reports to render; the error alone says what happened
  });

  it('pii scrubText output → residual scan → HTML', async () => {
    const scrubbed = corpus.map((g) => {
      const r = scrubText(g.text, { rulesDir }); // (a scope in the options would defeat pii's engine cache: its key is the options)
      return { id: g.id, text: r.text };
    });
    // nothing of a gold value survives scrubbing on this corpus
    expect(leakedValues(scrubbed.map((s) => s.text).join('\n'), values.filter((v) => v.length >= 6))).toEqual([]);
    const logs: string[] = [];
    const { report, error } = await runSteps(toRecords(scrubbed), [{ definition: residualScan, options: { maxSamples: 1000 } }], logs);
    expect(error).toBeUndefined();
    const sum = report.stages[0].summary as ResidualSummary;
    // after scrubbing, no mobile, e-mail or resident ID is left for the independent scan
    expect(sum.byShape.mobile ?? 0).toBe(0);
    expect(sum.byShape.email ?? 0).toBe(0);
    expect(sum.byShape['resident-id'] ?? 0).toBe(0);
    const out = JSON.stringify(report) + renderHtml(report) + logs.join('\n');
    expect(leakedValues(out, values)).toEqual([]);
  });

  it('residual scan: a name the detectors missed and a record id that is a phone number or an e-mail never reach the JSON or HTML report', async () => {
    const recs = [
      { id: '13912345678', turns: [{ role: 'customer' as const, text: '我叫欧阳娜娜，电话13987654321，住在幸福里小区' }], labels: {}, source: { file: 'x.jsonl' }, meta: {} },
      { id: 'zhang.wei@example.com', turns: [{ role: 'agent' as const, text: 'Tom Baker asked, call 13987654322 [PHONE_1]' }], labels: {}, source: { file: 'x.jsonl' }, meta: {} },
    ];
    const { report } = await runSteps(recs, [{ definition: residualScan }]);
    const sum = report.stages[0].summary as ResidualSummary;
    expect(sum.byShape).toEqual({ mobile: 2 }); // the scan did find and sample both turns
    expect(sum.samples.map((x) => x.record)).toEqual(['###########', '*********************']);
    expect(sum.samples[1].masked).toContain('[PHONE_1]'); // placeholders stay readable
    const failed = await runSteps(recs, [{ definition: residualScan, options: { failOnResidual: true } }]);
    const out = JSON.stringify(report) + renderHtml(report) + failed.error!.format() + JSON.stringify(failed.error!.toJSON());
    for (const raw of ['欧阳', '娜娜', '幸福里', 'Tom', 'Baker', '13912345678', '13987654321', '13987654322', 'zhang', 'example.com']) expect(out).not.toContain(raw);
  });
});
