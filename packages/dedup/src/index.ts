import type { ScrublinePlugin } from '@scrubline/core';
import { dedupStage } from './stage.js';

export { dedupStage, createDedup, type DedupOptions, type DedupSummary } from './stage.js';
export { DedupCollector, concatDedupStates, decide, bytesPerRecord, type DedupParams, type DedupState, type DedupStats, type Decision } from './index-state.js';
export { minhash, bandKeys, lowBytes, estimateJaccard8, jaccard, lshThreshold, exactText, comparisonTexts, normaliseTurn, mix32 } from './minhash.js';

export const dedupPlugin: ScrublinePlugin = {
  name: '@scrubline/dedup',
  stages: [dedupStage],
};
