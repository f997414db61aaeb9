// @skelflow/model: the contract every anomaly model meets and the registry front ends use.
// Browser-safe; folder I/O is in './node'.
export {
  MODEL_FORMAT_VERSION,
  type AnomalyModel,
  type FlagSpec,
  type FlagType,
  type FlagValue,
  type FlagValues,
  type InputSpec,
  type KeypointLayout,
  type ModelFamily,
  type PoseFolder,
  type PoseTrainingSet,
  type Recipe,
  type SaveOptions,
  type SavedModelConfig,
  type ScoreOptions,
  type TrainData,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './contract.js';
export { configFromFlags, flagKey, poseEvalSegments, poseSegmentFamily, recipeFlags, recipeSegments, type PoseSegmentFamilyParts } from './recipe.js';
export { DuplicateModelError, ModelRegistry, UnknownModelError, type AnyModelFamily } from './registry.js';
