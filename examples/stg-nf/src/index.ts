export { type ResolvedStgNfConfig, resolveStgNfConfig, type StgNfConfig, type StgNfPermutation } from './config.js';
export { createStgNf, type ScoreSegmentsOptions, StgNf } from './model.js';
export { stgNfCheckpoint, stgNfConfigFromCheckpoint, stgNfFromCheckpoint, stgNfNameFromTorch } from './checkpoint.js';
export { trainStgNf, type TrainStgNfOptions } from './train.js';
export { segmentBatcher, type SegmentBatcher } from './segment_batcher.js';
export { stgNfRecipeLoopOptions, type StgNfRecipeLoopOptions } from './train_recipe.js';
export { encodeStgNf, STGNF_KIND, type StgNfFiles, stgNfFromSavedFiles } from './files.js';
export { stgNfFamily, StgNfAnomalyModel, type StgNfFamilyConfig } from './family.js';
export { stgNfFastPath, stgNfSteps, stgNfTrainForward, stgNfTrainBackward, stgNfEvalSamples, type StgNfStep } from './fused_fast_path.js';
