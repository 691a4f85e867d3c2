import { detectors, type ScrublinePlugin } from '@scrubline/core';
import { detectCommand, scrubCommand } from './commands.js';
import { defaultRulesDir, getRuleEngine } from './engine.js';
import { ENTITY_TYPES } from './rules.js';
import { piiStage } from './stage.js';

export * from './validators.js';
export { normalize, toOriginal, type Normalized } from './normalize.js';
export {
  ENTITY_TYPES,
  RuleEngine,
  loadRulePacks,
  checkPatternSafety,
  canonicalValue,
  type RulePack,
  type RuleSpec,
  type TypeSpec,
  type WordWindow,
  type KeptSpan,
  type Analysis,
  type RuleEngineOptions,
} from './rules.js';
export { getRuleEngine, defaultRulesDir, type EngineOptions } from './engine.js';
export {
  applyOperators,
  ConversationScope,
  resolveHmacKey,
  mask,
  makeSurrogate,
  canonicalOf,
  DEFAULT_KEY_ENV,
  type OperatorSpec,
  type OperatorInput,
  type OperatorConfig,
  type OperatorResult,
  type Replacement,
} from './operators.js';
export { detect, scrubText, mergeSpans, conversationSpans, maskedSample, maskContext, type ScrubTextOptions } from './scrub.js';
export { piiStage, counterKey, parseCounterKey, scoreBucket, type PiiStageOptions } from './stage.js';
export { detectCommand, scrubCommand } from './commands.js';
export { AnalyzerPool } from './pool.js';
export { enableRegexpFallback } from './safety.js';

/**
 * The `rules` detector: the YAML rule packs. Options: `rules` (pack names),
 * `thresholds`, `disable` (types), `disableRules` (rule ids).
 */
detectors.register({
  name: 'rules',
  description: 'validated regex rule packs (rules/pii/*.yaml) with check digits, context words and normalisation',
  types: [...ENTITY_TYPES],
  create: (options: { rules?: string[]; packs?: string[]; thresholds?: Record<string, number>; disable?: string[]; disableRules?: string[] } = {}, env) =>
    getRuleEngine({
      rulesDir: env.rulesDir || defaultRulesDir(),
      packs: options.rules ?? options.packs,
      thresholds: options.thresholds,
      disable: options.disable,
      disableRules: options.disableRules,
    }),
});

/** Plugin: stage `pii` (filter command `scrub`, overridden by the explicit `scrub` command below), commands `detect` and `scrub`. */
export const piiPlugin: ScrublinePlugin = {
  name: 'pii',
  stages: [piiStage],
  commands: [detectCommand, scrubCommand],
};
