export { ScrubError, parseArgsUsageError, safeMessage, ERROR_CODES, type ErrorCode, type ErrorContext } from './errors.js';
export { ROLES, recordJsonSchema, checkRecord, recordProblem, sourcePlace, type Role, type Turn, type ConversationRecord, type RecordSource, type RecordProblem } from './record.js';
export { StageReport, sortKeys, type ReportMessage } from './report.js';
export { Ledger, type LedgerEntry, type LedgerJSON, type StageCounts, type InputFileCounts, type LedgerSink } from './ledger.js';
export {
  defineStage,
  mapStage,
  filterStage,
  StageRegistry,
  type Stage,
  type StageDefinition,
  type StageContext,
  type StageEnv,
  type FitPass,
  type JsonSchema,
  type ShardSpec,
  type Logger,
} from './stage.js';
export { inOrder } from './inorder.js';
export {
  runPipeline,
  runSlice,
  runLastSlice,
  matchesWhen,
  splitSegments,
  writeAtomic,
  type LastPhaseJob,
  type LastSliceResult,
  type LocalSlices,
  type PlannedStep,
  type RunLastSliceOptions,
  type RunPipelineOptions,
  type RunPipelineResult,
  type RunSliceOptions,
  type SliceResult,
  type StageRunReport,
} from './runner.js';
export { LineSplitter, NdjsonFileWriter, readNdjsonBatches, WorkFileStream, type LineSplitterOptions } from './lines.js';
export { isProcessSpill, readSpill, spillWriter, type SpillWriter } from './spill.js';
export { sha256, stableStringify, fnv1a32, hash52, mulberry32, seededRandom } from './hash.js';
export { parseRuleYaml, writeRuleYamlCache } from './rule-yaml.js';
export { checkOptions, assertOptions, closest, validatorKey, writePrecompiledValidators, type OptionProblem } from './options.js';
export type { CommandIO, CommandDefinition, RunManifest, RunReport, ScrublinePlugin } from './plugin.js';
export { detectors, type PiiSpan, type Detector, type DetectorDefinition, type DetectContext } from './detector.js';
export { Hash52Set } from './hashset.js';
export { getDotted } from './dotted.js';
export { maskDigitRuns, maskLetters, safeFile, safeId, safeKey, PLACEHOLDER_SOURCE } from './mask.js';
export { LabelValueGuard, LabelReportKeys, labelReportKey, maxLabelValuesSchema, MAX_LABEL_VALUES } from './labelvalues.js';
export { EXIT, brokenPipe, errorToReport, exitCodeFor, isBrokenPipe } from './exit.js';
export { detachOneBuffer } from './jit.js';
