export { main, buildRegistry, shardFrom } from './main.js';
export { execute, EXIT, exitCodeFor } from './execute.js';
export { loadPipeline, validatePipeline, pipelineSchema, type PipelineConfig, type LoadedPipeline } from './pipeline.js';
export { plugins } from './plugins.js';
export { mergeReports } from './merge.js';
