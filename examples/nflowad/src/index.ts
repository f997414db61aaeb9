export { type NflowadConfig, type NflowadNormalisation, resolveNflowadConfig, type ResolvedNflowadConfig } from './config.js';
export { datasetStats, standardiseDataset, standardiseFrames } from './normalise.js';
export {
  explainParts,
  fitScoreStats,
  fitThresholds,
  frameScore,
  IDENTITY_STATS,
  jointScore,
  meanStd,
  type NflowadExplanation,
  type NflowadFrameParts,
  type NflowadScoreStats,
  type NflowadThresholds,
  sequenceScores,
} from './score.js';
export { Nflowad, type NflowadScoreOptions, UNCALIBRATED } from './model.js';
export {
  calibrate,
  fitInputStats,
  frozenEmbeddings,
  type NflowadHistory,
  type NflowadProgress,
  type NflowadStage,
  trainFlowStage,
  trainMae,
  trainNflowad,
  type TrainNflowadOptions,
} from './train.js';
export { NFLOWAD_KIND, nflowadFromSavedFiles } from './files.js';
export { nflowadFamily, NflowadAnomalyModel, type NflowadFamilyConfig, type NflowadTrainData } from './family.js';
