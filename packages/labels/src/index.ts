import type { ScrublinePlugin } from '@scrubline/core';
import { consolidateLabelsStage } from './stage.js';

export { consolidateLabelsStage, createConsolidateLabels, type LabelsOptions, type LabelsSummary, type LabelsStage } from './stage.js';
export { consolidate, getPath, readVotes, type Method, type TieRule, type Consolidated } from './consolidate.js';
export {
  addItem,
  agreementOf,
  coincidences,
  emptyAgreementState,
  fleissKappa,
  krippendorffAlpha,
  mergeAgreementStates,
  type AgreementState,
  type AlphaMetric,
  type AlphaResult,
  type FleissResult,
} from './agreement.js';

export const labelsPlugin: ScrublinePlugin = {
  name: '@scrubline/labels',
  stages: [consolidateLabelsStage],
};
