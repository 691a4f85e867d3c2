import { describe, expect, it } from 'vitest';
import { maskLetters, safeId } from '../src/index.js';

describe('safeId digit runs', () => {
  it('masks a phone number grouped by any dash, dot or punctuation, full-width or invisible', () => {
    const ids = [
      '138－1234－5678', // full-width hyphen-minus, what a Chinese IME types
      '１３８－１２３４－５６７８',
      '138‐1234‐5678', // U+2010
      '138–1234–5678', // en dash
      '138—1234—5678', // em dash
      '138·1234·5678',
      '138，1234，5678',
      '138、1234、5678',
      '138~1234~5678',
      '138:1234:5678',
      '138\u200b1234\u200b5678', // zero-width space
    ];
    for (const id of ids) {
      const shown = safeId(id);
      expect(shown, id).not.toMatch(/[0-9０-９]/);
      expect([...shown].length, id).toBe([...id].length);
    }
  });

  it('masks a phone number written in Chinese numerals, plain or financial', () => {
    expect(safeId('一三八一二三四五六七八')).toBe('###########');
    expect(safeId('壹叁捌壹贰叁肆伍陆柒捌')).toBe('###########');
    expect(safeId('幺叁捌-壹贰叁肆-伍陆柒捌')).toBe('###-####-####');
  });

  it('keeps ordinary ids as they are', () => {
    for (const id of ['conv-17', 'r2', '00001-zh-person_id.18', 'sess_12345', 'a:1:2', 'v1.2.3']) expect(safeId(id)).toBe(id);
  });
});

describe('maskLetters placeholders', () => {
  it('keeps hash placeholders but not a bracketed tag with a number after the colon', () => {
    expect(maskLetters('[EMAIL:3fa9c0de] [PHONE_1]')).toBe('[EMAIL:3fa9c0de] [PHONE_1]');
    expect(maskLetters('[TEL:13812345678]')).toBe('[xxx:###########]');
    expect(maskLetters('[QQ:1234567890]')).not.toMatch(/[0-9]/);
  });
});

describe('safeId ideographs', () => {
  it('masks ideographs in an id (a name from a mis-mapped column), keeps machine-made ids', () => {
    expect(safeId('张伟')).toBe('＊＊');
    expect(safeId('张伟-vip')).toBe('＊＊-vip');
    expect(safeId('客服小王_0001')).toBe('＊＊＊＊_0001');
    for (const id of ['conv-17', 'stc3-12', '00001-zh-person_id.18', 'a1b2c3d4e5f6']) expect(safeId(id)).toBe(id);
  });
});

describe('safeMessage digit runs', () => {
  it('masks a phone or ID written in groups inside a foreign error message', async () => {
    const { safeMessage } = await import('../src/index.js');
    const m = safeMessage('Unexpected token at call 138-1234-5678 or １３８ １２３４ ５６７８ then 11010519491231002X');
    expect(m).not.toMatch(/138|1234|5678|１３８|１１０|110105/);
    expect(m).toContain('###-####-####');
  });
});

describe('masking gaps an audit found (session 15)', () => {
  it('safeMessage drops everything between the first and the last double quote (quoted input holding quotes)', async () => {
    const { safeMessage } = await import('../src/index.js');
    let parse = '';
    try {
      JSON.parse('x"王建国 北京市朝阳区建国路88号"');
    } catch (e) {
      parse = (e as Error).message;
    }
    expect(parse).toContain('王建国');
    const m = safeMessage(parse);
    expect(m).not.toMatch(/王建国|朝阳|建国路/);
    expect(m).toContain('Unexpected token');
    // quoted punctuation in a parser's message stays (second review)
    expect(safeMessage("Expected ',' or '}' after property value in JSON at position 9")).toBe("Expected ',' or '}' after property value in JSON at position 9");
  });

  it('maskLetters masks letters written as symbols (circled, parenthesised, squared, regional indicators)', () => {
    const masked = maskLetters('我叫ⓦⓐⓝⓖ ⒥⒤⒜ 🅩🅗🅐🅝🅖 🄻🄸 🇱🇮 ⓁⒾ');
    expect(masked).not.toMatch(/[\u249C-\u24E9]|[\u{1F130}-\u{1F189}]|[\u{1F1E6}-\u{1F1FF}]/u);
    expect(masked.startsWith('＊＊')).toBe(true);
    // other symbols stay
    expect(maskLetters('好评👍 ★★★')).toBe('＊＊👍 ★★★');
  });

  it('safeFile shows a plain file name as it is and masks one that looks identifying', async () => {
    const { safeFile } = await import('../src/index.js');
    expect(safeFile('exports/chat.tsv')).toBe('exports/chat.tsv');
    const m = safeFile('王建国 15923456781 liuyang.test88@example.com.csv');
    expect(m).not.toMatch(/王建国|15923456781|liuyang|example/);
    expect(safeFile('客服记录.csv')).not.toContain('客服');
    // paths, dates, batch numbers, long paths and domain-like names stay readable (second review)
    for (const plain of ['exports/2024-03-05/chat-000123.jsonl', 'chat-20240305.jsonl', 'orders.com.csv', 's3://bucket/key.jsonl', 'chat export.tsv', '/data/scrubline/inputs/customer-service/2024/batch-01/shard-0003.jsonl']) expect(safeFile(plain)).toBe(plain);
  });
});

describe('safeId: a WeChat internal id (session 16)', () => {
  it('masks what follows wxid_, wherever it sits in the id; other ids with underscores stay', () => {
    expect(safeId('wxid_ab12cd34')).toBe('wxid_xx##xx##');
    expect(safeId('chat-wxid_zhangwei-3')).toBe('chat-wxid_xxxxxxxx-3');
    expect(safeId('session_0001')).toBe('session_0001');
    expect(safeId('conv-0001-split.phone.two')).toBe('conv-0001-split.phone.two');
  });
});
