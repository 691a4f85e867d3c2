import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectors, StageReport, type ConversationRecord, type StageContext, type StageEnv } from '@scrubline/core';
import {
  createNerDetector,
  detectEntities,
  NER_DEFAULT_ANONYMISE,
  nerDetectorDefinition,
  nerPlugin,
  nerStage,
  resolveOverlaps,
  scoreSpans,
  loadLexicons,
  type GoldItem,
} from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixDir = join(root, 'fixtures/ner');
const readJsonl = (f: string): GoldItem[] =>
  readFileSync(join(fixDir, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const fixtures = readdirSync(fixDir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap(readJsonl);

const env: StageEnv = { stageId: 'ner', seed: 's', shard: { index: 0, count: 1 }, baseDir: root, rulesDir: join(root, 'rules'), log: { info: () => {}, warn: () => {} } };
const spansOf = (text: string, type?: string) => detectEntities(text).filter((s) => !type || s.type === type).map((s) => text.slice(s.start, s.end));

describe('fixtures (synthetic chat turns, fixtures/ner)', () => {
  const scored = fixtures.map((it) => ({ id: it.id, gold: it.spans, pred: detectEntities(it.text) }));
  const rep = scoreSpans(scored);

  it('has a few hundred turns with gold spans of each type', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(300);
    for (const t of ['PERSON', 'ADDRESS', 'ORG']) expect(rep.types[t].gold).toBeGreaterThan(5);
  });
  it('PERSON: recall ≥ 95 %, precision ≥ 85 %', () => {
    expect(rep.types.PERSON.recall).toBeGreaterThanOrEqual(0.95);
    expect(rep.types.PERSON.precision).toBeGreaterThanOrEqual(0.85);
  });
  it('ADDRESS: ≥ 90 % of gold address characters covered', () => {
    expect(rep.types.ADDRESS.charCoverage).toBeGreaterThanOrEqual(0.9);
  });
  it('hard negatives stay (almost) clean: at most 2 % of negative turns get any span', () => {
    const neg = fixtures.filter((f) => f.id.startsWith('negatives-'));
    const hit = neg.filter((f) => detectEntities(f.text).length > 0);
    expect(hit.length / neg.length).toBeLessThanOrEqual(0.02);
  });
});

describe('PERSON (Chinese)', () => {
  it('finds names after cues and before titles; offsets are UTF-16 of the original', () => {
    const text = '😀我叫张伟，收件人：欧阳娜娜';
    const spans = detectEntities(text).filter((s) => s.type === 'PERSON');
    expect(spans.map((s) => [s.start, s.end])).toEqual([
      [4, 6],
      [11, 15],
    ]);
    expect(spans[0].rule).toBe('ner.person.cue-before');
  });
  it('surname + title is PERSON on the surname; the title stays', () => {
    expect(spansOf('李先生您好，王女士稍等', 'PERSON')).toEqual(['李', '王']);
    expect(spansOf('尊敬的谢晓光先生', 'PERSON')).toEqual(['谢晓光']);
  });
  it('agent nicknames and common words that start with a surname are not names', () => {
    for (const t of ['客服小美为您服务', '非常高兴为您服务', '好的，马上为您处理', '您看这样方便吗？', '我要白色的那款', '这位女士请稍等', '现在是高峰期'])
      expect(spansOf(t, 'PERSON'), t).toEqual([]);
  });
  it('common-word surnames need a cue or a title', () => {
    expect(spansOf('我叫高峰', 'PERSON')).toEqual(['高峰']);
    expect(spansOf('马总您好', 'PERSON')).toEqual(['马']);
  });
  it('bare out-of-vocabulary names use segmentation evidence', () => {
    expect(spansOf('帮我转给王芳，她负责', 'PERSON')).toEqual(['王芳']);
  });
  it('transliterated foreign names: a run of transliteration characters the segmenter tags as a name', () => {
    expect(spansOf('我们和扎克伯格不一样', 'PERSON')).toEqual(['扎克伯格']);
    expect(spansOf('正如毕加索所说', 'PERSON')).toEqual(['毕加索']);
    expect(spansOf('与贝克汉姆合影', 'PERSON')).toEqual(['贝克汉姆']);
    expect(detectEntities('和克里斯蒂娜一起吃饭')[0]?.rule).toBe('ner.person.translit');
  });
  it('brands, places and laughter made of transliteration characters are not names', () => {
    for (const t of ['我想买阿迪达斯的鞋', '跟普拉达比', '和麦当劳一样', '给肯德基打电话', '哈哈哈哈哈', '和卡布奇诺一起', '我和莫斯科的朋友', '是特斯拉吗', '与意大利队比赛'])
      expect(spansOf(t, 'PERSON'), t).toEqual([]);
  });
  it('a name of 3+ characters found once is found again in the same text', () => {
    const text = '想与兰德里面对面，兰德里匹克';
    const spans = detectEntities(text).filter((s) => s.type === 'PERSON');
    expect(spans.map((s) => [text.slice(s.start, s.end), s.rule])).toEqual([
      ['兰德里', 'ner.person.translit'],
      ['兰德里', 'ner.person.repeat'],
    ]);
  });
  it('阿/老/小 + surname before a verb; 老陈醋 and 小李子 are words', () => {
    expect(spansOf('没几天，阿袁收到回电', 'PERSON')).toEqual(['袁']);
    expect(spansOf('老周说完就走', 'PERSON')).toEqual(['周']);
    for (const t of ['老陈醋很好喝', '小李子', '客服小美为您服务']) expect(spansOf(t, 'PERSON'), t).toEqual([]);
  });
  it('out-of-vocabulary runs: surname + two name characters, surname + 小 + one character', () => {
    expect(spansOf('今天孔嘉岚腹黑了', 'PERSON')).toEqual(['孔嘉岚']);
    expect(spansOf('孔琪嘉，你好', 'PERSON')).toEqual(['孔琪嘉']);
    expect(spansOf('蒋小刀，你好', 'PERSON')).toEqual(['蒋小刀']); // 刀 is not in given-chars.txt
    expect(spansOf('祝小编新年快乐', 'PERSON')).toEqual([]);
  });
  it('works without the segmenter (cue and title rules)', () => {
    const det = createNerDetector({ segmenter: false });
    const text = '我叫张伟，李先生';
    expect(det.detect(text).map((s) => text.slice(s.start, s.end))).toEqual(['张伟', '李']);
  });
});

describe('PERSON (English)', () => {
  it('greeting/closing cues, titles and name lists', () => {
    expect(spansOf('Hi Sarah, thanks!', 'PERSON')).toEqual(['Sarah']);
    expect(spansOf('Dear Mr. Thompson, sorry.', 'PERSON')).toEqual(['Thompson']);
    expect(spansOf('Kind regards, William Johnson', 'PERSON')).toEqual(['William Johnson']);
    expect(spansOf('Will this work? Mark the order. Dear customer, Best regards, Customer Service Team', 'PERSON')).toEqual([]);
  });
});

describe('ADDRESS', () => {
  it('gazetteer-anchored address grammar, stopping at punctuation', () => {
    const text = '收货地址：广东省深圳市南山区科技园南区高新南七道18号，电话稍后';
    expect(spansOf(text, 'ADDRESS')).toEqual(['广东省深圳市南山区科技园南区高新南七道18号']);
    expect(spansOf('送到杭州西湖区文三路259号3栋2单元501室。', 'ADDRESS')).toEqual(['杭州西湖区文三路259号3栋2单元501室']);
  });
  it('cue-anchored without a gazetteer hit; residence cues take a bare city', () => {
    expect(spansOf('地址：阳光花园小区5栋2单元301', 'ADDRESS')).toEqual(['阳光花园小区5栋2单元301']);
    expect(spansOf('我住在成都，能发顺丰吗', 'ADDRESS')).toEqual(['成都']);
  });
  it('shipping-region questions and lists of provinces are not addresses', () => {
    for (const t of ['能发到新疆吗', '新疆西藏不包邮', '石家庄仓发货的吗', '北京时间晚上八点开抢']) expect(spansOf(t, 'ADDRESS'), t).toEqual([]);
  });
  it('English street addresses', () => {
    expect(spansOf('Please ship it to 1427 Maple Avenue, Springfield, IL 62704.', 'ADDRESS')).toEqual(['1427 Maple Avenue, Springfield, IL 62704']);
  });
});

describe('ORG', () => {
  it('affiliation context; reported but not anonymised by default', () => {
    expect(spansOf('我在深圳市腾达科技有限公司工作', 'ORG')).toEqual(['深圳市腾达科技有限公司']);
    expect(spansOf('I work at Northwind Traders Inc. and need an invoice', 'ORG')).toEqual(['Northwind Traders Inc.']);
    expect(spansOf('快递卡在快递公司了', 'ORG')).toEqual([]);
    expect(NER_DEFAULT_ANONYMISE).toEqual({ PERSON: true, ADDRESS: true, ORG: false });
  });
});

describe('registry, options and the stage', () => {
  it('registers `ner` in core detectors at import', async () => {
    expect(detectors.names()).toContain('ner');
    const def = detectors.get('ner')!;
    expect(def).toBe(nerDetectorDefinition);
    expect(def.types).toEqual(['PERSON', 'ADDRESS', 'ORG']);
    const det = await def.create({ types: ['ADDRESS'] }, env);
    expect(det.name).toBe('ner');
    expect(det.detect('我叫张伟，地址：杭州市西湖区文三路259号').map((s) => s.type)).toEqual(['ADDRESS']);
    expect(nerPlugin.stages).toContain(nerStage);
  });
  it('is deterministic and keeps spans disjoint', () => {
    for (const it of fixtures.slice(0, 80)) {
      const a = detectEntities(it.text);
      expect(detectEntities(it.text)).toEqual(a);
      for (let i = 1; i < a.length; i++) expect(a[i].start).toBeGreaterThanOrEqual(a[i - 1].end);
    }
    expect(resolveOverlaps([{ type: 'PERSON', start: 2, end: 4, score: 0.9, rule: 'p' }, { type: 'ADDRESS', start: 0, end: 8, score: 0.5, rule: 'a' }])).toEqual([
      { type: 'ADDRESS', start: 0, end: 8, score: 0.5, rule: 'a' },
    ]);
  });
  it('the ner stage tags turn meta, leaves text alone and reports no raw values', async () => {
    const stage = await nerStage.create({ types: ['PERSON', 'ADDRESS', 'ORG'], minScore: 0, places: false, segmenter: true }, env);
    const report = new StageReport();
    const ctx = { stageId: 'ner', seed: 's', shard: env.shard, report, drop: () => {}, quarantine: () => {}, log: env.log } as unknown as StageContext;
    const text = '我叫张伟，地址：杭州市西湖区文三路259号';
    const rec: ConversationRecord = { id: 'r1', turns: [{ role: 'customer', text }, { role: 'agent', text: '好的' }], labels: {}, source: { file: 'x' }, meta: {} };
    const [out] = await stage.apply([rec], ctx);
    expect(out.turns[0].text).toBe(text);
    expect((out.turns[0].meta!.ner as { type: string }[]).map((s) => s.type)).toEqual(['PERSON', 'ADDRESS']);
    expect(out.turns[1].meta).toBeUndefined();
    const json = JSON.stringify({ r: report.toJSON(), s: stage.summary?.() });
    expect(json).not.toContain('张伟');
    expect(json).not.toContain('文三路');
    expect(report.counters['spans.PERSON']).toBe(1);
  });
  it('loads the lexicons (load time: pnpm bench ner, not a timed unit test)', () => {
    const lex = loadLexicons(join(root, 'rules'));
    expect(lex.compoundSurnames.has('欧阳')).toBe(true);
    expect(lex.ambiguousSurnames.has('高')).toBe(true);
    expect(lex.divisions.get('杭州')).toEqual({ level: 'city', short: true });
  });
});

describe('scorer', () => {
  it('overlap and exact matching, F2 and character coverage', () => {
    const rep = scoreSpans([
      { id: 'a', gold: [{ type: 'PERSON', start: 0, end: 2 }, { type: 'ADDRESS', start: 5, end: 15 }], pred: [{ type: 'PERSON', start: 0, end: 3 }, { type: 'ADDRESS', start: 5, end: 10 }, { type: 'PERSON', start: 20, end: 22 }] },
    ]);
    expect(rep.types.PERSON).toMatchObject({ gold: 1, pred: 2, tp: 1, exact: 0, precision: 0.5, recall: 1 });
    expect(rep.types.PERSON.f2).toBeCloseTo((5 * 0.5 * 1) / (4 * 0.5 + 1));
    expect(rep.types.ADDRESS.charCoverage).toBeCloseTo(0.5);
    expect(rep.falseAlarms).toEqual([{ id: 'a', type: 'PERSON', start: 20, end: 22, rule: undefined }]);
  });
});

describe('social-media options', () => {
  it('mentions: CJK @handles become PERSON only when asked for', () => {
    const text = '转发//@小熊馆长：好文';
    expect(createNerDetector().detect(text)).toEqual([]);
    const spans = createNerDetector({ mentions: true }).detect(text);
    expect(spans.map((s) => [text.slice(s.start, s.end), s.rule])).toEqual([['小熊馆长', 'ner.person.mention']]);
    // Handles of 5+ characters are phrases or accounts more often than people.
    expect(createNerDetector({ mentions: true }).detect('转发//@今天也要好好吃饭：好文')).toEqual([]);
  });
  it('places: bare province/city names as low-score ADDRESS only when asked for', () => {
    expect(createNerDetector().detect('杭州有没有实体店')).toEqual([]);
    expect(createNerDetector({ places: true }).detect('杭州有没有实体店')).toEqual([{ type: 'ADDRESS', start: 0, end: 2, score: 0.4, rule: 'ner.address.place' }]);
  });
});
