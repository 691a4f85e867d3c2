import type { ScrublinePlugin } from '@scrubline/core';
import { evalPiiCommand } from './command.js';

export { evaluate, fBeta, matchCounts, STRUCTURED_TYPES, NER_TYPES, type EvalOptions, type EvalResult, type TypeResult, type MatchCounts, type LeakCounts, type Finding, type FindingKind } from './evaluate.js';
export { parseGold, parsePred, type GoldLine, type GoldSpan, type PredLine, type PredSpan } from './jsonl.js';
export { shapeMask, maskContext, maskPlain, isIdentifyingChar, type MaskRange } from './mask.js';
export { detectAll, createDetectors, guessLang, type DetectAllOptions } from './detect.js';
export { formatEval, pctDown, pctUp } from './format.js';
export { evalPiiCommand, runEvalPii, knownTypes } from './command.js';

export const piiEvalPlugin: ScrublinePlugin = { name: 'pii-eval', commands: [evalPiiCommand] };
