import type { ScrubError } from './errors.js';
import type { ConversationRecord } from './record.js';
import type { StageReport } from './report.js';

/** JSON Schema object (ajv 8). Options schemas should set `additionalProperties: false`. */
export type JsonSchema = Record<string, unknown>;

export interface ShardSpec {
  /** 0-based index of this shard. */
  index: number;
  /** Number of shards. */
  count: number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** What a stage factory gets besides its options. */
export interface StageEnv {
  /** Unique id of this step in the pipeline (its `id:` or its stage name, `#2` for repeats). */
  stageId: string;
  /** Run seed (string): derive every random choice from it. */
  seed: string;
  shard: ShardSpec;
  /** Folder that relative paths in options resolve against (the pipeline file's folder, or the cwd). */
  baseDir: string;
  /** The repository's or the user's `rules/` folder. */
  rulesDir: string;
  log: Logger;
  /**
   * Threads the stage may keep busy (its own worker pool included): 1 inside a slice of a
   * parallel run (`run --threads`), where the slices already use the machine's cores;
   * absent: as many as the machine has.
   */
  threads?: number;
  /** What the definition's `preload` gave for these options (made once, on the main thread); absent: none. */
  preloaded?: unknown;
}

/** What `apply` gets with each batch. */
export interface StageContext {
  readonly stageId: string;
  readonly seed: string;
  readonly shard: ShardSpec;
  readonly report: StageReport;
  /** The record leaves the pipeline here, for `reason` (a short stable slug, e.g. `duplicate`). */
  drop(record: ConversationRecord, reason: string, detail?: Record<string, unknown>): void;
  /** The record is broken in a way this stage cannot handle; it goes to the quarantine file. */
  quarantine(record: ConversationRecord, error: ScrubError): void;
  log: Logger;
}

/**
 * A global stage's first pass. The runner feeds every record of the corpus
 * (of this shard) to `observe`, then collects `state()` from every shard and
 * calls `load(states)` once before the first `apply`. State is statistics
 * (counts, hashes, signatures), never whole records, and must be JSON.
 */
export interface FitPass<S = unknown> {
  observe(batch: readonly ConversationRecord[]): void | Promise<void>;
  state(): S | Promise<S>;
  load(states: S[]): void | Promise<void>;
  /**
   * The state one pass over the whole input would have made, from the states of
   * consecutive slices of it (in input order; each slice observed by its own
   * instance, see `run --threads`); null when that cannot be told exactly, and the
   * runner then observes the slices' output again on one instance. Absent: the same.
   */
  concat?(states: S[]): S | null;
}

export interface Stage {
  fit?: FitPass;
  /**
   * Pure over a batch: returns the records that go on (possibly changed, possibly
   * more than came in, for oversampling and augmentation). Each record that does
   * not go on must be passed to `ctx.drop` or `ctx.quarantine`; the runner checks.
   */
  apply(batch: ConversationRecord[], ctx: StageContext): ConversationRecord[] | Promise<ConversationRecord[]>;
  /**
   * Batches the runner may hand to `apply` before the first of them is done (default 1). A stage
   * whose work runs on worker threads says 2, so that its workers have the next batch queued
   * while this thread finishes one; it must then finish its calls in the order they were made
   * (its report entries in input order) and must not drop or quarantine records (the runner
   * counts those per call).
   */
  inFlight?: number;
  /** Records held back until the end of input (rare). */
  flush?(ctx: StageContext): ConversationRecord[] | Promise<ConversationRecord[]>;
  /** Stage-specific summary for the run report (JSON). */
  summary?(): unknown;
  /**
   * Takes a summary joined from other instances' (`mergeSummaries`) as its own, for a `joinedFlush`
   * stage whose flush then runs on it (see `StageDefinition.joinedFlush`).
   */
  adopt?(summary: unknown): void;
  close?(): void | Promise<void>;
}

export interface StageDefinition<O = any> {
  /** CLI filter command name when it differs from `name` (e.g. stage `pii`, command `scrub`). */
  command?: string;
  /** Name used in `use:` and as the CLI filter command. */
  name: string;
  /** One line for `--help`. */
  description: string;
  optionsSchema: JsonSchema;
  /** Example options for help texts. */
  example?: O;
  create(options: O, env: StageEnv): Stage | Promise<Stage>;
  /**
   * True when the stage treats each record on its own (it keeps no state across
   * records but counts): the runner may then run it, with the input reader, on
   * consecutive slices of the input in worker threads, one instance per slice,
   * and the output is the same bytes (`run --threads`).
   */
  sliceable?: boolean;
  /**
   * Whether the stage made with these options has a fit pass (is global), told before it is made;
   * absent: known only once made. Lets `run --threads` start its slices early.
   */
  global?(options: O): boolean;
  /**
   * For a global stage: true when, once its fit state is loaded, `apply` treats each record on its own
   * (it keeps no state across records but counts, and has no flush), so that a last phase starting
   * with it may run on the slices of `run --threads`, one instance per slice, each loaded with the
   * same state; `mergeSummaries` then joins their summaries.
   */
  sliceableAfterFit?: boolean;
  /**
   * The summary one instance would have given, from the slices' summaries in input
   * order. Absent: equal summaries count as one; differing ones are listed.
   */
  mergeSummaries?(summaries: unknown[], options: O): unknown;
  /**
   * True for a stage that treats each record on its own (as `sliceable`) but has a flush that only
   * looks at its summary (e.g. fails the run on a count): in a last phase run on the slices of
   * `run --threads` the units do not flush; this thread's instance adopts the joined summary
   * (`Stage.adopt`) and flushes once, after every unit, as one thread would at the end of input.
   */
  joinedFlush?: boolean;
  /**
   * What `create` would read from disk first (rule packs, word lists), as plain data: made once on
   * the main thread and handed, with `env.preloaded`, to `create` there and in every slice of
   * `run --threads` (so each worker does not parse the files again). It must throw what `create`
   * would throw for the same options.
   */
  preload?(options: O, env: StageEnv): unknown | Promise<unknown>;
}

/** Identity helper that keeps option types. */
export function defineStage<O>(definition: StageDefinition<O>): StageDefinition<O> {
  return definition;
}

/** Map helper: a stage that changes each record and keeps them all. */
export function mapStage(fn: (record: ConversationRecord, ctx: StageContext) => ConversationRecord): Stage['apply'] {
  return (batch, ctx) => {
    for (let i = 0; i < batch.length; i++) batch[i] = fn(batch[i], ctx);
    return batch;
  };
}

/** Filter helper: `keep` returns true, or a drop reason. */
export function filterStage(keep: (record: ConversationRecord, ctx: StageContext) => true | string): Stage['apply'] {
  return (batch, ctx) => {
    const out: ConversationRecord[] = [];
    for (const r of batch) {
      const verdict = keep(r, ctx);
      if (verdict === true) out.push(r);
      else ctx.drop(r, verdict);
    }
    return out;
  };
}

export class StageRegistry {
  private readonly byName = new Map<string, StageDefinition>();

  register(...defs: StageDefinition[]): this {
    for (const d of defs) {
      if (this.byName.has(d.name)) throw new Error(`stage ${d.name} registered twice`);
      this.byName.set(d.name, d);
    }
    return this;
  }

  get(name: string): StageDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): StageDefinition[] {
    return this.names().map((n) => this.byName.get(n)!);
  }
}
