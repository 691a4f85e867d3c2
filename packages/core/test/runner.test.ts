import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineStage, filterStage, Ledger, runLastSlice, runPipeline, runSlice, ScrubError, type ConversationRecord, type LocalSlices, type PlannedStep, type SliceResult } from '@scrubline/core';

const rec = (id: string, text: string, label = 1): ConversationRecord => ({ id, turns: [{ role: 'customer', text }], labels: { y: label }, source: { file: 'mem' }, meta: {} });
const log = { info() {}, warn() {} };
const tmp = () => mkdtempSync(join(tmpdir(), 'scrubline-core-'));

const upper = defineStage({
  name: 'upper',
  description: 'upper-case',
  optionsSchema: { type: 'object' },
  create: () => ({ apply: (b) => b.map((r) => ({ ...r, turns: r.turns.map((t) => ({ ...t, text: t.text.toUpperCase() })) })) }),
});
const dropShort = defineStage({
  name: 'drop-short',
  description: '',
  optionsSchema: { type: 'object' },
  create: () => ({ apply: filterStage((r) => (r.turns[0].text.length >= 2 ? true : 'too-short')) }),
});
/** Global: drops texts seen more than once across the whole corpus (all shards), keeps the first id. */
const dedupe = defineStage({
  name: 'dedupe',
  description: '',
  optionsSchema: { type: 'object' },
  create: () => {
    const first = new Map<string, string>();
    let global = new Map<string, string>();
    return {
      fit: {
        observe: (b) => {
          for (const r of b) if (!first.has(r.turns[0].text) || r.id < first.get(r.turns[0].text)!) first.set(r.turns[0].text, r.id);
        },
        state: () => Object.fromEntries(first),
        load: (states: Record<string, string>[]) => {
          global = new Map();
          for (const s of states) for (const [k, v] of Object.entries(s)) if (!global.has(k) || v < global.get(k)!) global.set(k, v);
        },
      },
      apply: (b, ctx) =>
        b.filter((r) => {
          if (global.get(r.turns[0].text) === r.id) return true;
          ctx.drop(r, 'duplicate', { keptId: global.get(r.turns[0].text) });
          return false;
        }),
    };
  },
});
const double = defineStage({
  name: 'double',
  description: '',
  optionsSchema: { type: 'object' },
  create: () => ({ apply: (b) => b.flatMap((r) => [r, { ...r, id: r.id + '#2' }]) }),
});
const loser = defineStage({ name: 'loser', description: '', optionsSchema: { type: 'object' }, create: () => ({ apply: (b) => b.slice(1) }) });

const plan = (...defs: any[]): PlannedStep[] => defs.map((d) => ({ id: d.name, use: d.name, definition: d, options: {} }));

async function run(steps: PlannedStep[], input: ConversationRecord[][], extra: Partial<Parameters<typeof runPipeline>[0]> = {}) {
  const out: ConversationRecord[] = [];
  const ledger = extra.ledger ?? new Ledger();
  const result = await runPipeline({
    steps,
    source: async function* () {
      for (const b of input) {
        ledger.inputRecords += b.length;
        yield structuredClone(b);
      }
    },
    sink: async (bs) => {
      for await (const b of bs) out.push(...b);
    },
    ledger,
    seed: '1',
    baseDir: '.',
    rulesDir: '.',
    log,
    workDir: tmp(),
    ...extra,
  });
  return { out, ledger, result };
}

describe('runPipeline', () => {
  it('chains stages over batches and keeps the ledger balanced', async () => {
    const { out, ledger } = await run(plan(upper, dropShort), [[rec('a', 'hello'), rec('b', 'x')], [rec('c', 'yo')]]);
    expect(out.map((r) => r.turns[0].text)).toEqual(['HELLO', 'YO']);
    expect(ledger.verify()).toEqual([]);
    expect(ledger.stage('drop-short').dropped).toEqual({ 'too-short': 1 });
  });

  it('runs a global stage as fit then apply, in phases through a spill', async () => {
    const { out, ledger, result } = await run(plan(upper, dedupe, double), [[rec('a', 'same'), rec('b', 'other')], [rec('c', 'same')]]);
    expect(result.phases).toBe(2);
    expect(out.map((r) => r.id)).toEqual(['a', 'a#2', 'b', 'b#2']);
    expect(ledger.stage('dedupe').dropped).toEqual({ duplicate: 1 });
    expect(ledger.stage('double').added).toBe(2);
    expect(ledger.verify()).toEqual([]);
  });

  it('hands a stage that takes two batches in flight the next batch before the last is done, in order', async () => {
    const events: string[] = [];
    let open = 0;
    let most = 0;
    const slow = defineStage({
      name: 'slow',
      description: '',
      optionsSchema: { type: 'object' },
      create: () => ({
        inFlight: 2,
        apply: async (b) => {
          const id = b[0].id;
          events.push(`start ${id}`);
          most = Math.max(most, ++open);
          // finishes after a timer: the runner has brought the next batch meanwhile
          await new Promise((r) => setTimeout(r, 5));
          open--;
          events.push(`end ${id}`);
          return b.map((r) => ({ ...r, id: r.id + '+' }));
        },
        flush: () => [rec('z', 'flushed')],
      }),
    });
    const input = [[rec('a', 'aa')], [rec('b', 'bb')], [rec('c', 'cc')]];
    const { out, ledger } = await run(plan(upper, slow, dropShort), input);
    expect(out.map((r) => r.id)).toEqual(['a+', 'b+', 'c+', 'z']);
    expect(most).toBe(2);
    expect(events.slice(0, 3)).toEqual(['start a', 'start b', 'end a']);
    expect(ledger.stage('slow').in).toBe(3);
    expect(ledger.stage('slow').added).toBe(1);
    expect(ledger.verify()).toEqual([]);
    // one batch at a time without it
    most = 0;
    events.length = 0;
    const one = defineStage({ ...slow, name: 'one', create: async (o, e) => ({ ...(await slow.create(o, e)), inFlight: undefined }) });
    await run(plan(one), input);
    expect(most).toBe(1);
    // a failing batch fails the run (the one after it is left to settle, not reported)
    const failing = defineStage({
      name: 'failing',
      description: '',
      optionsSchema: { type: 'object' },
      create: () => ({
        inFlight: 2,
        apply: async (b) => {
          await new Promise((r) => setTimeout(r, 2));
          if (b[0].id === 'b') throw new Error('kaput');
          return b;
        },
      }),
    });
    await expect(run(plan(failing), input)).rejects.toMatchObject({ code: 'SCRUB_STAGE_FAILED', stage: 'failing' });
  });

  it('refuses a stage that declares an impossible number of batches in flight', async () => {
    for (const inFlight of [0, 1.5, Number.NaN, Infinity]) {
      const odd = defineStage({ name: 'odd', description: '', optionsSchema: {}, create: () => ({ inFlight, apply: (b) => b }) });
      await expect(run(plan(odd), [[rec('a', 'xx')]])).rejects.toMatchObject({ code: 'SCRUB_STAGE_FAILED', stage: 'odd' });
    }
  });

  it('fails a stage that loses records without a reason', async () => {
    await expect(run(plan(loser), [[rec('a', 'xx'), rec('b', 'yy')]])).rejects.toMatchObject({ code: 'SCRUB_STAGE_LOST_RECORDS' });
  });

  it('wraps a throwing stage in a coded error naming the stage', async () => {
    const boom = defineStage({ name: 'boom', description: '', optionsSchema: {}, create: () => ({ apply: () => { throw new Error('kaput'); } }) });
    await expect(run(plan(boom), [[rec('a', 'xx')]])).rejects.toMatchObject({ code: 'SCRUB_STAGE_FAILED', stage: 'boom' });
  });

  it('gives the same result sharded across processes (phase by phase) as in one run', async () => {
    const corpus = [rec('a', 'same'), rec('b', 'other'), rec('c', 'same'), rec('d', 'third'), rec('e', 'other'), rec('f', 'solo')];
    const single = await run(plan(upper, dedupe, double), [corpus]);
    const workDir = tmp();
    const shards = [corpus.filter((_, i) => i % 2 === 0), corpus.filter((_, i) => i % 2 === 1)];
    const outs: ConversationRecord[][] = [[], []];
    for (const phase of [0, 1]) {
      for (const i of [0, 1]) {
        const ledger = new Ledger();
        const r = await run(plan(upper, dedupe, double), phase === 0 ? [shards[i]] : [], { shard: { index: i, count: 2 }, phase, workDir, ledger });
        outs[i].push(...r.out);
        if (phase === 1) expect(ledger.verify()).toEqual([]);
      }
    }
    const merged = [...outs[0], ...outs[1]].map((r) => r.id).sort();
    expect(merged).toEqual(single.out.map((r) => r.id).sort());
  });

  it('refuses a later phase when a shard state is missing', async () => {
    const workDir = tmp();
    await run(plan(dedupe), [[rec('a', 'x')]], { shard: { index: 0, count: 2 }, phase: 0, workDir });
    const err = await run(plan(dedupe), [], { shard: { index: 0, count: 2 }, phase: 1, workDir }).catch((e) => e);
    expect(err).toBeInstanceOf(ScrubError);
    expect(err.code).toBe('SCRUB_SHARD_STATE_MISSING');
  });

  it("refuses 'all' phases for a sharded run with global stages", async () => {
    await expect(run(plan(dedupe), [[rec('a', 'x')]], { shard: { index: 0, count: 2 } })).rejects.toMatchObject({ code: 'SCRUB_SHARD_INVALID' });
  });
});

describe('Ledger', () => {
  it('finds counts that do not add up', () => {
    const l = new Ledger();
    l.inputRecords = 3;
    l.outputRecords = 2;
    expect(l.verify()[0]).toMatch(/input 3/);
    l.drop('s', rec('x', 'y'), 'why');
    l.stage('s').in = 3;
    l.stage('s').out = 2;
    expect(l.verify()).toEqual([]);
  });

  it('merges shard ledgers by summing', () => {
    const a = new Ledger();
    a.inputRecords = 2;
    a.outputRecords = 2;
    const b = new Ledger();
    b.inputRecords = 3;
    b.outputRecords = 2;
    b.drop('s', rec('x', 'y'), 'dup');
    Object.assign(b.stage('s'), { in: 3, out: 2 });
    Object.assign(a.stage('s'), { in: 2, out: 2 });
    const m = Ledger.merge([a.toJSON(), b.toJSON()]);
    expect(m.totals()).toMatchObject({ input: 5, output: 4, dropped: 1 });
    expect(m.verify()).toEqual([]);
  });
});

describe('step when', () => {
  it('runs a step only on matching records; the others pass untouched and keep their place', async () => {
    const en = (id: string, t: string) => ({ ...rec(id, t), meta: { lang: 'en' } });
    const zh = (id: string, t: string) => ({ ...rec(id, t), meta: { lang: 'zh' } });
    const steps: PlannedStep[] = [
      { id: 'upper', use: 'upper', definition: upper, options: {}, when: { 'meta.lang': 'en' } },
      { id: 'double', use: 'double', definition: double, options: {}, when: { 'meta.lang': ['zh'] } },
      { id: 'drop-short', use: 'drop-short', definition: dropShort, options: {}, when: { 'meta.lang': 'en' } },
    ];
    const { out, ledger } = await run(steps, [[zh('a', '你好'), en('b', 'hi'), en('c', 'x'), zh('d', '谢谢'), en('e', 'ok')]]);
    expect(out.map((r) => `${r.id}:${r.turns[0].text}`)).toEqual(['a:你好', 'a#2:你好', 'b:HI', 'd:谢谢', 'd#2:谢谢', 'e:OK']);
    expect(ledger.stage('upper')).toMatchObject({ in: 5, out: 5 });
    expect(ledger.stage('double')).toMatchObject({ in: 5, out: 7, added: 2 });
    expect(ledger.stage('drop-short')).toMatchObject({ in: 7, out: 6, dropped: { 'too-short': 1 } });
    expect(ledger.verify()).toEqual([]);
  });
});

describe('phase 0 on slices', () => {
  /** Record-local: upper-cases, drops 'BAD', counts and samples; its summary adds up over slices. */
  const tagger = defineStage({
    name: 'tagger',
    description: '',
    optionsSchema: { type: 'object' },
    sliceable: true,
    mergeSummaries: (list) => ({ seen: (list as { seen: number }[]).reduce((n, s) => n + s.seen, 0) }),
    create: () => {
      let seen = 0;
      return {
        apply: (b, ctx) => {
          const out: ConversationRecord[] = [];
          for (const r of b) {
            seen++;
            ctx.report.count('seen');
            ctx.report.sample('ids', r.id);
            const text = r.turns[0].text.toUpperCase();
            if (text === 'BAD') ctx.drop(r, 'bad');
            else out.push({ ...r, turns: [{ ...r.turns[0], text }] });
          }
          return out;
        },
        summary: () => ({ seen }),
      };
    },
  });
  /** Global, order-dependent: keeps the first record of each text in input order. */
  const firstSeen = (concat: boolean) =>
    defineStage({
      name: 'first-seen',
      description: '',
      optionsSchema: { type: 'object' },
      create: () => {
        const seen: [string, string][] = [];
        const keep = new Map<string, string>();
        return {
          fit: {
            observe: (b) => {
              for (const r of b) seen.push([r.turns[0].text, r.id]);
            },
            state: () => [...seen],
            load: (states: [string, string][][]) => {
              for (const s of states) for (const [t, id] of s) if (!keep.has(t)) keep.set(t, id);
            },
            ...(concat ? { concat: (states: [string, string][][]) => states.flat() } : {}),
          },
          apply: (b, ctx) =>
            b.filter((r) => {
              if (keep.get(r.turns[0].text) === r.id) return true;
              ctx.drop(r, 'duplicate');
              return false;
            }),
        };
      },
    });
  const input = [
    [rec('a', 'same'), rec('b', 'x'), rec('c', 'bad')],
    [rec('d', 'y'), rec('e', 'same')],
    [rec('f', 'x'), rec('g', 'z')],
  ];
  /** Slice `i` of `parts` through runSlice, as a worker thread runs it. */
  const sliceOf = (steps: PlannedStep[], parts: ConversationRecord[][][], i: number, dir: string, more: Partial<Parameters<typeof runSlice>[0]> = {}) => {
    const ledger = new Ledger();
    return runSlice({
      steps,
      source: async function* () {
        for (const b of parts[i]) {
          ledger.inputRecords += b.length;
          yield structuredClone(b);
        }
      },
      ledger,
      seed: '1',
      baseDir: '.',
      rulesDir: '.',
      log,
      spillPath: join(dir, `slice-${i}.ndjson`),
      ...more,
    });
  };
  /** Slices run here, one after the other, through runSlice as a worker thread would. */
  const inProcess = (steps: PlannedStep[], parts: ConversationRecord[][][], calls: string[]): LocalSlices => {
    const dir = tmp();
    const one = async (i: number) => {
      const r = await sliceOf(steps, parts, i, dir);
      if (!r) throw new Error('not sliceable');
      return r;
    };
    return {
      count: parts.length,
      start: () => void calls.push('start'),
      stop: async () => void calls.push('stop'),
      runAll: async () => {
        calls.push('runAll');
        const out = [];
        for (let i = 0; i < parts.length; i++) out.push(await one(i));
        return out;
      },
    };
  };

  for (const concat of [true, false]) {
    it(`gives the same records, counts and reports as one thread (${concat ? 'fit states joined' : 'fit pass replayed'})`, async () => {
      const steps = plan(tagger, firstSeen(concat), double);
      const one = await run(steps, input);
      const calls: string[] = [];
      const sliced = await run(steps, input, { slices: inProcess(steps, [[input[0]], [input[1], input[2]]], calls) });
      expect(calls).toEqual(['start', 'runAll']);
      expect(sliced.result.slices).toBe(2);
      expect(one.result.slices).toBe(1);
      expect(sliced.out).toEqual(one.out);
      expect(one.out.map((r) => r.id)).toEqual(['a', 'a#2', 'b', 'b#2', 'd', 'd#2', 'g', 'g#2']);
      expect(sliced.ledger.toJSON()).toEqual(one.ledger.toJSON());
      expect(sliced.ledger.verify()).toEqual([]);
      const strip = (s: { ms: number }[]) => s.map(({ ms: _ms, ...rest }) => rest);
      expect(strip(sliced.result.stages)).toEqual(strip(one.result.stages));
      expect(sliced.result.stages[0].summary).toEqual({ seen: 7 });
    });
  }

  it('runs phase 0 itself when a stage before the global one is not sliceable, or there is no global stage', async () => {
    for (const steps of [plan(upper, firstSeen(true)), plan(tagger, double)]) {
      const calls: string[] = [];
      const { out, result } = await run(steps, input, { slices: inProcess(steps, [[input[0]], [input[1], input[2]]], calls) });
      expect(calls).toEqual([]);
      expect(result.slices).toBe(1);
      expect(out.length).toBeGreaterThan(0);
    }
    // started early on a step that said it is global, then not sliced after all: stopped
    const liar = defineStage({ ...firstSeen(true), name: 'liar', global: () => true, create: () => ({ apply: (b) => b }) });
    const calls: string[] = [];
    const steps = plan(tagger, liar);
    const { result } = await run(steps, input, { slices: inProcess(steps, [[input[0]], [input[1], input[2]]], calls) });
    expect(calls).toEqual(['start', 'stop']);
    expect(result.slices).toBe(1);
    // and a slice asked anyway says so (null) without reading its input
    const ledger = new Ledger();
    let read = false;
    const r = await runSlice({
      steps: plan(upper, firstSeen(true)),
      source: async function* () {
        read = true;
        yield [];
      },
      ledger,
      seed: '1',
      baseDir: '.',
      rulesDir: '.',
      log,
      spillPath: join(tmp(), 's.ndjson'),
    });
    expect(r).toBeNull();
    expect(read).toBe(false);
  });

  /** Slices that run at once, here, each through runSlice, and say when their stages are made (`ready`) and take preloads (`provide`). */
  const eager = (steps: PlannedStep[], parts: ConversationRecord[][][]): LocalSlices => {
    const dir = tmp();
    const provided = new Map<string, unknown>();
    const waiting: [string, (d: unknown) => void][] = [];
    const results: Promise<SliceResult | null>[] = [];
    const made: Promise<unknown>[] = [];
    return {
      count: parts.length,
      start() {
        if (results.length) return;
        for (let i = 0; i < parts.length; i++) {
          let onReady = () => {};
          const ready = new Promise<void>((res) => (onReady = res));
          const result = sliceOf(steps, parts, i, dir, {
            onReady,
            preloaded: (id) => (provided.has(id) ? Promise.resolve(provided.get(id)) : new Promise((res) => waiting.push([id, res]))),
          });
          result.catch(() => {});
          results.push(result);
          made.push(Promise.race([ready, result]));
        }
      },
      provide(id, data) {
        provided.set(id, data);
        for (const [w, res] of waiting) if (w === id) res(data);
      },
      async ready() {
        const settled = await Promise.allSettled(made);
        const k = settled.findIndex((x) => x.status === 'rejected');
        if (k >= 0) throw (settled[k] as PromiseRejectedResult).reason;
      },
      runAll: async () => (await Promise.all(results)) as SliceResult[],
      stop: async () => {},
    };
  };

  it('leaves the steps before the global one to slices that say when they are ready, handing them what preload gave once', async () => {
    const events: string[] = [];
    /** tagger, with a preload (the word it tags with) and a record of where it is made */
    const loading = defineStage({
      ...tagger,
      name: 'loading',
      preload: (o: { fail?: string }) => {
        events.push('preload');
        if (o.fail === 'preload') throw new ScrubError('SCRUB_CONFIG_INVALID', 'no such rule pack', { field: 'rules' });
        return { word: 'tagged' };
      },
      create: (o: { fail?: string }, env) => {
        events.push(`create ${env.threads === 1 ? 'in a slice' : 'here'} with ${JSON.stringify(env.preloaded)}`);
        if (o.fail) throw new ScrubError('SCRUB_CONFIG_INVALID', 'no such rule pack', { field: 'rules' });
        return tagger.create({}, env);
      },
    });
    const global = defineStage({ ...firstSeen(true), name: 'early', global: () => true });
    const steps = plan(loading, global, double);
    const one = await run(steps, input);
    expect(events).toEqual(['preload', 'create here with {"word":"tagged"}']);
    events.length = 0;
    const sliced = await run(steps, input, { slices: eager(steps, [[input[0]], [input[1], input[2]]]) });
    // made in each slice only, with the one preload made here
    expect(events).toEqual(['preload', 'create in a slice with {"word":"tagged"}', 'create in a slice with {"word":"tagged"}']);
    expect(sliced.out).toEqual(one.out);
    expect(sliced.ledger.toJSON()).toEqual(one.ledger.toJSON());
    const strip = (x: { ms: number }[]) => x.map(({ ms: _ms, ...rest }) => rest);
    expect(strip(sliced.result.stages)).toEqual(strip(one.result.stages));

    // a step the slices make fails as on one thread, also when a later step fails too (one thread meets the earlier first)
    const broken = defineStage({ ...global, name: 'broken', create: () => { throw new ScrubError('SCRUB_CONFIG_INVALID', 'bad threshold', { field: 'threshold' }); } });
    for (const fail of ['create', 'preload']) {
      for (const later of [global, broken]) {
        const failing = plan(loading, later, double);
        failing[0].options = { fail };
        const alone = await run(failing, input).then(() => null, (e: unknown) => e as ScrubError);
        const split = await run(failing, input, { slices: eager(failing, [[input[0]], [input[1], input[2]]]) }).then(() => null, (e: unknown) => e as ScrubError);
        expect(alone).toMatchObject({ code: 'SCRUB_CONFIG_INVALID', stage: 'loading', message: 'no such rule pack' });
        expect(split).toMatchObject({ code: alone!.code, stage: alone!.stage, message: alone!.message, field: alone!.field });
      }
    }
  });

  it('a global lead step whose preload fails: the slices make it themselves (no wait for a preload that never comes)', async () => {
    const fail = () => {
      throw new ScrubError('SCRUB_CONFIG_INVALID', 'no such word list', { field: 'words' });
    };
    const lead = defineStage({ ...firstSeen(true), name: 'lead', global: () => true, preload: fail, create: fail });
    const steps = plan(tagger, lead);
    const alone = await run(steps, input).then(() => null, (e: unknown) => e as ScrubError);
    const timeout = new Promise((res) => setTimeout(() => res('still waiting after 5 s'), 5000));
    const split = await Promise.race([run(steps, input, { slices: eager(steps, [[input[0]], [input[1], input[2]]]) }).then(() => null, (e: unknown) => e as ScrubError), timeout]);
    expect(alone).toMatchObject({ code: 'SCRUB_CONFIG_INVALID', stage: 'lead', message: 'no such word list' });
    expect(split).toMatchObject({ code: alone!.code, stage: alone!.stage, message: alone!.message });
  });

  it('starts the slices before making its own stages when the global step says so, and fails with their error', async () => {
    const events: string[] = [];
    const global = defineStage({ ...firstSeen(true), name: 'early', global: () => true, create: async (o, e) => (events.push('created early'), firstSeen(true).create(o, e)) });
    const steps = plan(tagger, global);
    const slices: LocalSlices = {
      count: 2,
      start: () => void events.push('start'),
      stop: async () => void events.push('stop'),
      runAll: async () => {
        throw new ScrubError('SCRUB_JSON_PARSE', 'line is not JSON', { file: 'b.jsonl', line: 3 });
      },
    };
    await expect(run(steps, input, { slices })).rejects.toMatchObject({ code: 'SCRUB_JSON_PARSE', file: 'b.jsonl', line: 3 });
    expect(events.slice(0, 2)).toEqual(['start', 'created early']);
  });

  describe('and the last phase too', () => {
    /** firstSeen that says its apply is record-local once loaded, with a summary that adds up over units. */
    const firstSeenLocal = defineStage({
      ...firstSeen(true),
      name: 'first-seen-local',
      sliceableAfterFit: true,
      mergeSummaries: (list) => ({ kept: (list as { kept: number }[]).reduce((n, s) => n + s.kept, 0) }),
      create: async (o, e) => {
        const inner = await firstSeen(true).create(o, e);
        let kept = 0;
        return {
          ...inner,
          apply: async (b, ctx) => {
            const out = await inner.apply(b, ctx);
            kept += out.length;
            for (const r of out) ctx.report.sample('kept', r.id);
            return out;
          },
          summary: () => ({ kept }),
        };
      },
    });
    const doubleLocal = defineStage({ ...double, name: 'double-local', sliceable: true });
    /** Fails on record `id` (in the last phase, once loaded). */
    const failOn = (id: string) =>
      defineStage({
        name: 'fail-on',
        description: '',
        optionsSchema: { type: 'object' },
        sliceable: true,
        create: () => ({
          apply: (b) => {
            if (b.some((r) => r.id === id)) throw new ScrubError('SCRUB_STAGE_FAILED', `cannot take ${id}`, { record: id });
            return b;
          },
        }),
      });
    /** inProcess slices that also run the last phase, unit after unit, through runLastSlice: each unit's output is its records. */
    const withLast = (steps: PlannedStep[], parts: ConversationRecord[][][], calls: string[]): LocalSlices => ({
      ...inProcess(steps, parts, calls),
      runLast: async function* (job) {
        calls.push('runLast');
        for (const spill of job.spills) {
          const output: ConversationRecord[] = [];
          const ledger = new Ledger();
          const r = await runLastSlice({
            steps,
            fromStep: job.fromStep,
            state: structuredClone(job.state),
            spill,
            ledger,
            seed: '1',
            baseDir: '.',
            rulesDir: '.',
            log,
            sink: async (bs) => {
              for await (const b of bs) output.push(...b);
            },
          }).catch((e: unknown) => {
            // as LocalSliceRun hands a failed unit's counts on
            throw Object.assign(e as object, { unitLedger: ledger.toJSON() });
          });
          yield { ...r, output };
        }
      },
    });
    const units = [[input[0]], [input[1], input[2]]];

    it('runs the global step and those after it on the units, and gives the records, counts and reports of one thread', async () => {
      const steps = plan(tagger, firstSeenLocal, doubleLocal);
      const one = await run(steps, input);
      const calls: string[] = [];
      const written: ConversationRecord[] = [];
      const sliced = await run(steps, input, { slices: withLast(steps, units, calls), sinkSlice: async (o) => void written.push(...(o as ConversationRecord[])) });
      expect(calls).toEqual(['start', 'runAll', 'runLast']);
      expect(sliced.result).toMatchObject({ slices: 2, lastSlices: 2 });
      expect(one.result.lastSlices).toBe(0);
      expect(sliced.out).toEqual([]); // all through sinkSlice
      expect(written).toEqual(one.out);
      expect(one.out.map((r) => r.id)).toEqual(['a', 'a#2', 'b', 'b#2', 'd', 'd#2', 'g', 'g#2']);
      expect(sliced.ledger.toJSON()).toEqual(one.ledger.toJSON());
      expect(sliced.ledger.verify()).toEqual([]);
      const strip = (s: { ms: number }[]) => s.map(({ ms: _ms, ...rest }) => rest);
      expect(strip(sliced.result.stages)).toEqual(strip(one.result.stages));
      expect(sliced.result.stages[1].summary).toEqual({ kept: 4 });
    });

    it('keeps the last phase on this thread when the global step does not say it is record-local, or a step after it is not sliceable', async () => {
      for (const steps of [plan(tagger, firstSeen(true), doubleLocal), plan(tagger, firstSeenLocal, double)]) {
        const calls: string[] = [];
        const { out, result } = await run(steps, input, { slices: withLast(steps, units, calls), sinkSlice: async () => {} });
        expect(calls).toEqual(['start', 'runAll']);
        expect(result.lastSlices).toBe(0);
        expect(out.length).toBe(8);
      }
    });

    it('a step whose flush reads only its summary (joinedFlush) flushes once, on this thread, with the joined summary', async () => {
      let flushes = 0;
      /** Counts records; its flush fails the run when it saw more than `max`. */
      const counter = (max: number) =>
        defineStage({
          name: 'counter',
          description: '',
          optionsSchema: { type: 'object' },
          joinedFlush: true,
          mergeSummaries: (list) => ({ seen: (list as { seen: number }[]).reduce((n, x) => n + x.seen, 0) }),
          create: () => {
            const summary = { seen: 0 };
            return {
              apply: (b) => ((summary.seen += b.length), b),
              flush: () => {
                flushes++;
                if (summary.seen > max) throw new ScrubError('SCRUB_RESIDUAL_PII', `saw ${summary.seen}`);
                return [];
              },
              summary: () => summary,
              adopt: (joined) => Object.assign(summary, joined),
            };
          },
        });
      for (const max of [100, 3]) {
        const steps = plan(tagger, firstSeenLocal, counter(max));
        flushes = 0;
        const one = await run(steps, input).then((r) => r, (e: unknown) => e as ScrubError);
        expect(flushes).toBe(1);
        flushes = 0;
        const calls: string[] = [];
        const written: ConversationRecord[] = [];
        const sliced = await run(steps, input, { slices: withLast(steps, units, calls), sinkSlice: async (o) => void written.push(...(o as ConversationRecord[])) }).then(
          (r) => r,
          (e: unknown) => e as ScrubError,
        );
        expect(calls).toEqual(['start', 'runAll', 'runLast']);
        expect(flushes).toBe(1); // not in the units
        if (max === 3) {
          expect(one).toMatchObject({ code: 'SCRUB_RESIDUAL_PII', message: 'saw 4', stage: 'counter' });
          expect(sliced).toMatchObject({ code: 'SCRUB_RESIDUAL_PII', message: 'saw 4', stage: 'counter' });
        } else {
          const [a, b] = [one, sliced] as Awaited<ReturnType<typeof run>>[];
          expect(written).toEqual(a.out);
          expect(b.result.stages[2].summary).toEqual({ seen: 4 });
          expect(b.ledger.toJSON()).toEqual(a.ledger.toJSON());
        }
      }
    });

    it('keeps a joinedFlush step on this thread when a step after it has batches in flight, and a flushing step out of phase 0 slices', async () => {
      const flushing = defineStage({
        name: 'flushing',
        description: '',
        optionsSchema: { type: 'object' },
        sliceable: true,
        joinedFlush: true,
        mergeSummaries: (list) => list[0],
        create: () => ({ apply: (b) => b, flush: () => [], summary: () => ({}), adopt: () => {} }),
      });
      const ahead = defineStage({ name: 'ahead', description: '', optionsSchema: { type: 'object' }, sliceable: true, create: () => ({ apply: (b) => b, inFlight: 2 }) });
      // a flushing step after one with batches in flight: on one thread its flush cuts that step's last batch off
      for (const [steps, want] of [
        [plan(tagger, firstSeenLocal, flushing, ahead), ['start', 'runAll']],
        [plan(tagger, firstSeenLocal, ahead, flushing), ['start', 'runAll', 'runLast']],
        // before the global step: a flush sees the whole input on one thread, so phase 0 is not sliced at all
        [plan(flushing, firstSeenLocal, doubleLocal), []],
      ] as const) {
        const calls: string[] = [];
        const written: ConversationRecord[] = [];
        const one = await run([...steps], input);
        const sliced = await run([...steps], input, { slices: withLast([...steps], units, calls), sinkSlice: async (o) => void written.push(...(o as ConversationRecord[])) });
        expect(calls, steps.map((x) => x.id).join(' ')).toEqual(want);
        expect([...sliced.out, ...written]).toEqual(one.out);
      }
    });

    it("fails with a unit's error, the counts and reports of the units before it kept for the failed run's report", async () => {
      const steps = plan(tagger, firstSeenLocal, failOn('g'));
      const ledger = new Ledger();
      const err = await run(steps, input, { ledger, slices: withLast(steps, units, []), sinkSlice: async () => {} }).then(
        () => null,
        (e: unknown) => e as ScrubError & { stages?: { id: string; counters: Record<string, number>; samples: Record<string, unknown[]> }[] },
      );
      expect(err).toMatchObject({ code: 'SCRUB_STAGE_FAILED', stage: 'fail-on', record: 'g' });
      // the failing unit's counts as far as it came are the run's too: d, e, f, g went into first-seen-local
      expect(ledger.stage('first-seen-local').in).toBe(2 + 4);
      // the failing unit's samples of first-seen-local as far as it came are there too, as on one thread
      expect(err!.stages!.find((s) => s.id === 'first-seen-local')!.samples.kept).toEqual(['a', 'b', 'd', 'g']);
      const one = await run(steps, input).then(
        () => null,
        (e: unknown) => e as typeof err,
      );
      const strip = (s: { ms: number }[]) => s.map(({ ms: _ms, ...rest }) => rest);
      expect(strip(err!.stages as never)).toEqual(strip(one!.stages as never));
    });
  });
});
