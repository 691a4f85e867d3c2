import type { LedgerJSON } from './ledger.js';
import type { StageRunReport } from './runner.js';
import type { StageDefinition } from './stage.js';

/** What a command gets: explicit streams, so commands are testable in-process. */
export interface CommandIO {
  argv: string[];
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The rules folder the CLI resolved (repository `rules/` unless --rules-dir). */
  rulesDir: string;
  /** The scrubline version, for manifests (the CLI sets it). */
  version?: string;
  /** Renders a run report as a self-contained HTML page, when an installed package can (the CLI sets it). */
  renderHtml?: (report: RunReport) => string;
}

export interface CommandDefinition {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text, with examples. */
  help: string;
  /** Returns the exit code (see the CLI README for the table). */
  run(io: CommandIO): Promise<number>;
}

export interface RunManifest {
  tool: { name: 'scrubline'; version: string };
  /** `failed` reports are written when a run stops after it started reading; nothing else is published then. */
  status?: 'ok' | 'failed';
  error?: { code: string; message: string; stage?: string; hint?: string };
  startedAt: string;
  finishedAt: string;
  configHash: string;
  config?: unknown;
  seed: string;
  shard: { index: number; count: number };
  phases: { total: number; run: number[] };
  /** bytes and sha256 are absent for standard input and output of a filter (`scrub` in a pipe); sha256 also for a file a failed run did not read to its end. */
  inputs: { path: string; bytes?: number; sha256?: string; encoding?: string; gzip?: boolean }[];
  outputs: { path: string; bytes?: number; sha256?: string; records: number }[];
  counts: { input: number; inputQuarantined: number; added: number; dropped: number; quarantined: number; output: number };
  /**
   * `phases`: wall-clock time of each phase run; for phase 0 run on slices, the units of input it
   * was cut into (`slices`), the threads that ran them (`threads`), and the time the slowest thread
   * took to start (modules, stages) before it read anything;
   * `stages`: time in each stage, summed over the slices that ran it.
   */
  timings: { totalMs: number; phases?: { phase: number; ms: number; slices: number; threads?: number; startupMs?: number }[]; stages: { id: string; ms: number }[] };
}

/** The machine-readable run report: manifest, ledger and every stage's report. */
export interface RunReport {
  manifest: RunManifest;
  ledger: LedgerJSON;
  stages: StageRunReport[];
  warnings: string[];
}

/** A package's contribution to the CLI: stages (each also a filter command), extra commands, report renderers. */
export interface ScrublinePlugin {
  name: string;
  stages?: StageDefinition[];
  commands?: CommandDefinition[];
  /** Renders a self-contained HTML page from a run report (the CLI writes it when `output.html` is set). */
  renderHtml?(report: RunReport): string;
}
