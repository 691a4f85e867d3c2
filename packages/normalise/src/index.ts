import type { ScrublinePlugin } from '@scrubline/core';
import { normaliseStage } from './stage.js';

export { normaliseStage } from './stage.js';
export {
  createNormaliser,
  normaliseText,
  defaultRulesDir,
  emptyCounts,
  STEPS,
  type Normaliser,
  type NormaliserEnv,
  type NormaliseCounts,
  type ConversationResult,
  type TurnChange,
  type StepName,
} from './normaliser.js';
export { DEFAULT_OPTIONS, optionsSchema, type NormaliseOptions, type EmptyTurnPolicy } from './options.js';
export { detectLanguage, langStats, classify, DEFAULT_LANG_THRESHOLDS, type Lang, type LangStats, type LangThresholds } from './lang.js';
export { loadChineseConverter, type ChineseConverter, type ChineseDirection, type ChineseVariant } from './chinese.js';
export { parseEmoticonLexicon, readEmoticonLexicon, handleEmoticons, isPlaceholderShape, type EmoticonLexicon, type EmoticonMode } from './emoticons.js';
export { diffSample } from './mask.js';
export { nfc, removeZeroWidth, normaliseSpaces, halfWidth, collapseWhitespace } from './text.js';

export const normalisePlugin: ScrublinePlugin = {
  name: '@scrubline/normalise',
  stages: [normaliseStage],
};
