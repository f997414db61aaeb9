/**
 * The attribution clip of NFlowAD's acceptance (issue #15): a normal clip in which ONE arm is
 * rotated away from its captured motion over a frame range while the rest of the body moves on,
 * so a model that explains its alarms by joints should name that arm's joints. Browser-safe.
 *
 * @module
 */
import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS, OPENPOSE18 } from '@skelflow/pose';
import type { MotionClip3D } from './clip.js';

/** Which arm {@link rotateArm} moves. */
export type ArmSide = 'left' | 'right';

/** The angle schedule of {@link rotateArm} (documented in docs/mocap.md, "The attribution clip"). */
export interface ArmRotation {
  /** The arm: the body's own left or right. */
  arm: ArmSide;
  /** First rotated frame of the clip (0-based, inclusive). */
  from: number;
  /** End of the rotated frames (exclusive). */
  to: number;
  /** Peak abduction of the whole arm about the shoulder, degrees (default 80). */
  abduction?: number;
  /** Peak extra rotation of the forearm about the elbow, same direction, degrees (default 60). */
  elbow?: number;
  /** Frames of the cosine ramp in and out at both ends of the range (default 8; at most half the range). */
  rampFrames?: number;
}

/** What {@link rotateArm} did: the affected joints by layout name, for the sidecar. */
export interface ArmRotationLabels {
  arm: ArmSide;
  from: number;
  to: number;
  /** Peak angles in degrees and the ramp length. */
  abduction: number;
  elbow: number;
  rampFrames: number;
  /** The joints that move relative to the source clip (elbow and wrist), per layout. */
  moved: { coco17: string[]; openpose18: string[] };
  /** The arm's joints (shoulder, elbow, wrist), per layout: the answer "the arm's joints among the top k" checks against. */
  armJoints: { coco17: string[]; openpose18: string[] };
  /** The weight w(t) ∈ [0, 1] of the schedule per frame of the clip (0 outside the range). */
  weight: number[];
}

const DEG = Math.PI / 180;

/** Rotates v about the unit axis k by angle a (Rodrigues). */
function rotate(v: [number, number, number], k: [number, number, number], a: number): [number, number, number] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  const d = (k[0] * v[0] + k[1] * v[1] + k[2] * v[2]) * (1 - c);
  return [
    v[0] * c + (k[1] * v[2] - k[2] * v[1]) * s + k[0] * d,
    v[1] * c + (k[2] * v[0] - k[0] * v[2]) * s + k[1] * d,
    v[2] * c + (k[0] * v[1] - k[1] * v[0]) * s + k[2] * d,
  ];
}

/**
 * The schedule weight of frame `f`: 0 outside `[from, to)`, a raised-cosine ramp from 0 to 1 over
 * the first `ramp` frames, 1 in the middle, the mirrored ramp over the last `ramp` frames:
 * `w = (1 − cos(π·(i + 1)/(ramp + 1)))/2` for the i-th frame of a ramp (so no frame of the range
 * has weight 0 and the motion starts and ends smoothly).
 *
 * @example
 * ```ts
 * armScheduleWeight(5, 0, 20, 4); // 1
 * ```
 */
export function armScheduleWeight(f: number, from: number, to: number, ramp: number): number {
  if (f < from || f >= to) return 0;
  const i = Math.min(f - from, to - 1 - f);
  return i >= ramp ? 1 : (1 - Math.cos((Math.PI * (i + 1)) / (ramp + 1))) / 2;
}

/**
 * Rotates one arm of a clip: in frame f of `[from, to)`, with w = {@link armScheduleWeight},
 *
 * - the lateral axis L is the horizontal direction from the right to the left shoulder, the up
 *   axis U = (0, 1, 0) (the clip's y up) and the forward axis F = L × U (the way the chest faces);
 * - the elbow E and wrist W turn about the shoulder S by α = w·`abduction` around ±F (+F for the
 *   left arm, −F for the right), which lifts a hanging arm sideways, away from the body;
 * - the wrist turns further about the (new) elbow by β = w·`elbow` around the same axis:
 *   `E' = S + R(α)(E − S)`, `W' = E' + R(α + β)(W − E)`.
 *
 * Bone lengths are kept; every other joint, and every frame outside the range, is the source's
 * bit for bit. The clip's full skeleton is reduced to its root (joint 0), which is all that
 * filming uses (`clipTarget`), so no stale arm bones remain.
 *
 * @param clip - a normal clip (metres, y up), e.g. a walk.
 * @param rotation - arm, frame range and schedule ({@link ArmRotation}).
 * @returns the rotated clip and the labels for the sidecar ({@link ArmRotationLabels}).
 * @throws InputError for a range outside the clip, an unknown arm, or non-finite angles.
 * @example
 * ```ts
 * const { clip: odd, labels } = rotateArm(walk, { arm: 'left', from: 30, to: 60 });
 * labels.armJoints.openpose18; // ['left_shoulder', 'left_elbow', 'left_wrist']
 * ```
 */
export function rotateArm(clip: MotionClip3D, rotation: ArmRotation): { clip: MotionClip3D; labels: ArmRotationLabels } {
  const source = clip.source || clip.name;
  const { arm, from, to } = rotation;
  const abduction = rotation.abduction ?? 80;
  const elbow = rotation.elbow ?? 60;
  if (arm !== 'left' && arm !== 'right') throw new InputError(`arm must be "left" or "right", got ${JSON.stringify(arm)}`, { source, location: 'armRotation.arm' });
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to > from && to <= clip.nFrames)) {
    throw new InputError(`frame range [${from}, ${to}) is not a non-empty range of the clip's ${clip.nFrames} frames`, { source, location: 'armRotation' });
  }
  if (!Number.isFinite(abduction) || !Number.isFinite(elbow)) throw new InputError('abduction and elbow must be finite (degrees)', { source, location: 'armRotation' });
  const ramp = Math.min(rotation.rampFrames ?? 8, Math.floor((to - from) / 2));
  if (!(Number.isInteger(ramp) && ramp >= 0)) throw new InputError(`rampFrames must be an integer ≥ 0, got ${rotation.rampFrames}`, { source, location: 'armRotation.rampFrames' });

  const K = COCO17_KEYPOINTS.length;
  const idx = (n: string) => COCO17_KEYPOINTS.indexOf(n as (typeof COCO17_KEYPOINTS)[number]);
  const [s, e, w] = ['shoulder', 'elbow', 'wrist'].map((p) => idx(`${arm}_${p}`)) as [number, number, number];
  const ls = idx('left_shoulder');
  const rs = idx('right_shoulder');
  const sign = arm === 'left' ? 1 : -1;
  const coco = clip.coco.slice();
  const weight = new Array<number>(clip.nFrames).fill(0);
  const at = (f: number, j: number): [number, number, number] => {
    const o = (f * K + j) * 3;
    return [clip.coco[o]!, clip.coco[o + 1]!, clip.coco[o + 2]!];
  };
  for (let f = from; f < to; f++) {
    const wt = armScheduleWeight(f, from, to, ramp);
    weight[f] = wt;
    const l = at(f, ls);
    const r = at(f, rs);
    const lx = l[0] - r[0];
    const lz = l[2] - r[2];
    const ln = Math.hypot(lx, lz);
    if (!(ln > 0)) throw new InputError(`the shoulders are vertically aligned in frame ${f}: no lateral axis`, { source, location: `frame ${f}` });
    // F = L × U with L = (lx, 0, lz)/ln and U = (0, 1, 0): (−lz, 0, lx)/ln.
    const axis: [number, number, number] = [(-sign * lz) / ln, 0, (sign * lx) / ln];
    const S = at(f, s);
    const E = at(f, e);
    const W = at(f, w);
    const a = wt * abduction * DEG;
    const b = wt * elbow * DEG;
    const se = rotate([E[0] - S[0], E[1] - S[1], E[2] - S[2]], axis, a);
    const ew = rotate([W[0] - E[0], W[1] - E[1], W[2] - E[2]], axis, a + b);
    const E2 = [S[0] + se[0], S[1] + se[1], S[2] + se[2]];
    const W2 = [E2[0]! + ew[0], E2[1]! + ew[1], E2[2]! + ew[2]];
    coco.set(E2, (f * K + e) * 3);
    coco.set(W2, (f * K + w) * 3);
  }
  const J = clip.jointNames.length;
  const root = new Float32Array(clip.nFrames * 3);
  if (J > 0 && clip.joints.length >= clip.nFrames * J * 3) for (let f = 0; f < clip.nFrames; f++) root.set(clip.joints.subarray(f * J * 3, f * J * 3 + 3), 3 * f);
  else for (let f = 0; f < clip.nFrames; f++) root.set([(coco[(f * K + 11) * 3]! + coco[(f * K + 12) * 3]!) / 2, (coco[(f * K + 11) * 3 + 1]! + coco[(f * K + 12) * 3 + 1]!) / 2, (coco[(f * K + 11) * 3 + 2]! + coco[(f * K + 12) * 3 + 2]!) / 2], 3 * f);
  const names = (parts: string[]) => parts.map((p) => `${arm}_${p}`);
  const inOp = (ns: string[]) => ns.filter((n) => OPENPOSE18.jointNames.includes(n));
  return {
    clip: { ...clip, coco, jointNames: [J > 0 ? clip.jointNames[0]! : 'root'], joints: root, parents: [-1] },
    labels: {
      arm,
      from,
      to,
      abduction,
      elbow,
      rampFrames: ramp,
      moved: { coco17: names(['elbow', 'wrist']), openpose18: inOp(names(['elbow', 'wrist'])) },
      armJoints: { coco17: names(['shoulder', 'elbow', 'wrist']), openpose18: inOp(names(['shoulder', 'elbow', 'wrist'])) },
      weight,
    },
  };
}
