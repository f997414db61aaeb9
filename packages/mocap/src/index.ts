/**
 * `@skelflow/mocap`: motion capture to pose tracks. ASF/AMC and BVH readers convert into one
 * format-free skeleton motion; forward kinematics, COCO-17 mapping, resampling, splicing, filming
 * with `@skelflow/pose`'s camera and estimator model, and a manifest-driven dataset builder.
 * Browser-safe; the file readers and writer are in `@skelflow/mocap/node`.
 *
 * @packageDocumentation
 */

// The clip every reader produces.
export { clipNameFromPath } from './clip.js';
export type { MotionClip3D } from './clip.js';

// Rotations and format-free kinematics.
export { applyMat3, axisRotation, eulerToMatrix, identity3, mul3, parseAxisOrder, transpose3 } from './rotation.js';
export type { EulerConvention, Mat3, RotationAxis } from './rotation.js';
export { forwardKinematics, poseOfMotion, restPose } from './kinematics.js';
export type { KinematicTree, Pose3D, SkeletonMotion } from './kinematics.js';

// Acclaim ASF/AMC (CMU).
export { asfBoneIndex, parseAsf } from './asf_amc/asf.js';
export type { AsfBone, AsfDof, AsfParseOptions, AsfRoot, AsfRootChannel, AsfSkeleton } from './asf_amc/asf.js';
export { AMC_MAX_ABS_VALUE, parseAmc } from './asf_amc/amc.js';
export type { AmcLimitPolicy, AmcMotion, AmcParseOptions } from './asf_amc/amc.js';
export { asfForwardKinematics, asfMotion, asfTree } from './asf_amc/motion.js';
export { asfAmcToClip, parseAsfAmc } from './asf_amc/clip.js';
export type { AsfAmcClipOptions } from './asf_amc/clip.js';

// Biovision BVH.
export { BVH_MAX_ABS_VALUE, BVH_MAX_DEPTH, parseBvh } from './bvh/bvh.js';
export type { BvhChannel, BvhFile, BvhJoint } from './bvh/bvh.js';
export { bvhForwardKinematics, bvhMotion, bvhTree } from './bvh/motion.js';
export { bvhToClip, parseBvhClip } from './bvh/clip.js';
export type { BvhClipOptions } from './bvh/clip.js';

// COCO-17 from a skeleton.
export {
  BVH_COCO_CANDIDATES,
  CMU_COCO_MAP,
  DEFAULT_HEAD_OFFSETS,
  clipFromPose,
  cocoFromPose,
  resolveCocoMap,
} from './coco_from_mocap.js';
export type { CocoBodyJoint, CocoFacePoint, CocoHeadOptions, CocoSourceMap, HeadOffsets } from './coco_from_mocap.js';

// Resampling, filming, splicing.
export { clipStats, resampleClip } from './resample.js';
export type { ClipStats } from './resample.js';
export { clipTarget, projectClip, rootAt } from './camera.js';
export { cameraCoordinates, tracks3dFor } from './tracks3d.js';
export { armScheduleWeight, rotateArm } from './arm_rotation.js';
export type { ArmRotation, ArmRotationLabels, ArmSide } from './arm_rotation.js';
export { hipYaw, maxRootStep, rotateTranslateClip, sliceClip, spliceClips } from './splice.js';
export type { SpliceOptions, SplicedClip, SpliceSegment } from './splice.js';

// The manifest-driven dataset builder.
export {
  MOCAP_MANIFEST_FORMAT,
  checkManifestRanges,
  cmuClipFiles,
  manifestClipFiles,
  manifestClipNames,
  parseMocapManifest,
} from './manifest.js';
export type { ManifestClip, ManifestSegment, ManifestTestEntry, ManifestTrainEntry, MocapManifest } from './manifest.js';
export { buildMocapDataset, mocapClipName } from './builder.js';
export type { BuildMocapOptions, MocapClipInfo, MocapDataset, MocapDatasetMeta, MocapPoseClip } from './builder.js';
