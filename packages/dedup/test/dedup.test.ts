import { describe, expect, it } from 'vitest';
import { hash52, mulberry32, type ConversationRecord } from '@scrubline/core';
import { makeCtx, makeRecord, roundTrip } from '../../../fixtures/shaping/context.js';
import {
  bytesPerRecord,
  concatDedupStates,
  DedupCollector,
  comparisonTexts,
  createDedup,
  exactText,
  dedupPlugin,
  dedupStage,
  estimateJaccard8,
  jaccard,
  lowBytes,
  minhash,
  type DedupOptions,
  type DedupSummary,
} from '@scrubline/dedup';

const DEFAULTS: DedupOptions = { exact: true, near: true, threshold: 0.8, numPerm: 128, bands: 16, shingle: 5, maxCandidates: 100 };

// a pool of common CJK characters for synthetic text
const POOL = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严';

function randomText(rand: () => number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += POOL[Math.floor(rand() * POOL.length)];
  return s;
}

function rec(id: string, customer: string, agent: string): ConversationRecord {
  return makeRecord(id, [['customer', customer], ['agent', agent]]);
}

/** Changes `edits` characters at random places. */
function edit(rand: () => number, text: string, edits: number): string {
  const a = [...text];
  for (let e = 0; e < edits; e++) a[Math.floor(rand() * a.length)] = POOL[Math.floor(rand() * POOL.length)];
  return a.join('');
}

/** Runs fit and apply over `shards` (arrays of records), as the runner would on N shards. */
function runShards(options: DedupOptions, shards: ConversationRecord[][]) {
  const stages = shards.map((_, i) => createDedup(options, i));
  stages.forEach((s, i) => s.fit.observe(shards[i]));
  const states = stages.map((s) => roundTrip(s.fit.state()));
  const kept: string[] = [];
  const dropped: { id: string; reason: string; detail?: Record<string, unknown> }[] = [];
  stages.forEach((s, i) => {
    s.fit.load(states);
    const { ctx, dropped: d } = makeCtx();
    // apply in batches of 256, like the runner
    for (let at = 0; at < shards[i].length; at += 256) kept.push(...(s.apply(shards[i].slice(at, at + 256), ctx) as ConversationRecord[]).map((r) => r.id));
    dropped.push(...d);
  });
  return { kept, dropped, summary: stages[0].summary!() as DedupSummary };
}

describe('minhash', () => {
  it('estimates Jaccard within sampling error', () => {
    const rand = mulberry32(7);
    const sig = new Uint32Array(256);
    const a8 = new Uint8Array(256);
    const b8 = new Uint8Array(256);
    for (const edits of [1, 3, 6, 12, 25]) {
      const a = randomText(rand, 300);
      const b = edit(rand, a, edits);
      const truth = jaccard(a, b, 5);
      minhash(a, 5, sig);
      lowBytes(sig, a8);
      minhash(b, 5, sig);
      lowBytes(sig, b8);
      const est = estimateJaccard8(a8, 0, b8, 0, 256);
      // sd of the estimate is about sqrt(J(1-J)/256) <= 0.032; allow ~3.5 sd
      expect(Math.abs(est - truth)).toBeLessThan(0.11);
    }
    minhash('完全不同的一段文字内容', 5, sig);
    lowBytes(sig, a8);
    minhash(randomText(rand, 300), 5, sig);
    lowBytes(sig, b8);
    expect(estimateJaccard8(a8, 0, b8, 0, 256)).toBeLessThan(0.1);
  });

  it('the fused exact hash equals hash52 of the exact text; whitespace and case do not matter', () => {
    const r = makeRecord('a', [['customer', '  你好　ＡＢＣ  快递\t到了吗 '], ['agent', 'Hello  World']]);
    expect(comparisonTexts(r).exactHash).toBe(hash52(exactText(r)));
    const same = makeRecord('b', [['customer', '你好 abc 快递 到了吗'], ['agent', 'hello world']]);
    expect(comparisonTexts(same).exactHash).toBe(comparisonTexts(r).exactHash);
    const otherRole = makeRecord('c', [['agent', '你好 abc 快递 到了吗'], ['agent', 'hello world']]);
    expect(comparisonTexts(otherRole).exactHash).not.toBe(comparisonTexts(r).exactHash);
    expect(comparisonTexts(r).shingles).toBe('你好abc快递到了吗\nhelloworld');
  });

  it('is deterministic and has no signature for text shorter than a shingle', () => {
    const s1 = new Uint32Array(64);
    const s2 = new Uint32Array(64);
    expect(minhash('短', 5, s1)).toBe(false);
    minhash('这是一段用来测试的文字', 5, s1);
    minhash('这是一段用来测试的文字', 5, s2);
    expect([...s1]).toEqual([...s2]);
  });
});

describe('dedup stage', () => {
  const rand = mulberry32(42);
  const base = Array.from({ length: 12 }, () => [randomText(rand, 120), randomText(rand, 120)] as const);

  function corpus(): ConversationRecord[] {
    const r = mulberry32(5);
    const out = base.map(([c, a], i) => rec(`u${i}`, c, a));
    out.push(rec('x-exact', `  ${base[2][0]}  `, base[2][1].toUpperCase())); // whitespace / case only
    out.push(rec('x-near', edit(r, base[4][0], 2), base[4][1]));
    out.push(rec('x-near2', base[4][0], edit(r, base[4][1], 1)));
    out.push(rec('x-far', edit(r, base[6][0], 60), edit(r, base[6][1], 60)));
    return out;
  }

  it('drops exact and near duplicates with the id of the one kept', () => {
    const { kept, dropped, summary } = runShards(DEFAULTS, [corpus()]);
    expect(kept).toEqual([...base.map((_, i) => `u${i}`), 'x-far']);
    expect(dropped.map((d) => [d.id, d.reason, d.detail?.keptId])).toEqual([
      ['x-exact', 'duplicate', 'u2'],
      ['x-near', 'near-duplicate', 'u4'],
      ['x-near2', 'near-duplicate', 'u4'],
    ]);
    expect(dropped[1].detail!.similarity).toBeGreaterThan(0.8);
    expect(summary).toMatchObject({ records: 16, exactDuplicates: 1, nearDuplicates: 2, clusters: 2, dropped: { duplicate: 1, nearDuplicate: 2 } });
  });

  it('threshold, exact and near switches change what goes', () => {
    expect(runShards({ ...DEFAULTS, near: false }, [corpus()]).dropped.map((d) => d.id)).toEqual(['x-exact']);
    expect(runShards({ ...DEFAULTS, threshold: 0.999 }, [corpus()]).dropped.map((d) => d.id)).toEqual(['x-exact']);
    // without the exact pass the whitespace / case copy is still caught, as a near duplicate of similarity 1
    const d = runShards({ ...DEFAULTS, exact: false }, [corpus()]).dropped;
    expect(d.map((x) => [x.id, x.reason])).toEqual([
      ['x-exact', 'near-duplicate'],
      ['x-near', 'near-duplicate'],
      ['x-near2', 'near-duplicate'],
    ]);
  });

  it('fit on two halves (two shards) gives the same result as one pass', () => {
    const all = corpus();
    // put the originals in shard 1 and copies in shard 0: the keeper is chosen by (shard, position), so compare against the same order
    const one = runShards(DEFAULTS, [all]);
    const two = runShards(DEFAULTS, [all.slice(0, 7), all.slice(7)]);
    expect(two.kept).toEqual(one.kept);
    expect(two.dropped).toEqual(one.dropped);
    const { dropped: _a, ...s1 } = one.summary;
    const { dropped: _b, ...s2 } = two.summary;
    expect(s2).toEqual(s1);
    // a copy in an earlier shard is the one kept
    const swapped = runShards(DEFAULTS, [[rec('copy', base[0][0], base[0][1])], all.slice(0, 3)]);
    expect(swapped.dropped.map((d) => [d.id, d.reason, d.detail?.keptId])).toEqual([['u0', 'duplicate', 'copy']]);
  });

  it('fails loudly when apply sees other records than the fit pass', () => {
    const s = createDedup(DEFAULTS);
    const c = corpus();
    s.fit.observe(c);
    s.fit.load([roundTrip(s.fit.state())]);
    const { ctx } = makeCtx();
    expect(() => s.apply([c[1]], ctx)).toThrow(/not the one the fit pass saw/);
  });

  it('rejects numPerm that is not a multiple of bands, and states made with other parameters', () => {
    expect(() => createDedup({ ...DEFAULTS, numPerm: 100, bands: 16 })).toThrow(/multiple of bands/);
    const a = createDedup(DEFAULTS);
    a.fit.observe(corpus());
    const b = createDedup({ ...DEFAULTS, numPerm: 64 });
    expect(() => b.fit.load([roundTrip(a.fit.state())])).toThrow(/other parameters/);
  });

  it('exports a plugin with the stage', () => {
    expect(dedupPlugin.stages).toEqual([dedupStage]);
    expect(bytesPerRecord(DEFAULTS)).toBe(4 * 16 + 128 + 9);
  });

  it('200,000 conversations across 4 shards: finds planted duplicates, keeps the index within its bound', () => {
    const N = 200_000;
    const r = mulberry32(2026);
    // 5,000 random four-character "words"; a turn is 10–15 of them (40–60 characters)
    const words = Array.from({ length: 5000 }, () => randomText(r, 4));
    const turn = () => {
      const n = 10 + Math.floor(r() * 6);
      const a: string[] = [];
      for (let k = 0; k < n; k++) a.push(words[Math.floor(r() * words.length)]);
      return a.join('');
    };
    const records: ConversationRecord[] = [];
    const planted = new Map<string, { kind: 'duplicate' | 'near-duplicate'; of: string }>();
    for (let i = 0; i < N; i++) {
      const roll = r();
      const src = i > 100 && roll < 0.03 ? records[Math.floor(r() * records.length)] : undefined;
      if (src && !planted.has(src.id) && roll < 0.01) {
        records.push(rec(`r${i}`, src.turns[0].text, src.turns[1].text));
        planted.set(`r${i}`, { kind: 'duplicate', of: src.id });
      } else if (src && !planted.has(src.id)) {
        // one changed character in ~100: Jaccard of 5-shingles about 0.9
        records.push(rec(`r${i}`, edit(r, src.turns[0].text, 1), src.turns[1].text));
        planted.set(`r${i}`, { kind: 'near-duplicate', of: src.id });
      } else {
        records.push(rec(`r${i}`, turn(), turn()));
      }
    }
    const opts: DedupOptions = { ...DEFAULTS, numPerm: 64, bands: 16 };
    const q = N / 4;
    const t0 = performance.now();
    const { kept, dropped, summary } = runShards(opts, [0, 1, 2, 3].map((k) => records.slice(k * q, (k + 1) * q)));
    const ms = performance.now() - t0;
    expect(kept.length + dropped.length).toBe(N);
    const byId = new Map(dropped.map((d) => [d.id, d]));
    let exactFound = 0;
    let nearFound = 0;
    let nearPlanted = 0;
    for (const [id, p] of planted) {
      const d = byId.get(id);
      if (p.kind === 'duplicate') {
        expect(d?.reason).toBe('duplicate');
        expect(d?.detail?.keptId).toBe(p.of);
        exactFound++;
      } else {
        nearPlanted++;
        if (d?.reason === 'near-duplicate' && d.detail?.keptId === p.of) nearFound++;
      }
    }
    // every exact copy, ≥ 98 % of the near copies, and no unplanted record dropped
    expect(exactFound).toBeGreaterThan(1500);
    expect(nearPlanted).toBeGreaterThan(3000);
    expect(nearFound / nearPlanted).toBeGreaterThan(0.98);
    for (const d of dropped) expect(planted.has(d.id)).toBe(true);
    expect(summary.records).toBe(N);
    // the bound: state arrays 4·bands + numPerm + 9 bytes, plus union-find and bucket table in load
    expect(summary.params.stateBytesPerRecord).toBe(4 * 16 + 64 + 9);
    expect(summary.bytesPerRecord).toBeLessThanOrEqual(bytesPerRecord(opts) + 5 + 52);
    console.log(`dedup 200k: ${Math.round(ms)} ms, index ${(summary.indexBytes / 2 ** 20).toFixed(1)} MiB (${summary.bytesPerRecord} B/record), candidates ${summary.candidatePairs}, verified ${summary.verifiedPairs}, near found ${nearFound}/${nearPlanted}`);
  });
});

describe('report samples', () => {
  it('name where a dropped record came from, never its id or the kept one', () => {
    const text = '我想查一下我的订单什么时候能到，已经等了很久了';
    const a = makeRecord('13812345678', [['customer', text], ['agent', '您好，正在为您查询']]);
    const b = makeRecord('张伟-vip', [['customer', text], ['agent', '您好，正在为您查询']]);
    b.source = { file: 'in.jsonl', line: 2 };
    const stage = createDedup(DEFAULTS, 0);
    stage.fit.observe([a, b]);
    stage.fit.load([roundTrip(stage.fit.state())]);
    const { ctx, dropped } = makeCtx();
    stage.apply([a, b], ctx);
    expect(dropped.map((d) => d.reason)).toEqual(['duplicate']);
    expect(ctx.report.samples).toEqual({ duplicate: [{ at: 'in.jsonl:2' }] });
    expect(JSON.stringify(ctx.report)).not.toMatch(/13812345678|张伟/);
  });

  it('name a CSV row as the normalise stage does (file row N), not as a line', () => {
    const text = '请问发票什么时候能开好，我这边报销要用';
    const a = makeRecord('r1', [['customer', text]]);
    const b = makeRecord('r2', [['customer', text]]);
    b.source = { file: 'export.csv', row: 7 };
    const stage = createDedup(DEFAULTS, 0);
    stage.fit.observe([a, b]);
    stage.fit.load([roundTrip(stage.fit.state())]);
    const { ctx } = makeCtx();
    stage.apply([a, b], ctx);
    expect(ctx.report.samples).toEqual({ duplicate: [{ at: 'export.csv row 7' }] });
  });
});

describe('states of consecutive slices (run --threads)', () => {
  it('joined, they are the state one collector makes over the whole input, so the same records go', () => {
    const rand = mulberry32(7);
    const base = randomText(rand, 80);
    // exact copies (every 6th) and near copies (edited) of one conversation, spread over the slices
    const records = Array.from({ length: 30 }, (_, i) => rec(`r${i}`, i % 6 === 0 ? base : i % 7 === 3 ? edit(rand, base, 2) : randomText(rand, 60), '好的'));
    const p = { ...DEFAULTS };
    const one = new DedupCollector(p, 0);
    for (const r of records) one.add(r);
    const parts = [records.slice(0, 11), records.slice(11, 12), records.slice(12)].map((part) => {
      const c = new DedupCollector(p, 0);
      for (const r of part) c.add(r);
      return roundTrip(c.state());
    });
    const joined = concatDedupStates(parts);
    expect(joined).toEqual(roundTrip(one.state()));
    // and through the stage: one instance loads the joined state and drops what a single pass drops
    const whole = createDedup(p);
    whole.fit.observe(records);
    whole.fit.load([roundTrip(whole.fit.state() as never)]);
    const sliced = createDedup(p);
    sliced.fit.load([sliced.fit.concat!(parts)!]);
    const a = makeCtx();
    const b = makeCtx();
    expect(sliced.apply(records, b.ctx)).toEqual(whole.apply(records, a.ctx));
    expect(b.ctx.report.counters).toEqual(a.ctx.report.counters);
    expect(Object.keys(a.ctx.report.counters).length).toBeGreaterThan(0);
  });

  it('refuses states made with other parameters', () => {
    const a = new DedupCollector({ ...DEFAULTS }, 0).state();
    const b = new DedupCollector({ ...DEFAULTS, numPerm: 64 }, 0).state();
    expect(() => concatDedupStates([a, b])).toThrow(/other parameters/);
  });
});
