// Forward kinematics: joint rotations along a tree → global joint positions and rotations per frame.
// float64 throughout; the clip builders convert to the Float32Array of MotionClip3D at the end.
import { InputError } from '@skelflow/base';
import type { AmcMotion } from './amc.js';
import type { AsfSkeleton } from './asf.js';
import type { BvhFile } from './bvh.js';
import { applyMat3, eulerToMatrix, identity3, mul3, transpose3, type RotationAxis } from './rotation.js';

/**
 * A joint tree for {@link forwardKinematics}. Joints are sorted parents-first (`parents[j] < j`,
 * `parents[0] === -1`).
 */
export interface KinematicTree {
  /** Joint names, root first. */
  names: string[];
  /** Parent index per joint, −1 for the root. */
  parents: number[];
  /** Rest offset per joint `[J, 3]` in metres: the root's rest position, else the vector from the parent joint. */
  offsets: Float64Array;
  /**
   * Which rotation moves a joint's offset:
   * - `'own'` (Acclaim ASF): a joint is a bone's end point, its offset is the bone vector
   *   (direction × length) and turns with the bone's own global rotation;
   * - `'parent'` (BVH): a joint is a frame origin placed at `offset` in the parent's frame.
   */
  offsetFrame: 'own' | 'parent';
}

/** Global pose per frame: what {@link forwardKinematics} returns. */
export interface Pose3D {
  /** Number of frames F. */
  nFrames: number;
  /** Number of joints J. */
  nJoints: number;
  /** Global positions `[F, J, 3]` in metres. */
  positions: Float64Array;
  /**
   * Global rotation of each joint relative to the rest pose `[F, J, 9]` (row-major 3×3): a direction
   * fixed to the joint's segment at rest, `d`, points along `R·d` in the frame.
   */
  rotations: Float64Array;
}

/**
 * Generic forward kinematics. For the root, position = offset + translation and rotation = local.
 * For every other joint j with parent p:
 * `R_j = R_p · local_j` and `x_j = x_p + A · (offset_j + translation_j)`, where A is `R_j` for
 * `offsetFrame: 'own'` and `R_p` for `'parent'`.
 *
 * @param tree joints, parents, rest offsets
 * @param nFrames number of frames F
 * @param local local rotations `[F, J, 9]` (relative to the parent joint's rotation)
 * @param translations optional extra local translations `[F, J, 3]` in metres, added to the offsets
 *   (the root's global translation, BVH position channels, ASF `tx ty tz l` dofs)
 * @returns positions and rotations per frame
 *
 * @example
 * ```ts
 * const tree = { names: ['a', 'b'], parents: [-1, 0], offsets: new Float64Array([0, 0, 0, 1, 0, 0]), offsetFrame: 'parent' as const };
 * const local = new Float64Array(18); local.set(axisRotation('z', Math.PI / 2)); local.set(identity3(), 9);
 * forwardKinematics(tree, 1, local).positions; // b at (0, 1, 0)
 * ```
 */
export function forwardKinematics(tree: KinematicTree, nFrames: number, local: Float64Array, translations?: Float64Array): Pose3D {
  const J = tree.names.length;
  const { parents, offsets } = tree;
  if (parents.length !== J || offsets.length !== 3 * J) throw new InputError(`tree has ${J} names, ${parents.length} parents and ${offsets.length / 3} offsets`, { source: 'forwardKinematics' });
  if (parents[0] !== -1) throw new InputError('joint 0 must be the root (parent −1)', { source: 'forwardKinematics' });
  for (let j = 1; j < J; j++) {
    const p = parents[j]!;
    if (!(p >= 0 && p < j)) throw new InputError(`joint ${j} (${tree.names[j]}) has parent ${p}: joints must be sorted parents-first`, { source: 'forwardKinematics' });
  }
  if (local.length !== nFrames * J * 9) throw new InputError(`local rotations have ${local.length} values, expected ${nFrames}×${J}×9`, { source: 'forwardKinematics' });
  if (translations && translations.length !== nFrames * J * 3) throw new InputError(`translations have ${translations.length} values, expected ${nFrames}×${J}×3`, { source: 'forwardKinematics' });
  const positions = new Float64Array(nFrames * J * 3);
  const rotations = new Float64Array(nFrames * J * 9);
  const v = new Float64Array(3);
  const own = tree.offsetFrame === 'own';
  for (let f = 0; f < nFrames; f++) {
    const r0 = f * J * 9;
    const p0 = f * J * 3;
    for (let j = 0; j < J; j++) {
      const rj = rotations.subarray(r0 + 9 * j, r0 + 9 * j + 9);
      const lj = local.subarray(r0 + 9 * j, r0 + 9 * j + 9);
      v[0] = offsets[3 * j]!;
      v[1] = offsets[3 * j + 1]!;
      v[2] = offsets[3 * j + 2]!;
      if (translations) {
        v[0] += translations[p0 + 3 * j]!;
        v[1] += translations[p0 + 3 * j + 1]!;
        v[2] += translations[p0 + 3 * j + 2]!;
      }
      const p = parents[j]!;
      if (p < 0) {
        rj.set(lj);
        positions.set(v, p0 + 3 * j);
        continue;
      }
      const rp = rotations.subarray(r0 + 9 * p, r0 + 9 * p + 9);
      mul3(rp, lj, rj);
      applyMat3(own ? rj : rp, v, v);
      positions[p0 + 3 * j] = positions[p0 + 3 * p]! + v[0]!;
      positions[p0 + 3 * j + 1] = positions[p0 + 3 * p + 1]! + v[1]!;
      positions[p0 + 3 * j + 2] = positions[p0 + 3 * p + 2]! + v[2]!;
    }
  }
  return { nFrames, nJoints: J, positions, rotations };
}

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
  return forwardKinematics(tree, F, local, trans);
}

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
  return forwardKinematics(tree, F, local, trans);
}

/**
 * The rest pose of a tree (identity rotations, no translations): one frame.
 *
 * @param tree a joint tree
 * @returns the pose
 *
 * @example
 * ```ts
 * const rest = restPose(bvhTree(bvh, 0.01));
 * ```
 */
export function restPose(tree: KinematicTree): Pose3D {
  const J = tree.names.length;
  const local = new Float64Array(J * 9);
  const id = identity3();
  for (let j = 0; j < J; j++) local.set(id, 9 * j);
  return forwardKinematics(tree, 1, local);
}
