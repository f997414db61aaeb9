/**
 * `@skelflow/metrics`: the evaluation of pose-based video anomaly detection, identical to
 * the reference implementations: frame-level ROC AUC, AP and EER (scikit-learn), micro and
 * macro AUC, RBDC and TBDC (Ramachandra & Jones, WACV 2020), score post-processing (SciPy
 * `gaussian_filter1d`), thresholds and multi-level decision rules. Pure TypeScript, no
 * runtime dependencies, runs in browsers and Node.
 *
 * @packageDocumentation
 */
export { MetricsInputError } from './errors';

export { rocAuc, rocCurve } from './roc';
export { averagePrecision, prCurve } from './average_precision';
export { equalErrorRate } from './eer';
export { microMacroAuc } from './micro_macro';
export type {
  InputNames,
  MicroMacroOptions,
  MicroMacroResult,
  PrCurve,
  RocCurve,
  VideoAuc,
  VideoScores,
} from './types';

export { gaussianFilter1d, gaussianKernel1d, movingAverage } from './smoothing';
export type { BoundaryMode, GaussianFilterOptions, MovingAverageOptions } from './smoothing';
export { calibrationStats, minMaxNormalise, zNormalise } from './normalise';
export type { CalibrationStats } from './normalise';

export { applyThreshold, percentile, percentileThreshold } from './thresholds';
export type { ThresholdDecision } from './thresholds';
export { calibrateMultiLevel, evaluateClip } from './multilevel';
export type {
  ClipDecision,
  ClipReason,
  ClipScores,
  FlaggedJoint,
  MultiLevelCalibrationOptions,
  MultiLevelThresholds,
} from './multilevel_types';

export { boxIou } from './iou';
export type { Box } from './iou';
export { rbdcTbdc } from './detection_criteria';
export { rbdc } from './rbdc';
export { tbdc } from './tbdc';
export type {
  DetectionCriteriaOptions,
  DetectionCurve,
  DetectionDiagnostics,
  DetectionRow,
  RbdcResult,
  RbdcTbdcResult,
  TbdcResult,
  TieHandling,
  TrackRow,
  VideoRegions,
} from './detection_types';
export { formatDetections, formatTracks, parseDetections, parseTracks } from './formats';
export { poseRegions } from './pose_regions';
export type { PersonFrameScore, PoseRegionOptions, PoseRegionsResult } from './pose_regions';
