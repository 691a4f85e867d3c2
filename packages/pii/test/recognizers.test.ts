import { describe, expect, it } from 'vitest';
import { detect, getRuleEngine, gb11643CheckChar, luhnCheckDigit, usccCheckChar, hkidCheckChar, normalize } from '../src/index.js';

const id18 = (first17: string) => first17 + gb11643CheckChar(first17);
const card = (body: string) => body + luhnCheckDigit(body);
const PID = id18('11010519900307123');
const CARD16 = card('622202123456789');
const CARD19 = card('622848001234567890');
const USCC = '91350100M000100Y4' + usccCheckChar('91350100M000100Y4');

/** The spans found, as [type, matched original text]. */
function found(text: string): [string, string][] {
  return detect(text).map((s) => [s.type, text.slice(s.start, s.end)]);
}

function expectOnly(text: string, type: string, value: string) {
  expect(found(text)).toEqual([[type, value]]);
}

describe('each entity type', () => {
  const cases: [string, string, string][] = [
    // [text, type, value]
    [`身份证号${PID}谢谢`, 'PERSON_ID', PID],
    [`我的身份证是${PID.slice(0, 17)}x`, 'PERSON_ID', PID.slice(0, 17) + 'x'],
    ['身份证号 110105491231002', 'PERSON_ID', '110105491231002'],
    [`港澳台居住证${id18('81000019900307123')}`, 'PERSON_ID', id18('81000019900307123')],
    [`居住证 ${id18('83000019851231456')}`, 'PERSON_ID', id18('83000019851231456')],
    ['手机13812345678', 'PHONE', '13812345678'],
    ['电话+86 138-1234-5678。', 'PHONE', '+86 138-1234-5678'],
    ['打0086 13812345678', 'PHONE', '0086 13812345678'],
    ['投诉关联的电话为:020.84123456', 'PHONE', '020.84123456'], // area code and number split by a dot
    ['宽带账号059912345678,光改断网一星期', 'ACCOUNT_ID', '059912345678'], // a subscriber account after its cue
    ['会员号：VIP20231234 积分', 'ACCOUNT_ID', 'VIP20231234'],
    ['我的QQ账号是123456789', 'QQ', '123456789'], // QQ keeps its own type
    ['打86-138 1234 5678吧', 'PHONE', '86-138 1234 5678'],
    ['(+86)13812345678', 'PHONE', '(+86)13812345678'],
    ['座机010-88886666', 'PHONE', '010-88886666'],
    ['电话(0755)12345678转123', 'PHONE', '(0755)12345678转123'],
    ['电话（0755）2345678', 'PHONE', '（0755）2345678'],
    ['固话+86 10 8888 6666', 'PHONE', '+86 10 8888 6666'],
    ['call me at (415) 555-2671 please', 'PHONE', '(415) 555-2671'],
    ['call 1-415-555-2671', 'PHONE', '1-415-555-2671'],
    ['my mobile is +44 7700 900123', 'PHONE', '+44 7700 900123'],
    [`卡号${CARD16}`, 'BANK_CARD', CARD16],
    [`卡号 ${CARD19.replace(/(\d{4})(?=\d)/g, '$1 ')}`, 'BANK_CARD', CARD19.replace(/(\d{4})(?=\d)/g, '$1 ')],
    ['card 4111 1111 1111 1111', 'BANK_CARD', '4111 1111 1111 1111'],
    ['邮箱ZHANG.San@EXAMPLE.COM谢谢', 'EMAIL', 'ZHANG.San@EXAMPLE.COM'],
    ['发到12345678@qq.com就行', 'EMAIL', '12345678@qq.com'],
    ['登录IP 192.168.1.10，', 'IP', '192.168.1.10'],
    ['IPv6地址：2001:db8::8a2e:370:7334，谢谢', 'IP', '2001:db8::8a2e:370:7334'],
    ['地址fe80::1', 'IP', 'fe80::1'],
    ['看这里https://example.com/a?b=1中文后面', 'URL', 'https://example.com/a?b=1'],
    ['链接www.example.com/x。', 'URL', 'www.example.com/x'],
    ['see http://foo.example.org/p).', 'URL', 'http://foo.example.org/p'],
    [`统一社会信用代码${USCC}`, 'USCC', USCC],
    ['护照号E12345678', 'PASSPORT', 'E12345678'],
    ['passport: EA1234567', 'PASSPORT', 'EA1234567'],
    ['回乡证H1234567800', 'PERMIT', 'H1234567800'],
    ['港澳通行证 C12345678', 'PERMIT', 'C12345678'],
    [`HKID A123456(${hkidCheckChar('A123456')})`, 'PERMIT', `A123456(${hkidCheckChar('A123456')})`],
    ['车牌京A12345', 'PLATE', '京A12345'],
    ['粤B·D12345停在楼下', 'PLATE', '粤B·D12345'],
    ['沪A 12345D', 'PLATE', '沪A 12345D'],
    ['微信号：abc_12345', 'WECHAT', 'abc_12345'],
    ['wxid_a1b2c3d4e5', 'WECHAT', 'wxid_a1b2c3d4e5'],
    ['QQ：12345678', 'QQ', '12345678'],
    ['我的QQ，号码是 87654321', 'QQ', '87654321'],
    ['邮编100080', 'POSTCODE', '100080'],
    ['zip code 94105', 'POSTCODE', '94105'],
    ['生日1990年3月7日', 'DOB', '1990年3月7日'],
    ['出生日期：1990-03-07', 'DOB', '1990-03-07'],
    ['date of birth is March 7, 1990', 'DOB', 'March 7, 1990'],
    ['订单号：201812345678901', 'ORDER_ID', '201812345678901'],
    ['order number: ORD123456789', 'ORDER_ID', 'ORD123456789'],
    ['拼多多订单181201-123456789012345', 'ORDER_ID', '181201-123456789012345'],
    ['快递单号SF1234567890123', 'TRACKING_NO', 'SF1234567890123'],
    ['运单号 73123456789012', 'TRACKING_NO', '73123456789012'],
    ['挂号信 RR473124829GB', 'TRACKING_NO', 'RR473124829GB'],
    ['@张三 你好', 'HANDLE', '@张三'],
    ['thanks @john_doe!', 'HANDLE', '@john_doe'],
    ['解决一下吧.@王小二 快点', 'HANDLE', '@王小二'], // an ASCII full stop before the @ (Weibo style) is no e-mail local part
    ['SSN 536-22-1234', 'SSN', '536-22-1234'],
  ];
  for (const [text, type, value] of cases) {
    it(`${type}: ${text.replace(/[0-9]/g, '#')}`, () => expectOnly(text, type, value));
  }
});

describe('evasions', () => {
  it('full-width digits and letters, ideographic spaces', () => {
    expectOnly('手机１３８１２３４５６７８', 'PHONE', '１３８１２３４５６７８');
    expectOnly('手机１３８\u3000１２３４\u3000５６７８', 'PHONE', '１３８\u3000１２３４\u3000５６７８');
    expectOnly('ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'EMAIL', 'ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ');
  });
  it('circled digits and keycap emoji digits', () => {
    expectOnly('电话①③⑧①②③④⑤⑥⑦⑧', 'PHONE', '①③⑧①②③④⑤⑥⑦⑧');
    const keycaps = '1️⃣3️⃣8️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣';
    expectOnly(`电话${keycaps}😀`, 'PHONE', keycaps);
  });
  it('Chinese numerals, 幺 and 两, mixtures', () => {
    expectOnly('打一三八一二三四五六七八', 'PHONE', '一三八一二三四五六七八');
    expectOnly('幺三八幺两三四五六七八', 'PHONE', '幺三八幺两三四五六七八');
    expectOnly('一3八1二3四5六7八', 'PHONE', '一3八1二3四5六7八');
  });
  it('a lone Chinese numeral next to a number is a word, not a digit', () => {
    expectOnly('投诉电话13008780031一天24小时', 'PHONE', '13008780031');
    expectOnly('第一13812345678', 'PHONE', '13812345678');
  });
  it('digits split by spaces, dots and dashes', () => {
    expectOnly('电话1 3 8 1 2 3 4 5 6 7 8', 'PHONE', '1 3 8 1 2 3 4 5 6 7 8');
    expectOnly('电话138.1234.5678', 'PHONE', '138.1234.5678');
    expectOnly('电话138-1234-5678', 'PHONE', '138-1234-5678');
  });
  it('WeChat evasions: vx, v信, 加V, +V, 绿泡泡, 威信, 微❤', () => {
    for (const cue of ['vx', 'VX', 'v信', '加V', '+V ', '绿泡泡', '威信', '薇信', '微❤', 'wechat: ']) {
      expect(found(`加我${cue}abc_12345`)).toEqual([['WECHAT', 'abc_12345']]);
    }
  });
  it('QQ evasions: 扣扣, 企鹅号, Q号, 加q', () => {
    for (const cue of ['扣扣', '企鹅号', 'Q号', '加q', 'qq号：', 'Q：']) {
      expect(found(`${cue}123456789`)).toEqual([['QQ', '123456789']]);
    }
  });
  it('grouped IDs and cards, spoken numbers split by commas', () => {
    const g = `${PID.slice(0, 3)} ${PID.slice(3, 6)} ${PID.slice(6, 10)} ${PID.slice(10, 14)} ${PID.slice(14)}`;
    expectOnly(`身份证 ${g} 麻烦登记`, 'PERSON_ID', g);
    expectOnly(`卡号${CARD19.slice(0, 6)} ${CARD19.slice(6)}`, 'BANK_CARD', `${CARD19.slice(0, 6)} ${CARD19.slice(6)}`);
    expectOnly('号码是幺三八，一二三四，五六七八，记一下', 'PHONE', '幺三八，一二三四，五六七八');
    expectOnly('号码是138，1234，5678', 'PHONE', '138，1234，5678');
  });
  it('more cues: bare v, 微x, 球球, 扣:, 单号 (order) vs carrier 单号 (tracking)', () => {
    expectOnly('私聊我，v Abcd_1234，备注来意', 'WECHAT', 'Abcd_1234');
    expectOnly('微x Abcdefg123', 'WECHAT', 'Abcdefg123');
    expectOnly('球球：87654321', 'QQ', '87654321');
    expectOnly('扣：87654321', 'QQ', '87654321');
    expectOnly('QQ 95631076', 'QQ', '95631076'); // a cue beats the 95xxx service-number shape
    expectOnly('这单：123456789012还没发货', 'ORDER_ID', '123456789012');
    expectOnly('申通的单号：77012345678901', 'TRACKING_NO', '77012345678901');
  });
  it('e-mail glued to Chinese, upper-case domain', () => {
    expectOnly('联系我zhang3@Gmail.COM谢谢', 'EMAIL', 'zhang3@Gmail.COM');
  });
  it('URL ends where Chinese starts, also after full-width punctuation', () => {
    expectOnly('点https://a.example.com/x?y=1，然后', 'URL', 'https://a.example.com/x?y=1');
    expectOnly('点https://a.example.com/x。', 'URL', 'https://a.example.com/x');
    expectOnly('沾亲带故.http://t.cn/AbCdEf 看看', 'URL', 'http://t.cn/AbCdEf');
  });
});

describe('hard negatives', () => {
  const negatives = [
    '价格199元，满300减50',
    '买了3件，共128.50元',
    '12:30发货，2023-10-01到货',
    '时间是2024年5月6日下午3点',
    '型号X200，规格180x200cm',
    'SKU 100012345678 库存充足',
    '客服热线400-800-8888',
    '请拨打4008123456',
    '工行客服95588，移动10086，电信10000',
    '版本1.2.3.4已发布',
    'App version 10.2.3.4 released',
    'v1.2.3.4',
    '@中国联通客服 @京东客服 @小米手机 @招商银行信用卡',
    '[订单x] [姓名x] [电话x] [地址x] [数字x]',
    '订单编号:[订单x]，金额[金额x]',
    'iPhone 15 Pro Max 256GB',
    '尺码42码，身高175cm，体重65kg',
    '第1234567期',
    '退款4423元',
    'std::vector<int> a; Foo::Bar',
  ];
  for (const t of negatives) {
    it(t, () => expect(found(t)).toEqual([]));
  }
  it('placeholders and service numbers are reported as kept', () => {
    const e = getRuleEngine();
    const a = e.analyze('[订单x]已发货，客服400-800-8888，[PHONE_1]，@中国联通客服');
    expect(a.spans).toEqual([]);
    expect(a.kept.map((k) => k.kind).sort()).toEqual(['ALLOWED_HANDLE', 'PLACEHOLDER', 'PLACEHOLDER', 'SERVICE_NUMBER']);
  });
});

describe('scores, checksums and conflicts', () => {
  it('a failed checksum lowers the score but context can still carry it', () => {
    const bad = PID.slice(0, 17) + (PID[17] === '0' ? '1' : '0');
    expect(found(`编号${bad}`)).toEqual([]);
    const withCtx = detect(`身份证号${bad}`);
    expect(withCtx.map((s) => s.type)).toEqual(['PERSON_ID']);
    expect(withCtx[0].score).toBeLessThan(detect(`身份证号${PID}`)[0].score);
  });
  it('a failed Luhn needs context', () => {
    const bad = CARD16.slice(0, 15) + String((Number(CARD16[15]) + 1) % 10);
    expect(found(`号码${bad}`)).toEqual([]);
    expect(found(`银行卡${bad}`)).toEqual([['BANK_CARD', bad]]);
  });
  it('the longest validated span wins; overlaps merge (no partial redaction)', () => {
    // the QQ number inside the e-mail is not redacted on its own
    expect(found('QQ邮箱12345678@qq.com')).toEqual([['EMAIL', '12345678@qq.com']]);
    // a phone-like run inside a URL is covered by the URL
    expect(found('https://example.com/u/13812345678')).toEqual([['URL', 'https://example.com/u/13812345678']]);
    // a mobile inside a longer ID is not cut out of it
    const spans = detect(`身份证${PID}`);
    expect(spans).toHaveLength(1);
    expect(spans[0].end - spans[0].start).toBe(18);
  });
  it('every span leaves no identifier digit next to it', () => {
    const text = `手机+86 138-1234-5678，卡 ${CARD19.replace(/(\d{4})(?=\d)/g, '$1 ')}，身份证${PID}`;
    let rest = text;
    for (const s of detect(text).sort((a, b) => b.start - a.start)) rest = rest.slice(0, s.start) + rest.slice(s.end);
    expect(rest.replace(/[^0-9]/g, '')).toBe('');
  });
});

describe('offsets are UTF-16 code units of the original text', () => {
  it('with emoji, astral characters and ZWJ sequences before the value', () => {
    for (const prefix of ['😀', '𠮷𠮷', '👨‍👩‍👧', '🇨🇳亲，', '❤️', '#️⃣']) {
      const text = `${prefix}手机13812345678${prefix}`;
      const [s] = detect(text);
      expect(text.slice(s.start, s.end)).toBe('13812345678');
      expect(s.start).toBe(prefix.length + 2);
    }
  });
  it('with length-changing normalisation (㍿, ligatures) before the value', () => {
    const text = '㍿ﬁ手机１３８１２３４５６７８😀';
    const [s] = detect(text);
    expect(text.slice(s.start, s.end)).toBe('１３８１２３４５６７８');
    expect(normalize(text).text.startsWith('株式会社fi')).toBe(true);
  });
  it('e-mail after an astral character', () => {
    const text = '𠮷a.b@example.com';
    const [s] = detect(text);
    expect([s.start, s.end]).toEqual([2, text.length]);
  });
});
