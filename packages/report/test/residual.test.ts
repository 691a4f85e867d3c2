import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineStage, type ConversationRecord } from '@scrubline/core';
import { parseAllowList, residualScan, scanResidual, type ResidualSummary } from '@scrubline/report';
import { runSteps } from './helpers.js';

const shapes = (text: string, opts = {}) => scanResidual(text, opts).filter((c) => !c.allowed).map((c) => [c.shape, text.slice(c.start, c.end)]);

describe('scanResidual', () => {
  it('finds planted leaks of every shape, in every disguise', () => {
    expect(shapes('电话13812345678谢谢')).toEqual([['mobile', '13812345678']]);
    expect(shapes('打+86 138-1234-5678吧')).toEqual([['mobile', '+86 138-1234-5678']]);
    expect(shapes('手机１３８　１２３４　５６７８')).toEqual([['mobile', '１３８　１２３４　５６７８']]);
    expect(shapes('手机幺三八一二三四五六七八')).toEqual([['mobile', '幺三八一二三四五六七八']]);
    expect(shapes('手机①③⑧①②③④⑤⑥⑦⑧')).toEqual([['mobile', '①③⑧①②③④⑤⑥⑦⑧']]);
    expect(shapes('身份证11010519491231002X')).toEqual([['resident-id', '11010519491231002X']]);
    expect(shapes('身份证 110101199003078515，')).toEqual([['resident-id', '110101199003078515']]);
    expect(shapes('卡号6222 0212 3456 7894')).toEqual([['card-like', '6222 0212 3456 7894']]);
    expect(shapes('座机(0755)12345678')).toEqual([['landline', '(0755)12345678']]);
    expect(shapes('邮箱Zhang.Wei88@QQ.COM谢谢')).toEqual([['email', 'Zhang.Wei88@QQ.COM']]);
    expect(shapes('邮箱ｚｗ＠ｅｘａｍｐｌｅ．ｃｎ')).toEqual([['email', 'ｚｗ＠ｅｘａｍｐｌｅ．ｃｎ']]);
    expect(shapes('@小王爱吃鱼 你好')).toEqual([['handle', '@小王爱吃鱼']]);
    expect(shapes('看https://weibo.com/u/5512345678谢谢')).toEqual([['url', 'https://weibo.com/u/5512345678']]);
    expect(shapes('主页www.example.cn/zhangsan。')).toEqual([['url', 'www.example.cn/zhangsan']]);
    expect(shapes('IP 58.12.3.4 登录')).toEqual([['ipv4', '58.12.3.4']]);
    expect(shapes('IPv6 2408:8207:2460:9e30::1 登录')).toEqual([['ipv6', '2408:8207:2460:9e30::1']]);
    expect(shapes('护照E12345678')).toEqual([['id-like', 'E12345678']]);
    expect(shapes('单号SF1234567890123到哪了')).toEqual([['id-like', 'SF1234567890123']]);
    expect(shapes('车牌粤B·D12345')).toEqual([['plate', '粤B·D12345']]);
    expect(shapes('QQ 1234567')).toEqual([['digits', '1234567']]);
    // check digits only sort: a run that fails them is still reported, as digits
    expect(shapes('身份证 110101199003078510')).toEqual([['digits', '110101199003078510']]);
    expect(shapes('卡号6222 0212 3456 7890')).toEqual([['digits', '6222 0212 3456 7890']]);
    expect(shapes('短信106550200234248214')).toHaveLength(1); // an SMS gateway number: reported unless allow-listed
  });

  it('ignores typed placeholders, JD placeholders and short numbers', () => {
    for (const t of ['[PHONE_1]和[PHONE_12]', '[EMAIL:3fa9c0d1e2f3a4b5]', '[PERSON_ID]', '[订单x]、[姓名x]、[电话x]、[身份证号x]', '订单编号:[订单x]，金额[金额x]', '[USERID_[数字x]', '买了3件，共¥1,299.00', 'QQ 123456']) {
      expect(shapes(t), t).toEqual([]);
    }
    // a placeholder does not join the digits around it into a run
    expect(shapes('138[PHONE_1]1234')).toEqual([]);
  });

  it('allows dates, versions and the allow-list, and still counts them', () => {
    const all = scanResidual('2023-08-15 14:30:22 版本1.2.3.4 固件版本 3.8.10891.381');
    expect(all.map((c) => c.allowed)).toEqual(['date', 'version', 'version']);
    expect(scanResidual('版本号:2.4.2.132，搜狗8.0.0.8169版本').map((c) => c.allowed)).toEqual(['version', 'version']);
    const allow = parseAllowList('# comment\ndigits (400|800)[\\s\\-]?\\d{3}[\\s\\-]?\\d{4}\nhandle @中国联通客服\n* 106[0-9]{5,17}');
    expect(shapes('短信106550200234248214', { allow })).toEqual([]);
    expect(shapes('客服400-800-8888，@中国联通客服 ', { allow })).toEqual([]);
    expect(scanResidual('400-800-8888', { allow })[0]).toMatchObject({ shape: 'digits', allowed: 'allow-list' });
    expect(() => parseAllowList('digits (unclosed')).toThrowError(/line 1|:1:/);
    const lex = parseAllowList('handle file:brands.txt', 'a.txt', () => '# brands\n中国联通客服\nA.B+c\n');
    expect(shapes('找@中国联通客服 和@A.B+c 和@AxB+c 和@中国联通客服小王 ', { allow: lex }).map((x) => x[1])).toEqual(['@AxB+c', '@中国联通客服小王']);
    expect(() => parseAllowList('handle file:x.txt', 'a.txt')).toThrowError(/not available/);
    // prefix: keeps what starts with a brand (as the pii stage's allowPrefix does); one-character words are ignored
    const pre = parseAllowList('handle prefix:brands.txt', 'a.txt', () => '中国联通\n京\n');
    expect(shapes('找@中国联通广东 和@中国联通 和@京城小王 和@小王中国联通 ', { allow: pre }).map((x) => x[1])).toEqual(['@京城小王', '@小王中国联通']);
    // prefix:<lexicon> <rest>: the brand must be followed by the rest (the pii stage's allowPrefixRest)
    const rest = parseAllowList('handle prefix:brands.txt (?:[\\u4e00-\\u9fff]{2})?(?:客服|公司)', 'a.txt', () => '华为\n中国电信\n');
    expect(shapes('找@华为客服 和@中国电信福建公司 和@华为张工 和@中国电信 ', { allow: rest }).map((x) => x[1])).toEqual(['@华为张工', '@中国电信']);
    expect(() => parseAllowList('handle file:brands.txt 客服', 'a.txt', () => '华为\n')).toThrowError(/only prefix:/);
  });

  it('keeps the accounts the pii stage keeps with the shipped allow-list, and still reports private handles', () => {
    const path = new URL('../../../rules/report/residual-allow.txt', import.meta.url);
    const allow = parseAllowList(readFileSync(path, 'utf8'), 'residual-allow.txt', (p) => readFileSync(new URL(p, path), 'utf8'));
    // @AcmeHelp: not a known brand, so the pii stage redacts it, and a leaked one is reported
    expect(shapes('@中国移动广东 @京东客服 @DellCare @AcmeHelp @张小明 @xiaoming88 @华为张工 @张三客服 ', { allow }).map((x) => x[1])).toEqual(['@AcmeHelp', '@张小明', '@xiaoming88', '@华为张工', '@张三客服']);
  });

  it('respects minDigits and shapes', () => {
    expect(shapes('编号1234567', { minDigits: 8 })).toEqual([]);
    expect(shapes('邮箱a1@b.cn 电话13812345678', { shapes: ['email'] })).toEqual([['email', 'a1@b.cn']]);
  });

  it('stays linear on pathological input', () => {
    // these complete within the test timeout only if no pattern backtracks catastrophically
    expect(scanResidual('1'.repeat(100_000)).length).toBeGreaterThan(1000);
    expect(scanResidual('a@'.repeat(500_000)).length).toBeGreaterThan(0);
    expect(scanResidual('1-'.repeat(50_000)).length).toBeGreaterThan(100);
    expect(scanResidual('a.'.repeat(200_000) + 'com').length).toBeGreaterThanOrEqual(0);
    expect(scanResidual('1:'.repeat(200_000)).length).toBeGreaterThanOrEqual(0);
    expect(scanResidual('ab1'.repeat(100_000))).toEqual([]); // tokens longer than 64 characters are not ID-like
  });
});

const rec = (id: string, ...texts: string[]): ConversationRecord => ({
  id,
  turns: texts.map((text, i) => ({ role: i % 2 ? 'agent' : 'customer', text })),
  labels: {},
  source: { file: 'x.jsonl' },
  meta: {},
});

describe('residual-scan stage', () => {
  const records = [
    rec('r1', '您好，[PHONE_1]已登记', '我的邮箱是[EMAIL_1]'),
    rec('r2', '漏了一个：13987654321', '还有身份证110101199003078515'),
    rec('r3', '客服热线400-800-8888', '[订单x]已发货，版本1.2.3.4'),
  ];

  it('passes records through unchanged and reports masked findings per shape', async () => {
    const { report, output, error } = await runSteps(records, [{ definition: residualScan }]);
    expect(error).toBeUndefined();
    expect(output).toEqual(records);
    const st = report.stages[0];
    const sum = st.summary as ResidualSummary;
    expect(sum.verdict).toBe('residual');
    expect(sum.findings).toBe(2);
    expect(sum.byShape).toEqual({ mobile: 1, 'resident-id': 1 });
    expect(sum.allowed).toEqual({ digits: 1, ipv4: 1 }); // the hotline (allow-list in rules/report) and the version
    expect(sum.recordsFlagged).toBe(1);
    expect(sum.scanned).toMatchObject({ records: 3, turns: 6 });
    expect(st.counters).toMatchObject({ 'residual.mobile': 1, 'residual.resident-id': 1, 'records.flagged': 1, 'records.scanned': 3 });
    expect(sum.samples.map((s) => [s.record, s.turn, s.shape])).toEqual([
      ['r2', 0, 'mobile'],
      ['r2', 1, 'resident-id'],
    ]);
    expect(sum.samples[0].masked).toBe('＊＊＊＊：⟦mobile ###########⟧');
    const json = JSON.stringify(report);
    expect(json).not.toContain('13987654321');
    expect(json).not.toContain('110101199003078515');
  });

  it('masks the other candidates of a turn in a sample\'s context (a URL without digits is no plain-text shape)', async () => {
    const { report } = await runSteps([rec('u1', '主页www.zhangsan-blog.com 电话13987654321')], [{ definition: residualScan }]);
    const sum = report.stages[0].summary as ResidualSummary;
    expect(sum.samples.map((s) => s.shape)).toEqual(['url', 'mobile']);
    expect(sum.samples[1].masked).toBe('…⟦url⟧ ＊＊⟦mobile ###########⟧');
    expect(JSON.stringify(report)).not.toContain('blog');
  });

  it('fills the report\'s samples and the summary\'s up to their own caps, whichever is larger', async () => {
    const many = Array.from({ length: 30 }, (_, i) => rec(`m${i}`, `电话${13900000000 + i * 7919}`));
    for (const [maxSamples, summaryN] of [[25, 25], [5, 5]]) {
      const { report } = await runSteps(many, [{ definition: residualScan, options: { maxSamples } }]);
      const st = report.stages[0];
      expect((st.summary as ResidualSummary).findings).toBe(30);
      expect((st.summary as ResidualSummary).samples.map((s) => s.record)).toEqual(many.slice(0, summaryN).map((r) => r.id));
      expect((st.samples.residual as { record: string }[]).map((s) => s.record)).toEqual(many.slice(0, 20).map((r) => r.id));
    }
  });

  it('failOnResidual fails the run at flush with SCRUB_RESIDUAL_PII and no raw value', async () => {
    const logs: string[] = [];
    const { error } = await runSteps(records, [{ definition: residualScan, options: { failOnResidual: true } }], logs);
    expect(error?.code).toBe('SCRUB_RESIDUAL_PII');
    expect(error?.stage).toBe('residual-scan');
    expect(error?.message).toBe('residual scan found 2 item(s) that still look identifying in 1 record(s): mobile 1, resident-id 1');
    expect(error?.hint).toBe('e.g. r2#0 ＊＊＊＊：⟦mobile ###########⟧; r2#1 ＊＊＊＊＊⟦resident-id ##################⟧ — tighten the pii rules or add an allow rule (rules/report/residual-allow.txt)');
    const all = error!.format() + JSON.stringify(error!.toJSON()) + logs.join('\n');
    expect(all).not.toContain('13987654321');
    expect(all).not.toContain('110101199003078515');
  });

  it('failOnResidual passes a clean run', async () => {
    const clean = [records[0], records[2]];
    const { error, output } = await runSteps(clean, [{ definition: residualScan, options: { failOnResidual: true } }]);
    expect(error).toBeUndefined();
    expect(output).toHaveLength(2);
  });

  it('placed after a stage that drops records, scans only what goes out', async () => {
    const dropR2 = defineStage<Record<string, never>>({
      name: 'drop-r2',
      description: 'test',
      optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
      create: () => ({ apply: (batch, ctx) => batch.filter((r) => (r.id === 'r2' ? (ctx.drop(r, 'test'), false) : true)) }),
    });
    const { report, error } = await runSteps(records, [{ definition: dropR2 }, { definition: residualScan, options: { failOnResidual: true } }]);
    expect(error).toBeUndefined();
    expect((report.stages[1].summary as ResidualSummary).findings).toBe(0);
  });

  it('rejects a missing explicit allow file and a bad allow rule', async () => {
    const r1 = await runSteps(records, [{ definition: residualScan, options: { allowFile: 'report/nope.txt' } }]);
    expect(r1.error?.code).toBe('SCRUB_CONFIG_INVALID');
    const r2 = await runSteps(records, [{ definition: residualScan, options: { allow: ['digits (('] } }]);
    expect(r2.error?.code).toBe('SCRUB_CONFIG_INVALID');
  });
});

describe('letters typed for digits (session 6)', () => {
  it('a mobile typed with l/O for 1/0 left in the output is found, offsets on the original text', () => {
    for (const t of ['手机l39O23llO65，记一下', '号码是 l8l O6l6 l282']) {
      const found = scanResidual(t).filter((c) => !c.allowed);
      expect(found.map((c) => c.shape), t).toContain('mobile');
      const m = found.find((c) => c.shape === 'mobile')!;
      expect(/^[0-9lIOo -]+$/.test(t.slice(m.start, m.end)), t).toBe(true);
    }
  });
  it('words and short codes stay as they are', () => {
    for (const t of ['Hello Oslo lol', 'O2O 合作', 'lOl 123', 'model lO0l']) expect(scanResidual(t).filter((c) => !c.allowed), t).toEqual([]);
  });
});
