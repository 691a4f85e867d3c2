import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ScrubError } from './errors.js';
import { Ledger, type LedgerJSON } from './ledger.js';
import { readSpill, spillWriter } from './spill.js';
import type { ConversationRecord } from './record.js';
import { StageReport } from './report.js';
import { getDotted } from './dotted.js';
import { inOrder } from './inorder.js';
import type { Logger, ShardSpec, Stage, StageContext, StageDefinition, StageEnv } from './stage.js';

export interface PlannedStep {
  id: string;
  use: string;
  definition: StageDefinition;
  options: unknown;
  /**
   * Only records matching every `path: value` (or `path: [values]`) go through this step,
   * e.g. `{ 'meta.lang': 'en' }` to run an English rule pack; the others pass untouched
   * and keep their place.
   */
  when?: Record<string, unknown>;
}

export interface StageRunReport {
  id: string;
  use: string;
  counters: Record<string, number>;
  samples: Record<string, unknown[]>;
  messages: unknown[];
  /** Kinds the stage keeps fewer samples of (see StageReport.sample). */
  sampleLimits?: Record<string, number>;
  summary?: unknown;
  /** Merged reports of a sharded run: each shard's summary (then `summary` is absent). */
  shardSummaries?: unknown[];
  ms: number;
}

export interface RunPipelineOptions {
  steps: PlannedStep[];
  /** Phase-0 input as batches; reading errors go to the ledger by the reader. */
  source: () => AsyncIterable<ConversationRecord[]>;
  /** Receives the final batches (only in the last phase). */
  sink: (batches: AsyncIterable<ConversationRecord[]>) => Promise<void>;
  ledger: Ledger;
  seed: string;
  shard?: ShardSpec;
  baseDir: string;
  rulesDir: string;
  log: Logger;
  /**
   * Folder for spill files and fit states. For a one-machine run, a private temp
   * folder (removed afterwards); for a sharded run, a folder every shard can read.
   */
  workDir: string;
  /** `all` runs every phase in this process (one shard only, or no global stage). */
  phase?: number | 'all';
  /** Called with the number of records leaving the pipeline (for progress). */
  onOutput?: (n: number) => void;
  /**
   * Runs phase 0 on consecutive slices of the input at once (worker threads, see
   * `runSlice`) instead of on this thread, when the run is one shard in one process,
   * has a global stage and every stage before it is `sliceable`; otherwise unused.
   */
  slices?: LocalSlices;
  /**
   * Writes one unit's output of a last phase run on slices (`LocalSlices.runLast`), in input order:
   * what the unit's `output` says (encoded records, opaque to the runner). Without it, the last
   * phase runs on this thread.
   */
  sinkSlice?: (output: unknown) => Promise<void>;
}

/** Phase 0 over `count` consecutive slices of the input, each run by `runSlice` (on a worker thread, or this one). */
export interface LocalSlices {
  count: number;
  /** Starts the slices (once; later calls do nothing). The runner calls it as soon as it knows they run. */
  start(): void;
  /**
   * Every slice's result, in input order; rejects with the error one thread would have met first
   * (the earliest failing slice's, or an error only the slices together can see). That error may
   * carry `sliceLedgers`: the counts of the slices up to the failure, for the failed run's report.
   * `keep`: the threads are wanted again (`runLast`), so they do not end with phase 0.
   */
  runAll(keep?: boolean): Promise<SliceResult[]>;
  /** Ends slices started for nothing (the pipeline turned out not to run on slices). */
  stop(): Promise<void>;
  /**
   * Settles once every started slice has made its stages (or ended before): rejects with the
   * earliest slice's error in making them. When given, the runner leaves the stages before the
   * first global one to the slices (it does not make them itself).
   */
  ready?(): Promise<void>;
  /** When the first slice started (`performance.now()`), for phase 0's time; default: when the runner asks. */
  startedAt?: number;
  /**
   * Hands the slices what step `stepId`'s `preload` gave (undefined: nothing; the slices then make
   * the stage from its files). The runner gives one for every step with a `preload` up to the first
   * global step, before or after `start`; a slice waits for it before making that step.
   */
  provide?(stepId: string, data: unknown): void;
  /**
   * Runs the last phase on the units' spills (`runLastSlice` on each, on the threads of phase 0)
   * when that phase's global stage is `sliceableAfterFit` and every stage after it `sliceable`:
   * yields each unit's result in input order, or throws the earliest unit's error once the units
   * before it are yielded; that error may carry `unitLedger` and `unitReports`, the unit's counts and
   * its stages' reports as far as it came.
   * Absent: the last phase runs on this thread.
   */
  runLast?(job: LastPhaseJob): AsyncIterable<LastSliceResult>;
}

/** The last phase on slices: the steps from `fromStep` (a global one), its loaded fit state, and the units' spills in order. */
export interface LastPhaseJob {
  fromStep: number;
  state: unknown;
  spills: string[];
}

/** What a unit of the last phase hands back: its counts, its stages' reports, and its encoded output (for `sinkSlice`). */
export interface LastSliceResult {
  ledger: LedgerJSON;
  reports: StageRunReport[];
  output: unknown;
}

/** What a slice hands back: its counts, its stages' reports, the first global stage's fit state, its spill file. */
export interface SliceResult {
  ledger: LedgerJSON;
  reports: StageRunReport[];
  state: unknown;
  spill: string;
}

export interface RunPipelineResult {
  /** True when this call wrote the final output. */
  final: boolean;
  phases: number;
  phasesRun: number[];
  stages: StageRunReport[];
  /** Wall-clock milliseconds of each phase run, in order. */
  phaseMs: number[];
  /** Slices phase 0 ran on (1: on this thread). */
  slices: number;
  /** Units the last phase ran on (0: on this thread). */
  lastSlices: number;
}

interface Active {
  step: PlannedStep;
  stage: Stage;
  report: StageReport;
  ctx: StageContext;
  ms: number;
  /** When this stage's last call ended (calls in flight overlap: their time is counted once). */
  lastEnd?: number;
  /** True once this process applied the stage (its own summary is meaningful). */
  ran?: boolean;
  /** Summary from an earlier phase of a sharded run (this process did not run the stage). */
  carried?: unknown;
  /** Summaries of the slices that ran the stage, when they could not be merged into one. */
  sliceSummaries?: unknown[];
  /** A unit of a last phase on slices: the stage's flush is left to the main thread (`joinedFlush`). */
  skipFlush?: boolean;
}

/** Number of phases: one, plus one per global (fit) stage, known only after creation. */
export function splitSegments<T extends { fit?: unknown }>(stages: T[]): { global: T | null; rest: T[] }[] {
  const segments: { global: T | null; rest: T[] }[] = [{ global: null, rest: [] }];
  for (const s of stages) {
    if (s.fit) segments.push({ global: s, rest: [] });
    else segments[segments.length - 1].rest.push(s);
  }
  return segments;
}

/**
 * Runs a pipeline as phases split at global stages:
 *   phase 0: input → stages before the first global stage → fit(G1) + spill
 *   phase k: spill → G_k.apply (with the merged states of all shards) → … → fit(G_k+1) + spill
 *   last:    … → sink
 * Spilling keeps memory flat; fit states are statistics exchanged through JSON
 * files, so the same code runs one shard in one process or N shards as a
 * scheduler's job array (each phase after all shards finished the previous one).
 */
export async function runPipeline(o: RunPipelineOptions): Promise<RunPipelineResult> {
  const shard = o.shard ?? { index: 0, count: 1 };
  const ledger = o.ledger;
  const actives: Active[] = [];
  /** Steps [0, onSlicesOnly) are made by the slices alone (unless the lead step turns out not to be global). */
  let onSlicesOnly = 0;
  /** With slices started early (before this thread makes its stages): the first global step; -1: not started early. */
  let lead = -1;
  const sliceable = o.slices && o.slices.count > 1 && (o.phase ?? 'all') === 'all' && shard.count === 1 ? o.slices : null;
  if (sliceable) {
    // the slices start before this thread makes its own stages when the first step that is not
    // sliceable says, before it is made, that it is global (its start-up then overlaps ours)
    const first = o.steps.findIndex((s) => s.definition.sliceable !== true);
    if (first >= 0 && o.steps[first].definition.global?.(o.steps[first].options) === true) {
      lead = first;
      sliceable.start();
      // the steps before it run in the slices only: this thread does not make them (rule packs,
      // lexicons and segmenters loaded for nothing took CPU from the slices' start-up); whether
      // one of them fails to be made, the slices tell once their stages are made
      if (sliceable.ready) onSlicesOnly = lead;
    }
  }
  /** What each step's `preload` gave (the slices get it too), by step id. */
  const preloads = new Map<string, unknown>();
  const preloadOf = async (step: PlannedStep): Promise<unknown> => {
    if (!step.definition.preload) return undefined;
    if (!preloads.has(step.id)) {
      try {
        preloads.set(step.id, await step.definition.preload(step.options, envFor(step, o, shard)));
      } catch (e) {
        throw ScrubError.from(e, 'SCRUB_CONFIG_INVALID', { stage: step.id });
      }
    }
    return preloads.get(step.id);
  };
  for (const [i, step] of o.steps.entries()) {
    if (i < onSlicesOnly) {
      // made by the slices only: they get its preload (an error in it is theirs to give, as they make it)
      if (step.definition.preload) sliceable!.provide?.(step.id, await preloadOf(step).catch(() => undefined));
      actives.push(await createActive(step, o, shard, ledger, { onSlicesOnly: true }));
      continue;
    }
    let provided = false;
    try {
      const preloaded = await preloadOf(step);
      if (i <= lead && step.definition.preload) {
        sliceable!.provide?.(step.id, preloaded);
        provided = true;
      }
      actives.push(await createActive(step, o, shard, ledger, { preloaded }));
    } catch (e) {
      // the slices wait for every preload up to the lead step: its own failed, they make it themselves
      if (i <= lead && step.definition.preload && !provided) sliceable!.provide?.(step.id, undefined);
      // one thread would have met an earlier step's error first
      if (onSlicesOnly) await sliceable!.ready!();
      throw e;
    }
  }
  if (onSlicesOnly) await sliceable!.ready!();
  const segments = splitSegments(actives.map((a) => ({ a, fit: a.stage.fit })));
  const phases = segments.length;
  const phase = o.phase ?? 'all';
  if (phase === 'all' && shard.count > 1 && phases > 1) {
    throw new ScrubError('SCRUB_SHARD_INVALID', `this pipeline has ${phases - 1} global stage(s): a sharded run must run its ${phases} phases one by one`, {
      hint: `run --phase 0 … --phase ${phases - 1} on every shard, each phase after all shards finished the one before`,
    });
  }
  if (phase !== 'all' && (!Number.isInteger(phase) || phase < 0 || phase >= phases)) {
    throw new ScrubError('SCRUB_SHARD_INVALID', `phase ${phase} does not exist; this pipeline has phases 0..${phases - 1}`);
  }
  const toRun = phase === 'all' ? [...Array(phases).keys()] : [phase];
  const tag = `shard-${shard.index}-of-${shard.count}`;
  // a run of all phases reads its own spills back (structured clones); a phase of a sharded run leaves NDJSON for a later process (spill.ts)
  const spillPath = (p: number) => join(o.workDir, 'spill', `phase-${p}`, `${tag}.${phase === 'all' ? 'spill' : 'ndjson'}`);
  const statePath = (stageId: string, s: number) => join(o.workDir, 'state', safe(stageId), `shard-${s}-of-${shard.count}.json`);
  const carryPath = (p: number) => join(o.workDir, 'carry', `phase-${p}`, `${tag}.json`);
  // a stage with a flush sees the whole input on one thread: never on slices in phase 0
  const slices = sliceable && phases > 1 && segments[0].rest.every((x) => x.a.step.definition.sliceable === true && !x.a.stage.flush) ? sliceable : null;
  if (lead >= 0 && !slices) {
    await sliceable!.stop();
    // the lead step said it was global and is not (phase 0 runs here after all): make the steps left to the slices
    for (let i = 0; i < onSlicesOnly; i++) Object.assign(actives[i], await createActive(o.steps[i], o, shard, ledger, { preloaded: await preloadOf(o.steps[i]) }));
  }
  // the last phase runs on the slices too when it is phase 1 and its stages allow it
  const lastOnSlices =
    !!slices && phases === 2 && !!slices.runLast && !!o.sinkSlice && lastPhaseSliceable([segments[1].global!.a, ...segments[1].rest.map((x) => x.a)]);
  /** Phase 1's input when phase 0 ran on slices: their spills, in input order. */
  let sliceSpills: string[] | null = null;
  /** The first global stage's state as loaded after phase 0 on slices (the last phase's units load it too). */
  let loadedState: unknown;
  let lastSlices = 0;
  const phaseMs: number[] = [];

  try {
    for (const p of toRun) {
      const seg = segments[p];
      const started = performance.now();
      if (p === 0 && slices) {
        if (lead < 0) {
          // started now: the steps they make get what this thread's preloads gave
          for (const a of [...segments[0].rest.map((x) => x.a), segments[1].global!.a]) {
            if (a.step.definition.preload) slices.provide?.(a.step.id, preloads.get(a.step.id));
          }
        }
        ({ paths: sliceSpills, loaded: loadedState } = await runSlices(slices, segments[0].rest.map((x) => x.a), segments[1].global!.a, ledger, lastOnSlices));
        phaseMs.push(Math.round(performance.now() - Math.min(started, slices.startedAt ?? started)));
        continue;
      }
      // Carry the ledger and stage reports of earlier phases of this shard when they ran in another process.
      if (phase !== 'all' && p > 0) await restoreCarry(carryPath(p - 1), ledger, actives);
      if (seg.global && !(p === 1 && sliceSpills)) {
        const g = seg.global.a;
        let states: unknown[];
        if (phase === 'all') states = [JSON.parse(JSON.stringify(await g.stage.fit!.state()))];
        else states = await readStates(g.step.id, shard.count, statePath);
        await g.stage.fit!.load(states);
      }
      const chainStages = [...(seg.global ? [seg.global.a] : []), ...seg.rest.map((x) => x.a)];
      if (p === 1 && sliceSpills && lastOnSlices) {
        lastSlices = sliceSpills.length;
        // the units make these steps too: what their preloads gave here goes to them (a unit waits for it)
        for (const a of chainStages) if (a.step.definition.preload) slices!.provide?.(a.step.id, await preloadOf(a.step).catch(() => undefined));
        await runLastOnSlices(slices!, o.steps.indexOf(seg.global!.a.step), loadedState, sliceSpills, chainStages, ledger, o.sinkSlice!, o.onOutput);
        for (const f of sliceSpills) await rm(f, { force: true });
        phaseMs.push(Math.round(performance.now() - started));
        continue;
      }
      const input = p === 0 ? o.source() : readSpill(p === 1 && sliceSpills ? sliceSpills : spillPath(p));
      const out = chain(input, chainStages, ledger);
      if (p === phases - 1) {
        await o.sink(countOutput(out, ledger, o.onOutput));
      } else {
        const next = segments[p + 1].global!.a;
        await mkdir(join(o.workDir, 'spill', `phase-${p + 1}`), { recursive: true });
        const spill = spillWriter(spillPath(p + 1));
        try {
          for await (const b of out) {
            await next.stage.fit!.observe(next.step.when ? b.filter((r) => matchesWhen(r, next.step.when!)) : b);
            await spill.write(b);
          }
        } finally {
          await spill.close();
        }
        if (phase !== 'all') {
          await writeAtomic(statePath(next.step.id, shard.index), JSON.stringify(await next.stage.fit!.state()));
          await writeAtomic(carryPath(p), JSON.stringify({ ledger: ledger.toJSON(), reports: actives.map(reportOf) }));
        }
      }
      if (p > 0 && phase === 'all') await rm(spillPath(p), { force: true });
      if (p === 1 && sliceSpills) for (const f of sliceSpills) await rm(f, { force: true });
      phaseMs.push(Math.round(performance.now() - started));
    }
  } catch (e) {
    // Keep what the stages saw, so a failed run can still explain itself (e.g. residual findings).
    const err = ScrubError.from(e, 'SCRUB_STAGE_FAILED');
    (err as ScrubError & { stages?: StageRunReport[] }).stages = actives.map(reportOf);
    // a run of all phases in one go resumes nothing: its spills (records, maybe not yet scrubbed) go
    if (phase === 'all') for (let p = 1; p < phases; p++) await rm(spillPath(p), { force: true }).catch(() => {});
    throw err;
  } finally {
    for (const a of actives) await a.stage.close?.();
  }
  return {
    final: toRun.includes(phases - 1),
    phases,
    phasesRun: toRun,
    stages: actives.map(reportOf),
    phaseMs,
    slices: slices ? slices.count : 1,
    lastSlices,
  };
}

/**
 * Phase 0 on slices: each slice reads its part of the input, runs the stages before the
 * first global stage on its own instances, observes the global stage and spills; here
 * the slices' counts, reports and fit states become what one pass would have made
 * (slices are consecutive and merged in input order, so samples, drops and the spill
 * read back come in the same order as from one thread).
 */
async function runSlices(slices: LocalSlices, prefix: Active[], g: Active, ledger: Ledger, keep: boolean): Promise<{ paths: string[]; loaded: unknown }> {
  slices.start();
  /** The slices' counts as this run's (as far as they came, when one failed). */
  const addUp = (parts: LedgerJSON[]) => {
    const merged = Ledger.merge(parts);
    ledger.inputRecords = merged.inputRecords;
    Object.assign(ledger.inputQuarantined, merged.inputQuarantined);
    for (const [k, v] of merged.files) ledger.files.set(k, v);
    for (const a of prefix) ledger.stages.set(a.step.id, merged.stage(a.step.id));
  };
  let results: SliceResult[];
  try {
    results = await slices.runAll(keep);
  } catch (e) {
    const parts = (e as { sliceLedgers?: LedgerJSON[] }).sliceLedgers;
    if (parts?.length) addUp(parts);
    throw e;
  }
  if (results.length !== slices.count) throw new ScrubError('SCRUB_INTERNAL', `${results.length} slice result(s) for ${slices.count} slices`);
  const paths = results.map((r) => r.spill);
  addUp(results.map((r) => r.ledger));
  joinReports(prefix, results.map((r) => r.reports));
  const fit = g.stage.fit!;
  const one = fit.concat?.(results.map((r) => r.state)) ?? null;
  let loaded: unknown;
  if (one !== null) {
    loaded = JSON.parse(JSON.stringify(one));
  } else {
    // no exact way to join the slices' states: observe their output again, in order, on this instance
    for await (const b of readSpill(paths)) await fit.observe(g.step.when ? b.filter((r) => matchesWhen(r, g.step.when!)) : b);
    loaded = JSON.parse(JSON.stringify(await fit.state()));
  }
  await fit.load([loaded]);
  return { paths, loaded };
}

/** Adds the units' reports of each stage (in input order) to this thread's: counters, samples, messages, time, and one summary. */
function joinReports(actives: Active[], unitReports: StageRunReport[][]): void {
  for (const a of actives) {
    const parts = unitReports.map((r) => r.find((x) => x.id === a.step.id));
    if (parts.some((x) => !x)) throw new ScrubError('SCRUB_INTERNAL', `a slice did not report stage ${a.step.id}`, { stage: a.step.id });
    for (const part of parts as StageRunReport[]) {
      for (const [k, v] of Object.entries(part.counters)) a.report.count(k, v);
      for (const [k, list] of Object.entries(part.samples)) for (const s of list) a.report.sample(k, s, part.sampleLimits?.[k]);
      for (const m of part.messages) a.report.message(m as never);
      a.ms += part.ms;
    }
    const summaries = (parts as StageRunReport[]).map((x) => x.summary);
    const def = a.step.definition;
    if (def.mergeSummaries) a.carried = def.mergeSummaries(summaries, a.step.options);
    else if (summaries.every((x) => JSON.stringify(x) === JSON.stringify(summaries[0]))) a.carried = summaries[0];
    else a.sliceSummaries = summaries;
  }
}

/**
 * Whether the last phase's stages may run on slices: its global stage treats records on their own once
 * loaded, and so does every stage after it (one whose flush reads only its summary flushes here, after).
 */
function lastPhaseSliceable(stages: Active[]): boolean {
  const [g, ...rest] = stages;
  const local = (a: Active) => (a.step.definition.sliceable === true && !a.stage.flush) || joinedFlush(a);
  // on one thread a joinedFlush stage flushes when its input ends: a later stage with batches in flight has
  // then not written its last batch (and never will), while the units write everything before the flush
  const first = rest.findIndex(joinedFlush);
  const inOrderAfter = first < 0 || rest.slice(first + 1).every((a) => (a.stage.inFlight ?? 1) <= 1);
  return g?.stage.fit !== undefined && g.step.definition.sliceableAfterFit === true && !g.stage.flush && rest.every(local) && inOrderAfter;
}

/** A stage whose flush runs once, on this thread, with the units' joined summary (`StageDefinition.joinedFlush`). */
function joinedFlush(a: Active): boolean {
  return a.step.definition.joinedFlush === true && !!a.stage.flush && !!a.stage.adopt && !!a.step.definition.mergeSummaries;
}

/**
 * The last phase on slices: each unit of phase 0 has its spill run through the global stage (loaded
 * with the state this thread loaded) and the stages after it, and encoded for the output, on the
 * threads of phase 0; here the units' outputs are written, counts and reports joined, in input order
 * (so the output, the drop entries and the samples come as from one thread).
 */
async function runLastOnSlices(
  slices: LocalSlices,
  fromStep: number,
  state: unknown,
  spills: string[],
  stages: Active[],
  ledger: Ledger,
  sinkSlice: (output: unknown) => Promise<void>,
  onOutput?: (n: number) => void,
): Promise<void> {
  const parts: LedgerJSON[] = [];
  const reports: StageRunReport[][] = [];
  // the counts and reports of the units written so far become this run's (also for a failed run's report)
  const addUp = () => {
    const merged = Ledger.merge(parts);
    for (const a of stages) ledger.stages.set(a.step.id, merged.stage(a.step.id));
    ledger.outputRecords = merged.outputRecords;
    if (reports.length) joinReports(stages, reports);
  };
  try {
    for await (const r of slices.runLast!({ fromStep, state, spills })) {
      // counted before its output is written: a write that fails still leaves what the unit's steps did
      parts.push(r.ledger);
      reports.push(r.reports);
      await sinkSlice(r.output);
      onOutput?.(r.ledger.output.records);
    }
  } catch (e) {
    // the failing unit's counts and reports as far as it came, as phase 0's `sliceLedgers`
    const { unitLedger, unitReports } = e as { unitLedger?: LedgerJSON; unitReports?: StageRunReport[] };
    if (unitLedger) parts.push(unitLedger);
    if (unitReports) reports.push(unitReports);
    throw e;
  } finally {
    addUp();
  }
  // every unit written: the flushes that read only their summary run here, on the joined one, in step order
  for (const a of stages) {
    if (!joinedFlush(a)) continue;
    a.stage.adopt!(structuredClone(a.carried));
    const held = await applyOne(a, [], ledger, true);
    if (held.length) throw new ScrubError('SCRUB_INTERNAL', `stage ${a.step.id} held back records in a flush that reads only its summary`, { stage: a.step.id });
  }
}

export interface RunSliceOptions {
  steps: PlannedStep[];
  /** This slice's input as batches. */
  source: () => AsyncIterable<ConversationRecord[]>;
  ledger: Ledger;
  seed: string;
  baseDir: string;
  rulesDir: string;
  log: Logger;
  /** Where this slice's records go for phase 1 (its format follows the name: spill.ts). */
  spillPath: string;
  /** Called once the stages are created, before the first record is read (start-up timing). */
  onReady?: () => void;
  /** What the main thread's `preload` of step `stepId` gave (see `LocalSlices.provide`); absent: the stages load their own. */
  preloaded?: (stepId: string) => Promise<unknown>;
}

/**
 * Runs phase 0 of a one-shard run on one slice of the input (in a worker thread of
 * `run --threads`): the stages before the first global stage, one thread each (their
 * env says `threads: 1`), the global stage's fit pass, and the spill. Returns null,
 * having read nothing, when the pipeline cannot run on slices (no global stage, or a
 * stage before it that is not `sliceable`): `runPipeline` then runs phase 0 itself.
 */
export async function runSlice(o: RunSliceOptions): Promise<SliceResult | null> {
  const shard = { index: 0, count: 1 };
  const prefix: Active[] = [];
  let g: Active | null = null;
  try {
    for (const step of o.steps) {
      const preloaded = step.definition.preload && o.preloaded ? await o.preloaded(step.id) : undefined;
      const a = await createActive(step, o, shard, o.ledger, { threads: 1, preloaded });
      if (a.stage.fit) {
        g = a;
        break;
      }
      prefix.push(a);
      if (step.definition.sliceable !== true || a.stage.flush) return null;
    }
    if (!g) return null;
    o.onReady?.();
    await mkdir(dirname(o.spillPath), { recursive: true });
    const spill = spillWriter(o.spillPath);
    const fit = g.stage.fit!;
    try {
      for await (const b of chain(o.source(), prefix, o.ledger)) {
        await fit.observe(g.step.when ? b.filter((r) => matchesWhen(r, g!.step.when!)) : b);
        await spill.write(b);
      }
    } finally {
      await spill.close();
    }
    return { ledger: o.ledger.toJSON(), reports: prefix.map(reportOf), state: await fit.state(), spill: o.spillPath };
  } catch (e) {
    throw ScrubError.from(e, 'SCRUB_STAGE_FAILED');
  } finally {
    for (const a of [...prefix, ...(g ? [g] : [])]) await a.stage.close?.();
  }
}

export interface RunLastSliceOptions {
  steps: PlannedStep[];
  /** The global step the last phase starts with; the steps after it follow. */
  fromStep: number;
  /** Its fit state as the main thread loaded it. */
  state: unknown;
  /** This unit's spill from phase 0. */
  spill: string;
  ledger: Ledger;
  seed: string;
  baseDir: string;
  rulesDir: string;
  log: Logger;
  /** Takes the unit's output batches (e.g. encodes them for the output files). */
  sink: (batches: AsyncIterable<ConversationRecord[]>) => Promise<void>;
  preloaded?: (stepId: string) => Promise<unknown>;
}

/**
 * Runs the last phase of a one-shard run on one unit's spill (in a worker thread of `run --threads`,
 * see `LocalSlices.runLast`): the global stage loaded with the given state, the stages after it,
 * one thread each, and the sink. Returns the unit's counts and its stages' reports.
 */
export async function runLastSlice(o: RunLastSliceOptions): Promise<{ ledger: LedgerJSON; reports: StageRunReport[] }> {
  const shard = { index: 0, count: 1 };
  const actives: Active[] = [];
  try {
    for (const step of o.steps.slice(o.fromStep)) {
      const preloaded = step.definition.preload && o.preloaded ? await o.preloaded(step.id) : undefined;
      actives.push(await createActive(step, o, shard, o.ledger, { threads: 1, preloaded }));
    }
    if (!lastPhaseSliceable(actives)) throw new ScrubError('SCRUB_INTERNAL', 'the last phase cannot run on slices');
    // their flush runs once, on the main thread, after every unit (runLastOnSlices)
    for (const a of actives) if (joinedFlush(a)) a.skipFlush = true;
    await actives[0].stage.fit!.load([o.state]);
    await o.sink(countOutput(chain(readSpill(o.spill), actives, o.ledger), o.ledger));
    return { ledger: o.ledger.toJSON(), reports: actives.map(reportOf) };
  } catch (e) {
    // with what its stages did up to the failure, for the failed run's report (`LocalSlices.runLast`)
    const err = ScrubError.from(e, 'SCRUB_STAGE_FAILED');
    if (actives.length === o.steps.length - o.fromStep) (err as ScrubError & { unitReports?: StageRunReport[] }).unitReports = actives.map(reportOf);
    throw err;
  } finally {
    for (const a of actives) await a.stage.close?.();
  }
}

function reportOf(a: Active): StageRunReport {
  const r = a.report.toJSON();
  if (a.sliceSummaries) return { id: a.step.id, use: a.step.use, ...r, shardSummaries: a.sliceSummaries, ms: Math.round(a.ms) };
  const summary = a.ran || a.carried === undefined ? a.stage.summary?.() : a.carried;
  return { id: a.step.id, use: a.step.use, ...r, summary, ms: Math.round(a.ms) };
}

async function restoreCarry(path: string, ledger: Ledger, actives: Active[]): Promise<void> {
  let json: { ledger: LedgerJSON; reports: StageRunReport[] };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ScrubError('SCRUB_SHARD_STATE_MISSING', 'the previous phase of this shard left no ledger', { file: path, hint: 'run the phases in order' }, { cause: e });
  }
  const prev = Ledger.fromJSON(json.ledger);
  // replace counts wholesale: the carry is the truth up to the previous phase
  ledger.inputRecords = prev.inputRecords;
  Object.assign(ledger.inputQuarantined, prev.inputQuarantined);
  for (const [k, v] of prev.files) ledger.files.set(k, v);
  for (const [k, v] of prev.stages) ledger.stages.set(k, v);
  for (const r of json.reports) {
    const a = actives.find((x) => x.step.id === r.id);
    if (!a) continue;
    for (const [k, v] of Object.entries(r.counters)) a.report.count(k, v);
    for (const [k, list] of Object.entries(r.samples)) for (const s of list) a.report.sample(k, s, r.sampleLimits?.[k]);
    a.ms += r.ms;
    if (r.summary !== undefined) a.carried = r.summary;
  }
}

async function readStates(stageId: string, count: number, statePath: (id: string, s: number) => string): Promise<unknown[]> {
  const states: unknown[] = [];
  for (let s = 0; s < count; s++) {
    const path = statePath(stageId, s);
    try {
      states.push(JSON.parse(await readFile(path, 'utf8')));
    } catch (e) {
      throw new ScrubError('SCRUB_SHARD_STATE_MISSING', `fit state of stage ${stageId} from shard ${s} is missing`, {
        file: path,
        stage: stageId,
        hint: 'every shard must finish the previous phase first',
      }, { cause: e });
    }
  }
  return states;
}

async function createActive(
  step: PlannedStep,
  o: Pick<RunPipelineOptions, 'seed' | 'baseDir' | 'rulesDir' | 'log'>,
  shard: ShardSpec,
  ledger: Ledger,
  how: { threads?: number; onSlicesOnly?: boolean; preloaded?: unknown } = {},
): Promise<Active> {
  const env = envFor(step, o, shard, how.threads);
  if (how.preloaded !== undefined) env.preloaded = how.preloaded;
  let stage: Stage;
  try {
    stage = how.onSlicesOnly ? slicesOnlyStage(step.id) : await step.definition.create(step.options, env);
  } catch (e) {
    throw ScrubError.from(e, 'SCRUB_CONFIG_INVALID', { stage: step.id });
  }
  const report = new StageReport();
  ledger.stage(step.id);
  const ctx: StageContext = {
    stageId: step.id,
    seed: o.seed,
    shard,
    report,
    log: o.log,
    drop: (record, reason, detail) => ledger.drop(step.id, record, reason, detail),
    quarantine: (record, error) => ledger.quarantine(step.id, record, ScrubError.from(error, 'SCRUB_STAGE_FAILED', { stage: step.id, record: record.id })),
  };
  return { step, stage, report, ctx, ms: 0 };
}

function envFor(step: PlannedStep, o: Pick<RunPipelineOptions, 'seed' | 'baseDir' | 'rulesDir' | 'log'>, shard: ShardSpec, threads?: number): StageEnv {
  return { stageId: step.id, seed: o.seed, shard, baseDir: o.baseDir, rulesDir: o.rulesDir, log: o.log, ...(threads ? { threads } : {}) };
}

/** Stands for a stage that only the slices make and run: its report and summary come from them. */
function slicesOnlyStage(id: string): Stage {
  return {
    apply() {
      throw new ScrubError('SCRUB_INTERNAL', `stage ${id} runs in the slices only`, { stage: id });
    },
  };
}

async function* countOutput(out: AsyncIterable<ConversationRecord[]>, ledger: Ledger, onOutput?: (n: number) => void) {
  for await (const b of out) {
    ledger.outputRecords += b.length;
    onOutput?.(b.length);
    yield b;
  }
}

async function* chain(input: AsyncIterable<ConversationRecord[]>, stages: Active[], ledger: Ledger): AsyncGenerator<ConversationRecord[]> {
  // Each stage pulls batches from the one before, so a batch goes through every stage before the
  // next goes into the first (the reader parses one batch ahead), except where a stage takes more
  // than one batch in flight (the pii pool): it pulls the next batch through the stages before it
  // while its workers are on the current one. The order of the stages' calls, and so of their drop
  // and quarantine entries, depends on those declarations only, never on timing.
  let stream: AsyncIterable<ConversationRecord[]> = readAhead(input);
  for (const a of stages) stream = stageStream(a, stream, ledger);
  yield* stream;
}

/**
 * Reads one batch ahead: while a stage awaits work on another thread, the reader parses the
 * next batch on this one.
 */
async function* readAhead(input: AsyncIterable<ConversationRecord[]>): AsyncGenerator<ConversationRecord[]> {
  const it = input[Symbol.asyncIterator]();
  let next = it.next();
  next.catch(() => {}); // handled when awaited below; keeps Node from calling it unhandled meanwhile
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return;
      }
      next = it.next();
      next.catch(() => {});
      yield r.value;
    }
  } finally {
    // stopped early (an error downstream): close the reader so its files are released
    if (!finished) await it.return?.(undefined).catch(() => {});
  }
}

/** One stage over a stream of batches (empty batches skip it), then its flush at the end of input. */
async function* stageStream(a: Active, input: AsyncIterable<ConversationRecord[]>, ledger: Ledger): AsyncGenerator<ConversationRecord[]> {
  async function* nonEmpty() {
    for await (const b of input) if (b.length > 0) yield b;
  }
  const depth = a.stage.inFlight ?? 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > 16) {
    throw new ScrubError('SCRUB_STAGE_FAILED', `stage ${a.step.id} declares inFlight ${String(depth)}: it must be a whole number from 1 to 16`, { stage: a.step.id });
  }
  for await (const b of inOrder(nonEmpty(), (b) => applyOne(a, b, ledger, false), depth)) if (b.length > 0) yield b;
  if (a.stage.flush && !a.skipFlush) {
    const b = await applyOne(a, [], ledger, true);
    if (b.length > 0) yield b;
  }
}

function sumValues(o: Record<string, number>): number {
  let n = 0;
  for (const k in o) n += o[k];
  return n;
}

/** True when the record matches every condition of a step's `when`. */
export function matchesWhen(record: ConversationRecord, when: Record<string, unknown>): boolean {
  for (const [path, want] of Object.entries(when)) {
    const v = getDotted(record, path);
    if (Array.isArray(want) ? !want.includes(v as never) : v !== want) return false;
  }
  return true;
}

async function applyOne(a: Active, batch: ConversationRecord[], ledger: Ledger, flush: boolean): Promise<ConversationRecord[]> {
  const when = a.step.when;
  if (!when || flush) return applyAll(a, batch, ledger, flush);
  const matching = batch.filter((r) => matchesWhen(r, when));
  if (matching.length === batch.length) return applyAll(a, batch, ledger, flush);
  const counts = ledger.stage(a.step.id);
  const passed = batch.length - matching.length;
  counts.in += passed; // skipped records pass through this step untouched
  counts.out += passed;
  if (matching.length === 0) return batch;
  const inputIds = new Set(matching.map((r) => r.id));
  const matchSet = new Set(matching);
  const outs = await applyAll(a, matching, ledger, false);
  // put the step's output back in input order: each kept record at its place, added ones right after their predecessor
  const merged: ConversationRecord[] = [];
  let j = 0;
  for (const r of batch) {
    if (!matchSet.has(r)) {
      merged.push(r);
      continue;
    }
    while (j < outs.length && outs[j].id !== r.id && !inputIds.has(outs[j].id)) merged.push(outs[j++]);
    if (j < outs.length && outs[j].id === r.id) {
      merged.push(outs[j++]);
      while (j < outs.length && !inputIds.has(outs[j].id)) merged.push(outs[j++]);
    }
  }
  while (j < outs.length) merged.push(outs[j++]);
  return merged;
}

async function applyAll(a: Active, batch: ConversationRecord[], ledger: Ledger, flush: boolean): Promise<ConversationRecord[]> {
  const counts = ledger.stage(a.step.id);
  const n = batch.length;
  const before = sumValues(counts.dropped) + sumValues(counts.quarantined);
  const t0 = performance.now();
  a.ran = true;
  let out: ConversationRecord[];
  try {
    out = flush ? await a.stage.flush!(a.ctx) : await a.stage.apply(batch, a.ctx);
  } catch (e) {
    throw ScrubError.from(e, 'SCRUB_STAGE_FAILED', { stage: a.step.id });
  }
  const t1 = performance.now();
  // with batches in flight the calls overlap (and end in order): count each moment once
  a.ms += t1 - Math.max(t0, a.lastEnd ?? 0);
  a.lastEnd = t1;
  if (!Array.isArray(out)) throw new ScrubError('SCRUB_STAGE_FAILED', `stage ${a.step.id} returned no array`, { stage: a.step.id });
  const removed = sumValues(counts.dropped) + sumValues(counts.quarantined) - before;
  const added = out.length - (n - removed);
  if (added < 0) {
    throw new ScrubError('SCRUB_STAGE_LOST_RECORDS', `stage ${a.step.id} lost ${-added} record(s) without dropping or quarantining them`, { stage: a.step.id });
  }
  counts.in += n;
  counts.added += added;
  counts.out += out.length;
  return out;
}

export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '.';
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
