import type { ScrublinePlugin } from '@scrubline/core';
import { nerStage } from './stage.js';

export {
  NerDetector,
  createNerDetector,
  detectEntities,
  nerDetectorDefinition,
  resolveOverlaps,
  NER_TYPES,
  NER_DEFAULT_ANONYMISE,
  type NerOptions,
  type NerType,
} from './detector.js';
export { loadLexicons, DEFAULT_RULES_DIR, type Lexicons } from './lexicon.js';
export { jiebaSegmenter, type Segmenter, type Token } from './segmenter.js';
export { scoreSpans, type GoldItem, type GoldSpan, type ScoreReport, type TypeScore } from './eval.js';
export { nerStage, type NerStageOptions } from './stage.js';

/** Importing this package registers the `ner` detector in core's `detectors` registry (see detector.ts). */
export const nerPlugin: ScrublinePlugin = { name: 'ner', stages: [nerStage] };
