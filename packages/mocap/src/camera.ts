/**
 * Filming a {@link MotionClip3D}: where to point the camera and the projection of its COCO-17
 * joints. The camera model and the pose-estimator imitation are `@skelflow/pose`'s. Browser-safe.
 *
 * @module
 */
import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS, projectPoint, type PinholeCamera, type ProjectedClip } from '@skelflow/pose';
import type { MotionClip3D } from './clip.js';

const K = COCO17_KEYPOINTS.length;

/**
 * Projects every COCO-17 joint of every frame of a clip.
 *
 * @param clip - the clip (metres, y up).
 * @param cam - the camera, e.g. `lookAtCamera(spec, clipTarget(clip))`.
 * @returns pixel coordinates and depths (see {@link ProjectedClip}).
 * @example
 * ```ts
 * const proj = projectClip(clip, lookAtCamera({ azimuth: 30, elevation: 15, distance: 9, focal: 700 }, clipTarget(clip)));
 * proj.uv[0]; // nose x in frame 0
 * ```
 */
export function projectClip(clip: MotionClip3D, cam: PinholeCamera): ProjectedClip {
  const F = clip.nFrames;
  if (clip.coco.length !== F * K * 3) {
    throw new InputError(`coco has ${clip.coco.length} values, expected ${F}·17·3`, { source: clip.source || clip.name });
  }
  const uv = new Float64Array(F * K * 2);
  const depth = new Float32Array(F * K);
  for (let i = 0; i < F * K; i++) {
    const [u, v, d] = projectPoint(cam, clip.coco[3 * i], clip.coco[3 * i + 1], clip.coco[3 * i + 2]);
    uv[2 * i] = u;
    uv[2 * i + 1] = v;
    depth[i] = d;
  }
  return { nFrames: F, uv, depth, width: cam.width, height: cam.height };
}

/**
 * The point a camera should look at to keep a clip in view: the centre of the bounding box of the
 * root's ground track (x, z) at the mean root height. The root is the first full-skeleton joint
 * (the midpoint of the COCO hips when the clip has no full skeleton).
 *
 * @example
 * ```ts
 * const cam = lookAtCamera(spec, clipTarget(clip));
 * ```
 */
export function clipTarget(clip: MotionClip3D): [number, number, number] {
  let x0 = Infinity;
  let x1 = -Infinity;
  let z0 = Infinity;
  let z1 = -Infinity;
  let sy = 0;
  for (let f = 0; f < clip.nFrames; f++) {
    const [x, y, z] = rootAt(clip, f);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    z0 = Math.min(z0, z);
    z1 = Math.max(z1, z);
    sy += y;
  }
  if (clip.nFrames === 0) return [0, 0, 0];
  return [(x0 + x1) / 2, sy / clip.nFrames, (z0 + z1) / 2];
}

/**
 * The root position of frame `f`: full-skeleton joint 0, or the COCO hip midpoint when the clip
 * carries no full skeleton.
 *
 * @example
 * ```ts
 * const [x, y, z] = rootAt(clip, 0);
 * ```
 */
export function rootAt(clip: MotionClip3D, f: number): [number, number, number] {
  const J = clip.jointNames.length;
  if (J > 0 && clip.joints.length >= clip.nFrames * J * 3) {
    const o = f * J * 3;
    return [clip.joints[o], clip.joints[o + 1], clip.joints[o + 2]];
  }
  const o = f * K * 3;
  const c = clip.coco;
  return [(c[o + 33] + c[o + 36]) / 2, (c[o + 34] + c[o + 37]) / 2, (c[o + 35] + c[o + 38]) / 2];
}

