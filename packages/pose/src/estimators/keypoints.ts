import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';

/**
 * One keypoint as the browser pose estimators return it (`@tensorflow-models/pose-detection`:
 * MoveNet, BlazePose, PoseNet): pixel coordinates, an optional confidence and name. Structural:
 * no dependency on the estimator package.
 */
export interface EstimatorKeypoint {
  /** Horizontal position, pixels. */
  x: number;
  /** Vertical position, pixels. */
  y: number;
  /** Depth (BlazePose's 2-D keypoints carry one); ignored. */
  z?: number;
  /** Confidence in [0, 1]; absent is read as 1. */
  score?: number;
  /** Keypoint name (`nose`, `left_eye`, …). When every keypoint has one, joints are matched by name. */
  name?: string;
}

/** A detected person as `detector.estimatePoses(image)` returns it (one array element). */
export interface EstimatorPose {
  /** 17 (MoveNet, PoseNet: COCO order) or 33 (BlazePose) keypoints. */
  keypoints: readonly EstimatorKeypoint[];
  /** The pose's confidence. */
  score?: number;
  /** MoveNet MultiPose's bounding box (normalised or pixels, whatever the estimator gives); the tracker uses it when present. */
  box?: { xMin: number; yMin: number; xMax: number; yMax: number };
  /** The estimator's own track ID (MoveNet MultiPose with its tracker enabled). */
  id?: number;
}

/** Keypoint layouts {@link estimatorPoseToCoco17} reads. */
export type EstimatorLayout = 'auto' | 'coco17' | 'blazepose33';

/**
 * The COCO-17 joints within BlazePose's 33 landmarks, by BlazePose index (MediaPipe Pose's
 * landmark order: 2 left_eye, 5 right_eye, 7/8 ears, 11-16 arms, 23-28 legs).
 */
export const BLAZEPOSE33_TO_COCO17: readonly number[] = Object.freeze([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]);

/** Options of {@link estimatorPoseToCoco17}. */
export interface EstimatorPoseOptions {
  /** `auto` (default): by names when every keypoint has one, else 17 → COCO order, ≥ 33 → BlazePose order. */
  layout?: EstimatorLayout;
  /** For error messages (e.g. `frame 12, pose 0`). */
  location?: string;
}

const SOURCE = 'estimatorPoseToCoco17';

/**
 * One estimator pose → COCO-17 keypoints `(x, y, confidence)` × 17 = 51 values, the layout of
 * AlphaPose tracks and of `StreamingScorer`'s default `keypointFormat`. MoveNet and PoseNet return
 * the COCO-17 joints in COCO order; BlazePose's 33 landmarks contain them (eyes, ears, shoulders,
 * elbows, wrists, hips, knees, ankles; {@link BLAZEPOSE33_TO_COCO17}), the hand, foot and extra
 * face landmarks are dropped. With names on every keypoint (pose-detection always sets them) the
 * joints are matched by name, whatever their order.
 *
 * Reference: `@tensorflow-models/pose-detection` README (keypoint diagrams, output format).
 *
 * @example
 * ```ts
 * const poses = await detector.estimatePoses(video); // MoveNet or BlazePose
 * const kp = estimatorPoseToCoco17(poses[0]!);        // Float32Array(51)
 * scorer.push('person 1', frameNumber, kp);
 * ```
 * @throws InputError when a joint is missing, a coordinate is not finite, or the keypoint count fits no layout.
 */
export function estimatorPoseToCoco17(pose: EstimatorPose, options: EstimatorPoseOptions = {}): Float32Array {
  const location = options.location;
  const kps = pose?.keypoints;
  if (!Array.isArray(kps)) throw new InputError('a pose needs a keypoints array', { source: SOURCE, ...(location ? { location } : {}) });
  const layout = options.layout ?? 'auto';
  let pick: (j: number) => EstimatorKeypoint | undefined;
  if (layout === 'auto' && kps.length > 0 && kps.every((k) => typeof k?.name === 'string')) {
    const byName = new Map(kps.map((k) => [k.name!, k]));
    pick = (j) => byName.get(COCO17_KEYPOINTS[j]!);
  } else if (layout === 'coco17' || (layout === 'auto' && kps.length === 17)) {
    if (kps.length < 17) throw new InputError(`${kps.length} keypoints; COCO-17 needs 17`, { source: SOURCE, ...(location ? { location } : {}) });
    pick = (j) => kps[j];
  } else if (layout === 'blazepose33' || (layout === 'auto' && kps.length >= 33)) {
    if (kps.length < 33) throw new InputError(`${kps.length} keypoints; BlazePose needs 33`, { source: SOURCE, ...(location ? { location } : {}) });
    pick = (j) => kps[BLAZEPOSE33_TO_COCO17[j]!];
  } else {
    throw new InputError(`${kps.length} unnamed keypoints: neither COCO-17 (17) nor BlazePose (33); pass options.layout`, { source: SOURCE, ...(location ? { location } : {}) });
  }
  const out = new Float32Array(51);
  for (let j = 0; j < 17; j++) {
    const k = pick(j);
    const where = `${location ? `${location}, ` : ''}${COCO17_KEYPOINTS[j]}`;
    if (!k) throw new InputError('keypoint missing', { source: SOURCE, location: where });
    const score = k.score ?? 1;
    if (!Number.isFinite(k.x) || !Number.isFinite(k.y) || !Number.isFinite(score)) {
      throw new InputError(`keypoint (${k.x}, ${k.y}, score ${score}) is not finite`, { source: SOURCE, location: where });
    }
    out[3 * j] = k.x;
    out[3 * j + 1] = k.y;
    out[3 * j + 2] = score;
  }
  return out;
}
