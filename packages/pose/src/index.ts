/**
 * `@skelflow/pose`: pose tracks without tensors — skeleton layouts, AlphaPose JSON and `.npy`
 * I/O, segmentation and normalisation, the segment-to-frame protocol of STG-NF, the camera and
 * pose-estimator degradation model, and the seeded synthetic pose-track generator. Browser-safe;
 * file-system helpers are in `@skelflow/pose/node`.
 *
 * @packageDocumentation
 */

// Skeleton layouts: the one COCO-17 definition (names, edges, flip pairs) and COCO → OpenPose.
export { COCO17, COCO17_FLIP, COCO17_KEYPOINTS, OPENPOSE18, getSkeleton } from './layouts/skeletons.js';
export type { Coco17Keypoint, LayoutName, Skeleton } from './layouts/skeletons.js';
export {
  COCO17_LEFT_SHOULDER,
  COCO17_RIGHT_SHOULDER,
  COCO17_TO_OPENPOSE18_ORDER,
  coco17ToOpenPose18,
  OPENPOSE18_FLIP,
} from './layouts/convert.js';
export type { Coco17ArrayOptions } from './layouts/convert.js';

// Pose tracks: in memory (typed) and on disk (JSON), the converter between them.
export { coco17Values, frameKey } from './tracks/types.js';
export type { PersonTrack, PoseClip, PoseDetectionJson, PoseDims, PoseTracks, PoseTracksJson } from './tracks/types.js';
export { COORDINATE_LIMIT_FACTOR, COORDINATE_LIMIT_METRES, parsePoseTrackJson, poseTracksFromJson } from './tracks/parse_json.js';
export type { ParsePoseOptions } from './tracks/parse_json.js';
export { poseTracksToJson } from './tracks/to_json.js';
export { clipNameFromPoseFile, POSE3D_FILE_SUFFIX, POSE_FILE_SUFFIX } from './tracks/clip_name.js';

// Segmentation, normalisation, segment → frame scores, evaluation (STG-NF protocol).
export { normalizeSegment, STGNF_VID_RES } from './tracks/normalize.js';
export type { NormalizeOptions, NormalizeSegmentOptions } from './tracks/normalize.js';
export { continuousWindowStarts, segmentMetaList, segmentTracks } from './tracks/segment.js';
export type { PoseSegments, SegmentLayout, SegmentMeta, SegmentOptions } from './tracks/segment.js';
export { SEGMENT_NORMALIZATIONS } from './tracks/normalize_body.js';
export type { SegmentNormalization } from './tracks/normalize_body.js';
export { scoresToFrames } from './tracks/frame_scores.js';
export type { ClipFrameScores, FrameClip, FrameScores, ScoresToFramesOptions } from './tracks/frame_scores.js';
export { readGroundTruth } from './tracks/ground_truth.js';
export type { GroundTruthClip, GroundTruthConvention } from './tracks/ground_truth.js';
export { evaluateFrames, smoothStgNf } from './tracks/evaluate.js';
export type { EvalClip, EvaluateFramesInput, FrameEvaluation } from './tracks/evaluate.js';

// Browser pose estimators (pose-detection's MoveNet / BlazePose / PoseNet objects) → COCO-17 tracks.
export { BLAZEPOSE33_TO_COCO17, estimatorPoseToCoco17 } from './estimators/keypoints.js';
export type { EstimatorKeypoint, EstimatorLayout, EstimatorPose, EstimatorPoseOptions } from './estimators/keypoints.js';
export { boxIou, IouTracker, keypointBox } from './estimators/iou_tracker.js';
export type { Box, IouTrackerOptions, TrackedPose } from './estimators/iou_tracker.js';

// NumPy .npy.
export { readNpy, writeNpy } from './io/npy.js';
export type { NpyArray, NpyData, NpyDtype, NpyWriteDtype } from './io/npy.js';

// The one camera model and the one pose-estimator degradation model.
export {
  CAMERA_NEAR,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  cameraSpecProblem,
  levelCamera,
  lookAtCamera,
  projectPoint,
} from './camera/pinhole.js';
export type { CameraSpec, PinholeCamera } from './camera/pinhole.js';
export {
  MOCAP_ESTIMATOR_NOISE,
  SYNTHETIC_ESTIMATOR_NOISE,
  estimatorNoiseProblem,
  simulateEstimatorTracker,
  simulatePoseEstimator,
} from './camera/estimator.js';
export type {
  EstimatorNoise,
  EstimatorOutput,
  EstimatorTrackerOutput,
  IdSpan,
  ObservedPerson,
  ObservedScene,
  ProjectedClip,
} from './camera/estimator.js';

// The seeded synthetic pose-track generator (the embedded demo dataset).
export { demoDatasetStats, eventMask, generateDemoDataset } from './synthetic/dataset.js';
export type {
  AnomalyEvent,
  ClipTracks,
  DemoDataset,
  DemoDatasetMeta,
  DemoDatasetOptions,
  DemoDatasetStats,
  DemoScale,
  SceneRule,
  SplitStats,
} from './synthetic/dataset.js';
export { ANOMALY_KINDS } from './synthetic/motion.js';
export type { AnomalyKind } from './synthetic/motion.js';
export { DEMO_FPS } from './synthetic/scene.js';

// Rendering: pose tracks → pseudo-RGB person crops (MGNet's second modality).
export { cropBox, isVisible } from './render/crop_box.js';
export type { CropBox, CropBoxOptions } from './render/crop_box.js';
export { pointSegmentDistance, renderSkeletonFrame, resolveRenderOptions } from './render/rasterize.js';
export type { ResolvedRenderOptions, SkeletonRenderOptions } from './render/rasterize.js';
export { sceneIdFromClipName, sceneTexture } from './render/scene_background.js';
export type { SceneTexture } from './render/scene_background.js';
export { renderSkeletonSequence, renderTrackWindows } from './render/render_windows.js';
export type { RenderedWindows, RenderWindowsOptions } from './render/render_windows.js';
