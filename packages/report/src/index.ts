import type { ScrublinePlugin } from '@scrubline/core';
import { renderHtml } from './html.js';
import { residualScan } from './residual.js';

export { residualScan, type ResidualScanOptions, type ResidualSummary, type ResidualSample } from './residual.js';
export { scanResidual, foldForScan, parseAllowList, RESIDUAL_SHAPES, type ResidualShape, type ResidualCandidate, type ScanOptions, type AllowRule } from './scan.js';
export { renderHtml, safeText } from './html.js';
export { barChart, histogram } from './svg.js';

/** The residual-scan stage (CLI filter `scrubline residual-scan`) and the HTML report renderer. */
export const reportPlugin: ScrublinePlugin = { name: 'report', stages: [residualScan], renderHtml };
