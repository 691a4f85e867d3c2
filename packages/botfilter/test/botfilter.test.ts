import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ConversationRecord, Turn } from '@scrubline/core';
import { makeCtx, makeRecord } from '../../../fixtures/shaping/context.js';
import {
  FrequencyCounter,
  botFilterPlugin,
  botFilterStage,
  classifyTurn,
  createBotFilter,
  loadRules,
  maskForReport,
  mergeBotFilterSummaries,
  parseRules,
  type BotFilterOptions,
  type BotFilterSummary,
} from '@scrubline/botfilter';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
const where = { rulesDir, baseDir: root };

const rec = makeRecord;

function opts(over: Partial<BotFilterOptions> = {}, freq: Partial<BotFilterOptions['frequency']> = {}): BotFilterOptions {
  return {
    rules: [],
    disable: [],
    action: 'tag',
    relabel: false,
    dropEmpty: true,
    top: 20,
    ...over,
    frequency: { enabled: true, roles: ['agent'], minSessions: 3, minShare: 0, minTurns: 0, minChars: 4, capacity: 1000, ...freq },
  };
}

const OPENER = '有什么问题我可以帮您处理或解决呢?';
const CLOSER = '感谢您的支持，祝您生活愉快，再见!';

/** Synthetic corpus: n sessions, each with the opener, a unique answer, sometimes the closer. */
function corpus(n: number): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (let i = 0; i < n; i++) {
    const turns: [Turn['role'], string][] = [
      ['customer', i % 7 === 0 ? '用户发起转人工' : `咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x] 第${i}个问题`],
      ['agent', OPENER],
      ['customer', `我的快递${i}号还没到`],
      ['agent', `您的包裹编号${i}正在派送中，预计明天到`],
    ];
    if (i % 2 === 0) turns.push(['agent', CLOSER]);
    out.push(rec(`c${i}`, turns));
  }
  return out;
}

async function runStage(options: BotFilterOptions, records: ConversationRecord[], halves = 1) {
  const stage = await createBotFilter(options, where);
  const fit = stage.fit!;
  if (halves === 1) {
    fit.observe(records);
    fit.load([JSON.parse(JSON.stringify(fit.state()))]);
  } else {
    const mid = Math.floor(records.length / 2);
    const a = await createBotFilter(options, where);
    const b = await createBotFilter(options, where);
    a.fit!.observe(records.slice(0, mid));
    b.fit!.observe(records.slice(mid));
    fit.load([JSON.parse(JSON.stringify(a.fit!.state())), JSON.parse(JSON.stringify(b.fit!.state()))]);
  }
  const { ctx, dropped } = makeCtx();
  const out = stage.apply(structuredClone(records), ctx) as ConversationRecord[];
  return { out, dropped, summary: stage.summary!() as BotFilterSummary, ctx };
}

describe('rules', () => {
  const rules = loadRules(where);

  it('loads the shipped rule files with unique ids', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['event-transfer', 'card-order-inquiry', 'transfer-command', 'auto-reply', 'welcome']));
  });

  it('classifies system events, cards, commands, greetings and auto replies', () => {
    const c = (role: Turn['role'], text: string) => classifyTurn({ role, text }, { rules });
    expect(c('customer', '用户发起转人工')).toMatchObject({ canned: 'event-transfer', whole: true });
    expect(c('customer', '咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x]')).toMatchObject({ canned: 'card-order-inquiry', whole: true });
    const card = c('customer', '咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x] 你好 我要退货');
    expect(card).toMatchObject({ canned: 'card-order-inquiry', whole: false });
    expect(card.spans).toEqual([[0, '咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x]'.length]]);
    expect(c('customer', '[订单编号:[订单x]，订单金额:[金额x]，下单时间:[日期x] [时间x]]')).toMatchObject({ canned: 'card-order-bracket', whole: true });
    expect(c('customer', '我要转人工 我要转人工')).toMatchObject({ canned: 'transfer-command', whole: true });
    expect(c('customer', '我要转人工 你好 快递丢了')).toMatchObject({ canned: 'transfer-command', whole: false });
    expect(c('agent', '【自动回复】您好，客服暂时不在')).toMatchObject({ canned: 'auto-reply', whole: true });
    expect(c('agent', '您好，欢迎光临！这款有货的')).toMatchObject({ canned: 'welcome', whole: false });
    expect(c('bot', 'anything')).toMatchObject({ canned: 'role:bot', whole: true });
    // not canned: ordinary customer text and roles a rule does not cover
    expect(c('customer', '我的快递还没到，帮我查一下')).toMatchObject({ canned: null });
    expect(c('agent', '用户发起转人工了吗')).toMatchObject({ canned: null });
    expect(c('customer', '【自动回复】')).toMatchObject({ canned: null });
  });

  it('finds the spans String.matchAll finds, past empty matches and astral characters, on every call', () => {
    // a hand-made rule (rule files refuse patterns that match the empty string): empty matches before
    // each y, one inside a surrogate pair's reach, and real spans around them
    const rule = { id: 'odd', roles: ['customer' as const], scope: 'span' as const, as: 'bot' as const, regex: /x?(?=y)|ab|😀+/gu, file: 'test' };
    // an empty match just before an astral character: the next try starts after the whole pair
    const astral = { ...rule, id: 'astral', regex: /(?=😀)|\udE00y|😀y/gu };
    const cases: [typeof rule, string][] = [
      ...['ab y 😀😀 xy ab', '😀y😀yab', 'yyy', 'no match here', 'ab'].map((t): [typeof rule, string] => [rule, t]),
      ...['😀y😀', 'a😀y b😀😀y', '😀'].map((t): [typeof rule, string] => [astral, t]),
    ];
    for (const [rule, text] of cases) {
      const expected = [...text.matchAll(new RegExp(rule.regex.source, rule.regex.flags))].filter((m) => m[0].length > 0).map((m) => [m.index!, m.index! + m[0].length]);
      for (let k = 0; k < 2; k++) {
        const v = classifyTurn({ role: 'customer', text }, { rules: [rule] });
        expect(v.canned ? (v.whole ? 'whole' : v.spans) : []).toEqual(expected.length === 0 ? [] : v.whole ? 'whole' : expected);
        expect(rule.regex.lastIndex).toBe(0);
      }
    }
    expect(classifyTurn({ role: 'customer', text: 'ab y 😀😀 xy ab' }, { rules: [rule] }).spans).toEqual([
      [0, 2],
      [5, 9],
      [10, 11],
      [13, 15],
    ]);
  });

  it('rejects bad rule files with a coded error', () => {
    expect(() => parseRules('rules:\n  - id: x\n', 'f.yaml')).toThrow(/exactly one of/);
    expect(() => parseRules('rules:\n  - id: x\n    pattern: "a*"\n', 'f.yaml')).toThrow(/empty string/);
    expect(() => parseRules('rules:\n  - id: x\n    text: a\n    roles: [robot]\n', 'f.yaml')).toThrow(/roles/);
    expect(() => parseRules('nope: 1', 'f.yaml')).toThrow(/rules:/);
    expect(() => loadRules({ ...where, disable: ['no-such-rule'] })).toThrow(/unknown bot rule/);
  });

  it('gives a YAML error its code, file and line, and reads values as YAML 1.2 core (a date stays text)', () => {
    let err: unknown;
    try {
      parseRules('rules:\n  - id: x\n   text: [a\n', 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SCRUB_CONFIG_INVALID', file: 'bad.yaml' });
    expect((err as Error).message).toMatch(/not valid YAML: .*\(\d+:\d+\)/);
    expect(() => parseRules('rules:\n  - id: n\n    text: 0x10\n', 'f.yaml')).toThrow(expect.objectContaining({ code: 'SCRUB_CONFIG_INVALID', field: 'rules[0].text' }));
    expect(() => parseRules('rules:\n  - id: n\n    text:\n', 'f.yaml')).toThrow(/text is empty/);
    const [rule] = parseRules('rules:\n  - id: d\n    text: 2023-10-01\n', 'f.yaml');
    expect(rule.regex.test('2023-10-01')).toBe(true);
  });
});

describe('frequency counter', () => {
  it('asks for a display text only when an utterance gets a slot, and keeps the first one', () => {
    const c = new FrequencyCounter(10);
    const asked: string[] = [];
    const text = (t: string) => () => (asked.push(t), `<${t}>`);
    c.addSession(new Map([['k1', [1, text('first')]]]));
    c.addSession(new Map([['k1', [2, text('second')]], ['k2', [1, text('other')]]]));
    expect(asked).toEqual(['first', 'other']);
    expect(c.toState().entries.map((e) => [e[0], e[1], e[3], e[5]])).toEqual([
      ['k1', 2, 3, '<first>'],
      ['k2', 1, 1, '<other>'],
    ]);
  });

  it('is exact below capacity and merges shards like one pass', () => {
    const sessions = corpus(40).map((r) => r.turns.filter((t) => t.role === 'agent').map((t) => t.text));
    const add = (c: FrequencyCounter, texts: string[]) => {
      const m = new Map<string, [number, string]>();
      for (const t of texts) {
        const e = m.get(t);
        if (e) e[0]++;
        else m.set(t, [1, t]);
      }
      c.addSession(m);
    };
    const one = new FrequencyCounter(1000);
    sessions.forEach((s) => add(one, s));
    const a = new FrequencyCounter(1000);
    const b = new FrequencyCounter(1000);
    sessions.slice(0, 17).forEach((s) => add(a, s));
    sessions.slice(17).forEach((s) => add(b, s));
    const merged = FrequencyCounter.merge([a.toState(), b.toState()], 1000);
    expect(merged.toState()).toEqual(FrequencyCounter.merge([one.toState()], 1000).toState());
    expect(one.get(OPENER)).toMatchObject({ sessions: 40, sessionsErr: 0, turns: 40 });
    expect(one.get(CLOSER)).toMatchObject({ sessions: 20, turns: 20 });
  });

  it('stays bounded and keeps true heavy hitters with honest error bounds', () => {
    const cap = 50;
    const c = new FrequencyCounter(cap);
    const truth = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const m = new Map<string, [number, string]>();
      const keys = [`heavy-${i % 5}`, `unique-${i}`, `mid-${i % 400}`];
      for (const k of keys) {
        m.set(k, [1, k]);
        truth.set(k, (truth.get(k) ?? 0) + 1);
      }
      c.addSession(m);
      expect(c.size).toBeLessThan(2 * cap);
    }
    c.prune();
    expect(c.size).toBeLessThanOrEqual(cap);
    for (let h = 0; h < 5; h++) {
      const s = c.get(`heavy-${h}`)!;
      expect(s).toBeDefined();
      expect(s.sessions).toBeGreaterThanOrEqual(1000);
      expect(s.sessions - s.sessionsErr).toBeLessThanOrEqual(1000);
    }
    for (const [k, s] of c.entries()) {
      const t = truth.get(k)!;
      expect(s.sessions).toBeGreaterThanOrEqual(t);
      expect(s.sessions - s.sessionsErr).toBeLessThanOrEqual(t);
    }
    expect(c.floorSessions).toBeGreaterThan(0);
  });
});

describe('bot-filter stage', () => {
  it('tags rule and frequent canned turns, and drops conversations without customer content', async () => {
    const records = corpus(30);
    records.push(rec('only-bot', [['customer', '用户发起转人工'], ['agent', OPENER]]));
    const { out, dropped, summary } = await runStage(opts(), records);
    expect(dropped).toEqual([{ id: 'only-bot', reason: 'no-customer-content', detail: { cannedTurns: 2, turns: 2 } }]);
    expect(out).toHaveLength(30);
    const c0 = out.find((r) => r.id === 'c0')!;
    expect(c0.turns.map((t) => t.labels?.canned ?? null)).toEqual(['event-transfer', 'frequent', null, null, 'frequent']);
    const c1 = out.find((r) => r.id === 'c1')!;
    expect(c1.turns[0].labels).toEqual({ canned: 'card-order-inquiry', cannedSpans: [[0, '咨询订单号:[订单x] 订单金额:[金额x] 下单时间:[日期x]'.length]] });
    expect(summary.frequency!.frequent).toBe(2);
    expect(summary.frequency!.top.map((t) => [t.text, t.sessions, t.turns])).toEqual([
      [OPENER, 31, 31],
      [CLOSER, 15, 15],
    ]);
    expect(summary.frequency!.exact).toBe(true);
    // 31 + 15 frequent agent turns out of 31 + 30 + 15 agent turns ≥ 4 chars
    expect(summary.frequency!.frequentTurnShare).toBeCloseTo(46 / 76, 4);
  });

  it('drop-turn removes canned turns and strips canned spans', async () => {
    const { out } = await runStage(opts({ action: 'drop-turn' }), corpus(10));
    const c1 = out.find((r) => r.id === 'c1')!;
    expect(c1.turns.map((t) => [t.role, t.text])).toEqual([
      ['customer', '第1个问题'],
      ['customer', '我的快递1号还没到'],
      ['agent', '您的包裹编号1正在派送中，预计明天到'],
    ]);
    expect(c1.turns[0].labels).toEqual({ cannedStripped: 'card-order-inquiry' });
  });

  it('respects thresholds: minSessions, minShare and minChars', async () => {
    let r = await runStage(opts({}, { minSessions: 16 }), corpus(30));
    expect(r.summary.frequency!.top.map((t) => t.sessions)).toEqual([30]);
    r = await runStage(opts({}, { minSessions: 1, minShare: 0.6 }), corpus(30));
    expect(r.summary.frequency!.frequent).toBe(1);
    r = await runStage(opts({}, { minChars: 40 }), corpus(30));
    expect(r.summary.frequency!.frequent).toBe(0);
  });

  it('fit on two halves gives the same result as one pass', async () => {
    const records = corpus(50);
    const one = await runStage(opts(), records, 1);
    const two = await runStage(opts(), records, 2);
    expect(two.out).toEqual(one.out);
    expect(two.dropped).toEqual(one.dropped);
    expect(two.summary).toEqual(one.summary);
  });

  it('relabel sets the role of whole-canned rule turns', async () => {
    const { out } = await runStage(opts({ relabel: true }, { enabled: true }), corpus(8));
    expect(out.find((r) => r.id === 'c0')!.turns[0]).toMatchObject({ role: 'system', labels: { canned: 'event-transfer' } });
  });

  it('without frequency it is not a global stage', async () => {
    const stage = await createBotFilter(opts({}, { enabled: false }), where);
    expect(stage.fit).toBeUndefined();
  });

  it('masks digit runs, e-mails and handles in reported messages', () => {
    expect(maskForReport('热线 400-123-4567 或 a.b@example.com 联系 @小王')).toBe('热线 ########## 或 <email> 联系 @<handle>');
    expect(maskForReport('编号１２３４５')).toBe('编号#####');
    // session 15 (an audit): account names, a full-width ＠, a spoken e-mail and a link without a scheme
    expect(maskForReport('有问题加我微信 wxid_k8m2p9q4 或 zhangsan_1988')).toBe('有问题加我微信 <id> 或 <id>');
    expect(maskForReport('邮箱 liuyang.test88＠example.com')).toBe('邮箱 <email>');
    expect(maskForReport('发到 liuyang.test88 at example dot com 就行')).toBe('发到 <email> 就行');
    expect(maskForReport('店铺 shop.example.com/u/hanmeimei 看看')).toBe('店铺 <url> 看看');
    expect(maskForReport('您好，请问有什么可以帮您')).toBe('您好，请问有什么可以帮您');
    // product codes, units and a shop's site stay readable (second review)
    expect(maskForReport('iPhone15 和 RTX4090 显卡，Win10，上 JD.com 看看')).toBe('iPhone15 和 RTX4090 显卡，Win10，上 JD.com 看看');
    expect(maskForReport('加 lily2020 就行')).toBe('加 <id> 就行');
    expect(maskForReport('1234 短')).toBe('1234 短');
    // separators and numerals the local rule does not know: core's digit-run rule masks them
    for (const v of ['138－1234－5678', '138·1234·5678', '138—1234—5678', '一三八一二三四五六七八']) {
      const m = maskForReport(`请拨 ${v} 联系`);
      expect(m).not.toContain(v);
      expect(m).toMatch(/#{3}/);
    }
  });

  it('reports frequent messages masked', async () => {
    const recs = Array.from({ length: 5 }, (_, i) => rec(`m${i}`, [['customer', '问一下'], ['agent', '请拨打热线13812345678或发邮件到help@shop.example.com']]));
    const { summary } = await runStage(opts(), recs);
    expect(summary.frequency!.top[0].text).toBe('请拨打热线###########或发邮件到<email>');
    expect(JSON.stringify(summary)).not.toMatch(/13812345678|help@/);
  });

  it('masks URLs in reported messages', () => {
    expect(maskForReport('查看https://shop.example.com/order?id=88AB了解详情，或 www.example.cn/u/zhang')).toBe('查看<url>了解详情，或 <url>');
  });

  it('lists a canned message only when it was seen in at least topMinSessions conversations', async () => {
    // minSessions 1 makes every agent turn "frequent" (tagging), but a message seen in one
    // conversation may carry a name (a customer's, an agent's) and must not reach the report
    const NAMED = '张伟先生您好，您的退款已经处理完成';
    const recs = Array.from({ length: 6 }, (_, i) => rec(`n${i}`, [['customer', '问一下'], ['agent', OPENER]]));
    recs.push(rec('n6', [['customer', '退款呢'], ['agent', NAMED]]));
    recs.push(rec('n7', [['customer', '在吗'], ['agent', '客服小王为您服务'], ['customer', '好'], ['agent', '客服小王为您服务']]));
    const { summary, out } = await runStage(opts({}, { minSessions: 1 }), recs);
    expect(out.find((r) => r.id === 'n6')!.turns[1].labels?.canned).toBe('frequent');
    expect(summary.frequency!.frequent).toBe(3);
    expect(summary.frequency!.top.map((t) => [t.text, t.sessions])).toEqual([[OPENER, 6]]);
    expect(JSON.stringify(summary)).not.toMatch(/张伟|小王/);
    // the threshold is an option (at least 2); 6 conversations pass a threshold of 6, not 7
    expect((await runStage(opts({ topMinSessions: 6 }, { minSessions: 1 }), recs)).summary.frequency!.top).toHaveLength(1);
    expect((await runStage(opts({ topMinSessions: 7 }, { minSessions: 1 }), recs)).summary.frequency!.top).toHaveLength(0);
  });

  it('exports a plugin with the stage and an options schema with defaults', () => {
    expect(botFilterPlugin.stages).toEqual([botFilterStage]);
    expect(botFilterStage.name).toBe('bot-filter');
  });
});

describe('FrequencyCounter.concat (states of consecutive slices, run --threads)', () => {
  const session = (texts: string[]) => {
    const m = new Map<string, [number, string]>();
    for (const t of texts) {
      const e = m.get(t);
      if (e) e[0]++;
      else m.set(t, [1, `${t} (first seen)`]);
    }
    return m;
  };
  const sessions = Array.from({ length: 30 }, (_, i) => [`hello`, `s${i % 4}`, ...(i % 3 ? ['bye', 'bye'] : [])]);

  it('is the state one counter makes when nothing was pruned', () => {
    const one = new FrequencyCounter(100);
    sessions.forEach((s) => one.addSession(session(s)));
    const parts = [sessions.slice(0, 7), sessions.slice(7, 8), sessions.slice(8)].map((part) => {
      const c = new FrequencyCounter(100);
      part.forEach((s) => c.addSession(session(s)));
      return c.toState();
    });
    expect(FrequencyCounter.concat(parts, 100)).toEqual(one.toState());
  });

  it('says null when a slice pruned, or when one counter would have', () => {
    const many = Array.from({ length: 40 }, (_, i) => [`u${i}`]);
    const pruned = new FrequencyCounter(5);
    many.forEach((s) => pruned.addSession(session(s)));
    expect(pruned.toState().floorSessions).toBeGreaterThan(0);
    const small = new FrequencyCounter(5);
    small.addSession(session(['a']));
    expect(FrequencyCounter.concat([small.toState(), pruned.toState()], 5)).toBeNull();
    // each slice within capacity, together over it: one counter would have pruned
    const a = new FrequencyCounter(5);
    const b = new FrequencyCounter(5);
    ['a', 'b', 'c', 'd'].forEach((t) => a.addSession(session([t])));
    ['e', 'f', 'g'].forEach((t) => b.addSession(session([t])));
    expect(a.toState().floorSessions + b.toState().floorSessions).toBe(0);
    expect(FrequencyCounter.concat([a.toState(), b.toState()], 5)).toBeNull();
  });
});

describe('mergeBotFilterSummaries (the last phase of run --threads on slices)', () => {
  it('instances loaded with the same table, each over consecutive records, add up to one instance over all of them', async () => {
    const records = corpus(40);
    const options = opts();
    // one instance over everything
    const stage = await createBotFilter(options, where);
    stage.fit!.observe(records);
    const state = JSON.parse(JSON.stringify(stage.fit!.state()));
    stage.fit!.load([state]);
    stage.apply(structuredClone(records), makeCtx().ctx);
    const whole = stage.summary!() as BotFilterSummary;
    // three instances over consecutive parts, loaded with the same state
    const parts: BotFilterSummary[] = [];
    for (const [from, to] of [[0, 7], [7, 8], [8, 40]]) {
      const s = await createBotFilter(options, where);
      s.fit!.load([structuredClone(state)]);
      s.apply(structuredClone(records.slice(from, to)), makeCtx().ctx);
      parts.push(s.summary!() as BotFilterSummary);
    }
    const merged = mergeBotFilterSummaries(parts);
    expect(JSON.stringify(merged)).toBe(JSON.stringify(whole)); // key order included: the report's bytes
    expect(whole.turns.canned).toBeGreaterThan(0);
    expect(whole.conversations.droppedNoCustomerContent).toBe(0);
  });
});
