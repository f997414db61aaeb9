// COCO-17 keypoints from a full mocap skeleton: body joints by name, face points estimated from the
// head segment's position and orientation.
import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS } from '@skelflow/pose';
import type { MotionClip3D } from './clip.js';
import type { KinematicTree, Pose3D } from './kinematics.js';

/** The 12 COCO-17 body joints read directly from skeleton joints. */
export type CocoBodyJoint =
  | 'left_shoulder' | 'right_shoulder' | 'left_elbow' | 'right_elbow' | 'left_wrist' | 'right_wrist'
  | 'left_hip' | 'right_hip' | 'left_knee' | 'right_knee' | 'left_ankle' | 'right_ankle';

/** The 5 COCO-17 face points estimated from the head. */
export type CocoFacePoint = 'nose' | 'left_eye' | 'right_eye' | 'left_ear' | 'right_ear';

/**
 * Which skeleton joint (by name) gives each COCO body joint, plus the head segment. `left_hip` /
 * `right_hip` also define the rest facing direction (see {@link cocoFromPose}).
 */
export type CocoSourceMap = Record<CocoBodyJoint, string> & {
  /** Joint whose global rotation is the head's orientation. */
  head: string;
  /** Joint at the base of the head segment (top of the neck). */
  headBase: string;
  /** Joint at the end of the head segment (CMU: `head`'s end point; BVH: the head's End Site); optional. */
  headEnd?: string;
};

/**
 * COCO mapping of the CMU (VICON BodyBuilder) ASF skeleton, whose joints are bone end points:
 * shoulders = clavicle ends (humerus bases), elbows = humerus ends, wrists = radius ends (the
 * wrist joint; `lwrist`/`rwrist` are short carpal segments beyond it), hips = hip-joint ends (femur
 * bases), knees = femur ends, ankles = tibia ends; head = `head` (base `upperneck`'s end, end `head`'s end).
 */
export const CMU_COCO_MAP: Readonly<CocoSourceMap> = Object.freeze({
  left_shoulder: 'lclavicle', right_shoulder: 'rclavicle',
  left_elbow: 'lhumerus', right_elbow: 'rhumerus',
  left_wrist: 'lradius', right_wrist: 'rradius',
  left_hip: 'lhipjoint', right_hip: 'rhipjoint',
  left_knee: 'lfemur', right_knee: 'rfemur',
  left_ankle: 'ltibia', right_ankle: 'rtibia',
  head: 'head', headBase: 'upperneck', headEnd: 'head',
});

const LEFT_CANDIDATES: Record<'shoulder' | 'elbow' | 'wrist' | 'hip' | 'knee' | 'ankle', string[]> = {
  // Not `LeftShoulder`: Mixamo, CMU-BVH and most rigs use it for the clavicle.
  shoulder: ['LeftArm', 'LeftUpperArm', 'LeftUpArm', 'upperarm_l', 'L_UpperArm', 'LUpperArm', 'lShldrBend', 'lShldr'],
  elbow: ['LeftForeArm', 'LeftLowerArm', 'LeftLowArm', 'LeftElbow', 'lowerarm_l', 'forearm_l', 'L_Forearm', 'LForeArm', 'lForearmBend', 'lForeArm'],
  wrist: ['LeftHand', 'LeftWrist', 'hand_l', 'L_Hand', 'LHand', 'lHand'],
  hip: ['LeftUpLeg', 'LeftUpperLeg', 'LeftThigh', 'LeftHip', 'thigh_l', 'L_Thigh', 'LThigh', 'lThighBend', 'lThigh'],
  knee: ['LeftLeg', 'LeftLowerLeg', 'LeftLowLeg', 'LeftShin', 'LeftKnee', 'calf_l', 'L_Calf', 'LShin', 'lShin'],
  ankle: ['LeftFoot', 'LeftAnkle', 'foot_l', 'L_Foot', 'LFoot', 'lFoot'],
};

function mirror(name: string): string {
  return name
    .replace(/^Left/, 'Right')
    .replace(/_l$/, '_r')
    .replace(/^L_/, 'R_')
    .replace(/^L(?=[A-Z])/, 'R')
    .replace(/^l(?=[A-Z])/, 'r');
}

/**
 * Default BVH joint names tried for each COCO source, in order of preference (matched
 * case-insensitively, ignoring `_`, `-`, `.`, spaces and a `namespace:` prefix such as
 * `mixamorig:`). Covers Mixamo / CMU-BVH / Biovision (`LeftUpLeg`, `LeftLeg`, `LeftFoot`, `LeftArm`,
 * `LeftForeArm`, `LeftHand`, `Head`), Unreal (`thigh_l`, `calf_l`, `upperarm_l`, …) and DAZ/Poser
 * (`lThigh`, `lShin`, `lShldr`, …) naming. `headEnd` falls back to the head's End Site
 * (`Head_end`, as {@link parseBvh} names it).
 */
export const BVH_COCO_CANDIDATES: Readonly<Record<keyof CocoSourceMap, readonly string[]>> = Object.freeze({
  left_shoulder: LEFT_CANDIDATES.shoulder, right_shoulder: LEFT_CANDIDATES.shoulder.map(mirror),
  left_elbow: LEFT_CANDIDATES.elbow, right_elbow: LEFT_CANDIDATES.elbow.map(mirror),
  left_wrist: LEFT_CANDIDATES.wrist, right_wrist: LEFT_CANDIDATES.wrist.map(mirror),
  left_hip: LEFT_CANDIDATES.hip, right_hip: LEFT_CANDIDATES.hip.map(mirror),
  left_knee: LEFT_CANDIDATES.knee, right_knee: LEFT_CANDIDATES.knee.map(mirror),
  left_ankle: LEFT_CANDIDATES.ankle, right_ankle: LEFT_CANDIDATES.ankle.map(mirror),
  head: ['Head'],
  headBase: ['Head'],
  headEnd: ['HeadTop_End', 'HeadEnd', 'HeadNub', 'Head_end', 'HeadTop'],
});

function normName(n: string): string {
  const colon = n.lastIndexOf(':');
  return (colon >= 0 ? n.slice(colon + 1) : n).toLowerCase().replace(/[_\-.\s]/g, '');
}

/**
 * Resolves a COCO source map against a skeleton's joint names: explicit `overrides` must exist
 * exactly; other entries take the first candidate present (see {@link BVH_COCO_CANDIDATES}).
 *
 * @param jointNames the skeleton's joint names
 * @param candidates candidate names per entry, in order of preference
 * @param overrides explicit names (exact match)
 * @param source file name for messages
 * @returns the resolved map (`headEnd` omitted when nothing matches)
 * @throws InputError naming the entry and the candidates tried when a required joint is missing
 *
 * @example
 * ```ts
 * const map = resolveCocoMap(clip.jointNames, BVH_COCO_CANDIDATES, { head: 'Head2' }, 'a.bvh');
 * ```
 */
export function resolveCocoMap(
  jointNames: readonly string[],
  candidates: Readonly<Record<keyof CocoSourceMap, readonly string[]>>,
  overrides: Partial<CocoSourceMap>,
  source: string,
): CocoSourceMap {
  const byNorm = new Map<string, string>();
  for (const n of jointNames) if (!byNorm.has(normName(n))) byNorm.set(normName(n), n);
  const out: Partial<CocoSourceMap> = {};
  for (const key of Object.keys(candidates) as (keyof CocoSourceMap)[]) {
    const o = overrides[key];
    if (o !== undefined) {
      if (!jointNames.includes(o)) throw new InputError(`cocoMap.${key}: no joint named '${o}'`, { source });
      out[key] = o;
      continue;
    }
    const hit = candidates[key].map((c) => byNorm.get(normName(c))).find((n) => n !== undefined);
    if (hit !== undefined) out[key] = hit;
    else if (key !== 'headEnd') {
      throw new InputError(`no joint for COCO '${key}' (tried ${candidates[key].join(', ')}); pass cocoMap.${key}`, { source });
    }
  }
  return out as CocoSourceMap;
}

/**
 * Face-point offsets in metres in the head frame, from the estimated head centre:
 * `[forward, up, left]` (left = the subject's left).
 */
export type HeadOffsets = Record<CocoFacePoint, readonly [number, number, number]>;

/**
 * Default face offsets (metres, `[forward, up, left]` from the head centre, which sits about at eye
 * level in the middle of the skull): adult anthropometry rounded to the centimetre — head length ≈
 * 0.19 m, breadth ≈ 0.15 m, interpupillary distance ≈ 0.063 m. Nose tip 0.11 forward, 0.035
 * below eye level; eyes 0.08 forward, ±0.032 sideways; ears (tragion) at the centre's depth,
 * 0.02 below, ±0.075 sideways. Estimates: COCO's face points from a real detector scatter by a few
 * centimetres too.
 */
export const DEFAULT_HEAD_OFFSETS: Readonly<HeadOffsets> = Object.freeze({
  nose: [0.11, -0.035, 0] as const,
  left_eye: [0.08, 0, 0.032] as const,
  right_eye: [0.08, 0, -0.032] as const,
  left_ear: [0, -0.02, 0.075] as const,
  right_ear: [0, -0.02, -0.075] as const,
});

/** Options of {@link cocoFromPose} for the face points. */
export interface CocoHeadOptions {
  /** Face offsets overriding {@link DEFAULT_HEAD_OFFSETS} per point. */
  offsets?: Partial<HeadOffsets>;
  /**
   * Where the head centre lies on the head segment, as a fraction from `headBase` (0) to `headEnd`
   * (1). Default: 1 when `headEnd` is the CMU `head` bone (its end point is at about eye level,
   * ≈ 0.09 m above the top of the neck), else 0.5 (a BVH head joint at the top of the neck with
   * its End Site at the top of the skull).
   */
  centreFraction?: number;
  /** Height of the head centre above `headBase` along the head's up axis when there is no `headEnd`. Default 0.09 m. */
  centreHeight?: number;
}

/**
 * COCO-17 keypoints `[F, 17, 3]` from a global pose.
 *
 * Body joints are copied from `map`. Face points: the rest facing is taken from the rest pose —
 * up = +y, left = (left hip − right hip) made horizontal, forward = left × up — and turned by the
 * head joint's global rotation in each frame; the head centre is interpolated on the head segment
 * ({@link CocoHeadOptions.centreFraction}) and the face points are placed at
 * {@link DEFAULT_HEAD_OFFSETS} in that head frame.
 *
 * @param pose global positions and rotations ({@link forwardKinematics})
 * @param rest the rest pose of the same tree (1 frame), for the facing direction
 * @param jointNames joint names of the tree
 * @param map COCO source joints ({@link CMU_COCO_MAP}, {@link resolveCocoMap})
 * @param options face constants and `source` for messages
 * @returns Float32Array `[F, 17, 3]` in metres
 * @throws InputError when a mapped joint is missing or the rest hips coincide
 *
 * @example
 * ```ts
 * const coco = cocoFromPose(asfForwardKinematics(skel, motion), asfForwardKinematics(skel), asfTree(skel).names, CMU_COCO_MAP);
 * ```
 */
export function cocoFromPose(
  pose: Pose3D,
  rest: Pose3D,
  jointNames: readonly string[],
  map: CocoSourceMap,
  options: CocoHeadOptions & { source?: string } = {},
): Float32Array {
  const source = options.source ?? 'cocoFromPose';
  const idx = (name: string, key: string): number => {
    const i = jointNames.indexOf(name);
    if (i < 0) throw new InputError(`COCO '${key}' maps to '${name}', which is not a joint of this skeleton (pass a cocoMap)`, { source });
    return i;
  };
  const J = pose.nJoints;
  const F = pose.nFrames;
  const P = pose.positions;
  const body = COCO17_KEYPOINTS.slice(5).map((k) => idx(map[k as CocoBodyJoint], k));
  const head = idx(map.head, 'head');
  const base = idx(map.headBase, 'headBase');
  const end = map.headEnd !== undefined ? idx(map.headEnd, 'headEnd') : -1;
  const frac = options.centreFraction ?? (map.headEnd === 'head' && map.head === 'head' ? 1 : 0.5);
  const height = options.centreHeight ?? 0.09;
  const offsets = { ...DEFAULT_HEAD_OFFSETS, ...options.offsets };

  // Rest frame: up = +y, left = horizontal hip axis, forward = left × up.
  const lh = idx(map.left_hip, 'left_hip');
  const rh = idx(map.right_hip, 'right_hip');
  let lx = rest.positions[3 * lh]! - rest.positions[3 * rh]!;
  let lz = rest.positions[3 * lh + 2]! - rest.positions[3 * rh + 2]!;
  const ln = Math.hypot(lx, lz);
  if (!(ln > 1e-9)) throw new InputError('rest pose: left and right hips coincide horizontally; cannot tell the facing direction', { source });
  lx /= ln;
  lz /= ln;
  const restLeft = [lx, 0, lz];
  const restUp = [0, 1, 0];
  // left × up with up = (0, 1, 0): (l_y·0 − l_z·1, l_z·0 − l_x·0, l_x·1 − l_y·0) = (−l_z, 0, l_x).
  const restFwd = [-lz, 0, lx];

  const out = new Float32Array(F * 17 * 3);
  const fwd = new Float64Array(3);
  const up = new Float64Array(3);
  const left = new Float64Array(3);
  const c = new Float64Array(3);
  const turn = (R: Float64Array, o: number, v: number[], dst: Float64Array) => {
    for (let r = 0; r < 3; r++) dst[r] = R[o + 3 * r]! * v[0]! + R[o + 3 * r + 1]! * v[1]! + R[o + 3 * r + 2]! * v[2]!;
  };
  for (let f = 0; f < F; f++) {
    const p0 = f * J * 3;
    const o = f * 17 * 3;
    for (let k = 0; k < 12; k++) {
      for (let q = 0; q < 3; q++) out[o + 3 * (5 + k) + q] = P[p0 + 3 * body[k]! + q]!;
    }
    const r0 = (f * J + head) * 9;
    turn(pose.rotations, r0, restFwd, fwd);
    turn(pose.rotations, r0, restUp, up);
    turn(pose.rotations, r0, restLeft, left);
    for (let q = 0; q < 3; q++) {
      const b = P[p0 + 3 * base + q]!;
      c[q] = end >= 0 ? b + frac * (P[p0 + 3 * end + q]! - b) : b + height * up[q]!;
    }
    COCO17_KEYPOINTS.slice(0, 5).forEach((name, k) => {
      const [a, u, l] = offsets[name as CocoFacePoint];
      for (let q = 0; q < 3; q++) out[o + 3 * k + q] = c[q]! + a * fwd[q]! + u * up[q]! + l * left[q]!;
    });
  }
  return out;
}

/**
 * Packages a global pose as a {@link MotionClip3D}: the full skeleton as `joints` and COCO-17 from
 * {@link cocoFromPose}. What every reader's `…ToClip` ends with.
 *
 * @param pose global positions and rotations ({@link forwardKinematics})
 * @param rest the rest pose of the same tree (1 frame)
 * @param tree the joint tree (names, parents)
 * @param map COCO source joints
 * @param options clip name, fps, source and face constants
 * @returns the clip
 * @throws InputError when a mapped joint is missing
 *
 * @example
 * ```ts
 * const clip = clipFromPose(poseOfMotion(m), restPose(m.tree), m.tree, map, { name: 'walk', fps: 30, source: 'walk.bvh' });
 * ```
 */
export function clipFromPose(
  pose: Pose3D,
  rest: Pose3D,
  tree: KinematicTree,
  map: CocoSourceMap,
  options: CocoHeadOptions & { name: string; fps: number; source: string },
): MotionClip3D {
  const { name, fps, source, ...head } = options;
  return {
    name,
    fps,
    nFrames: pose.nFrames,
    coco: cocoFromPose(pose, rest, tree.names, map, { ...head, source }),
    jointNames: tree.names.slice(),
    joints: Float32Array.from(pose.positions),
    parents: tree.parents.slice(),
    source,
  };
}
