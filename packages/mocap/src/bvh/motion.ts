// Biovision BVH → the format-free SkeletonMotion (../kinematics.ts).
import { poseOfMotion, type KinematicTree, type Pose3D, type SkeletonMotion } from '../kinematics.js';
import { eulerToMatrix, identity3, type RotationAxis } from '../rotation.js';
import type { BvhFile } from './bvh.js';

/**
 * The joint tree of a BVH file: every ROOT/JOINT and End Site in file order (parents first), offsets
 * scaled to metres.
 *
 * @param bvh parsed BVH
 * @param metresPerUnit metres per BVH length unit
 * @returns the tree (`offsetFrame: 'parent'`)
 *
 * @example
 * ```ts
 * bvhTree(bvh, 0.01).names[0]; // 'Hips'
 * ```
 */
export function bvhTree(bvh: BvhFile, metresPerUnit: number): KinematicTree {
  const J = bvh.joints.length;
  const offsets = new Float64Array(3 * J);
  bvh.joints.forEach((j, i) => {
    for (let k = 0; k < 3; k++) offsets[3 * i + k] = j.offset[k]! * metresPerUnit;
  });
  return { names: bvh.joints.map((j) => j.name), parents: bvh.joints.map((j) => j.parent), offsets, offsetFrame: 'parent' };
}

/**
 * Biovision BVH forward kinematics: `G_j = G_parent · T(t_j) · R_j`, t_j = OFFSET, with
 * `R_j` the product of the joint's rotation channels in listed order (intrinsic: `Zrotation
 * Xrotation Yrotation` → Rz·Rx·Ry), angles in degrees. Position channels give the joint's local
 * position and replace the OFFSET (per axis), as Blender's and three.js's BVH importers read them:
 * a root with OFFSET 0 100 0 and Yposition 100 stands at y = 100, not 200.
 *
 * References: Biovision BVH (Meredith & Maddock, "Motion Capture File Formats Explained", 2001).
 *
 * @param bvh parsed BVH
 * @param metresPerUnit metres per BVH length unit (offsets and position channels)
 * @param frames optional frame subset `[start, end)`; default all frames; `nFrames: 0` files give the rest pose
 * @returns global positions (metres) and rotations, joints as in {@link bvhTree}
 *
 * @example
 * ```ts
 * const pose = bvhForwardKinematics(parseBvh(text, 'walk.bvh'), 0.01);
 * ```
 */
export function bvhForwardKinematics(bvh: BvhFile, metresPerUnit: number, frames?: [number, number]): Pose3D {
  return poseOfMotion(bvhMotion(bvh, metresPerUnit, frames));
}

/**
 * A BVH motion as a format-free {@link SkeletonMotion} on {@link bvhTree}: local rotations from the
 * rotation channels, translations from the position channels (see {@link bvhForwardKinematics}).
 *
 * @param bvh parsed BVH
 * @param metresPerUnit metres per BVH length unit
 * @param frames optional frame subset `[start, end)`
 * @returns the motion
 *
 * @example
 * ```ts
 * const pose = poseOfMotion(bvhMotion(bvh, 0.01));
 * ```
 */
export function bvhMotion(bvh: BvhFile, metresPerUnit: number, frames?: [number, number]): SkeletonMotion {
  const tree = bvhTree(bvh, metresPerUnit);
  const [f0, f1] = frames ?? [0, bvh.nFrames];
  const F = f1 - f0;
  const J = bvh.joints.length;
  const C = bvh.nChannels;
  const local = new Float64Array(F * J * 9);
  const trans = new Float64Array(F * J * 3);
  const deg = Math.PI / 180;
  bvh.joints.forEach((jt, j) => {
    const rotK: number[] = [];
    const rotAxes: RotationAxis[] = [];
    const posK: number[] = [-1, -1, -1];
    jt.channels.forEach((c, k) => {
      const axis = c[0]!.toLowerCase() as RotationAxis;
      if (c.endsWith('rotation')) {
        rotK.push(jt.channelOffset + k);
        rotAxes.push(axis);
      } else posK['xyz'.indexOf(axis)] = jt.channelOffset + k;
    });
    const a = new Float64Array(rotK.length);
    for (let f = 0; f < F; f++) {
      const row = (f0 + f) * C;
      for (let k = 0; k < rotK.length; k++) a[k] = bvh.motion[row + rotK[k]!]! * deg;
      local.set(rotK.length ? eulerToMatrix(rotAxes, a, 'intrinsic') : identity3(), (f * J + j) * 9);
      // A position channel replaces that OFFSET component: translation = channel − offset.
      for (let q = 0; q < 3; q++) if (posK[q]! >= 0) trans[(f * J + j) * 3 + q] = (bvh.motion[row + posK[q]!]! - jt.offset[q]!) * metresPerUnit;
    }
  });
  return { tree, nFrames: F, local, translations: trans };
}

