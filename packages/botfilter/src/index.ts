import type { ScrublinePlugin } from '@scrubline/core';
import { botFilterStage } from './stage.js';

export { botFilterStage, createBotFilter, frequencyFit, mergeBotFilterSummaries, sessionUtterances, type BotFilterOptions, type BotFilterSummary, type FrequencyOptions } from './stage.js';
export { classifyTurn, applyToRecord, stripSpans, mergeSpans, isBlank, type TurnVerdict, type ClassifyOptions, type BotAction, type ApplyResult } from './classify.js';
export { FrequencyCounter, normaliseUtterance, utteranceKey, maskForReport, type FrequencyState } from './frequency.js';
export { loadRules, parseRules, escapeRegex, type BotRule } from './rules.js';

export const botFilterPlugin: ScrublinePlugin = {
  name: '@scrubline/botfilter',
  stages: [botFilterStage],
};
