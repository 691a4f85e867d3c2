import type { ScrublinePlugin } from '@scrubline/core';

export { decodeFile, decodeStream, normaliseEncoding, newFileInfo, ENCODINGS, type Encoding, type FileInfo, type DecodeOptions } from './decode.js';
export { resolveInputs, readRecords, canReadTransparent, canReadInSlices, sessionRepeatAcrossSlices, comesBefore, foundAfterReading, readingStoppedBy, formatOf, type ResolvedInput, type ReadOptions } from './reader.js';
export type { SessionRuns } from './rows.js';
export { canReadInRanges, cutAtLineEnds, scanFile, type ByteRange } from './ranges.js';
export { mapDocument, mapCanonical } from './documents.js';
export { getPath, setDotted, parsePath } from './path.js';
export { inputSchema, outputSchema, type InputConfig, type OutputConfig, type InputFormat, type InputShape, type RowsMapping, type DocumentsMapping, type CsvOptions, type OutputFormat } from './config.js';
export { OutputParts, OutputSet, recordsToCsv, type OutputPart, type OutputSetOptions, type WrittenFile } from './writers.js';

/** io contributes no stages; readers and writers are used by the CLI's runner. */
export const ioPlugin: ScrublinePlugin = { name: 'io' };
