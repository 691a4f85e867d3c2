/** Character classes shared by the recognisers (UTF-16 code units; CJK names are BMP). */

export function isCjkCode(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0xf900 && c <= 0xfaff);
}

export function isCjk(ch: string | undefined): boolean {
  return ch !== undefined && ch.length === 1 && isCjkCode(ch.charCodeAt(0));
}

export function isDigitCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0xff10 && c <= 0xff19);
}

export function isAsciiLetterCode(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
}

export const CN_NUMERALS = new Set([...'零〇一二三四五六七八九十百千两幺']);

/** Characters that cannot be part of a Chinese given name (particles, pronouns, common verbs). */
export const NAME_STOP = new Set([
  ...'的了吗呢吧啊哦嗯呀哈啦么我你您他她它们这那哪是在有和跟与或及但就都也还又再很太能会要想可把被给让对不没请帮谢说到过着从已为将等个吧些问下上件货单号码电话发送收寄快递订退换买卖钱元块价用去来做看找叫姓改写填已吗，。',
]);

/** Demonstratives and measure words that make `X女士` a description rather than a surname (这位女士). */
export const BEFORE_TITLE_NOT_NAME = new Set([...'这那哪每各一两几该此本贵诸位名个']);
