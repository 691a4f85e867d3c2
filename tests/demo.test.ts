import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, scrubline, tmp, write } from './helpers.js';

/** The demo pipeline (README's main job) in a temp folder: paths rewritten to absolute ones. */
function demoPipeline(outDir: string): string {
  const yaml = readFileSync(join(ROOT, 'pipelines/fixtures-demo.yaml'), 'utf8')
    .replaceAll('../fixtures/', join(ROOT, 'fixtures') + '/')
    .replaceAll('../out/demo', outDir);
  const dir = tmp();
  return write(dir, 'demo.yaml', yaml);
}

describe('the demo pipeline (ingest → normalise → pii → … → augment → residual scan)', () => {
  it('runs clean, twice byte-identical, the ledger adds up, and no gold PII value from the fixtures is left', async () => {
    const a = tmp();
    const b = tmp();
    for (const out of [a, b]) {
      const r = await scrubline(['run', demoPipeline(out), '--quiet']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const files = readdirSync(a).filter((f) => f.endsWith('.ndjson') || f.endsWith('.json')).filter((f) => f !== 'report.json' && f !== 'manifest.json');
    expect(files).toEqual(expect.arrayContaining(['train.ndjson', 'validation.ndjson', 'test.ndjson', 'class-weights.json']));
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
    const report = JSON.parse(readFileSync(join(a, 'report.json'), 'utf8'));
    const c = report.manifest.counts;
    expect(c.input + c.added).toBe(c.output + c.dropped + c.quarantined);
    expect(report.stages.find((s: any) => s.use === 'residual-scan').summary.verdict).toBe('clean');
    // every structured gold value of the PII corpus lines the demo export was built from
    const gold = readFileSync(join(ROOT, 'fixtures/pii/corpus.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .flatMap((r: { text: string; spans: { start: number; end: number }[] }) => r.spans.map((s) => r.text.slice(s.start, s.end)))
      .filter((v: string) => v.replace(/\s/g, '').length >= 6);
    // reports carry sha256 digests, timestamps and timings, whose digits can match a short gold value by chance
    const noDigests = (t: string) => t.replace(/[0-9a-f]{12,64}/g, '#').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '#').replace(/"(ms|totalMs|bytes)": ?\d+/g, '#');
    const published = ['train.ndjson', 'validation.ndjson', 'test.ndjson', 'dropped.ndjson', 'quarantine.ndjson']
      .map((f) => readFileSync(join(a, f), 'utf8'))
      .concat(['report.json', 'report.html', 'manifest.json'].map((f) => noDigests(readFileSync(join(a, f), 'utf8'))))
      .join('\n');
    const leaked = gold.filter((v: string) => published.includes(v));
    expect(leaked.length, `gold values left in clear: ${leaked.length}`).toBe(0);
  });
});
