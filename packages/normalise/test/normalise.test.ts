import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Ledger, ScrubError, runPipeline, type ConversationRecord } from '@scrubline/core';
import {
  createNormaliser,
  detectLanguage,
  diffSample,
  emptyCounts,
  loadChineseConverter,
  normalisePlugin,
  normaliseStage,
  normaliseText,
  parseEmoticonLexicon,
  type NormaliseOptions,
} from '@scrubline/normalise';
import { makeCtx, makeRecord as rec } from '../../../fixtures/shaping/context.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const rulesDir = join(root, 'rules');
const env = { rulesDir, baseDir: root };
const fixture = (): ConversationRecord[] =>
  readFileSync(join(root, 'fixtures/normalise/stc3-excerpts.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));


async function runStage(options: Partial<NormaliseOptions>, records: ConversationRecord[]) {
  const stage = await normaliseStage.create({ ...options } as NormaliseOptions, {
    stageId: 'normalise',
    seed: 's',
    shard: { index: 0, count: 1 },
    baseDir: root,
    rulesDir,
    log: { info() {}, warn() {} },
  });
  // Options come through ajv in the runner; the stage validates and fills defaults itself too.
  const { ctx, dropped } = makeCtx('normalise');
  const out = await stage.apply(structuredClone(records), ctx);
  return { out, dropped, report: ctx.report.toJSON(), summary: stage.summary?.() };
}

const t = (text: string, o: Partial<NormaliseOptions> = {}) => normaliseText(text, o, env);

describe('traditional → simplified', () => {
  it('converts real traditional strings with phrase-level OpenCC', async () => {
    expect(await t('發怒')).toBe('发怒');
    expect(await t('可以！謝謝！親！')).toBe('可以！谢谢！亲！');
    expect(await t('儘快')).toBe('尽快');
    expect(await t('無端端 開不了機！')).toBe('无端端 开不了机！');
    // one-to-many characters that a character table gets wrong
    expect(await t('頭髮乾淨')).toBe('头发干净');
    expect(await t('乾隆')).toBe('乾隆');
    expect(await t('一隻麵包')).toBe('一只面包');
  });

  it('maps Taiwan vocabulary only with chineseVariant twp', async () => {
    expect(await t('軟體')).toBe('软体');
    expect(await t('軟體', { chineseVariant: 'twp' })).toBe('软件');
    expect(await t('已與伺服器斷開連接', { chineseVariant: 'twp' })).toBe('已与服务器断开连接');
  });

  it('converts simplified → traditional on request', async () => {
    expect(await t('软件 头发', { chinese: 's2t' })).toBe('軟件 頭髮');
    expect(await t('软件', { chinese: 's2t', chineseVariant: 'twp' })).toBe('軟體');
  });

  it('leaves text alone with chinese: off', async () => {
    expect(await t('謝謝', { chinese: 'off' })).toBe('謝謝');
  });

  it('fast path: already-simplified text never reaches the converter', async () => {
    const cc = await loadChineseConverter('t2s', 't');
    // OpenCC's phrase table damages this simplified sentence (一坏 → 一坯) …
    expect(cc.convert('墙打坏了')).toBe('墙打坯了');
    expect(cc.needsConversion('墙打坏了')).toBe(false);
    // … so the normaliser must skip it.
    const n = await createNormaliser({}, env);
    const counts = emptyCounts();
    expect(n.text('竟然把我一楼商铺的墙打坏了.', counts)).toBe('竟然把我一楼商铺的墙打坏了.');
    expect(counts.chineseFastPath).toBe(1);
    expect(counts.chineseConverted).toBe(0);
  });

  it('per conversation: only turns holding traditional characters are converted', async () => {
    const n = await createNormaliser({}, env);
    const counts = emptyCounts();
    const r = n.conversation(rec('c', [['customer', '謝謝'], ['agent', '墙打坏了']]), counts);
    expect(r.record.turns.map((x) => x.text)).toEqual(['谢谢', '墙打坏了']);
    expect(counts.chineseConverted).toBe(1);
    expect(counts.turns.chinese).toBe(1);
    n.conversation(rec('d', [['customer', '谢谢']]), counts);
    expect(counts.chineseFastPath).toBe(1);
  });

  it('loads only the dictionaries the direction needs', async () => {
    const cc = await loadChineseConverter('t2s', 't');
    expect(cc.dictionaries).toEqual(['CJK_Compatibility_Ideographs', 'TSPhrases', 'TSCharacters']);
    expect(cc.dictionaries.some((d) => d.startsWith('ST'))).toBe(false);
  });
});

describe('width and spaces', () => {
  it('full-width ASCII → half-width, Chinese punctuation kept by default', async () => {
    expect(await t('联通ＶＩＰ会员１２３＠ｑｑ．ｃｏｍ，好！')).toBe('联通VIP会员123@qq.com，好！');
    expect(await t('好，吗？（是）', { fullwidthPunctuation: true })).toBe('好,吗?(是)');
    expect(await t('ＶＩＰ', { fullwidth: false })).toBe('ＶＩＰ');
  });

  it('ideographic and no-break spaces → space, runs collapsed', async () => {
    expect(await t('其实联通我觉得挺好的\u00a0\u00a0资费不贵')).toBe('其实联通我觉得挺好的 资费不贵');
    expect(await t('你好\u3000\u3000谢谢')).toBe('你好 谢谢');
    expect(await t('你好\u3000谢谢', { spaces: false })).toBe('你好\u3000谢谢');
    expect(await t('a\u00a0\u00a0b', { collapseWhitespace: false })).toBe('a  b');
  });

  it('collapses whitespace runs and blank lines, trims', async () => {
    expect(await t('  a  \t b\r\n\r\n\n c  ')).toBe('a b\nc');
    expect(await t('  a  b ', { collapseWhitespace: false })).toBe('  a  b ');
  });

  it('removes zero-width characters but keeps ZWJ inside emoji', async () => {
    expect(await t('\u200b去营业厅\u200d买新\ufeff卡')).toBe('去营业厅买新卡');
    const family = '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}';
    expect(await t(`家${family}`)).toBe(`家${family}`);
    expect(await t('a\u200bb', { zeroWidth: false })).toBe('a\u200bb');
  });

  it('applies NFC', async () => {
    expect(await t('Cafe\u0301')).toBe('Café');
    expect(await t('\uf900', { chinese: 'off' })).toBe('\u8c48');
    expect(await t('Cafe\u0301', { nfc: false })).toBe('Cafe\u0301');
  });
});

describe('emoticons and emoji', () => {
  const placeholders = '[订单x][姓名x][电话x][地址x][数字x][PHONE_1][EMAIL_2]';

  it('keeps Weibo emoticons and emoji by default', async () => {
    expect(await t('敬请等待[呵呵]😤')).toBe('敬请等待[呵呵]😤');
  });

  it('maps emoticons to short text', async () => {
    expect(await t('敬请等待[呵呵]；[抱抱]', { emoticons: 'map' })).toBe('敬请等待[表情:呵呵]；[表情:抱抱]');
    // traditional code: converted to simplified first, then mapped
    expect(await t('[發怒][發怒]', { emoticons: 'map' })).toBe('[表情:发怒][表情:发怒]');
    expect(await t('[發怒]', { emoticons: 'map', chinese: 'off' })).toBe('[表情:發怒]');
    expect(await t('[呵呵]', { emoticons: 'map', emoticonFormat: '<{name}>' })).toBe('<呵呵>');
  });

  it('removes emoticons', async () => {
    expect(await t('我去 营业厅地址能说一个吗？ [挖鼻屎]', { emoticons: 'remove' })).toBe('我去 营业厅地址能说一个吗？');
  });

  it('never touches data placeholders or unknown bracket words', async () => {
    for (const mode of ['keep', 'map', 'remove'] as const) {
      expect(await t(`${placeholders}[投诉][商品快照]`, { emoticons: mode, emoji: mode })).toBe(`${placeholders}[投诉][商品快照]`);
    }
  });

  it('takes the emoji format and custom lexicons (./ paths resolve against the pipeline folder)', async () => {
    expect(await t('好😤', { emoji: 'map', emojiFormat: '<{name}>' })).toBe('好<生气>');
    const dir = mkdtempSync(join(tmpdir(), 'normalise-lex-'));
    writeFileSync(join(dir, 'qq.txt'), '# QQ-style codes\n捂脸\n');
    writeFileSync(join(dir, 'emoji.tsv'), '😤\t气死\n');
    const n = await createNormaliser({ emoticons: 'map', emoji: 'map', emoticonLexicon: './qq.txt', emojiNames: './emoji.tsv' }, { rulesDir, baseDir: dir });
    expect(n.text('[捂脸][呵呵]😤')).toBe('[表情:捂脸][呵呵][表情:气死]');
  });

  it('refuses placeholder-shaped names in the lexicon', () => {
    const lex = parseEmoticonLexicon('# c\n呵呵\n订单x\nPHONE_1\n 抱抱 \n');
    expect([...lex.names]).toEqual(['呵呵', '抱抱']);
    expect(lex.refused).toEqual(['订单x', 'PHONE_1']);
  });

  it('maps and removes emoji, keeping digits and ©', async () => {
    expect(await t('😤😤无端端', { emoji: 'map' })).toBe('[表情:生气][表情:生气]无端端');
    expect(await t('👍🏻好', { emoji: 'map' })).toBe('[表情:U+1F44D U+1F3FB]好');
    expect(await t('😤 好 🇨🇳 1️⃣ 👨‍👩‍👧', { emoji: 'remove' })).toBe('好');
    expect(await t('© 2024 第1名', { emoji: 'remove' })).toBe('© 2024 第1名');
    expect(await t('❤️', { emoji: 'map' })).toBe('[表情:爱心]');
  });
});

describe('empty turns', () => {
  const conv = () => rec('e', [['customer', '会显示已与服务器断开连接'], ['agent', ''], ['customer', '  \u3000 ']]);

  it('replaces empty utterances with the marker by default', async () => {
    const { out, report } = await runStage({}, [conv()]);
    expect(out[0].turns.map((x) => x.text)).toEqual(['会显示已与服务器断开连接', '[图片]', '[图片]']);
    expect(report.counters['empty.turns']).toBe(2);
    expect(report.counters['empty.marked']).toBe(2);
    expect(report.counters['turns.changed']).toBe(2);
  });

  it('uses a configurable marker, or keeps them', async () => {
    const a = await runStage({ emptyMarker: '<media>' }, [conv()]);
    expect(a.out[0].turns[1].text).toBe('<media>');
    const b = await runStage({ emptyTurns: 'keep' }, [conv()]);
    expect(b.out[0].turns.map((x) => x.text)).toEqual(['会显示已与服务器断开连接', '', '']);
    expect(b.report.counters['empty.kept']).toBe(2);
  });

  it('drops empty turns, and a conversation left with none (with a reason)', async () => {
    const { out, dropped, report } = await runStage({ emptyTurns: 'drop' }, [conv(), rec('all-empty', [['agent', ''], ['customer', ' ']])]);
    expect(out.map((r) => r.id)).toEqual(['e']);
    expect(out[0].turns).toHaveLength(1);
    expect(dropped).toEqual([{ id: 'all-empty', reason: 'empty-conversation', detail: { emptyTurns: 2 } }]);
    expect(report.counters['empty.dropped']).toBe(4);
    expect(report.counters['turns.changed'] ?? 0).toBe(0);
    expect(report.counters['empty.conversationsDropped']).toBe(1);
  });

  it('counts turns emptied by emoticon/emoji removal', async () => {
    const { out, report } = await runStage({ emoticons: 'remove', emoji: 'remove' }, [rec('x', [['agent', '[抱抱][抱抱]'], ['customer', '😤😤😤']])]);
    expect(out[0].turns.map((x) => x.text)).toEqual(['[图片]', '[图片]']);
    expect(report.counters['empty.emptied']).toBe(2);
    expect(report.counters['emoticons.removed']).toBe(2);
    expect(report.counters['emoji.removed']).toBe(3);
  });
});

describe('language routing', () => {
  it('detects zh, en, mixed, und, other', () => {
    expect(detectLanguage('可以！谢谢！亲！')).toBe('zh');
    expect(detectLanguage('HTC Butterfly S 输入法版本号7.12,应用宝下载的,谷歌play也下载过')).toBe('zh');
    expect(detectLanguage('Hi, my order has not arrived yet. Can you check the tracking number please?')).toBe('en');
    expect(detectLanguage('我的order还没到 please check it for me 谢谢')).toBe('mixed');
    expect(detectLanguage(['', '123 456', '😤'])).toBe('und');
    expect(detectLanguage('ありがとうございます')).toBe('other');
  });

  it('ignores URLs, e-mail addresses, @handles and bracket codes', () => {
    expect(detectLanguage('@HuaweiMobileCustomerService 请看 https://example.com/some/long/path help@example.com [PHONE_1] 谢谢你们')).toBe('zh');
  });

  it('records the language on record.meta per conversation', async () => {
    const en = rec('en', [['customer', 'Hello, my parcel is late.'], ['agent', 'Sorry about that, let me check the order for you.']]);
    const mixed = rec('mx', [['customer', '你好 my account is locked'], ['agent', '请提供 your user name 和手机号']]);
    const { out, report } = await runStage({}, [...fixture(), en, mixed]);
    expect(out.map((r) => [r.id, r.meta.lang])).toEqual([
      ['stc3-ex-1', 'zh'],
      ['stc3-ex-2', 'zh'],
      ['stc3-ex-3', 'zh'],
      ['stc3-ex-4', 'zh'],
      ['stc3-ex-5', 'zh'],
      ['en', 'en'],
      ['mx', 'mixed'],
    ]);
    expect(report.counters).toMatchObject({ 'lang.zh': 5, 'lang.en': 1, 'lang.mixed': 1 });
    const off = await runStage({ language: false, langField: 'x' }, [en]);
    expect(off.out[0].meta).toEqual({});
    const field = await runStage({ langField: 'language' }, [en]);
    expect(field.out[0].meta).toEqual({ language: 'en' });
  });
});

describe('the stage on STC-3 excerpts', () => {
  it('normalises the fixture and reports every step', async () => {
    const { out, report, dropped, summary } = await runStage({ emoticons: 'map' }, fixture());
    expect(dropped).toEqual([]);
    const text = (id: string) => out.find((r) => r.id === id)!.turns.map((x) => x.text);
    expect(text('stc3-ex-1')).toEqual(['无端端 开不了机！真的非常生气！', '亲,你可以私信告诉沃妹您的宽带账号,我们会帮您落实解决问题的[表情:抱抱]', '可以！谢谢！亲！']);
    expect(text('stc3-ex-2')).toEqual(['会显示已与伺服器断开连接,请刷新 要怎么解决?', '[图片]']);
    expect(text('stc3-ex-3')[0]).toBe('说好的4月12日会修好的……[表情:发怒][表情:发怒]今天又改时间了……');
    expect(text('stc3-ex-4')).toEqual([
      '你们是真不明白还是装糊涂？竟然把我一楼商铺的墙打坏了.',
      '自从成为联通VIP会员后每次到营业厅办理的业务',
      '其实联通我觉得挺好的 资费不贵 主要是网速超级快',
      '去营业厅买新卡说必须上缴旧卡才能买',
    ]);
    expect(report.counters).toMatchObject({
      conversations: 5,
      turns: 13,
      'chinese.converted': 3,
      'chinese.fastPath': 2,
      'chinese.turns': 4,
      'fullwidth.chars': 3,
      'spaces.chars': 6,
      'zeroWidth.chars': 1,
      'emoticons.found': 6,
      'emoticons.mapped': 6,
      'empty.turns': 1,
      'empty.marked': 1,
    });
    // 無開機氣 + 謝謝親 + 會顯與斷開連請麼決 + 發發
    expect(report.counters['chinese.chars']).toBe(18);
    expect(report.samples).toEqual({});
    expect(summary).toMatchObject({ chinese: { direction: 't2s', variant: 't' }, refusedLexiconEntries: 0 });
  });

  it('is deterministic and idempotent', async () => {
    const a = await runStage({ emoticons: 'map', emoji: 'map', samples: 5 }, fixture());
    const b = await runStage({ emoticons: 'map', emoji: 'map', samples: 5 }, fixture());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const again = await runStage({ emoticons: 'map', emoji: 'map' }, a.out);
    expect(again.out.map((r) => r.turns)).toEqual(a.out.map((r) => r.turns));
    expect(again.report.counters['turns.changed'] ?? 0).toBe(0);
  });

  it('does not change its input records', async () => {
    const n = await createNormaliser({}, env);
    const input = fixture();
    const copy = structuredClone(input);
    for (const r of input) n.conversation(r);
    expect(input).toEqual(copy);
  });

  it('keeps the ledger balanced through the runner', async () => {
    const ledger = new Ledger();
    const input = [...fixture(), rec('all-empty', [['agent', '']])];
    const got: ConversationRecord[] = [];
    await runPipeline({
      steps: [{ id: 'normalise', use: 'normalise', definition: normaliseStage, options: { emptyTurns: 'drop' } }],
      source: async function* () {
        ledger.inputRecords += input.length;
        yield input;
      },
      sink: async (batches) => {
        for await (const b of batches) got.push(...b);
      },
      ledger,
      seed: 's',
      baseDir: root,
      rulesDir,
      log: { info() {}, warn() {} },
      workDir: mkdtempSync(join(tmpdir(), 'normalise-')),
    });
    expect(got).toHaveLength(5);
    expect(ledger.stage('normalise').dropped).toEqual({ 'empty-conversation': 1 });
    expect(ledger.verify()).toEqual([]);
  });
});

describe('samples', () => {
  const secret = rec('13812345678', [
    ['customer', '請回電１３８１２３４５６７８ 或 zhang.san@example.com @张三的微博 謝謝'],
    ['agent', '收到\u3000已记录 订单 2024 0615 8888'],
  ]);

  it('are off by default', async () => {
    const { report } = await runStage({}, [secret]);
    expect(report.samples).toEqual({});
  });

  it('are masked when on: no digit run ≥ 5, e-mail or @handle lands in the report', async () => {
    const { report } = await runStage({ samples: 3 }, [secret]);
    const json = JSON.stringify(report);
    expect(Object.keys(report.samples).sort()).toEqual(['diff.chinese', 'diff.fullwidth', 'diff.spaces']);
    for (const leak of ['13812345678', '１３８', 'zhang.san', 'example.com', '张三', '8888']) expect(json).not.toContain(leak);
    const s = report.samples['diff.chinese'][0] as { before: string; after: string; at: string };
    // the record id (a phone number here) is not in the sample: the source place is
    expect(s.at).toBe('test');
    // 請 … 謝謝 changed (and the full-width digits): the window runs from 請 to 謝謝, every letter and digit masked
    expect(s.before).toBe('⟪＊＊＊########### ＊ ********************* ****** ＊＊⟫');
    expect(s.after).toBe('⟪＊＊＊########### ＊ ********************* ****** ＊＊⟫');
    const space = report.samples['diff.spaces'][0] as { before: string; after: string };
    // context is 12 characters after the change: U+3000 → space shows, the text around it does not
    expect(space).toEqual({ at: 'test', turn: 1, steps: ['spaces'], before: '＊＊⟪\u3000⟫＊＊＊ ＊＊ #### …', after: '＊＊⟪ ⟫＊＊＊ ＊＊ #### …' });
  });

  it('mask every letter: a name or address in a changed turn does not land in the report', async () => {
    // normalise runs before the pii stages: a name next to a converted character was shown as it was
    const named = rec('王小明-会员', [['customer', '我叫王小明，住在朝阳区幸福路，謝謝']]);
    named.source = { file: 'in.jsonl', line: 7 };
    const { report } = await runStage({ samples: 3 }, [named]);
    const json = JSON.stringify(report);
    for (const leak of ['王', '小明', '朝阳', '幸福路', '会员']) expect(json).not.toContain(leak);
    expect(report.samples['diff.chinese'][0]).toEqual({ at: 'in.jsonl:7', turn: 0, steps: ['chinese'], before: '…＊＊，＊＊＊＊＊＊＊＊，⟪＊＊⟫', after: '…＊＊，＊＊＊＊＊＊＊＊，⟪＊＊⟫' });
  });

  it('diffSample masks every letter and digit', () => {
    // placeholders stay; a cut through one (`…_#]` with context 12) masks what is left of it
    expect(diffSample('Ａb１2 张𠀋 [PHONE_1] [订单x] 😀！', 'Ａb１2 张𠀋 [PHONE_1] [订单x] 😀!', 30)).toEqual({ before: 'xx## ＊＊ [PHONE_1] [订单x] 😀⟪！⟫', after: 'xx## ＊＊ [PHONE_1] [订单x] 😀⟪!⟫' });
    expect(diffSample('[PHONE_1] [订单x] 😀！', '[PHONE_1] [订单x] 😀!', 12).before).toBe('…_#] [订单x] 😀⟪！⟫');
    expect(diffSample('王𠀋先生', '王先生')).toEqual({ before: '＊⟪＊⟫＊＊', after: '＊⟪⟫＊＊' });
    const d = diffSample('我的电话是13812345678，謝謝', '我的电话是13812345678，谢谢', 3);
    expect(d).toEqual({ before: '…##，⟪＊＊⟫', after: '…##，⟪＊＊⟫' });
    expect(diffSample('ＡＢＣ 张三', 'ABC 张三')).toEqual({ before: '⟪xxx⟫ ＊＊', after: '⟪xxx⟫ ＊＊' });
  });
});

describe('options and plugin', () => {
  it('rejects unknown options and bad values with a coded error', async () => {
    await expect(createNormaliser({ emoticon: 'map' } as never, env)).rejects.toMatchObject({ code: 'SCRUB_CONFIG_INVALID', hint: "did you mean 'emoticons'?" });
    await expect(createNormaliser({ chinese: 'yes' } as never, env)).rejects.toBeInstanceOf(ScrubError);
    await expect(createNormaliser({ emoticonLexicon: 'normalise/missing.txt' }, env)).rejects.toMatchObject({ code: 'SCRUB_CONFIG_INVALID' });
  });

  it('exports the plugin with the normalise stage', () => {
    expect(normalisePlugin.name).toBe('@scrubline/normalise');
    expect(normalisePlugin.stages).toEqual([normaliseStage]);
    expect(normaliseStage.name).toBe('normalise');
  });
});
