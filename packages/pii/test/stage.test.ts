import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectors, StageReport, type ConversationRecord, type StageContext } from '@scrubline/core';
import { gb11643CheckChar, luhnCheckDigit, piiStage, piiPlugin, detectCommand, scrubCommand, parseCounterKey, type PiiStageOptions } from '../src/index.js';
import { memoryIO } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
const PID = '44030519870919545' + gb11643CheckChar('44030519870919545');
const CARD = '621098765432101' + luhnCheckDigit('621098765432101');
const RAW = ['13812345678', '13987654321', PID, CARD, 'li.lei@example.com', '87654321'];

function records(n: number): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: `c${i}`,
      turns: [
        { role: 'customer', text: `你好，我的手机13812345678，身份证${PID}` },
        { role: 'agent', text: '好的，请问还有其他联系方式吗？客服热线400-800-8888' },
        { role: 'customer', text: `卡号${CARD}，邮箱li.lei@example.com，或者13987654321，QQ：87654321，订单编号:[订单x]` },
        { role: 'customer', text: `还是打13812345678吧 ${i}` },
      ],
      labels: {},
      source: { file: i % 2 ? 'b.jsonl' : 'a.jsonl', line: i + 1 },
      meta: {},
    });
  }
  return out;
}

function ctx(report = new StageReport()): StageContext {
  return {
    stageId: 'pii',
    seed: '7',
    shard: { index: 0, count: 1 },
    report,
    log: { info() {}, warn() {} },
    drop() {
      throw new Error('pii never drops');
    },
    quarantine() {
      throw new Error('pii never quarantines');
    },
  };
}

const env = { stageId: 'pii', seed: '7', shard: { index: 0, count: 1 }, baseDir: root, rulesDir, log: { info() {}, warn() {} } };

async function run(options: Partial<PiiStageOptions>, recs: ConversationRecord[]) {
  const opts = { detectors: ['rules'], rules: [], disable: [], disableRules: [], operator: 'placeholder', operators: {}, keyEnv: 'SCRUBLINE_PII_KEY', roles: ['customer', 'agent', 'bot', 'system'], sampleContext: 16, ...options } as PiiStageOptions;
  const stage = await piiStage.create(opts, env);
  const report = new StageReport();
  const out: ConversationRecord[] = [];
  try {
    for (let i = 0; i < recs.length; i += 64) out.push(...(await stage.apply(recs.slice(i, i + 64), ctx(report))));
  } finally {
    await stage.close?.();
  }
  return { out, report, summary: stage.summary?.() as Record<string, any> };
}

/** Registers a test-only detector that finds the first occurrence of `word` as `type`. */
function registerWordDetector(name: string, word: string, type: string, rule: string): void {
  detectors.register({
    name,
    description: `finds ${word} as ${type} (test only)`,
    types: [type],
    create: () => ({
      name,
      detect: (text: string) => {
        const i = text.indexOf(word);
        return i < 0 ? [] : [{ type, start: i, end: i + word.length, score: 0.9, rule }];
      },
    }),
  });
}

beforeAll(() => {
  // the worker thread runs the compiled worker script
  execFileSync('npx', ['tsc', '-b', 'packages/pii'], { cwd: root, stdio: 'inherit' });
  expect(existsSync(join(root, 'packages/pii/dist/worker.js'))).toBe(true);
}, 120_000);

describe('pii stage', () => {
  it('scrubs every turn, numbers per conversation, keeps placeholders and hotlines', async () => {
    const { out } = await run({ workers: 1 }, records(2));
    expect(out).toHaveLength(2);
    const t = out[0].turns.map((x) => x.text);
    expect(t[0]).toBe('你好，我的手机[PHONE_1]，身份证[PERSON_ID_1]');
    expect(t[1]).toBe('好的，请问还有其他联系方式吗？客服热线400-800-8888');
    expect(t[2]).toBe('卡号[BANK_CARD_1]，邮箱[EMAIL_1]，或者[PHONE_2]，QQ：[QQ_1]，订单编号:[订单x]');
    expect(t[3]).toBe('还是打[PHONE_1]吧 0');
  });

  it('reports counts per type × rule × role × file, histograms and masked samples — never a raw value', async () => {
    const { report, summary } = await run({ workers: 1 }, records(4));
    const json = JSON.stringify({ report: report.toJSON(), summary });
    for (const raw of RAW) expect(json).not.toContain(raw);
    expect(json).not.toMatch(/[0-9]{7}/);
    const c = report.counters;
    expect(c['found|PHONE|phone.cn.mobile|customer|a.jsonl']).toBe(6);
    expect(c['found|PHONE|phone.cn.mobile|customer|b.jsonl']).toBe(6);
    expect(c['kept|PLACEHOLDER|keep.placeholder.jd|customer|a.jsonl']).toBe(2);
    expect(c['kept|SERVICE_NUMBER|keep.service_number|agent|b.jsonl']).toBe(2);
    expect(c['score|PERSON_ID|1.0']).toBe(4);
    expect(parseCounterKey('found|PHONE|phone.cn.mobile|customer|dir|x.jsonl')).toEqual({ kind: 'found', type: 'PHONE', rule: 'phone.cn.mobile', role: 'customer', file: 'dir|x.jsonl' });
    const sample = (report.samples['finding.PHONE'] as any[])[0];
    expect(sample.masked).toBe('***********');
    expect(sample.context).toContain('[PHONE_1]');
    expect(summary.findings).toBe(4 * 7);
    expect(summary.byType.PHONE).toBe(12);
  });

  it('keeps names and addresses the rules did not detect out of report samples', async () => {
    const rec = { id: 'n1', turns: [{ role: 'customer' as const, text: '我叫王小明，住在朝阳区幸福路8号，电话13812345678，Tom Baker' }], labels: {}, source: { file: 'n.jsonl', line: 1 }, meta: {} };
    const { report } = await run({ workers: 1 }, [rec]);
    const sample = (report.samples['finding.PHONE'] as any[])[0];
    expect(sample.context).toContain('[PHONE_1]');
    const json = JSON.stringify(report.toJSON());
    for (const raw of ['王小明', '朝阳区', '幸福路', 'Tom', 'Baker']) expect(json).not.toContain(raw);
  });

  it('two threads give byte-identical output and reports to one', async () => {
    const recs = records(300);
    const one = await run({ workers: 1 }, structuredClone(recs));
    const two = await run({ workers: 2 }, structuredClone(recs));
    expect(two.summary.threads).toBe(2);
    expect(JSON.stringify(two.out)).toBe(JSON.stringify(one.out));
    expect(JSON.stringify(two.report.toJSON())).toBe(JSON.stringify(one.report.toJSON()));
  });

  it('selects detectors by name from the registry (another detector joins without a build-time dependency)', async () => {
    registerWordDetector('test-names', '李雷', 'PERSON', 'test.person');
    const rec: ConversationRecord = { id: 'x', turns: [{ role: 'customer', text: '我是李雷，手机13812345678' }], labels: {}, source: { file: 'f' }, meta: {} };
    const { out } = await run({ workers: 1, detectors: ['rules', 'test-names'] }, [rec]);
    expect(out[0].turns[0].text).toBe('我是[PERSON_1]，手机[PHONE_1]');
    // with another detector the rule analysis still runs on two threads, with the same result
    const recs = records(50).map((r) => ({ ...r, turns: [...r.turns, { role: 'customer' as const, text: '李雷的手机13812345678' }] }));
    const one = await run({ workers: 1, detectors: ['rules', 'test-names'] }, structuredClone(recs));
    const two = await run({ workers: 2, detectors: ['rules', 'test-names'] }, structuredClone(recs));
    expect(JSON.stringify(two.out)).toBe(JSON.stringify(one.out));
    expect(JSON.stringify(two.report.toJSON())).toBe(JSON.stringify(one.report.toJSON()));
    expect(one.out[0].turns[4].text).toBe('[PERSON_1]的手机[PHONE_1]');
    await expect(run({ detectors: ['nope'] }, [])).rejects.toThrow(/no detector named 'nope'/);
  });

  it('hmac without a key fails at create time; roles can be limited', async () => {
    await expect(run({ operator: 'hmac', keyEnv: 'SCRUBLINE_TEST_NO_SUCH_KEY' }, [])).rejects.toThrow(/SCRUBLINE_TEST_NO_SUCH_KEY/);
    const { out } = await run({ workers: 1, roles: ['agent'] }, records(1));
    expect(out[0].turns[0].text).toContain('13812345678');
  });

  it('option schema rejects a key in the options', () => {
    const props = (piiStage.optionsSchema as any).properties;
    expect(props.key).toBeUndefined();
    expect((piiStage.optionsSchema as any).additionalProperties).toBe(false);
    expect(piiPlugin.commands!.map((c) => c.name).sort()).toEqual(['detect', 'scrub']);
    expect(piiPlugin.stages![0].command).toBe('scrub');
  });
});

function io(argv: string[], input: string) {
  return memoryIO(argv, input, root, rulesDir);
}

describe('commands', () => {
  it('detect: one line per input with UTF-16 spans', async () => {
    const { cio, result } = io([], '{"id":"a","text":"😀手机13812345678"}\n{"id":"b","text":"没有"}\n');
    expect(await detectCommand.run(cio)).toBe(0);
    const lines = result().out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { id: 'a', spans: [{ type: 'PHONE', start: 4, end: 15, score: 1, rule: 'phone.cn.mobile' }] },
      { id: 'b', spans: [] },
    ]);
  });
  it('detect: --rules selects packs; bad lines exit 3 without echoing content', async () => {
    const a = io(['--rules', 'contact'], '{"id":"a","text":"手机13812345678 a@b.com"}\n');
    expect(await detectCommand.run(a.cio)).toBe(0);
    expect(JSON.parse(a.result().out).spans.map((s: any) => s.type)).toEqual(['EMAIL']);
    const b = io([], '{"id":"a","text":"13812345678"}\nnot json 13987654321\n');
    expect(await detectCommand.run(b.cio)).toBe(3);
    expect(b.result().err).not.toContain('13987654321');
  });
  it('scrub --text: same shape, scrubbed text', async () => {
    const { cio, result } = io(['--text', '--quiet', '--set', 'workers=1'], '{"id":"a","text":"手机13812345678","extra":1}\n');
    expect(await scrubCommand.run(cio)).toBe(0);
    expect(JSON.parse(result().out)).toEqual({ id: 'a', text: '手机[PHONE_1]', extra: 1 });
  });
  it('scrub: canonical records in and out, malformed lines quarantined, summary without values', async () => {
    const recs = records(3).map((r) => JSON.stringify(r)).join('\n');
    const { cio, result } = io(['--set', 'workers=1'], recs + '\n{bad json 13812345678\n');
    expect(await scrubCommand.run(cio)).toBe(0);
    const { out, err } = result();
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].turns[0].text).toBe('你好，我的手机[PHONE_1]，身份证[PERSON_ID_1]');
    for (const raw of RAW) expect(out + err).not.toContain(raw);
    expect(err).toMatch(/SCRUB_JSON_PARSE -:4/);
    expect(err).toMatch(/scrub: 3 records, 21 findings/);
  });
  it('scrub: bad options exit 2', async () => {
    const { cio, result } = io(['--set', 'operatr=mask'], '');
    expect(await scrubCommand.run(cio)).toBe(2);
    expect(result().err).toMatch(/operatr/);
  });
});

describe('report-only types', () => {
  it('reports ORG spans from another detector as kept and leaves them in the text; other types are replaced', async () => {
    registerWordDetector('test-org', '星河科技', 'ORG', 'test.org');
    const rec: ConversationRecord = { id: 'o1', turns: [{ role: 'customer', text: '我在星河科技上班，手机13812345678' }], labels: {}, source: { file: 'o.jsonl' }, meta: {} };
    const { out, report } = await run({ detectors: ['rules', 'test-org'] }, [structuredClone(rec)]);
    expect(out[0].turns[0].text).toBe('我在星河科技上班，手机[PHONE_1]');
    expect(report.counters['kept|report-only:ORG|test.org|customer|o.jsonl']).toBe(1);
    const anonymised = await run({ detectors: ['rules', 'test-org'], reportOnly: [] }, [structuredClone(rec)]);
    expect(anonymised.out[0].turns[0].text).toBe('我在[ORG_1]上班，手机[PHONE_1]');
  });
});

describe('scrub --threads (line-parallel)', () => {
  it('gives byte-identical output, report and quarantine lines to one thread; chunks cut at newlines', async () => {
    const { lineChunks } = await import('../src/parallel.js');
    const recs = records(300).map((r) => JSON.stringify(r));
    recs.splice(150, 0, '{not json 13812345678');
    const input = recs.join('\n') + '\n';
    const runWith = async (argv: string[]) => {
      const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'pii-par-'));
      const { cio, result } = io([...argv, '--report', join(dir, 'r.json'), '--quiet'], input);
      expect(await scrubCommand.run(cio)).toBe(0);
      const report = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'r.json'), 'utf8'));
      return { ...result(), report };
    };
    const one = await runWith(['--set', 'workers=1']);
    const two = await runWith(['--threads', '2']);
    expect(two.out).toBe(one.out);
    expect(two.err).toBe(one.err);
    expect(two.err).toMatch(/SCRUB_JSON_PARSE -:151/);
    expect(two.report.stages[0].counters).toEqual(one.report.stages[0].counters);
    expect(two.report.stages[0].samples).toEqual(one.report.stages[0].samples);
    expect(two.report.ledger).toEqual(one.report.ledger);
    // small chunks: many chunks, lines never split, line numbers carried
    const chunks = [];
    for await (const c of lineChunks([Buffer.from('a\nbb\nc'), Buffer.from('cc\n\nd')], 3)) chunks.push([Buffer.from(c.bytes).toString(), c.firstLine]);
    expect(chunks).toEqual([
      ['a\nbb\n', 1],
      ['ccc\n\n', 3],
      ['d\n', 5],
    ]);
  });
});
