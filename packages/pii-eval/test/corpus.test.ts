import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectAll, evaluate, parseGold, STRUCTURED_TYPES, type GoldLine } from '@scrubline/pii-eval';
import { checkResidentId, detect, isValidLegacyResidentId, isValidResidencePermit, isValidS10, isValidSsn, isValidUscc, luhnValid } from '@scrubline/pii';

// The committed fixture corpus: shape, coverage and check digits.
const path = fileURLToPath(new URL('../../../fixtures/pii/corpus.jsonl', import.meta.url));
const lines = parseGold(readFileSync(path, 'utf8'), 'corpus.jsonl');
const challenge = parseGold(readFileSync(fileURLToPath(new URL('../../../fixtures/pii/challenge.jsonl', import.meta.url)), 'utf8'), 'challenge.jsonl');
// the review set (session 5): one case group per recognizer defect a review found, and its hard negatives
const review = parseGold(readFileSync(fileURLToPath(new URL('../../../fixtures/pii/review.jsonl', import.meta.url)), 'utf8'), 'review.jsonl');
// the second review (session 5): 436 turns a reviewer wrote out of sample (94.5 % recall then), tuned on since
const review2 = parseGold(readFileSync(fileURLToPath(new URL('../../../fixtures/pii/review2.jsonl', import.meta.url)), 'utf8'), 'review2.jsonl');
// the third review (session 5), out of sample when written; a measurement set (numbers split over two turns are
// beyond a per-turn detector), so only its gold is checked here, its scores are printed by bench/pii-eval.mjs
const review3 = parseGold(readFileSync(fileURLToPath(new URL('../../../fixtures/pii/review3.jsonl', import.meta.url)), 'utf8'), 'review3.jsonl');
const tag = (id: string) => id.split('-').slice(2).join('-');
// separators inside a value: spaces, dashes, dots (6217.0012.3456.7890.122, 510104.19771103.100X)
const CN_NUMERALS: Record<string, string> = { 零: '0', 〇: '0', 一: '1', 幺: '1', 壹: '1', 二: '2', 两: '2', 贰: '2', 三: '3', 叁: '3', 四: '4', 肆: '4', 五: '5', 伍: '5', 六: '6', 陆: '6', 七: '7', 柒: '7', 八: '8', 捌: '8', 九: '9', 玖: '9' };
const digitsOf = (v: string) => v.normalize('NFKC').replace(/[零〇一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖]/g, (c) => CN_NUMERALS[c]).replace(/[^0-9A-Za-z]/g, '');

describe('fixtures/pii/corpus.jsonl', () => {
  it('has at least 2,000 Chinese and English turns with well-formed, non-overlapping spans', () => {
    expect(lines.length).toBeGreaterThanOrEqual(2000);
    expect(lines.filter((l) => l.id.includes('-zh-')).length).toBeGreaterThan(1500);
    expect(lines.filter((l) => l.id.includes('-en-')).length).toBeGreaterThan(300);
    for (const l of lines) {
      const s = [...l.spans].sort((a, b) => a.start - b.start);
      for (let i = 1; i < s.length; i++) expect(s[i].start).toBeGreaterThanOrEqual(s[i - 1].end);
      for (const x of s) {
        const v = l.text.slice(x.start, x.end);
        expect(v.trim()).toBe(v);
        // never cut a surrogate pair
        expect(/^[\udc00-\udfff]/.test(v) || /[\ud800-\udbff]$/.test(v)).toBe(false);
      }
    }
  });

  it('covers every structured type, every evasion and every hard-negative family', () => {
    const types = new Set(lines.flatMap((l) => l.spans.map((s) => s.type)));
    for (const t of STRUCTURED_TYPES) expect(types.has(t), t).toBe(true);
    const tags = new Set(lines.map((l) => tag(l.id)));
    for (const t of [
      'person_id.15', 'person_id.permit', 'person_id.18.fullwidth', 'phone.mobile.plus86', 'phone.mobile.0086', 'phone.mobile.86dash',
      'phone.mobile.paren86', 'phone.mobile.fullwidth', 'phone.mobile.cn-numerals', 'phone.mobile.cn-numerals.yao', 'phone.mobile.circled',
      'phone.mobile.split-spaces', 'phone.mobile.dots', 'phone.landline', 'phone.us', 'phone.uk', 'phone.astral-before', 'email.upper',
      'email.glued', 'ip.v6', 'plate.nev', 'wechat', 'qq', 'qq.cn-numerals', 'tracking.shape', 'handle', 'ssn',
      'neg.price', 'neg.date-time', 'neg.quantity', 'neg.model', 'neg.hotline', 'neg.version', 'neg.sku', 'neg.brand-at', 'neg.jd-placeholder',
    ]) {
      expect(tags.has(t), t).toBe(true);
    }
    const all = lines.map((l) => l.text).join('\n');
    for (const w of ['vx', 'v信', '加V', '扣扣', '企鹅号', '转', '幺', '两', '@中国联通客服', '[订单x]', '[姓名x]', '[电话x]', '版本']) expect(all).toContain(w);
    expect(lines.some((l) => /[\ud800-\udbff]/.test(l.text.slice(0, l.spans[0]?.start ?? 0)))).toBe(true);
    expect(lines.filter((l) => l.spans.length === 0).length).toBeGreaterThan(400);
    expect(lines.filter((l) => /^\d+-zh-phone\.mobile\.fullwidth/.test(l.id) && /[０-９]/.test(l.text)).length).toBeGreaterThan(0);
  });

  it('carries valid check digits wherever the format has one (corpus, challenge and review set)', () => {
    let checked = 0;
    // review3's halves of numbers split over two turns and letters typed for digits carry no whole check digit
    for (const l of [...lines, ...challenge, ...review, ...review2, ...review3.filter((x) => !/split|two\.turns|leet/.test(x.id))]) {
      for (const s of l.spans) {
        const v = digitsOf(l.text.slice(s.start, s.end));
        if (s.type === 'PERSON_ID') {
          if (v.length === 15) expect(isValidLegacyResidentId(v), l.id).toBe(true);
          else if (/^8[123]0000/.test(v)) expect(isValidResidencePermit(v), l.id).toBe(true);
          else expect(checkResidentId(v), l.id).toMatchObject({ valid: true });
          checked++;
        } else if (s.type === 'BANK_CARD') {
          expect(luhnValid(v), l.id).toBe(true);
          checked++;
        } else if (s.type === 'USCC') {
          expect(isValidUscc(v), l.id).toBe(true);
          checked++;
        } else if (s.type === 'SSN') {
          expect(isValidSsn(v), l.id).toBe(true);
          checked++;
        } else if (s.type === 'TRACKING_NO' && /^[A-Z]{2}[0-9]{9}CN$/.test(v)) {
          expect(isValidS10(v), l.id).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(600);
  });

  it('has a challenge set with every structured type and hard negatives', () => {
    expect(challenge.length).toBeGreaterThanOrEqual(300);
    const types = new Set(challenge.flatMap((l) => l.spans.map((s) => s.type)));
    for (const t of STRUCTURED_TYPES) expect(types.has(t), t).toBe(true);
    expect(challenge.filter((l) => l.spans.length === 0).length).toBeGreaterThanOrEqual(50);
    for (const l of challenge) for (const s of l.spans) expect(l.text.slice(s.start, s.end).trim()).toBe(l.text.slice(s.start, s.end));
  });

  it('has no span-like identifiers in its hard negatives', () => {
    for (const l of [...lines, ...challenge, ...review].filter((x) => x.spans.length === 0)) {
      const t = l.text.normalize('NFKC');
      expect(/(?<![0-9])1[3-9][0-9]{9}(?![0-9])/.test(t), l.id).toBe(false); // no mobile
      expect(/[A-Za-z0-9._-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}/.test(t), l.id).toBe(false); // no e-mail
      expect(/(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/.test(t), l.id).toBe(false); // no resident id
    }
  });
});

describe('fixtures/pii/review.jsonl', () => {
  it('has a case group for every finding of the review, with well-formed spans, and its hard negatives', () => {
    const tags = new Set(review.map((l) => tag(l.id)));
    for (const t of [
      'review.bank_card.expiry', 'review.bank_card.count', 'review.bank_card.2series', 'review.bank_card.unionpay81', 'review.bank_card.dots',
      'review.bank_card.diners', 'review.person_id.dots', 'review.phone.ext.zh', 'review.phone.ext.en', 'review.postcode.zip',
      'review.permit.taiwan', 'review.passport.far', 'review.wechat.loose', 'review.qq.loose', 'review.handle.brand-start',
      'review.order.spaced', 'review.tracking.spaced', 'review.person_id.15.noctx', 'review.person_id.15.luhn', 'review.uscc.lower',
      'review.plate.lower', 'review.plate.nev.spaced', 'review.postcode.spaced', 'review.tracking.ups', 'review.tracking.jd',
      'review.ip.mobile-like', 'neg.review.ip-version', 'neg.review.dob-order', 'neg.review.date-order', 'neg.review.landline-codes',
      'neg.review.brand-at',
    ]) {
      expect(tags.has(t), t).toBe(true);
    }
    for (const l of review) {
      expect(l.spans.length === 0, l.id).toBe(tag(l.id).startsWith('neg.'));
      const s = [...l.spans].sort((a, b) => a.start - b.start);
      for (let i = 1; i < s.length; i++) expect(s[i].start).toBeGreaterThanOrEqual(s[i - 1].end);
      for (const x of s) expect(l.text.slice(x.start, x.end).trim()).toBe(l.text.slice(x.start, x.end));
    }
    // the 15-digit IDs of the Luhn group really are Amex-shaped (34/37) and pass Luhn
    const luhnIds = review.filter((l) => tag(l.id) === 'review.person_id.15.luhn').flatMap((l) => l.spans.map((x) => l.text.slice(x.start, x.end)));
    expect(luhnIds.length).toBeGreaterThan(5);
    for (const v of luhnIds) expect(/^3[47][0-9]{13}$/.test(v) && luhnValid(v), v.replace(/[0-9]/g, '#')).toBe(true);
  });
});

// The rule packs against the labelled sets: overlap recall, precision on the structured types and the
// leak (share of identifying gold characters no prediction covers). corpus.jsonl and review.jsonl were
// both tuned on, so these are regression targets, not out-of-sample measures.
describe('recognizer targets on the committed fixture sets', () => {
  const score = (gold: GoldLine[]) => {
    const pred = gold.map((g) => ({ id: g.id, spans: detect(g.text) }));
    return evaluate(gold, pred, { types: [...STRUCTURED_TYPES] }).overall;
  };
  for (const [name, gold] of [['corpus.jsonl', lines], ['review.jsonl', review], ['review2.jsonl', review2]] as const) {
    it(`${name}: recall >= 99.5 %, precision >= 98 %, leak <= 0.1 %`, () => {
      const o = score(gold);
      expect(o.overlap.recall).not.toBeNull();
      expect(o.overlap.precision).not.toBeNull();
      expect(o.overlap.recall!).toBeGreaterThanOrEqual(0.995);
      expect(o.overlap.precision!).toBeGreaterThanOrEqual(0.98);
      expect(o.leak.share).toBeLessThanOrEqual(0.001);
    });
  }
});

// fixtures/pii/conversations.jsonl (session 13): what only a conversation shows, identifiers typed over turns and
// numbers answering the turn before, with hard negatives after the same cues. Written by conversations.mjs.
describe('fixtures/pii/conversations.jsonl, detected as conversations', () => {
  const convPath = fileURLToPath(new URL('../../../fixtures/pii/conversations.jsonl', import.meta.url));
  const conv = parseGold(readFileSync(convPath, 'utf8'), 'conversations.jsonl');
  const env = { rulesDir: fileURLToPath(new URL('../../../rules', import.meta.url)), baseDir: fileURLToPath(new URL('../../..', import.meta.url)), log: { info() {}, warn() {} } };

  it('is current (node fixtures/pii/conversations.mjs --check) and labels turns of conversations with valid check digits', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../../fixtures/pii/conversations.mjs', import.meta.url)), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(new Set(conv.map((g) => g.conversation?.id)).size).toBeGreaterThanOrEqual(80);
    for (const g of conv) {
      for (const s of g.spans) {
        const v = digitsOf(g.text.slice(s.start, s.end));
        if (s.type === 'BANK_CARD' && v.length >= 16) expect(luhnValid(v)).toBe(true);
      }
    }
    // a resident ID split over two turns: the halves joined pass GB 11643
    const ids = new Map<string, string>();
    for (const g of conv) for (const s of g.spans) if (s.type === 'PERSON_ID') ids.set(g.conversation!.id, (ids.get(g.conversation!.id) ?? '') + g.text.slice(s.start, s.end));
    expect(ids.size).toBeGreaterThan(0);
    for (const id of ids.values()) expect(checkResidentId(id).valid).toBe(true);
  });

  it('recall >= 99.5 %, precision >= 98 %, leak <= 0.1 % read as conversations; read turn by turn it finds almost nothing', async () => {
    const o = evaluate(conv, await detectAll(conv, env), { types: [...STRUCTURED_TYPES] }).overall;
    expect(o.overlap.gold).toBeGreaterThan(60);
    expect(o.overlap.recall!).toBeGreaterThanOrEqual(0.995);
    expect(o.overlap.precision!).toBeGreaterThanOrEqual(0.98);
    expect(o.leak.share).toBeLessThanOrEqual(0.001);
    // the same turns as separate lines (no conversation): each half, each answer alone has no cue (the own.* cases
    // of session 14 hold their cue in the same turn, and are left out here)
    const alone = conv.filter((g) => !/-own\./.test(g.conversation!.id)).map(({ id, text, spans }) => ({ id, text, spans }));
    const a = evaluate(alone, await detectAll(alone, env), { types: [...STRUCTURED_TYPES] }).overall;
    expect(a.overlap.gold).toBeGreaterThan(60);
    expect(a.overlap.recall!).toBeLessThan(0.1);
  });

  it('questions whose cue word ends further back than a window reaches (session 14): each answer found with the type asked for', async () => {
    const asked = conv.filter((g) => /-asked\./.test(g.conversation!.id));
    const o = evaluate(asked, await detectAll(asked, env), { types: [...STRUCTURED_TYPES] });
    expect(o.overall.overlap.gold).toBeGreaterThanOrEqual(20);
    expect(o.overall.exact.recall).toBe(1);
    expect(o.overall.exact.precision).toBe(1);
    for (const t of ['ORDER_ID', 'QQ', 'PHONE', 'TRACKING_NO']) expect(o.types.find((r) => r.type === t)?.exact.gold ?? 0, t).toBeGreaterThan(0);
  });
});
