import { describe, expect, it } from 'vitest';
import type { RunReport } from '@scrubline/core';
import { piiStage } from '@scrubline/pii';
import { renderHtml, reportPlugin, residualScan, safeText, type ResidualSummary } from '@scrubline/report';
import { goldValues, leakedValues, loadCorpus, runSteps, toRecords } from './helpers.js';

const corpus = loadCorpus();
const records = toRecords(corpus);
const { report, error } = await runSteps(records, [
  { definition: piiStage, options: { workers: 1 } },
  { definition: residualScan },
]);
const html = renderHtml(report);

describe('renderHtml', () => {
  it('is exported with the residual-scan stage in the plugin', () => {
    expect(reportPlugin.name).toBe('report');
    expect(reportPlugin.stages?.map((s) => s.name)).toEqual(['residual-scan']);
    expect(reportPlugin.renderHtml).toBe(renderHtml);
    expect(error).toBeUndefined();
  });

  it('is self-contained: no script, no external src/href, a CSP that forbids loads', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1].startsWith('#')).toBe(true);
  });

  it('shows the counts per entity type, per file, the ledger and the residual scan', () => {
    const pii = report.stages.find((s) => s.use === 'pii')!;
    const byType = (pii.summary as { byType: Record<string, number> }).byType;
    expect(Object.keys(byType).length).toBeGreaterThanOrEqual(18);
    for (const [type, n] of Object.entries(byType)) expect(html).toContain(`<title>${type}: ${n.toLocaleString('en-US')}</title>`);
    // per file: records per input file (ledger) and findings per file (pii counters)
    const perFile: Record<string, number> = {};
    for (const [k, v] of Object.entries(pii.counters)) if (k.startsWith('found|')) perFile[k.split('|')[4]] = (perFile[k.split('|')[4]] ?? 0) + v;
    expect(Object.keys(perFile).sort()).toEqual(['export-a.jsonl', 'export-b.jsonl']);
    for (const [f, n] of Object.entries(perFile)) expect(html).toContain(`<title>${f}: ${n.toLocaleString('en-US')}</title>`);
    expect(html).toContain('records per input file');
    expect(html).toContain('ledger adds up');
    expect(html).toContain(`input ${records.length.toLocaleString('en-US')} + added 0 = output ${records.length.toLocaleString('en-US')}`);
    expect(html).toContain('Score histograms');
    expect(html).toContain('findings per role');
    expect(html).toContain('findings per recognizer (rule)');
    const residual = report.stages.find((s) => s.use === 'residual-scan')!.summary as ResidualSummary;
    expect(html).toContain(residual.findings === 0 ? 'residual scan: clean' : `residual scan: ${residual.findings} finding(s)`);
    expect(html).toContain('c0ffee'); // manifest config hash
  });

  it('contains no gold value from the fixture corpus', () => {
    expect(leakedValues(html, goldValues(corpus))).toEqual([]);
  });

  it('says so when the ledger does not add up, and when there is no residual scan', () => {
    const broken: RunReport = structuredClone(report);
    broken.ledger.output.records -= 3;
    broken.stages = broken.stages.filter((s) => s.use !== 'residual-scan');
    const h = renderHtml(broken);
    expect(h).toContain('does NOT add up');
    expect(h).toMatch(/run: input \d+ \+ added 0 != output \d+/);
    expect(h).toContain('no residual scan in this run');
  });

  it('renders unknown counter layouts generically and masks free-form stage output', () => {
    const r: RunReport = structuredClone(report);
    r.stages = [
      {
        id: 'custom',
        use: 'pii',
        counters: { 'hits.PHONE': 4, 'hits.EMAIL': 2, misc: 1 },
        samples: { leak: [{ record: 'r1', text: 'call 13812345678 or a.b@example.com now' }, '身份证110101199003078515'] },
        messages: [{ reason: 'value 13987654321 looked odd' }],
        summary: { note: '微信 zhang88888' },
        ms: 3,
      },
    ];
    r.warnings = ['stage x saw 13700001111'];
    const h = renderHtml(r);
    expect(h).toContain('<title>PHONE: 4</title>');
    expect(h).toContain('counters: hits');
    for (const v of ['13812345678', 'a.b@example.com', '110101199003078515', '13987654321', 'zhang88888', '13700001111']) expect(h).not.toContain(v);
    expect(h).toContain('r1');
  });

  it('shows record ids in samples and messages through safeId (a session id can be a phone number)', () => {
    const r: RunReport = structuredClone(report);
    r.stages = [
      {
        id: 'custom',
        use: 'custom',
        counters: {},
        samples: { seen: [{ record: '13812345678', turn: 0 }, { id: 'li.na@example.com' }, { record: 'conv-7' }] },
        messages: [{ reason: 'odd', place: { record: '13987654321', turn: 1 } }],
        ms: 1,
      },
    ];
    const h = renderHtml(r);
    for (const v of ['13812345678', 'li.na', 'example.com', '13987654321']) expect(h).not.toContain(v);
    expect(h).toContain('###########');
    expect(h).toContain('conv-7');
  });

  it('shows a sample\'s source place (file:line, as dedup and normalise give it) as it is', () => {
    const r: RunReport = structuredClone(report);
    r.stages = [{ id: 'dedup', use: 'dedup', counters: {}, samples: { exact: [{ at: 'data/jddc-2024.jsonl:1234', similarity: 1 }] }, ms: 1 }];
    expect(renderHtml(r)).toContain('data/jddc-2024.jsonl:1234');
  });

  it('masks a failed run\'s error message like every other free-form string (a grouped phone number, an e-mail)', () => {
    const r: RunReport = structuredClone(report);
    r.manifest.status = 'failed';
    r.manifest.error = { code: 'SCRUB_STAGE_FAILED', message: 'custom: bad value 138-1234-5678 from zhang.wei@example.com', stage: 'custom' };
    const h = renderHtml(r);
    expect(h).toContain('run failed: SCRUB_STAGE_FAILED');
    for (const v of ['1234', '5678', 'zhang.wei', 'example.com']) expect(h).not.toContain(v);
  });

  it("shows the pii stage's rule packs and detectors by name (00-keep is a pack name, not a value)", () => {
    const pii = report.stages.find((s) => s.use === 'pii')!;
    expect((pii.summary as { packs: string[] }).packs).toContain('00-keep');
    expect(html).toContain('&quot;00-keep&quot;');
    expect(html).not.toContain('##-xxxx');
  });

  it('safeText keeps placeholders and masked spans readable', () => {
    expect(safeText('联系[PHONE_1]或⟦mobile ###⟧，[订单x]，编号A1234567')).toBe('联系[PHONE_1]或⟦mobile ###⟧，[订单x]，编号X#######');
  });
});
