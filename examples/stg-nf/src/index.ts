export { type ResolvedStgNfConfig, resolveStgNfConfig, type StgNfConfig, type StgNfPermutation } from './config.js';
export { createStgNf, type ScoreSegmentsOptions, StgNf } from './model.js';
export { stgNfConfigFromCheckpoint, stgNfFromCheckpoint, stgNfNameFromTorch } from './checkpoint.js';
export { trainStgNf, type TrainStgNfOptions } from './train.js';
export { loadStgNf, saveStgNf, STGNF_KIND } from './persist.js';
export { stgNfFamily, StgNfAnomalyModel, type StgNfFamilyConfig } from './family.js';
export { stgnfFastPath, stgnfSteps, stgnfTrainForward, stgnfTrainBackward, stgnfEvalSamples, type StgnfStep } from './fused_fast_path.js';
