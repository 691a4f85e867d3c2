/**
 * Byte ranges of one big line-based file, so that several threads can read it at once
 * (`run --threads`): cut at line ends, each range read by its own reader from `start` to
 * `end`, its lines numbered on from the lines before it. Only plain UTF-8 JSON Lines files
 * are cut: a gzip stream cannot be entered in the middle, a row export's sessions run across
 * lines, and GBK/GB18030 files (whose decoder is clean after a newline too) were not tried.
 */
import { open, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { InputConfig } from './config.js';
import { normaliseEncoding, sniffsAsUtf8, SNIFF_BYTES } from './decode.js';
import { formatOf, type ResolvedInput } from './reader.js';

/** Part of a file read by one reader: bytes [start, end), whole lines. */
export interface ByteRange {
  start: number;
  end: number;
  /** Lines of the file before `start` (the range's first line is number linesBefore + 1). */
  linesBefore: number;
}

/**
 * Whether `file` can be read in ranges: plain (not gzip) JSON Lines, UTF-8 as declared or as
 * `auto` decides from the file's first bytes, not a row export. Anything unreadable: no
 * (the reader of the whole file gives its error, in its place in the input).
 */
export async function canReadInRanges(file: ResolvedInput, input: InputConfig): Promise<boolean> {
  if (file.path === '-' || file.range) return false;
  const fmt = formatOf(file.name, input.format);
  if (fmt !== 'jsonl' && fmt !== 'ndjson') return false;
  if ((input.shape ?? 'canonical') === 'rows') return false;
  let declared;
  try {
    declared = normaliseEncoding(input.encoding);
  } catch {
    return false;
  }
  if (declared !== 'utf-8' && declared !== 'auto') return false;
  try {
    const fh = await open(file.path, 'r');
    try {
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
      if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return false;
      // auto: the reader's own sniff on these bytes
      return declared === 'utf-8' || sniffsAsUtf8(head.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * The file cut near each of `offsets` (ascending, inside the file): just after the first
 * newline at or after the offset. Offsets that land in the same line as an earlier cut, or
 * past the last newline, give no cut. Returns the cuts, ascending, each in (0, size).
 */
export async function cutAtLineEnds(path: string, offsets: number[]): Promise<number[]> {
  const size = (await stat(path)).size;
  const fh = await open(path, 'r');
  const cuts: number[] = [];
  try {
    const window = Buffer.allocUnsafe(64 * 1024);
    for (const offset of offsets) {
      let pos = Math.max(offset, cuts.length ? cuts[cuts.length - 1] : 0);
      let found = -1;
      while (pos < size && found < 0) {
        const { bytesRead } = await fh.read(window, 0, window.length, pos);
        if (bytesRead === 0) break;
        const nl = window.subarray(0, bytesRead).indexOf(10);
        if (nl >= 0) found = pos + nl + 1;
        else pos += bytesRead;
      }
      if (found > 0 && found < size && (cuts.length === 0 || found > cuts[cuts.length - 1])) cuts.push(found);
    }
  } finally {
    await fh.close();
  }
  return cuts;
}

/**
 * Reads a file once from start to end: its sha256, and the lines before each cut (counted
 * as the reader counts them: newlines). `onCut(k, lines)` is called as the scan passes cut k;
 * `stopped` is asked before each block (a run that ended reads no further). Without `digest`
 * it only counts and gives '' (on 75 MB here: sha256 245 ms, counting newlines 27 ms).
 */
export async function scanFile(path: string, cuts: number[], onCut: (k: number, linesBefore: number) => void, stopped: () => boolean = () => false, digest = true): Promise<string> {
  const fh = await open(path, 'r');
  const hash = digest ? createHash('sha256') : null;
  try {
    // counting alone: big blocks, so that it gets far in few turns of an event loop that a unit keeps busy
    const block = Buffer.allocUnsafe(digest ? 1 << 20 : 16 << 20);
    let pos = 0;
    let lines = 0;
    let k = 0;
    for (;;) {
      if (stopped()) throw new Error('the scan was stopped');
      const { bytesRead } = await fh.read(block, 0, block.length, pos);
      if (bytesRead === 0) break;
      const b = block.subarray(0, bytesRead);
      hash?.update(b);
      let i = -1;
      // newlines are counted only while cuts are left to pass (not in a pass for the digest alone)
      while (k < cuts.length) {
        i = b.indexOf(10, i + 1);
        // cuts are just after a newline: those at or before this newline's end are passed
        while (k < cuts.length && cuts[k] <= pos + (i < 0 ? bytesRead : i)) onCut(k, lines), k++;
        if (i < 0) break;
        lines++;
      }
      pos += bytesRead;
    }
    while (k < cuts.length) onCut(k, lines), k++;
  } finally {
    await fh.close();
  }
  return hash?.digest('hex') ?? '';
}
