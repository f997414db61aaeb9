// @skelflow/model: the contract every anomaly model meets, the registry front ends use, and the
// streaming scorer that runs any of its models on live pose tracks.
// Browser-safe; folder I/O is in './node'.
export {
  MODEL_FORMAT_VERSION,
  type AnomalyModel,
  type DecisionThresholds,
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
  type SegmentExplanation,
  type TrainData,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  type TrainingState,
} from './contract.js';
export {
  configFromFlags,
  flagKey,
  isPoseSegmentInput,
  POSE_EVAL_SEGMENTATION,
  poseEvalSegments,
  poseSegmentFamily,
  recipeFlags,
  recipeSegments,
  type PoseSegmentFamilyParts,
} from './recipe.js';
export { DuplicateModelError, ModelRegistry, UnknownModelError, type AnyModelFamily } from './registry.js';
export { PoseEstimatorScorer, type ScoredPose } from './estimator_scorer.js';
export { StreamingScorer, type StreamingFrame, type StreamingModel, type StreamingScorerOptions } from './streaming.js';
export { nodeHook, registerNodeHook } from './node_hooks.js';
export { epochBatchProgress, trainFamilyModel, type EpochBatch, type FamilyTrainingResult, type FamilyTrainingRun } from './family_training.js';
export { explainClips, type ClipExplanation, type PersonExplanation } from './explain_frames.js';
export {
  checkDecisionThresholds,
  clipRule,
  decideClip,
  layoutJointNames,
  topJoints,
  type ClipDecisions,
  type ClipReason,
  type ClipStats,
  type FrameJoints,
  type RankedJoint,
  type SequenceDecision,
} from './decisions.js';
