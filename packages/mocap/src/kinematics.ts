// Forward kinematics that knows no file format: a joint tree and per-frame local joint rotations
// and translations (a SkeletonMotion, what the ASF/AMC and BVH readers convert into) → global joint
// positions and rotations per frame. float64 throughout; the clip builders convert to the
// Float32Array of MotionClip3D at the end.
import { InputError } from '@skelflow/base';
import { applyMat3, identity3, mul3 } from './rotation.js';

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
 * A motion on a joint tree, in no file format: per frame, each joint's rotation relative to its
 * parent and an extra local translation. Both readers convert into it (`asfMotion`, `bvhMotion`);
 * {@link poseOfMotion} runs {@link forwardKinematics} on it.
 */
export interface SkeletonMotion {
  /** The joint tree. */
  tree: KinematicTree;
  /** Number of frames F. */
  nFrames: number;
  /** Local rotations `[F, J, 9]` (row-major 3×3, relative to the parent joint's rotation). */
  local: Float64Array;
  /** Extra local translations `[F, J, 3]` in metres, added to the rest offsets. */
  translations: Float64Array;
}

/**
 * Forward kinematics of a {@link SkeletonMotion}.
 *
 * @param motion tree, local rotations and translations
 * @returns global positions and rotations per frame
 *
 * @example
 * ```ts
 * const pose = poseOfMotion(bvhMotion(bvh, 0.01));
 * ```
 */
export function poseOfMotion(motion: SkeletonMotion): Pose3D {
  return forwardKinematics(motion.tree, motion.nFrames, motion.local, motion.translations);
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
