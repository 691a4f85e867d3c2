/**
 * Pure check-digit and validity functions for the identifier formats the rule
 * packs recognise. No I/O, no state: the fixture generator imports them to make
 * valid (and deliberately invalid) values. Inputs are ASCII (normalised text).
 */

// ---------------------------------------------------------------------------
// GB 11643-1999 resident identity number (ISO 7064 MOD 11-2)
// ---------------------------------------------------------------------------

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const GB11643_CHECK = '10X98765432';

/** Check character of an 18-character resident ID from its first 17 digits ('X' stands for 10). */
export function gb11643CheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) throw new RangeError('gb11643CheckChar needs exactly 17 ASCII digits');
  let s = 0;
  for (let i = 0; i < 17; i++) s += (first17.charCodeAt(i) - 48) * GB11643_WEIGHTS[i];
  return GB11643_CHECK[s % 11];
}

/** True when the check character of an 18-character ID is right (x or X accepted). */
export function gb11643Valid(id: string): boolean {
  if (!/^[0-9]{17}[0-9Xx]$/.test(id)) return false;
  return gb11643CheckChar(id.slice(0, 17)) === id[17].toUpperCase();
}

/**
 * First two digits of GB/T 2260 region codes in use, plus 71 (Taiwan in GB/T 2260),
 * 81/82/83 (HK/Macau/Taiwan residence permits) and 91.
 */
const PROVINCE_PREFIXES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
  83, 91,
]);

/** True when the two-digit province prefix exists (11 Beijing … 65 Xinjiang, 71, 81, 82, 83, 91). */
export function isValidProvincePrefix(code2: string): boolean {
  return /^[0-9]{2}$/.test(code2) && PROVINCE_PREFIXES.has(Number(code2));
}

/**
 * Structural check of a 6-digit region code: province prefix, then the city and
 * county digit ranges JioNLP's pattern accepts (01–43, 51–53, 90 / 00–43, 51–57,
 * 61–64, 71–74, 81–87, 90s). The HK/Macau/Taiwan residence-permit prefixes are
 * exactly 810000, 820000 and 830000.
 */
export function isValidRegionCode(code6: string): boolean {
  if (!/^[0-9]{6}$/.test(code6)) return false;
  if (!isValidProvincePrefix(code6.slice(0, 2))) return false;
  const p = code6.slice(0, 2);
  if (p === '81' || p === '82' || p === '83') return code6 === p + '0000';
  if (p === '71' || p === '91') return true;
  const city = Number(code6.slice(2, 4));
  const county = Number(code6.slice(4, 6));
  const cityOk = (city >= 0 && city <= 43) || (city >= 51 && city <= 53) || city === 90;
  const countyOk = (county >= 0 && county <= 43) || (county >= 51 && county <= 57) || (county >= 61 && county <= 64) || (county >= 71 && county <= 74) || (county >= 81 && county <= 87) || (county >= 90 && county <= 99);
  return cityOk && countyOk;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Real calendar check (leap years included); years outside [minYear, maxYear] fail. */
export function isValidDate(year: number, month: number, day: number, minYear = 1900, maxYear = new Date().getUTCFullYear()): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (year < minYear || year > maxYear || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : MONTH_DAYS[month - 1];
  return day <= days;
}

/** `YYYYMMDD` calendar check. */
export function isValidYmd(ymd: string, minYear = 1900, maxYear?: number): boolean {
  if (!/^[0-9]{8}$/.test(ymd)) return false;
  return isValidDate(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)), Number(ymd.slice(6, 8)), minYear, maxYear);
}

export interface ResidentIdCheck {
  valid: boolean;
  /** Each part separately, so a recogniser can score partial validity. */
  checksum: boolean;
  region: boolean;
  date: boolean;
}

/** Checks an 18-character resident ID (or HK/Macau/Taiwan residence permit) part by part. */
export function checkResidentId(id: string): ResidentIdCheck {
  if (!/^[0-9]{17}[0-9Xx]$/.test(id)) return { valid: false, checksum: false, region: false, date: false };
  const checksum = gb11643Valid(id);
  const region = isValidRegionCode(id.slice(0, 6));
  const date = isValidYmd(id.slice(6, 14), 1900);
  return { valid: checksum && region && date, checksum, region, date };
}

/** True for an 18-character resident ID with right check character, region prefix and birth date. */
export function isValidResidentId(id: string): boolean {
  if (id.length === 15) return isValidLegacyResidentId(id);
  return checkResidentId(id).valid;
}

/** 15-digit first-generation ID: region + YYMMDD (century 19) + 3-digit sequence, no check digit. */
export function isValidLegacyResidentId(id: string): boolean {
  if (!/^[0-9]{15}$/.test(id)) return false;
  return isValidRegionCode(id.slice(0, 6)) && isValidYmd('19' + id.slice(6, 12), 1900);
}

/** Converts a 15-digit legacy ID to 18 characters (inserts 19, appends the check character). */
export function legacyIdTo18(id15: string): string {
  if (!/^[0-9]{15}$/.test(id15)) throw new RangeError('legacyIdTo18 needs 15 ASCII digits');
  const first17 = id15.slice(0, 6) + '19' + id15.slice(6);
  return first17 + gb11643CheckChar(first17);
}

/** True for an HK/Macau/Taiwan residence permit (810000/820000/830000 prefix and a valid ID). */
export function isValidResidencePermit(id: string): boolean {
  return /^8[123]0000/.test(id) && checkResidentId(id).valid;
}

// ---------------------------------------------------------------------------
// Luhn (bank cards)
// ---------------------------------------------------------------------------

function luhnSum(digits: string, doubleRightmost: boolean): number {
  let sum = 0;
  for (let i = digits.length - 1, dbl = doubleRightmost; i >= 0; i--, dbl = !dbl) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum;
}

/** Luhn check digit to append to `bodyWithoutCheck` (digits only). */
export function luhnCheckDigit(bodyWithoutCheck: string): string {
  if (!/^[0-9]+$/.test(bodyWithoutCheck)) throw new RangeError('luhnCheckDigit needs ASCII digits');
  // the check digit will sit rightmost, so the body's rightmost digit is doubled
  return String((10 - (luhnSum(bodyWithoutCheck, true) % 10)) % 10);
}

/** True when the digit string passes the Luhn check (non-digits → false). */
export function luhnValid(num: string): boolean {
  return /^[0-9]{2,}$/.test(num) && luhnSum(num, false) % 10 === 0;
}

// ---------------------------------------------------------------------------
// GB 32100-2015 unified social credit code, GB 11714 organisation code
// ---------------------------------------------------------------------------

/** The 31 symbols of GB 32100 (no I, O, S, V, Z). */
export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Check character of a unified social credit code from its first 17 characters. */
export function usccCheckChar(first17: string): string {
  const s17 = first17.toUpperCase();
  if (s17.length !== 17) throw new RangeError('usccCheckChar needs exactly 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARSET.indexOf(s17[i]);
    if (v < 0) throw new RangeError('usccCheckChar: character outside the GB 32100 set');
    sum += v * USCC_WEIGHTS[i];
  }
  const c = (31 - (sum % 31)) % 31;
  return USCC_CHARSET[c];
}

/** True for an 18-character code from the GB 32100 set with a right check character. */
export function isValidUscc(code: string): boolean {
  const s = code.toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(s)) return false;
  return usccCheckChar(s.slice(0, 17)) === s[17];
}

const GB11714_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11714 organisation-code check character from its first 8 characters (digits and upper-case letters). */
export function gb11714CheckChar(first8: string): string {
  const s = first8.toUpperCase();
  if (!/^[0-9A-Z]{8}$/.test(s)) throw new RangeError('gb11714CheckChar needs 8 alphanumerics');
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = s.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55; // A=10 … Z=35
    sum += v * GB11714_WEIGHTS[i];
  }
  const r = 11 - (sum % 11);
  return r === 10 ? 'X' : r === 11 ? '0' : String(r);
}

/**
 * True for a 9-character GB 11714 organisation code (8 digits or upper-case letters, then its
 * check character), the characters 9–17 of a unified social credit code.
 */
export function isValidOrgCode(code9: string): boolean {
  const s = code9.toUpperCase();
  return /^[0-9A-Z]{8}[0-9X]$/.test(s) && gb11714CheckChar(s.slice(0, 8)) === s[8];
}

// ---------------------------------------------------------------------------
// Hong Kong ID, Taiwan ID, UPU S10
// ---------------------------------------------------------------------------

/** HKID check character for 1–2 letters + 6 digits (e.g. `A123456`); returns 0–9 or A. */
export function hkidCheckChar(body: string): string {
  const s = body.toUpperCase();
  if (!/^[A-Z]{1,2}[0-9]{6}$/.test(s)) throw new RangeError('hkidCheckChar needs 1-2 letters + 6 digits');
  const padded = s.length === 7 ? ' ' + s : s;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = padded[i];
    const v = c === ' ' ? 36 : c >= 'A' ? c.charCodeAt(0) - 55 : c.charCodeAt(0) - 48;
    sum += v * (9 - i);
  }
  const r = (11 - (sum % 11)) % 11;
  return r === 10 ? 'A' : String(r);
}

/** HKID such as `A123456(3)` or `A1234563`. */
export function isValidHkid(id: string): boolean {
  const m = /^([A-Za-z]{1,2}[0-9]{6})\(?([0-9Aa])\)?$/.exec(id);
  return !!m && hkidCheckChar(m[1]) === m[2].toUpperCase();
}

const TW_LETTERS = 'ABCDEFGHJKLMNPQRSTUVXYWZIO';

/** Taiwan national ID: letter + [12] + 8 digits, weighted check. */
export function isValidTaiwanId(id: string): boolean {
  const s = id.toUpperCase();
  return /^[A-Z][12][0-9]{8}$/.test(s) && taiwanIdCheckDigit(s.slice(0, 9)) === s[9];
}

/** Last digit of a Taiwan national ID from its letter, gender digit and next 7 digits (`A12345678` → the 10th character). */
export function taiwanIdCheckDigit(first9: string): string {
  const s = first9.toUpperCase();
  if (!/^[A-Z][12][0-9]{7}$/.test(s)) throw new RangeError('taiwanIdCheckDigit needs a letter, 1 or 2, and 7 digits');
  const n = TW_LETTERS.indexOf(s[0]) + 10;
  const weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  const digits = [Math.floor(n / 10), n % 10, ...s.slice(1).split('').map(Number)];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += digits[i] * weights[i];
  return String((10 - (sum % 10)) % 10);
}

/** UPU S10 check digit for the 8 serial digits of `EA12345678?CN`. */
export function s10CheckDigit(serial8: string): string {
  if (!/^[0-9]{8}$/.test(serial8)) throw new RangeError('s10CheckDigit needs 8 digits');
  const w = [8, 6, 4, 2, 3, 5, 9, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial8.charCodeAt(i) - 48) * w[i];
  const r = 11 - (sum % 11);
  return r === 10 ? '0' : r === 11 ? '5' : String(r);
}

/** UPU S10 item id `EA123456785CN`. */
export function isValidS10(id: string): boolean {
  const m = /^[A-Z]{2}([0-9]{8})([0-9])[A-Z]{2}$/.exec(id.toUpperCase());
  return !!m && s10CheckDigit(m[1]) === m[2];
}

// ---------------------------------------------------------------------------
// Phones, SSN, IPs
// ---------------------------------------------------------------------------

/** Mainland mobile: 11 digits `1[3-9]` + 9, optionally after 86 / 0086. */
export function isValidCnMobile(num: string): boolean {
  // country codes start with 0 or 8, a mobile with 1, so the parts cannot be mistaken for each other; up to
  // five digits after the number are the extension of a platform's privacy number (18830566568转2146)
  return /^(?:0086|86)?1[3-9][0-9]{9}[0-9]{0,5}$/.test(num);
}

/**
 * Mainland plate after the province character and the letter: 5 characters with
 * at least 2 digits (ordinary), or the 6-character new-energy shapes.
 */
export function isValidPlate(plate: string): boolean {
  const tail = plate.replace(/[·. -]/g, '').slice(2).toUpperCase();
  if (tail.length === 5) return (tail.match(/[0-9]/g)?.length ?? 0) >= 2;
  if (tail.length === 6) return /^[DABCEFGHJK][A-HJ-NP-Z0-9][0-9]{4}$/.test(tail) || /^[0-9]{5}[DABCEFGHJK]$/.test(tail);
  return false;
}

/** US SSN area/group/serial rules (no 000/666/9xx area, no 00 group, no 0000 serial). */
export function isValidSsn(ssn: string): boolean {
  const d = ssn.replace(/-/g, '');
  if (!/^[0-9]{9}$/.test(d)) return false;
  const area = d.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  if (d === '123456789' || d === '078051120' || d === '219099999') return false;
  return true;
}

/** Dotted IPv4 with octets 0–255 and no leading zeros beyond a single 0. */
export function isValidIpv4(ip: string): boolean {
  const parts = ip.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === '0')) return false;
  }
  return true;
}

/** IPv6 with at most one `::` and 1–8 groups of 1–4 hex digits (an embedded IPv4 tail allowed). */
export function isValidIpv6(ip: string): boolean {
  let s = ip;
  let extra = 0;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    if (!isValidIpv4(s.slice(lastColon + 1))) return false;
    s = s.slice(0, lastColon + 1) + '0:0';
    extra = 0;
  }
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const head = groups(dbl[0]);
  const tail = dbl.length === 2 ? groups(dbl[1]) : [];
  for (const g of [...head, ...tail]) if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
  const n = head.length + tail.length + extra;
  return dbl.length === 2 ? n <= 7 : n === 8;
}

/** Registry of validators by the names rule packs use in `validator:`. */
export const VALIDATORS: Record<string, (value: string) => boolean> = {
  gb11643: (v) => checkResidentId(v).valid,
  gb11643_checksum: gb11643Valid,
  resident_id: isValidResidentId,
  resident_id_legacy: isValidLegacyResidentId,
  residence_permit: isValidResidencePermit,
  luhn: luhnValid,
  uscc: isValidUscc,
  hkid: isValidHkid,
  twid: isValidTaiwanId,
  s10: isValidS10,
  cn_mobile: isValidCnMobile,
  plate: isValidPlate,
  ssn: isValidSsn,
  ipv4: isValidIpv4,
  ipv6: isValidIpv6,
  ymd: isValidYmd,
};
