// BVH → MotionClip3D: forward kinematics of the format-free motion, COCO-17 by joint-name candidates.
import { InputError } from '@skelflow/base';
import { clipNameFromPath, type MotionClip3D } from '../clip.js';
import { BVH_COCO_CANDIDATES, clipFromPose, resolveCocoMap, type CocoHeadOptions, type CocoSourceMap } from '../coco_from_mocap.js';
import { restPose, type Pose3D } from '../kinematics.js';
import { parseBvh, type BvhFile } from './bvh.js';
import { bvhForwardKinematics, bvhTree } from './motion.js';

/** Options of {@link bvhToClip}. */
export interface BvhClipOptions {
  /** Clip name (default: the file name without directory and extension). */
  name?: string;
  /**
   * Metres per BVH unit (BVH has no unit field). Default 0.01 (centimetres: Mixamo, most DCC
   * exports); CMU's BVH conversions use inches / 0.45 → 0.056444; metre files use 1.
   */
  metresPerUnit?: number;
  /** Up axis of the file: `'y'` (default, the BVH norm) or `'z'` (rotated to y up: (x, y, z) → (x, z, −y)). */
  upAxis?: 'y' | 'z';
  /**
   * COCO source joints by name, overriding the defaults ({@link BVH_COCO_CANDIDATES}: Hips,
   * LeftUpLeg/LeftLeg/LeftFoot, LeftArm/LeftForeArm/LeftHand, Head, … matched case-insensitively,
   * ignoring a `prefix:` namespace such as `mixamorig:`).
   */
  cocoMap?: Partial<CocoSourceMap>;
  /** Face-point constants (see {@link cocoFromPose}). */
  head?: CocoHeadOptions;
  /** Frames per second; default `1 / Frame Time`, snapped to the nearest integer when within 0.1 %. */
  fps?: number;
}

/**
 * Forward kinematics of a parsed BVH, packaged as a {@link MotionClip3D} (metres, y up). `joints`
 * holds every ROOT/JOINT/End Site in file order; COCO-17 comes from the name mapping.
 *
 * @param bvh parsed BVH ({@link parseBvh})
 * @param options units, up axis, name mapping, face constants
 * @returns the clip
 * @throws InputError when a COCO joint cannot be mapped (lists the candidates tried) or options are invalid
 *
 * @example
 * ```ts
 * const clip = bvhToClip(parseBvh(text, 'walk.bvh'), { metresPerUnit: 0.01 });
 * ```
 */
export function bvhToClip(bvh: BvhFile, options: BvhClipOptions = {}): MotionClip3D {
  const mpu = options.metresPerUnit ?? 0.01;
  if (!(mpu > 0) || !Number.isFinite(mpu)) throw new InputError(`metresPerUnit must be a positive number, got ${mpu}`, { source: bvh.source });
  const up = options.upAxis ?? 'y';
  if (up !== 'y' && up !== 'z') throw new InputError(`upAxis must be 'y' or 'z', got '${String(up)}'`, { source: bvh.source });
  let fps = options.fps ?? 1 / bvh.frameTime;
  if (options.fps === undefined && Math.abs(fps - Math.round(fps)) <= 1e-3 * fps) fps = Math.round(fps);
  if (!(fps > 0) || !Number.isFinite(fps)) throw new InputError(`fps must be a positive number, got ${fps}`, { source: bvh.source });
  const tree = bvhTree(bvh, mpu);
  let pose = bvhForwardKinematics(bvh, mpu);
  let rest = restPose(tree);
  if (up === 'z') {
    pose = zUpToYUp(pose);
    rest = zUpToYUp(rest);
  }
  const map = resolveCocoMap(tree.names, BVH_COCO_CANDIDATES, options.cocoMap ?? {}, bvh.source);
  return clipFromPose(pose, rest, tree, map, { ...options.head, name: options.name ?? clipNameFromPath(bvh.source), fps, source: bvh.source });
}

/**
 * Parses a BVH text and returns the clip ({@link parseBvh} → {@link bvhToClip}).
 *
 * @param text BVH text
 * @param source file name for messages (and the default clip name)
 * @param options see {@link BvhClipOptions}
 * @returns the clip
 * @throws InputError with file and line (see {@link parseBvh})
 *
 * @example
 * ```ts
 * const clip = parseBvhClip(text, 'walk.bvh', { metresPerUnit: 0.01 });
 * ```
 */
export function parseBvhClip(text: string, source: string, options: BvhClipOptions = {}): MotionClip3D {
  return bvhToClip(parseBvh(text, source), options);
}

/** Rotates a z-up pose to y up: P = Rx(−90°), (x, y, z) → (x, z, −y); rotations become P·R·Pᵀ. */
function zUpToYUp(pose: Pose3D): Pose3D {
  const positions = new Float64Array(pose.positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] = pose.positions[i]!;
    positions[i + 1] = pose.positions[i + 2]!;
    positions[i + 2] = -pose.positions[i + 1]!;
  }
  // P·R·Pᵀ with P = [[1,0,0],[0,0,1],[0,-1,0]]: permute rows and columns (y ← z, z ← −y).
  const rotations = new Float64Array(pose.rotations.length);
  const idx = [0, 2, 1];
  const sgn = [1, 1, -1];
  for (let o = 0; o < rotations.length; o += 9) {
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) rotations[o + 3 * r + c] = sgn[r]! * sgn[c]! * pose.rotations[o + 3 * idx[r]! + idx[c]!]!;
    }
  }
  return { ...pose, positions, rotations };
}
