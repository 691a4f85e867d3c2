/**
 * One pass over a text that decides which steps can change it and gathers the language counts, so
 * the common turn (plain Chinese and ASCII) costs one loop instead of a regex per step.
 * A flag set means "may change": the step itself still decides. A flag not set means "cannot
 * change", which the tests check against each step for every range below.
 */
export const NEED_NFC = 1;
export const NEED_ZERO_WIDTH = 2;
export const NEED_SPACES = 4;
export const NEED_FULLWIDTH = 8;
export const NEED_EMOTICONS = 16;
export const NEED_WHITESPACE = 32;
export const NEED_CHINESE = 64;
/** URL, e-mail, @handle or bracket code: language counting must filter them out. */
export const HAS_NOISE = 128;

export interface ScanResult {
  flags: number;
  han: number;
  latinWords: number;
  other: number;
}

/** Character table of a script converter: code points that its character dictionary changes. */
export interface TriggerTable {
  bmp: Uint8Array;
  astral: ReadonlySet<number>;
}

/**
 * Ranges (inclusive) of BMP characters above U+02FF that NFC leaves alone in any context: no
 * decomposition that NFC would apply, not a combining mark, not the second half of a composition.
 * Verified against the runtime's ICU in the tests.
 */
export const NFC_INERT_RANGES: readonly [number, number][] = [
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2190, 0x2328],
  [0x232b, 0x23ff],
  [0x2460, 0x27bf],
  [0x3000, 0x3029],
  [0x3030, 0x3098],
  [0x30a0, 0x30ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff01, 0xffef],
];

// Per-BMP-character class for the slow path (anything but ASCII and U+4E00–U+9FFF).
const K_NONE = 0;
const K_LATIN = 1;
const K_HAN = 2;
const K_OTHER = 3;
// Built on first use (≈ 20 ms, one pass over the BMP): commands that load this package and normalise
// nothing (scrub, dedup …) do not pay for it.
let TABLES: { kind: Uint8Array; flags: Uint16Array } | null = null;
function tables(): { kind: Uint8Array; flags: Uint16Array } {
  const INERT = new Uint8Array(0x10000);
  for (let c = 0; c < 0x300; c++) INERT[c] = 1;
  for (const [a, b] of NFC_INERT_RANGES) for (let c = a; c <= b; c++) INERT[c] = 1;
  const KIND = new Uint8Array(0x10000);
  const FLAGS = new Uint16Array(0x10000);
  for (let c = 0x80; c < 0x10000; c++) {
    if ((c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a)) KIND[c] = K_LATIN;
    else if ((c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) KIND[c] = K_HAN;
    else if (
      (c >= 0x3040 && c <= 0x30ff) ||
      (c >= 0xac00 && c <= 0xd7af) ||
      (c >= 0x1100 && c <= 0x11ff) ||
      (c >= 0x370 && c <= 0x3ff) ||
      (c >= 0x400 && c <= 0x4ff) ||
      (c >= 0x590 && c <= 0x6ff) ||
      (c >= 0x900 && c <= 0x97f) ||
      (c >= 0xe00 && c <= 0xe7f)
    )
      KIND[c] = K_OTHER;
    let f = 0;
    if (!INERT[c]) f |= NEED_NFC;
    if (c === 0xad || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff)
      f |= NEED_ZERO_WIDTH;
    if (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0x2028 || c === 0x2029) f |= NEED_SPACES;
    if (c >= 0xff01 && c <= 0xff5e) f |= NEED_FULLWIDTH;
    // Emoji that the emoji pattern can match in the BMP: Emoji_Presentation (U+231A–U+2B55), VS16
    // after a text-style pictograph, keycaps.
    if ((c >= 0x231a && c <= 0x2b55) || c === 0xfe0f || c === 0x20e3) f |= NEED_EMOTICONS;
    if (c === 0xff3b) f |= NEED_EMOTICONS; // ［ becomes [ after the width step
    if (c === 0xff20) f |= HAS_NOISE; // ＠
    FLAGS[c] = f;
  }
  return (TABLES = { kind: KIND, flags: FLAGS });
}

export function scanText(text: string, trigger: TriggerTable | null): ScanResult {
  const { kind: KIND, flags: FLAGS } = TABLES ?? tables();
  const n = text.length;
  const bmp = trigger ? trigger.bmp : null;
  let flags = 0;
  let han = 0;
  let other = 0;
  let latinWords = 0;
  let run = 0;
  let prevSpace = true; // a leading space is a change for the whitespace step
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      const l = c | 0x20;
      if (l >= 0x61 && l <= 0x7a) {
        run++;
        prevSpace = false;
        continue;
      }
      if (run !== 0) {
        if (run >= 2) latinWords++;
        run = 0;
      }
      if (c === 0x20) {
        if (prevSpace) flags |= NEED_WHITESPACE;
        prevSpace = true;
        continue;
      }
      prevSpace = false;
      if (c < 0x20 || c === 0x7f) flags |= NEED_WHITESPACE;
      else if (c === 0x5b) flags |= NEED_EMOTICONS | HAS_NOISE;
      else if (c === 0x40 || c === 0x3a) flags |= HAS_NOISE;
      else if (c === 0x2e && i >= 3 && text.charCodeAt(i - 1) === 0x77) flags |= HAS_NOISE; // www.
      continue;
    }
    prevSpace = false;
    if (c >= 0x4e00 && c <= 0x9fff) {
      if (run !== 0) {
        if (run >= 2) latinWords++;
        run = 0;
      }
      han++;
      if (bmp !== null && bmp[c] === 1) flags |= NEED_CHINESE;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const cp = text.codePointAt(i)!;
      i++;
      if (run !== 0) {
        if (run >= 2) latinWords++;
        run = 0;
      }
      if (cp >= 0x20000 && cp <= 0x3ffff) {
        han++;
        if (cp >= 0x2f800 && cp <= 0x2fa1f) flags |= NEED_NFC;
        if (trigger !== null && trigger.astral.has(cp)) flags |= NEED_CHINESE;
      } else if (cp >= 0x1f000 && cp <= 0x1faff) {
        flags |= NEED_EMOTICONS;
      } else {
        flags |= NEED_NFC | NEED_EMOTICONS;
      }
      continue;
    }
    flags |= FLAGS[c];
    const k = KIND[c];
    if (k === K_LATIN) {
      run++;
      continue;
    }
    if (run !== 0) {
      if (run >= 2) latinWords++;
      run = 0;
    }
    if (k === K_HAN) {
      han++;
      if (bmp !== null && bmp[c] === 1) flags |= NEED_CHINESE;
    } else if (k === K_OTHER) other++;
  }
  if (run >= 2) latinWords++;
  if (prevSpace && n > 0) flags |= NEED_WHITESPACE;
  return { flags, han, latinWords, other };
}
