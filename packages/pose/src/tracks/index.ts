// Browser-safe entry point of the pose pipeline. `read_dir.ts` (node:fs) is deliberately not
// re-exported; Node callers import it directly. Internal helpers (the private Gaussian filter and
// ROC AUC, the normalisation fast path) are not exported either.
export type { PersonTrack, PoseTracks, PoseClip } from './types.js';
export { parsePoseTrackJson, type ParsePoseOptions } from './parse_json.js';
export { toOpenPose18 } from './keypoints.js';
export {
  normalizeSegment,
  STGNF_VID_RES,
  type NormalizeOptions,
  type NormalizeSegmentOptions,
} from './normalize.js';
export {
  segmentTracks,
  continuousWindowStarts,
  segmentMetaList,
  type SegmentOptions,
  type SegmentMeta,
  type PoseSegments,
} from './segment.js';
export {
  scoresToFrames,
  type FrameClip,
  type ScoresToFramesOptions,
  type ClipFrameScores,
  type FrameScores,
} from './frame_scores.js';
export { smoothStgNf } from './smoothing.js';
export { readGroundTruth, type GroundTruthConvention, type GroundTruthClip } from './ground_truth.js';
export { evaluateFrames, type EvalClip, type EvaluateFramesInput, type FrameEvaluation } from './evaluate.js';
export { clipNameFromPoseFile, POSE_FILE_SUFFIX } from './clip_name.js';
