import { describe, expect, it } from 'vitest';
import {
  gb11643CheckChar, isValidResidentId, checkResidentId, luhnCheckDigit, luhnValid, usccCheckChar, isValidUscc,
  isValidRegionCode, isValidProvincePrefix, isValidDate, isValidYmd, legacyIdTo18, isValidLegacyResidentId,
  isValidResidencePermit, gb11714CheckChar, hkidCheckChar, isValidHkid, isValidTaiwanId, s10CheckDigit, isValidS10,
  isValidSsn, isValidIpv4, isValidIpv6,
} from '../src/validators.js';

describe('GB 11643 resident ID', () => {
  it('accepts the measured valid numbers and rejects the known-bad doc examples', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('11010519491231002x')).toBe(true);
    expect(isValidResidentId('110101199003078515')).toBe(true);
    expect(isValidResidentId('52010320171109002X')).toBe(false);
    expect(isValidResidentId('110101199003077593')).toBe(false);
  });
  it('computes the check character, X for 10', () => {
    expect(gb11643CheckChar('11010519491231002')).toBe('X');
    expect(gb11643CheckChar('11010119900307851')).toBe('5');
    expect(() => gb11643CheckChar('1234')).toThrow();
  });
  it('checks region and calendar date separately', () => {
    const bad = '99' + '0101' + '19900307' + '851';
    const c = checkResidentId(bad + gb11643CheckChar(bad));
    expect(c).toEqual({ valid: false, checksum: true, region: false, date: true });
    const feb31 = '110101' + '19900231' + '123';
    expect(checkResidentId(feb31 + gb11643CheckChar(feb31)).date).toBe(false);
    const leap = '110101' + '20000229' + '123';
    expect(checkResidentId(leap + gb11643CheckChar(leap)).valid).toBe(true);
  });
  it('handles the 15-digit legacy form and residence permits (81/82/83)', () => {
    expect(isValidLegacyResidentId('110105491231002')).toBe(true);
    expect(legacyIdTo18('110105491231002')).toBe('11010519491231002X');
    for (const p of ['810000', '820000', '830000']) {
      const f = p + '19900307' + '123';
      expect(isValidResidencePermit(f + gb11643CheckChar(f))).toBe(true);
    }
    expect(isValidRegionCode('830000')).toBe(true);
    expect(isValidRegionCode('830101')).toBe(false);
    expect(isValidProvincePrefix('19')).toBe(false);
  });
  it('checks calendar dates', () => {
    expect(isValidDate(1900, 2, 29)).toBe(false);
    expect(isValidDate(2024, 2, 29)).toBe(true);
    expect(isValidYmd('20230431')).toBe(false);
    expect(isValidYmd('30000101')).toBe(false);
  });
});

describe('Luhn', () => {
  it('matches the measured values', () => {
    expect(luhnValid('6222021234567894')).toBe(true);
    expect(luhnValid('6222021234567890123')).toBe(false);
    expect(luhnCheckDigit('622202123456789')).toBe('4');
    expect(luhnValid('4111111111111111')).toBe(true);
    for (const body of ['622848001234567890', '79927398713'.slice(0, -1)]) expect(luhnValid(body + luhnCheckDigit(body))).toBe(true);
  });
});

describe('GB 32100 USCC', () => {
  it('validates the measured code and computes check chars', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
    expect(isValidUscc('91350100M0001TGQXM')).toBe(false);
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
  });
  it('GB 11714 org code', () => {
    expect(gb11714CheckChar('M000100Y')).toMatch(/^[0-9X]$/);
  });
});

describe('other check digits', () => {
  it('HKID, Taiwan ID, S10, SSN', () => {
    expect(hkidCheckChar('A123456')).toBe('3');
    expect(isValidHkid('A123456(3)')).toBe(true);
    expect(isValidHkid('A123456(4)')).toBe(false);
    expect(isValidTaiwanId('A123456789')).toBe(true);
    expect(isValidTaiwanId('A123456788')).toBe(false);
    expect(s10CheckDigit('47312482')).toBe('9');
    expect(isValidS10('RR473124829GB')).toBe(true);
    expect(isValidSsn('536-22-1234')).toBe(true);
    expect(isValidSsn('666-22-1234')).toBe(false);
    expect(isValidSsn('536-00-1234')).toBe(false);
  });
  it('IP addresses', () => {
    expect(isValidIpv4('192.168.1.1')).toBe(true);
    expect(isValidIpv4('256.1.1.1')).toBe(false);
    expect(isValidIpv6('2001:db8::1')).toBe(true);
    expect(isValidIpv6('::1')).toBe(true);
    expect(isValidIpv6('fe80::1:2:3:4:5:6:7')).toBe(false);
    expect(isValidIpv6('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toBe(true);
    expect(isValidIpv6('::ffff:192.168.1.1')).toBe(true);
    expect(isValidIpv6('1::2::3')).toBe(false);
  });
});
