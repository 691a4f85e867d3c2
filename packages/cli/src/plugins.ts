import type { ScrublinePlugin } from '@scrubline/core';
import { inputSchema, ioPlugin } from '@scrubline/io';
import { topSchema } from './pipeline.js';
import { normalisePlugin } from '@scrubline/normalise';
import { piiPlugin } from '@scrubline/pii';
import { nerPlugin } from '@scrubline/ner';
import { piiEvalPlugin } from '@scrubline/pii-eval';
import { reportPlugin } from '@scrubline/report';
import { botFilterPlugin } from '@scrubline/botfilter';
import { dedupPlugin } from '@scrubline/dedup';
import { labelsPlugin } from '@scrubline/labels';
import { splitPlugin } from '@scrubline/split';
import { balancePlugin } from '@scrubline/balance';
import { augmentPlugin } from '@scrubline/augment';

/**
 * Every package that contributes stages, commands or report renderers, in
 * pipeline order. Importing @scrubline/pii and @scrubline/ner registers their
 * detectors (`rules`, `ner`) in core's registry.
 */
export const plugins: ScrublinePlugin[] = [
  ioPlugin,
  normalisePlugin,
  piiPlugin,
  nerPlugin,
  piiEvalPlugin,
  reportPlugin,
  botFilterPlugin,
  dedupPlugin,
  labelsPlugin,
  splitPlugin,
  balancePlugin,
  augmentPlugin,
];

/**
 * Every options schema the CLI checks with the built-in plugins: the pipeline file's top level, a filter
 * command's input section, each stage's options. Their validators are compiled at build time
 * (scripts/precompile.mjs); any other schema is compiled when first used.
 */
export function builtInOptionSchemas(): object[] {
  return [topSchema, inputSchema, ...plugins.flatMap((p) => (p.stages ?? []).map((s) => s.optionsSchema))];
}
