export * from './config.js';
export * from './model.js';
export * from './checkpoint.js';
export * from './train.js';
export * from './persist.js';
export * from './streaming.js';
export { stgNfFamily, StgNfAnomalyModel, type StgNfFamilyConfig } from './family.js';
export { stgnfFastPath, stgnfSteps, stgnfTrainForward, stgnfTrainBackward, stgnfEvalSamples, type StgnfStep } from './fused_fast_path.js';
