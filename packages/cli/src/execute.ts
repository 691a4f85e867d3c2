import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  Ledger,
  runPipeline,
  safeId,
  safeMessage,
  ScrubError,
  WorkFileStream,
  writeAtomic,
  type CommandIO,
  type ConversationRecord,
  type LedgerEntry,
  type PlannedStep,
  type RunReport,
  type ScrublinePlugin,
  type ShardSpec,
  EXIT,
  brokenPipe,
  isBrokenPipe,
  exitCodeFor,
  safeFile,
} from '@scrubline/core';
import { canReadTransparent, comesBefore, foundAfterReading, normaliseEncoding, OutputSet, readRecords, resolveInputs, sessionRepeatAcrossSlices, type FileInfo, type InputConfig, type OutputConfig, type OutputPart, type SessionRuns, type WrittenFile } from '@scrubline/io';
import { Progress } from './progress.js';
import { VERSION } from './version.js';
import { LocalSliceRun, readUpTo, sliceInputs } from './slices.js';
import { endPrestartedSliceWorkers, sliceThreads } from './early-slices.js';

export { EXIT, exitCodeFor } from '@scrubline/core';

/** Prints a coded error as one line (never a bare stack trace) and returns its exit code. */
export function reportError(e: unknown, stderr: NodeJS.WritableStream): number {
  // the reader of our stdout went away (e.g. `| head`): said plainly, not as a stage failure
  if (isBrokenPipe(e)) e = brokenPipe();
  if (e instanceof ScrubError) {
    stderr.write(`scrubline: error ${e.format()}\n`);
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    stderr.write(`scrubline: error SCRUB_INTERNAL: ${safeMessage(msg)}\n`);
    // where it failed, for a developer: the stack's frames only (its first line repeats the raw message)
    if (process.env.SCRUBLINE_DEBUG && e instanceof Error && e.stack) stderr.write(`${e.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n')}\n`);
  }
  return exitCodeFor(e);
}

export interface ExecuteOptions {
  input: InputConfig;
  output: OutputConfig;
  steps: PlannedStep[];
  seed: string;
  strict: boolean;
  baseDir: string;
  configHash: string;
  config?: unknown;
  shard: ShardSpec;
  phase: number | 'all';
  workDir?: string;
  quiet: boolean;
  io: CommandIO;
  plugins: ScrublinePlugin[];
  /** Rerun a sharded phase even when its completion marker exists. */
  force?: boolean;
  /** For filters: quarantine and drop entries go to stderr when no file is set. */
  filterMode?: boolean;
  /**
   * Threads for phase 0 (`run --threads`): this thread and N - 1 worker threads take consecutive
   * units of the input files in turn, each read and run through the stages before the first
   * global stage by the thread that took it. `auto`: the machine's cores when the input is at
   * least AUTO_SLICE_BYTES. The output is the same either way.
   */
  threads?: number | 'auto';
}

/** NDJSON side file (quarantine, dropped), written under a temp name and renamed on success. */
export class SideFile {
  private file: WorkFileStream | null = null;
  private tmp = '';
  /** The parts joined by `prepare` (earlier phases' or slices' first, then this one), published by `commit`. */
  private joined: string | null = null;
  count = 0;
  constructor(readonly path: string | undefined) {}
  private open(): WorkFileStream {
    mkdirSync(dirname(this.path!), { recursive: true });
    this.tmp = `${this.path}.tmp-${process.pid}`;
    // its first write error is kept and thrown by close (an unheard 'error' event would end the process)
    return (this.file = new WorkFileStream(this.tmp, { file: this.path, what: 'the side file' }));
  }
  add(entry: unknown): void {
    if (!this.path) return;
    this.file ??= this.open();
    this.count++;
    this.file.stream.write(JSON.stringify(entry) + '\n');
  }
  async close(): Promise<void> {
    if (!this.path) return;
    await (this.file ??= this.open()).close();
  }
  /**
   * Joins the file for publishing without publishing it: `earlier` are the same side file's parts
   * from earlier phases of a sharded run, or from the slices of this run (in the work folder); they
   * come first, so the published file is complete. A failure here leaves nothing published.
   */
  async prepare(earlier: string[] = []): Promise<void> {
    if (!this.path || this.joined) return;
    const parts = earlier.filter((p) => existsSync(p));
    if (!this.file) {
      if (parts.length === 0) return;
      await this.close(); // an empty part of this phase, so the earlier parts are published
    }
    if (parts.length === 0) return;
    this.joined = `${this.tmp}.joined`;
    const out = new WorkFileStream(this.joined, { file: this.path, what: 'the side file' });
    try {
      for (const p of [...parts, this.tmp]) for await (const chunk of createReadStream(p)) await out.write(chunk as Buffer);
    } finally {
      await out.close();
    }
    await rm(this.tmp, { force: true });
  }
  /** Publishes the file (joined first, see `prepare`). */
  async commit(earlier: string[] = []): Promise<void> {
    await this.prepare(earlier);
    if (!this.path || !this.file) return;
    try {
      await rename(this.joined ?? this.tmp, this.path);
    } catch (e) {
      throw new ScrubError('SCRUB_OUTPUT_FAILED', 'could not move the side file into place', { file: this.path }, { cause: e });
    }
  }
  /** Keeps this phase's part in the work folder for the final phase to publish. */
  async park(dir: string): Promise<void> {
    if (!this.path || !this.file) return;
    await mkdir(dir, { recursive: true });
    await rename(this.tmp, join(dir, basename(this.path)));
  }
  async abort(): Promise<void> {
    if (this.path && this.file) {
      this.file.stream.destroy();
      await rm(this.tmp, { force: true });
      if (this.joined) await rm(this.joined, { force: true });
    }
  }
}

function shardPath(path: string | undefined, shard: ShardSpec): string | undefined {
  if (!path || path === '-' || shard.count === 1 || path.includes('{shard}')) return path;
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(path)!;
  return `${m[1]}.shard-{shard}-of-${shard.count}${m[2] ?? ''}`;
}

/**
 * Runs input → stages → output with the ledger, side files, manifest and report.
 * Everything is written under temp names and published (renamed) only when the
 * run succeeded and the counts add up.
 */
export async function execute(o: ExecuteOptions): Promise<number> {
  const { io, shard } = o;
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const fill = (p: string | undefined) => (p ? resolve(o.baseDir, (shardPath(p, shard) ?? p).replace(/\{shard\}/g, String(shard.index))) : undefined);
  const outDir = o.output.path === '-' ? io.cwd : dirname(resolve(o.baseDir, o.output.path.replace(/\{.*$/, 'x')));
  const sidePath = (p: string | undefined, dflt: string) => fill(p ?? (o.filterMode ? undefined : join(relative(o.baseDir, outDir) || '.', dflt)));
  const quarantine = new SideFile(sidePath(o.output.quarantine, 'quarantine.ndjson'));
  const dropped = new SideFile(sidePath(o.output.dropped, 'dropped.ndjson'));
  const manifestPath = sidePath(o.output.manifest, 'manifest.json');
  const reportPath = sidePath(o.output.report, 'report.json');
  const htmlPath = fill(o.output.html);
  const outputs = new OutputSet({ path: shardPath(o.output.path, shard) ?? o.output.path, format: o.output.format, baseDir: o.baseDir, shard: shard.index, stdout: io.stdout });
  const ledger = new Ledger();
  ledger.strict = o.strict;
  const warnings: string[] = [];
  let ownWorkDir: string | null = null;
  /** Ends slice workers still running (the run failed, or phase 0 ran here after all). */
  let stopSlices = async () => {};
  let progress: Progress | null = null;
  const fileInfos: FileInfo[] = [];

  ledger.sink = (entry: LedgerEntry) => {
    if (entry.kind === 'quarantined') {
      if (quarantine.path) quarantine.add(entry);
      else io.stderr.write(`scrubline: quarantined ${entry.code} ${entry.source?.file === undefined ? '' : safeFile(entry.source.file)}${(entry.source as any)?.line ? ':' + (entry.source as any).line : ''}${entry.id ? ' record ' + safeId(entry.id) : ''}: ${entry.message}\n`);
    } else dropped.add({ ...entry, raw: undefined });
  };

  // Resumable sharded runs: a phase that finished for this shard leaves a marker (datatrove's
  // completions/); rerunning the job array redoes only the shards that did not finish.
  const sideDir = (phase: number) => join(resolve(io.cwd, o.workDir ?? '.'), 'side', `phase-${phase}`, `shard-${shard.index}-of-${shard.count}`);
  const marker = o.workDir && o.phase !== 'all' ? join(resolve(io.cwd, o.workDir), 'completions', `phase-${o.phase}`, `shard-${shard.index}-of-${shard.count}.json`) : null;
  if (marker && existsSync(marker) && !o.force) {
    if (!o.quiet) io.stderr.write(`scrubline: phase ${o.phase} of shard ${shard.index}/${shard.count} already completed (${marker}); skipping\n`);
    return EXIT.OK;
  }
  try {
    normaliseEncoding(o.input.encoding); // an unknown encoding stops the run before anything is read
    const files = await resolveInputs(o.input.files, o.baseDir, shard);
    // with no stage, nothing reads the text between reader and writer: UTF-8 goes through untranscoded
    const transparent = o.steps.length === 0 && canReadTransparent(files, o.input);
    outputs.transparent = transparent;
    let totalBytes = 0;
    for (const f of files) if (f.path !== '-') totalBytes += (await stat(f.path).catch(() => ({ size: 0 }))).size;
    progress = await Progress.for(io.stderr as any, o.quiet, totalBytes);
    const workDir = o.workDir ? resolve(io.cwd, o.workDir) : (ownWorkDir = await mkdtemp(join(tmpdir(), 'scrubline-')));
    progress.start();
    const p = progress;
    const sliceFiles = await sliceInputs(o, files, transparent, totalBytes);
    const shown = new Set<string>();
    // each side file's slice parts in a folder of their own (the quarantine and drop files may share a name)
    const sidePart = (i: number, kind: 'quarantine' | 'dropped') =>
      (kind === 'quarantine' ? quarantine : dropped).path ? join(workDir, 'side', 'slices', kind, `slice-${i}-of-${sliceFiles.length}.ndjson`) : undefined;
    const slices =
      sliceFiles.length > 1
        ? new LocalSliceRun({
            files,
            slices: sliceFiles,
            threads: sliceThreads(o.threads, totalBytes),
            steps: o.steps,
            input: o.input,
            seed: o.seed,
            strict: o.strict,
            baseDir: o.baseDir,
            rulesDir: io.rulesDir,
            workDir,
            sidePart,
            fileInfos,
            warnings,
            progress: (bytes, records) => (p.addBytes(bytes), p.addRecords(records)),
            output: { path: shardPath(o.output.path, shard) ?? o.output.path, format: o.output.format, shard: shard.index, transparent },
            show: (m) => {
              if (!shown.has(m) && !warnings.includes(m)) p.line(`scrubline: warning ${m}`);
              shown.add(m);
            },
          })
        : undefined;
    // workers started with the CLI for `--threads N` that this run has no units for
    if (!slices) endPrestartedSliceWorkers();
    if (slices) {
      stopSlices = async () => {
        await slices.stop();
        // the slices' scratch (part files, sorted session runs) can hold personal data: gone with the run
        for (const d of slices.scratch) await rm(d, { recursive: true, force: true });
      };
    }
    /** The row sessions this thread's reader left when a stage closed it early, or the repeat its own check found. */
    let readerSessions: SessionRuns | null = null;
    let readerRepeat: ScrubError | null = null;
    /**
     * The run failed on this thread's reader. A stage's error that closed the reader early gives way
     * to a row session that came back after the reader's window earlier in the input (described, as
     * the slices give it); the files listed are those read up to the error's place, as on slices.
     */
    const sessionFirst = async (e: unknown): Promise<unknown> => {
      const runs = readerSessions;
      readerSessions = null;
      let error = e;
      // the reader's own finding may have been lost to a stage that failed on a batch read before it
      for (const repeat of [readerRepeat, runs ? await sessionRepeatAcrossSlices(files, [runs], o.input, workDir) : null]) {
        if (repeat && repeat !== error && comesBefore(files, repeat, error)) {
          (repeat as { stages?: unknown }).stages = (e as { stages?: unknown }).stages;
          error = foundAfterReading(repeat, e);
        }
      }
      // a reader that read ahead into the next file did not get there, for one reading in order
      const read = readUpTo(files, error);
      for (let i = fileInfos.length - 1; i >= 0; i--) if (!read(fileInfos[i].path)) fileInfos.splice(i, 1);
      return error;
    };
    let result: Awaited<ReturnType<typeof runPipeline>>;
    try {
      result = await runPipeline({
        steps: o.steps,
        source: () =>
          countRead(readRecords(files, {
            input: o.input,
            ledger,
            tmpDir: workDir,
            stdin: io.stdin,
            fileInfos,
            transparent,
            // the reader checks its row sessions at the end; closed early by a failing stage, it leaves them here
            sessionsLeft: (runs) => (readerSessions = runs),
            sessionRepeat: (repeat) => (readerRepeat = repeat),
            onBytes: (n) => p.addBytes(n),
            onWarning: (m) => {
              warnings.push(m);
              p.line(`scrubline: warning ${m}`);
            },
          }), (n) => p.addRecords(n)),
        sink: async (batches: AsyncIterable<ConversationRecord[]>) => {
          for await (const b of batches) await outputs.write(b);
        },
        // a last phase on the slices: each unit's encoded records, copied in input order
        sinkSlice: async (output: unknown) => {
          for (const part of output as OutputPart[]) {
            await outputs.writePart(part);
            await rm(part.file, { force: true });
          }
        },
        ledger,
        seed: o.seed,
        shard,
        baseDir: o.baseDir,
        rulesDir: io.rulesDir,
        log: { info: (m) => p.line(m), warn: (m) => (warnings.push(m), p.line(`scrubline: warning ${m}`)) },
        workDir,
        phase: o.phase,
        slices,
      });
    } catch (e) {
      throw await sessionFirst(e);
    }
    // phase 0 ran on slices: their drop and quarantine entries come first, in input order
    const sliceParts = (f: SideFile) =>
      result.slices > 1 ? [...Array(result.slices + result.lastSlices).keys()].map((i) => sidePart(i, f === quarantine ? 'quarantine' : 'dropped')!).filter(Boolean) : [];

    if (!result.final) {
      await quarantine.close();
      await dropped.close();
      // side files of a non-final phase wait in the work folder; the final phase publishes them whole
      await quarantine.park(sideDir(result.phasesRun[0]));
      await dropped.park(sideDir(result.phasesRun[0]));
      await outputs.abort();
      if (marker) await writeAtomic(marker, JSON.stringify({ phase: o.phase, shard, configHash: o.configHash, finishedAt: new Date().toISOString() }) + '\n');
      progress.stop(true, `phase ${result.phasesRun.join(',')} of ${result.phases} done for shard ${shard.index}/${shard.count}; states in ${workDir}`);
      return EXIT.OK;
    }

    const problems = ledger.verify();
    if (problems.length) {
      throw new ScrubError('SCRUB_LEDGER_MISMATCH', `the counts do not add up: ${problems[0]}`, { hint: 'nothing was published; this is a bug in a stage or reader' });
    }
    const written = await outputs.close();
    await quarantine.close();
    await dropped.close();
    // the side files are joined before anything is published: a failure there publishes nothing
    const earlier = (f: SideFile) => (o.phase === 'all' || !f.path ? sliceParts(f) : [...Array(o.phase).keys()].map((k) => join(sideDir(k), basename(f.path!))));
    await quarantine.prepare(earlier(quarantine));
    await dropped.prepare(earlier(dropped));
    // phase 0 on slices: also how long the slowest slice took to start (modules, stages) before reading
    const startup = result.slices > 1 ? slices?.startupMs() : undefined;
    const phaseTimes = result.phasesRun.map((phase, i) => ({
      phase,
      ms: result.phaseMs[i],
      slices: phase === 0 ? result.slices : phase === result.phases - 1 && result.lastSlices ? result.lastSlices : 1,
      ...(phase === 0 && result.slices > 1 && slices ? { threads: slices.threads } : {}),
      ...(phase === 0 && startup !== undefined ? { startupMs: startup } : {}),
    }));
    const report = buildReport(result.stages, result.phases, result.phasesRun, written, undefined, phaseTimes);
    if (manifestPath) await writeAtomic(manifestPath, JSON.stringify(report.manifest, null, 2) + '\n');
    if (reportPath) await writeAtomic(reportPath, JSON.stringify(report, null, 2) + '\n');
    if (htmlPath) await writeHtml(report);
    await outputs.commit();
    await quarantine.commit();
    await dropped.commit();
    if (marker) await writeAtomic(marker, JSON.stringify({ phase: o.phase, shard, configHash: o.configHash, outputs: report.manifest.outputs }) + '\n');
    const t = ledger.totals();
    progress.stop(
      true,
      `${t.input} in → ${t.output} out (${t.dropped} dropped, ${t.quarantined + t.inputQuarantined} quarantined, ${t.added} added) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return EXIT.OK;
  } catch (e) {
    await outputs.abort().catch(() => {});
    await quarantine.abort().catch(() => {});
    await dropped.abort().catch(() => {});
    progress?.stop(false, 'failed; nothing was published');
    // A run that stopped in a stage still explains itself to the auditor: a report marked failed
    // (counts so far, masked findings), never the data.
    const stages = (e as { stages?: RunReport['stages'] }).stages;
    if (stages && (reportPath || htmlPath)) {
      try {
        const report = buildReport(stages, 0, [], [], ScrubError.from(e));
        if (reportPath) await writeAtomic(reportPath, JSON.stringify(report, null, 2) + '\n');
        if (htmlPath) await writeHtml(report);
      } catch {
        /* the error below is what matters */
      }
    }
    return reportError(e, io.stderr);
  } finally {
    await stopSlices();
    if (ownWorkDir) await rm(ownWorkDir, { recursive: true, force: true });
  }

  function buildReport(
    stages: RunReport['stages'],
    phases: number,
    phasesRun: number[],
    written: WrittenFile[],
    error?: ScrubError,
    phaseTimes?: { phase: number; ms: number; slices: number; startupMs?: number }[],
  ): RunReport {
    const t = ledger.totals();
    const rel = (p: string) => (p === '-' ? '-' : relative(o.baseDir, p) || p);
    return {
      manifest: {
        tool: { name: 'scrubline', version: VERSION },
        status: error ? 'failed' : 'ok',
        ...(error ? { error: { code: String(error.code), message: error.message, stage: error.stage, hint: error.hint } } : {}),
        startedAt,
        finishedAt: new Date().toISOString(),
        configHash: o.configHash,
        config: o.config,
        seed: o.seed,
        shard,
        phases: { total: phases, run: phasesRun },
        inputs: fileInfos.map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 || undefined, encoding: f.encoding, gzip: f.gzip })),
        outputs: written.map((w: WrittenFile) => ({ path: rel(w.path), bytes: w.bytes, sha256: w.sha256, records: w.records })),
        counts: { input: t.input, inputQuarantined: t.inputQuarantined, added: t.added, dropped: t.dropped, quarantined: t.quarantined, output: t.output },
        timings: { totalMs: Date.now() - t0, ...(phaseTimes ? { phases: phaseTimes } : {}), stages: stages.map((s) => ({ id: s.id, ms: s.ms })) },
      },
      ledger: ledger.toJSON(),
      stages,
      warnings,
    };
  }

  async function writeHtml(report: RunReport): Promise<void> {
    const renderer = o.plugins.find((p) => p.renderHtml);
    if (!renderer) warnings.push('output.html is set but no installed package renders HTML reports');
    else await writeAtomic(htmlPath!, renderer.renderHtml!(report));
  }
}

async function* countRead(source: AsyncIterable<ConversationRecord[]>, add: (n: number) => void): AsyncGenerator<ConversationRecord[]> {
  for await (const b of source) {
    add(b.length);
    yield b;
  }
}
