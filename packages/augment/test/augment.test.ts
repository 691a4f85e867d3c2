import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOptions, type ConversationRecord } from '@scrubline/core';
import { splitStage } from '@scrubline/split';
import {
  augmentPlugin,
  augmentStage,
  createAugment,
  decodeDictionary,
  loadResources,
  parseCilin,
  segment,
  SynonymIndex,
  type AugmentOptions,
} from '../src/index.js';
import { corpus, runSteps } from '../../split/test/run.js';

const root = process.cwd();
const fixtures = join(root, 'fixtures/augment');
const env = { seed: 'seed-1', baseDir: root, rulesDir: join(root, 'rules') };

function options(over: Partial<AugmentOptions> = {}): AugmentOptions {
  // frequency filter off unless a test turns it on: the fixture's words are chosen for the rules, not their frequency
  const o: Record<string, unknown> = { dictionaries: ['fixtures/augment/cilin-mini-utf8.txt'], minCandidateFreq: 0, candidateFreqRatio: 0, ...over };
  const problems = checkOptions(augmentStage.optionsSchema, o, 'with');
  if (problems.length) throw new Error(JSON.stringify(problems));
  return o as unknown as AugmentOptions;
}

function rec(id: string, texts: string[], split: string | null = 'train', label = 2): ConversationRecord {
  return {
    id,
    turns: texts.map((text, i) => ({ role: i % 2 ? 'agent' : 'customer', text, ts: `2020-01-01 10:00:0${i}` })),
    labels: { satisfaction: label, votes: { S: [1, 2, 2] } },
    source: { file: 'x.ndjson', line: 1 },
    meta: split === null ? {} : { split },
  };
}

const ctx = () => {
  const counters: Record<string, number> = {};
  return {
    stageId: 'augment',
    seed: 'seed-1',
    shard: { index: 0, count: 1 },
    report: { count: (k: string, n = 1) => (counters[k] = (counters[k] ?? 0) + n), sample() {}, message() {} },
    drop() {
      throw new Error('augment must not drop');
    },
    quarantine() {
      throw new Error('augment must not quarantine');
    },
    log: { info() {}, warn() {} },
    counters,
  } as any;
};

const PLACEHOLDERS = /\[[^\[\]]+\]/g;

describe('dictionaries', () => {
  it('uses only = groups of a Cilin file', () => {
    const { groups, skipped } = parseCilin(readFileSync(join(fixtures, 'cilin-mini-utf8.txt'), 'utf8'));
    expect(groups).toHaveLength(9);
    expect(skipped).toEqual({ related: 1, single: 1, malformed: 0 });
    expect(groups.flat()).not.toContain('速递');
    expect(groups.flat()).not.toContain('包裹');
  });

  it('reads the GBK / CRLF fixture to the same groups as the UTF-8 one', () => {
    const utf8 = parseCilin(decodeDictionary(readFileSync(join(fixtures, 'cilin-mini-utf8.txt')), 'utf-8'));
    const gbk = parseCilin(decodeDictionary(readFileSync(join(fixtures, 'cilin-mini-gbk-crlf.txt')), 'gbk'));
    expect(gbk.groups).toEqual(utf8.groups);
    expect(gbk.groups.flat().join('')).toContain('顾客');
  });

  it('fails with a coded error when a GBK file is read as UTF-8', () => {
    expect(() => decodeDictionary(readFileSync(join(fixtures, 'cilin-mini-gbk-crlf.txt')), 'utf-8', 'cilin.txt')).toThrow(
      expect.objectContaining({ code: 'SCRUB_ENCODING_MISMATCH', file: 'cilin.txt' }),
    );
  });

  it('skips words in several groups, negators and short words; the customer-service list wins', () => {
    const r = loadResources(options(), env);
    const idx = r.index;
    expect(idx.candidates('快速')).toBeUndefined(); // in two Cilin groups
    expect(idx.candidates('迅速')).toEqual(['飞快']); // its group, without the ambiguous word
    expect(idx.candidates('查找')).toBeUndefined(); // only partner is one character
    expect(idx.candidates('疑问')).toEqual(['疑团']); // 不解 starts with a negator
    expect(idx.candidates('不解')).toBeUndefined();
    expect(idx.candidates('商品')).toEqual(['宝贝', '产品']); // customer-service group, not Cilin's 货品
    expect(idx.candidates('快递')).toEqual(['物流', '快件']);
    expect(idx.candidates('顾客')).toEqual(['客户', '消费者']);
    expect(idx.stats.ambiguous).toBeGreaterThanOrEqual(1);
  });

  it('leaves out rare general-dictionary candidates by jieba frequency, never customer-service ones', () => {
    const idx = loadResources(options({ minCandidateFreq: 100, candidateFreqRatio: 0.05 }), env).index;
    expect(idx.candidates('满意')).toBeUndefined(); // 合意 (78) and 称心 (56) are rare
    expect(idx.candidates('需要')).toEqual(['要求', '必要']);
    expect(idx.candidates('迅速')).toBeUndefined(); // 飞快 (317) < 5 % of 迅速 (9,323)
    expect(idx.candidates('快递')).toEqual(['物流', '快件']); // tier 0: no filter
    expect(idx.stats.filteredPairs).toBeGreaterThan(0);
  });

  it('ambiguity is decided within a tier', () => {
    const idx = new SynonymIndex(
      [
        { name: 'a', tier: 1, groups: [['甲甲', '乙乙'], ['甲甲', '丙丙'], ['丁丁', '戊戊']] },
      ],
      () => false,
    );
    expect(idx.candidates('甲甲')).toBeUndefined();
    expect(idx.candidates('乙乙')).toBeUndefined(); // its only partner is ambiguous
    expect(idx.candidates('丁丁')).toEqual(['戊戊']);
  });
});

describe('augment', () => {
  it('exports the plugin', () => {
    expect(augmentPlugin.stages).toContain(augmentStage);
    expect(augmentStage.name).toBe('augment');
  });

  it('finds placeholders as protected pieces', () => {
    const s = segment('我的[订单x]和[PHONE_1]，#E-s[数字x]', new RegExp(options().protectPattern, 'gu'));
    expect(s.filter((p) => p.protected).map((p) => p.text)).toEqual(['[订单x]', '[PHONE_1]', '#E-s', '[数字x]']);
  });

  it('replaces words by synonyms and marks the variants', () => {
    const st = createAugment(options({ variants: 3, replaceRate: 1 }), env);
    const r = rec('r1', ['我的快递到哪了，商品还没收到', '亲，马上帮您查询']);
    const out = st.apply([r], ctx()) as ConversationRecord[];
    expect(out[0]).toBe(r);
    const vs = out.slice(1);
    expect(vs.length).toBeGreaterThanOrEqual(1);
    for (const v of vs) {
      expect(v.id).toMatch(/^r1#aug[1-3]$/);
      expect(v.meta).toMatchObject({ augmented: true, augmentedFrom: 'r1', split: 'train' });
      expect(v.turns[0].text).not.toContain('快递');
      expect(v.turns[0].text).toMatch(/物流|快件/);
      expect(v.turns[0].text).toMatch(/宝贝|产品/);
      expect(v.turns[0].text).toContain('还没收到'); // 还 stop word, 没 negator, 收到… replaced or kept
      expect(v.turns.map((t) => t.role)).toEqual(r.turns.map((t) => t.role));
      expect(v.turns.map((t) => t.ts)).toEqual(r.turns.map((t) => t.ts));
    }
  });

  it('never touches placeholders, negators or the label, even at full rates', () => {
    const st = createAugment(options({ variants: 5, replaceRate: 0.5, maskRate: 0.3, dropRate: 0.5 }), env);
    const texts = [
      '我的订单[订单x]快递不想要了，电话是[电话x]，地址[地址x]',
      '亲，[姓名x]您好，没有问题，不会影响您的退款#E-s[数字x]',
      '但是我不满意，别再发[ORDER_ID_2]了，我要投诉',
    ];
    const r = rec('r2', texts, 'train', 1);
    const out = st.apply([structuredClone(r)], ctx()) as ConversationRecord[];
    expect(out.length).toBeGreaterThan(1);
    const negators = ['不想', '没有', '不会', '但是', '不满意', '别再'];
    for (const v of out.slice(1)) {
      expect(v.labels).toEqual(r.labels);
      v.turns.forEach((t, i) => {
        expect(t.text.match(PLACEHOLDERS)!.filter((m) => m !== '[MASK]')).toEqual(texts[i].match(PLACEHOLDERS));
        for (const n of negators) if (texts[i].includes(n)) expect(t.text, n).toContain(n);
      });
      expect(v.turns[1].text).toContain('#E-s[数字x]');
    }
    // and something did change
    expect(out.slice(1).some((v) => v.turns.some((t, i) => t.text !== texts[i]))).toBe(true);
  });

  it('masks and drops words at the given rates', () => {
    const st = createAugment(options({ variants: 1, replaceRate: 0, maskRate: 1, dropRate: 0, maskToken: '<M>' }), env);
    const out = st.apply([rec('r3', ['快递员今天送货上门'])], ctx()) as ConversationRecord[];
    expect(out[1].turns[0].text).toMatch(/^(<M>)+$/);
    const st2 = createAugment(options({ variants: 1, replaceRate: 0, maskRate: 0, dropRate: 0.5 }), env);
    const long = '顾客询问物流进度希望尽快安排配送并且核对发票抬头和收货信息确认无误以后联系客服处理退款事宜';
    const c = ctx();
    const out2 = st2.apply([rec('r4', [long])], c) as ConversationRecord[];
    const dropped = c.counters['words.dropped'];
    expect(dropped).toBeGreaterThan(2);
    expect(out2[1].turns[0].text.length).toBeLessThan(long.length);
  });

  it('augments only train records; validation and test pass untouched', () => {
    const st = createAugment(options({ variants: 2, replaceRate: 1 }), env);
    const batch = [rec('t', ['快递到了吗'], 'train'), rec('v', ['快递到了吗'], 'validation'), rec('x', ['快递到了吗'], 'test'), rec('n', ['快递到了吗'], null)];
    const before = JSON.stringify(batch.slice(1));
    const c = ctx();
    const out = st.apply(structuredClone(batch), c) as ConversationRecord[];
    expect(JSON.stringify(out.filter((r) => !r.meta.augmented && r.id !== 't'))).toBe(before);
    expect(c.counters['not-train']).toBe(2);
    expect(c.counters['no-split']).toBe(1);
    expect(out.filter((r) => r.meta.augmented).every((r) => r.meta.augmentedFrom === 't' && r.meta.split === 'train')).toBe(true);
    expect(out.filter((r) => r.meta.augmented).length).toBeGreaterThan(0);
  });

  it('after a split, no augmented record reaches validation or test (through the runner)', async () => {
    const steps = [
      { def: splitStage, options: { groupPath: 'meta.customerId' } },
      { def: augmentStage, options: { variants: 2, replaceRate: 0.8, dictionaries: ['fixtures/augment/cilin-mini-utf8.txt'] } },
    ];
    const input = corpus(200);
    const { out, ledgers } = await runSteps(steps, input);
    const aug = out.filter((r) => r.meta.augmented === true);
    expect(aug.length).toBeGreaterThan(0);
    for (const a of aug) expect(a.meta.split).toBe('train');
    const trainIds = new Set(out.filter((r) => r.meta.split === 'train' && !r.meta.augmented).map((r) => r.id));
    for (const a of aug) expect(trainIds.has(a.meta.augmentedFrom as string)).toBe(true);
    expect(ledgers[0].stage('augment').added).toBe(aug.length);
  });

  it('same seed → byte-identical output; another seed differs', async () => {
    const steps = [
      { def: splitStage, options: {} },
      { def: augmentStage, options: { variants: 3, replaceRate: 0.5, maskRate: 0.1, dropRate: 0.1, dictionaries: [{ path: 'fixtures/augment/cilin-mini-gbk-crlf.txt', encoding: 'gbk' }] } },
    ];
    const input = corpus(120);
    const a = await runSteps(steps, input, { seed: 'a' });
    const b = await runSteps(steps, input, { seed: 'a' });
    const c = await runSteps(steps, input, { seed: 'c' });
    expect(JSON.stringify(a.out)).toBe(JSON.stringify(b.out));
    expect(JSON.stringify(a.out)).not.toBe(JSON.stringify(c.out));
    const summary = a.reports[1].summary as any;
    expect(summary.jiebaLoadMs).toBeGreaterThanOrEqual(0);
    expect(summary.totals.variants).toBe(a.out.filter((r) => r.meta.augmented).length);
  });

  it('sharded runs give the same records as one process', async () => {
    const steps = [
      { def: splitStage, options: { groupPath: 'meta.customerId' } },
      { def: augmentStage, options: { variants: 2, replaceRate: 0.6, dropRate: 0.1, dictionaries: ['fixtures/augment/cilin-mini-utf8.txt'] } },
    ];
    const input = corpus(150);
    const one = await runSteps(steps, input);
    const two = await runSteps(steps, input, { shards: 2, shardOf: (_r, i) => i % 2 });
    const key = (rs: ConversationRecord[]) => rs.map((r) => JSON.stringify(r)).sort();
    expect(key(two.out)).toEqual(key(one.out));
    expect(one.out.some((r) => r.meta.augmented)).toBe(true);
  });

  it('does not emit a variant equal to the record', () => {
    const st = createAugment(options({ variants: 3, replaceRate: 1 }), env);
    const c = ctx();
    const out = st.apply([rec('r5', ['嗯嗯好的', '[姓名x]'])], c) as ConversationRecord[];
    expect(out).toHaveLength(1);
    expect(c.counters['variants.unchanged']).toBe(3);
  });

  it('rejects unknown options and bad encodings by schema', () => {
    expect(checkOptions(augmentStage.optionsSchema, { variantz: 2 }, 'with')[0].hint).toContain('variants');
    expect(checkOptions(augmentStage.optionsSchema, { dictionaries: [{ path: 'x', encoding: 'latin1' }] }, 'with').length).toBeGreaterThan(0);
  });
});
