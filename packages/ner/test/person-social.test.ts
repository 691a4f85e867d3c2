// Rules added for social-media text (issue 4, Weibo PER.NAM): name-likeness character scores, person context on
// the right, Japanese family names, nicknames. All examples are synthetic sentences written for these tests.
import { describe, expect, it } from 'vitest';
import { createNerDetector, detectEntities, loadLexicons } from '../src/index.js';

const persons = (text: string) =>
  detectEntities(text)
    .filter((s) => s.type === 'PERSON')
    .map((s) => [text.slice(s.start, s.end), s.rule]);
const names = (text: string) => persons(text).map(([w]) => w);

describe('lexicons for the social-media rules', () => {
  const lex = loadLexicons();
  it('loads the given-name character scores derived from the jieba dictionary', () => {
    expect(lex.givenScores.size).toBeGreaterThan(1000);
    // Name characters score high, function characters are not listed or score low.
    expect(lex.givenScores.get('娜')!).toBeGreaterThan(2);
    expect(lex.givenScores.get('这') ?? -9).toBeLessThan(0);
  });
  it('loads right-hand person cues and Japanese family names', () => {
    expect(lex.cuesAfter).toContain('表示');
    expect(lex.cuesAfter[0].length).toBeGreaterThanOrEqual(lex.cuesAfter[lex.cuesAfter.length - 1].length);
    expect(lex.japaneseSurnames.has('木村')).toBe(true);
    expect(lex.japaneseSurnames.has('林')).toBe(false); // one-character names are left to the Chinese rules
  });
});

describe('ner.person.segmenter-nr with name-likeness scores and right-hand context', () => {
  it('a three-character dictionary name whose given characters are name-like by score', () => {
    // 建 and 联 are not both in given-chars.txt; the scores accept them.
    expect(persons('易建联今天得了30分')).toEqual([['易建联', 'ner.person.segmenter-nr']]);
  });
  it('compound words the dictionary tags nr are not names (their halves are words)', () => {
    for (const t of ['请提供银行卡号', '说明书和保修卡', '冷藏陈列柜', '我和莫斯科的朋友']) expect(names(t), t).toEqual([]);
  });
  it('a two-character dictionary name followed by a speech or action word, or by a verb', () => {
    expect(names('刘翔退赛')).toEqual(['刘翔']);
    expect(names('姚明退役后做了很多公益')).toEqual(['姚明']);
  });
  it('two-character nr words with no person context stay out', () => {
    for (const t of ['妹子祝福您幸福快乐', '张贴告示', '今天阳光明媚']) expect(names(t), t).toEqual([]);
  });
});

describe('ner.person.shape with name-likeness scores', () => {
  it('an out-of-vocabulary surname + name-like character (炅 is not in given-chars.txt)', () => {
    expect(persons('何炅主持的节目')).toEqual([['何炅', 'ner.person.shape']]);
  });
  it('a surname that is also a word needs a person context on either side', () => {
    expect(names('马云说公司要上市')).toEqual(['马云']);
    expect(names('您手机是安卓还是苹果')).toEqual([]);
  });
  it('reduplications and numerals are not given names', () => {
    expect(names('马年邮奖周周赢')).toEqual([]);
  });
});

describe('ner.person.ja — Japanese family names', () => {
  it('a listed family name that starts a longer segmenter token', () => {
    expect(persons('木村拓哉来上海了')).toEqual([['木村拓哉', 'ner.person.ja']]);
    expect(names('村上春树的新书')).toEqual(['村上春树']);
  });
  it('a family name as its own token, then a short unknown token', () => {
    expect(names('铃木一朗又打出安打')).toEqual(['铃木一朗']);
  });
  it('places and words made of the same characters are not names', () => {
    for (const t of ['在田中劳作', '山口有一家店', '中村镇的路口']) expect(names(t), t).toEqual([]);
  });
});

describe('ner.person.nickname — 阿X, 小X, doubled names with a person context', () => {
  it('finds nicknames after 和/跟 or before 哥/姐 and speech words', () => {
    expect(persons('我和小明去逛街了')).toEqual([['小明', 'ner.person.nickname']]);
    expect(names('晚上跟丽丽一起吃饭')).toEqual(['丽丽']);
    expect(names('阿明哥的摄影作品真不错')).toEqual(['阿明']);
  });
  it('kinship words, agent nicknames and laughter are not nicknames', () => {
    for (const t of ['买来给宝宝吃', '阿姨这里有糖', '和小孩一起玩', '跟小编说', '哈哈哈哈', '客服小美为您服务']) expect(names(t), t).toEqual([]);
  });
});

describe('more context rules (synthetic examples)', () => {
  it('a surname that is also a word, in an unknown run followed by a verb', () => {
    expect(persons('黄磊做的菜真好吃')).toEqual([['黄磊', 'ner.person.shape']]);
  });
  it('老 + a surname that is also a word, read as one token and followed by a verb; 老马识途 is an idiom', () => {
    expect(persons('老黄请客')).toEqual([['黄', 'ner.person.prefix']]);
    expect(names('老马识途')).toEqual([]);
  });
  it('a given name before 哥/姐 (晓东哥, 丽娟姐), not 小X妹 or kinship words', () => {
    expect(persons('晓东哥今天请客')).toEqual([['晓东', 'ner.person.nickname']]);
    expect(names('丽娟姐生日快乐')).toEqual(['丽娟']);
    for (const t of ['亲，小萌妹在的哦', '大哥哥你好']) expect(names(t), t).toEqual([]);
  });
  it('a foreign name the segmenter reads as a place, before a speech or action word', () => {
    expect(persons('奥巴马访华')).toEqual([['奥巴马', 'ner.person.translit']]);
    for (const t of ['意大利表示', '莫斯科表示', '马来西亚宣布', '去巴黎旅游']) expect(names(t), t).toEqual([]);
  });
});

describe('fullSegmentation: the segmenter\'s own name tokens, filtered', () => {
  const det = createNerDetector({ fullSegmentation: true });
  const full = (text: string) => det.detect(text).filter((s) => s.type === 'PERSON').map((s) => text.slice(s.start, s.end));
  it('accepts a name token that starts with no surname', () => {
    expect(full('我很喜欢阿凡提的故事')).toEqual(['阿凡提']);
  });
  it('rejects compounds the dictionary tags nr (a prefix or suffix is a word of its own)', () => {
    for (const t of ['没有安全感的人', '周末吃小龙虾', '喜欢胡萝卜', '小燕子很可爱']) expect(full(t), t).toEqual([]);
  });
});

describe('names the segmenter tags as other proper nouns, nicknames after relation words', () => {
  it('a surname + name-like given name tagged nz', () => {
    expect(persons('昨天跟邱淑贞吃饭')).toEqual([['邱淑贞', 'ner.person.segmenter-nr']]);
  });
  it('a nickname right after a relation word of cues-before.txt (同事, 女儿)', () => {
    expect(persons('我同事小明今天请假')).toEqual([['小明', 'ner.person.nickname']]);
    expect(names('我女儿丽丽三岁了')).toEqual(['丽丽']);
  });
});

describe('surnames added for issue 4 and doubled given names', () => {
  it('a surname that was missing (古) and one that starts words (雷) before a speech word', () => {
    expect(names('古天乐做慈善')).toEqual(['古天乐']);
    expect(persons('雷军说')).toEqual([['雷军', 'ner.person.shape']]);
    for (const t of ['美女帅哥都有', '付款成功', '尚未发货', '古代的房子', '荣誉证书', '茅台酒', '此单经查询没有']) expect(names(t), t).toEqual([]);
  });
  it('a doubled given character split off by the segmenter is joined (刘诗/x 诗/n)', () => {
    expect(names('吴奇隆和刘诗诗')).toEqual(['吴奇隆', '刘诗诗']);
  });
});
