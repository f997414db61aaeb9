// Acclaim ASF/AMC → the format-free SkeletonMotion (../kinematics.ts): the joint tree of an ASF
// skeleton and the local rotations of an AMC motion.
import { poseOfMotion, type KinematicTree, type Pose3D, type SkeletonMotion } from '../kinematics.js';
import { applyMat3, eulerToMatrix, identity3, mul3, transpose3, type RotationAxis } from '../rotation.js';
import type { AmcMotion } from './amc.js';
import type { AsfSkeleton } from './asf.js';

/**
 * The joint tree of an ASF skeleton: joint 0 is `root` (offset = `:root position`), joint i + 1 is
 * the end point of bone i (offset = direction × length), all in metres.
 *
 * @param skeleton a parsed ASF
 * @returns the tree (`offsetFrame: 'own'`)
 *
 * @example
 * ```ts
 * asfTree(skel).names.slice(0, 3); // ['root', 'lhipjoint', 'lfemur']
 * ```
 */
export function asfTree(skeleton: AsfSkeleton): KinematicTree {
  const s = skeleton.metresPerUnit;
  const J = skeleton.bones.length + 1;
  const offsets = new Float64Array(3 * J);
  const rp = skeleton.root.position;
  offsets.set([rp[0] * s, rp[1] * s, rp[2] * s]);
  skeleton.bones.forEach((b, i) => {
    for (let k = 0; k < 3; k++) offsets[3 * (i + 1) + k] = b.direction[k]! * b.length * s;
  });
  return {
    names: ['root', ...skeleton.bones.map((b) => b.name)],
    parents: [-1, ...skeleton.bones.map((b) => b.parent + 1)],
    offsets,
    offsetFrame: 'own',
  };
}

/**
 * Acclaim forward kinematics of an AMC motion (or of the base pose) on its ASF skeleton.
 *
 * Per bone, with C the rotation of its `axis` line and M the rotation of its AMC values (about
 * fixed axes in dof order, so `dof rx ry rz` gives M = Rz·Ry·Rx), the bone's rotation relative to
 * its parent is `L = C·M·C⁻¹`; rotations accumulate down `:hierarchy` and a bone's end point is
 * the parent's end point plus the accumulated rotation applied to direction × length. Bones
 * without dofs keep M = I and still contribute their offset. The root's rotation is
 * `orientation · M_root` (M_root about fixed axes in `order`), its position `position + (TX TY TZ)`.
 * Rare translation dofs: `tx ty tz` are taken in the bone's axis frame C, `l` along its direction.
 *
 * References: Acclaim ASF/AMC spec (M. Schafer); CMU Graphics Lab Motion Capture Database.
 *
 * @param skeleton parsed ASF
 * @param motion parsed AMC; omitted → one frame of the base pose (every value zero)
 * @returns global positions (metres) and rotations, joints as in {@link asfTree}
 *
 * @example
 * ```ts
 * const pose = asfForwardKinematics(skel, motion);
 * const base = asfForwardKinematics(skel); // base pose, 1 frame
 * ```
 */
export function asfForwardKinematics(skeleton: AsfSkeleton, motion?: AmcMotion): Pose3D {
  return poseOfMotion(asfMotion(skeleton, motion));
}

/**
 * An AMC motion (or the base pose) as a format-free {@link SkeletonMotion} on {@link asfTree}: the
 * local rotations `L = C·M·C⁻¹` and translations described at {@link asfForwardKinematics}.
 *
 * @param skeleton parsed ASF
 * @param motion parsed AMC; omitted → one frame of the base pose
 * @returns the motion
 *
 * @example
 * ```ts
 * const pose = poseOfMotion(asfMotion(skel, motion));
 * ```
 */
export function asfMotion(skeleton: AsfSkeleton, motion?: AmcMotion): SkeletonMotion {
  const tree = asfTree(skeleton);
  const F = motion ? motion.nFrames : 1;
  const J = tree.names.length;
  const s = skeleton.metresPerUnit;
  const angle = (motion?.angleUnit ?? 'deg') === 'deg' ? Math.PI / 180 : 1;
  const local = new Float64Array(F * J * 9);
  const trans = new Float64Array(F * J * 3);

  // Root: rotation channels in `order` order; translations.
  const { root } = skeleton;
  const rOrient = eulerToMatrix(root.axisOrder, root.orientation, 'extrinsic');
  const rootRotIdx: number[] = [];
  const rootRotAxes: RotationAxis[] = [];
  const rootTrans: number[] = [-1, -1, -1];
  root.order.forEach((c, k) => {
    if (c[0] === 'r') {
      rootRotIdx.push(k);
      rootRotAxes.push(c[1] as RotationAxis);
    } else rootTrans['xyz'.indexOf(c[1]!)] = k;
  });
  const rw = root.order.length;
  const ang = new Float64Array(3);
  for (let f = 0; f < F; f++) {
    if (motion) {
      for (let k = 0; k < rootRotIdx.length; k++) ang[k] = motion.root[f * rw + rootRotIdx[k]!]! * angle;
      local.set(mul3(rOrient, eulerToMatrix(rootRotAxes, ang, 'extrinsic')), f * J * 9);
      for (let a = 0; a < 3; a++) if (rootTrans[a]! >= 0) trans[f * J * 3 + a] = motion.root[f * rw + rootTrans[a]!]! * s;
    } else local.set(rOrient, f * J * 9);
  }

  // Bones: L = C·M·C⁻¹.
  const ident = identity3();
  skeleton.bones.forEach((b, i) => {
    const j = i + 1;
    const C = eulerToMatrix(b.axisOrder, b.axis, 'extrinsic');
    const Ct = transpose3(C);
    const rotK: number[] = [];
    const rotAxes: RotationAxis[] = [];
    const tK: number[] = [-1, -1, -1];
    let lK = -1;
    b.dof.forEach((d, k) => {
      if (d === 'l') lK = k;
      else if (d[0] === 'r') {
        rotK.push(k);
        rotAxes.push(d[1] as RotationAxis);
      } else tK['xyz'.indexOf(d[1]!)] = k;
    });
    const w = b.dof.length;
    const vals = motion?.bones[i];
    const a = new Float64Array(rotK.length);
    const t = new Float64Array(3);
    const hasT = tK.some((k) => k >= 0) || lK >= 0;
    for (let f = 0; f < F; f++) {
      const dst = local.subarray((f * J + j) * 9, (f * J + j) * 9 + 9);
      if (!vals || rotK.length === 0) dst.set(ident);
      else {
        for (let k = 0; k < rotK.length; k++) a[k] = vals[f * w + rotK[k]!]! * angle;
        const M = eulerToMatrix(rotAxes, a, 'extrinsic');
        mul3(mul3(C, M, dst), Ct, dst);
      }
      if (vals && hasT) {
        for (let q = 0; q < 3; q++) t[q] = tK[q]! >= 0 ? vals[f * w + tK[q]!]! : 0;
        applyMat3(C, t, t);
        const l = lK >= 0 ? vals[f * w + lK]! : 0;
        for (let q = 0; q < 3; q++) trans[(f * J + j) * 3 + q] = (t[q]! + b.direction[q]! * l) * s;
      }
    }
  });
  return { tree, nFrames: F, local, translations: trans };
}

