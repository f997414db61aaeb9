import type { Rng } from '@skelflow/base';
import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';
import { clamp } from '../numeric.js';

export const N_KEYPOINTS = COCO17_KEYPOINTS.length;

/**
 * Segment lengths of one synthetic person in metres. Proportions follow the usual anthropometric
 * tables (Winter: thigh ≈ 0.245 H, shank ≈ 0.246 H, upper arm ≈ 0.186 H, forearm ≈ 0.146 H);
 * girdle widths are those of COCO keypoints (placed wider than anatomical joint centres).
 */
export interface BodyShape {
  /** Standing height H in metres. */
  height: number;
  /** Half the distance between the two hip keypoints. */
  hipHalf: number;
  /** Half the distance between the two shoulder keypoints. */
  shoulderHalf: number;
  /** Hip → knee. */
  thigh: number;
  /** Knee → ankle. */
  shank: number;
  /** Ankle keypoint height above the ground while standing. */
  ankle: number;
  /** Hip-centre → shoulder-centre along the spine. */
  spine: number;
  /** Shoulder → elbow. */
  upperArm: number;
  /** Elbow → wrist. */
  forearm: number;
}

/**
 * Draws a body: height N(1.70, 0.08) m clipped to [1.50, 1.95] and per-segment proportions with a
 * few percent spread, so limb ratios differ between people (a flow model must not key on one
 * exact skeleton).
 *
 * @param rng - the random stream to draw from.
 * @returns segment lengths in metres.
 * @example
 * ```ts
 * const body = sampleBody(new Rng(1)); // body.height ≈ 1.7
 * ```
 */
export function sampleBody(rng: Rng): BodyShape {
  const H = clamp(1.7 + 0.08 * rng.normal(), 1.5, 1.95);
  const leg = 1 + 0.03 * rng.normal();
  const arm = 1 + 0.03 * rng.normal();
  const wide = 1 + 0.06 * rng.normal();
  return {
    height: H,
    hipHalf: 0.058 * H * (1 + 0.05 * rng.normal()),
    shoulderHalf: 0.104 * H * wide,
    thigh: 0.245 * H * leg,
    shank: 0.246 * H * leg,
    ankle: 0.039 * H,
    spine: 0.288 * H * (1 + 0.02 * rng.normal()),
    upperArm: 0.186 * H * arm,
    forearm: 0.146 * H * arm,
  };
}

/**
 * Joint angles (radians) of the articulated model for one frame. Limb angles are pairs
 * `[left, right]`. Flexion is positive forward (a flexed hip lifts the thigh to the front, a
 * flexed shoulder raises the arm to the front); abduction is positive away from the body.
 */
export interface PoseAngles {
  hipFlex: [number, number];
  hipAbd: [number, number];
  /** Knee flexion ≥ 0 (the shank folds backwards). */
  knee: [number, number];
  shoulderFlex: [number, number];
  shoulderAbd: [number, number];
  /** Elbow flexion ≥ 0 (the forearm folds forwards/up). */
  elbow: [number, number];
  /** Forward lean of the trunk about the hip centre. */
  trunkPitch: number;
  /** Sideways lean of the trunk. */
  trunkRoll: number;
  /** Shoulder-girdle rotation about the spine (counter-rotation while walking, punches). */
  trunkTwist: number;
  /** Pelvis rotation about the vertical. */
  pelvisTwist: number;
  /** Head nod (positive = looking down) and turn. */
  headPitch: number;
  headYaw: number;
  /** Sideways pelvis shift in metres (weight transfer). */
  sway: number;
  /** Extra pelvis height in metres (running flight phase). */
  lift: number;
  /** Whole-body rotation about the feet towards `fallDir` (0 = upright, π/2 = lying). */
  fallAngle: number;
  /** Direction of the whole-body rotation in the body frame: 0 forward, π/2 to the left, π back. */
  fallDir: number;
}

/**
 * An upright, arms-down, feet-together pose — the start value of every angle filter.
 *
 * @example
 * ```ts
 * const a = neutralAngles(); a.hipFlex[0] = 0.3; // left thigh forward
 * ```
 */
export function neutralAngles(): PoseAngles {
  return {
    hipFlex: [0, 0],
    hipAbd: [0.02, 0.02],
    knee: [0.05, 0.05],
    shoulderFlex: [0, 0],
    shoulderAbd: [0.1, 0.1],
    elbow: [0.2, 0.2],
    trunkPitch: 0,
    trunkRoll: 0,
    trunkTwist: 0,
    pelvisTwist: 0,
    headPitch: 0,
    headYaw: 0,
    sway: 0,
    lift: 0,
    fallAngle: 0,
    fallDir: 0,
  };
}

/**
 * Moves every angle of `state` a fraction `k` towards `target` (a first-order low-pass filter).
 * The motion models switch targets abruptly (walk → fight → walk, punch keyframes); filtering
 * keeps the joints continuous, the way real limbs with inertia move. `fallAngle`/`fallDir` are
 * copied unfiltered because falls are scripted explicitly.
 *
 * @param state - the filtered angles, updated in place.
 * @param target - where the angles should go.
 * @param k - 0 (no change) … 1 (jump to target).
 * @example
 * ```ts
 * const s = neutralAngles(); const t = neutralAngles(); t.knee = [1, 1];
 * approachAngles(s, t, 0.5); // s.knee = [0.525, 0.525]
 * ```
 */
export function approachAngles(state: PoseAngles, target: PoseAngles, k: number): void {
  // Spelled out rather than looped over key names: this runs for every actor frame and named
  // property access is what the JIT (and the interpreter, before it warms up) handles fastest.
  for (let i = 0; i < 2; i++) {
    state.hipFlex[i] += (target.hipFlex[i] - state.hipFlex[i]) * k;
    state.hipAbd[i] += (target.hipAbd[i] - state.hipAbd[i]) * k;
    state.knee[i] += (target.knee[i] - state.knee[i]) * k;
    state.shoulderFlex[i] += (target.shoulderFlex[i] - state.shoulderFlex[i]) * k;
    state.shoulderAbd[i] += (target.shoulderAbd[i] - state.shoulderAbd[i]) * k;
    state.elbow[i] += (target.elbow[i] - state.elbow[i]) * k;
  }
  state.trunkPitch += (target.trunkPitch - state.trunkPitch) * k;
  state.trunkRoll += (target.trunkRoll - state.trunkRoll) * k;
  state.trunkTwist += (target.trunkTwist - state.trunkTwist) * k;
  state.pelvisTwist += (target.pelvisTwist - state.pelvisTwist) * k;
  state.headPitch += (target.headPitch - state.headPitch) * k;
  state.headYaw += (target.headYaw - state.headYaw) * k;
  state.sway += (target.sway - state.sway) * k;
  state.lift += (target.lift - state.lift) * k;
  state.fallAngle = target.fallAngle;
  state.fallDir = target.fallDir;
}

// Face keypoints relative to the shoulder centre, in units of body height (x left, y up, z forward).
const HEAD_POINTS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0.088, 0.058], // nose
  [0.03, 0.112, 0.047], // left eye
  [-0.03, 0.112, 0.047], // right eye
  [0.068, 0.1, -0.004], // left ear
  [-0.068, 0.1, -0.004], // right ear
];
const NECK_PIVOT = 0.03; // head rotations pivot this far (× H) above the shoulder line

/**
 * Places the 17 COCO keypoints of an articulated body in its own frame (metres; x = the person's
 * left, y = up, z = forward; origin on the ground between the feet). The legs hang from the
 * pelvis and the pelvis height is chosen so the lower ankle stands on the ground — that gives the
 * vertical bob of walking for free; the trunk, arms and head are rotated by the trunk angles about
 * the hip centre; a non-zero `fallAngle` then tips the whole body about the feet.
 *
 * @param body - segment lengths.
 * @param a - joint angles.
 * @param upright - receives the pose before the fall rotation (17×3), used for self-occlusion.
 * @param out - receives the final pose (17×3); allocated when omitted.
 * @returns `out`.
 * @example
 * ```ts
 * const p = poseLocal(sampleBody(new Rng(1)), neutralAngles());
 * p[3 * 15 + 1]; // left ankle height ≈ 0.066 m
 * ```
 */
export function poseLocal(
  body: BodyShape,
  a: PoseAngles,
  upright: Float64Array = new Float64Array(3 * N_KEYPOINTS),
  out: Float64Array = new Float64Array(3 * N_KEYPOINTS),
): Float64Array {
  const H = body.height;
  const p = upright;
  // Legs, in the pelvis frame (origin = hip centre).
  let lowest = 0;
  for (let i = 0; i < 2; i++) {
    const side = i === 0 ? 1 : -1;
    const hx0 = side * body.hipHalf;
    const ct = Math.cos(a.pelvisTwist);
    const st = Math.sin(a.pelvisTwist);
    const hx = hx0 * ct + a.sway;
    const hz = -hx0 * st;
    const ab = a.hipAbd[i];
    const sa = side * Math.sin(ab);
    const ca = Math.cos(ab);
    const th = a.hipFlex[i];
    const kx = hx + body.thigh * sa;
    const ky = -body.thigh * ca * Math.cos(th);
    const kz = hz + body.thigh * ca * Math.sin(th);
    const sh = th - a.knee[i];
    const ax = kx + body.shank * sa;
    const ay = ky - body.shank * ca * Math.cos(sh);
    const az = kz + body.shank * ca * Math.sin(sh);
    set3(p, 11 + i, hx, 0, hz);
    set3(p, 13 + i, kx, ky, kz);
    set3(p, 15 + i, ax, ay, az);
    lowest = Math.min(lowest, ay);
  }
  const pelvisY = -lowest + body.ankle + a.lift;
  // Upper body in the trunk frame (origin = hip centre), then rotated twist → pitch → roll.
  const s = body.spine;
  set3(p, 5, body.shoulderHalf, s, 0);
  set3(p, 6, -body.shoulderHalf, s, 0);
  for (let i = 0; i < 2; i++) {
    const side = i === 0 ? 1 : -1;
    const ab = a.shoulderAbd[i];
    const sa = side * Math.sin(ab);
    const ca = Math.cos(ab);
    const fl = a.shoulderFlex[i];
    const sx = side * body.shoulderHalf;
    const ex = sx + body.upperArm * sa;
    const ey = s - body.upperArm * ca * Math.cos(fl);
    const ez = body.upperArm * ca * Math.sin(fl);
    const fo = fl + a.elbow[i];
    set3(p, 7 + i, ex, ey, ez);
    set3(p, 9 + i, ex + body.forearm * sa, ey - body.forearm * ca * Math.cos(fo), ez + body.forearm * ca * Math.sin(fo));
  }
  const cY = Math.cos(a.headYaw);
  const sY = Math.sin(a.headYaw);
  const cN = Math.cos(a.headPitch);
  const sN = Math.sin(a.headPitch);
  for (let k = 0; k < 5; k++) {
    const hp = HEAD_POINTS[k];
    // Head turn then nod about the neck pivot.
    const x = hp[0] * H;
    const y = (hp[1] - NECK_PIVOT) * H;
    const z = hp[2] * H;
    const x1 = x * cY + z * sY;
    const z1 = -x * sY + z * cY;
    set3(p, k, x1, y * cN - z1 * sN + NECK_PIVOT * H + s, y * sN + z1 * cN);
  }
  const cT = Math.cos(a.trunkTwist);
  const sT = Math.sin(a.trunkTwist);
  const cP = Math.cos(a.trunkPitch);
  const sP = Math.sin(a.trunkPitch);
  const cR = Math.cos(a.trunkRoll);
  const sR = Math.sin(a.trunkRoll);
  for (let k = 0; k <= 10; k++) {
    const x = p[3 * k];
    const y = p[3 * k + 1];
    const z = p[3 * k + 2];
    const x1 = x * cT + z * sT; // twist
    const z1 = -x * sT + z * cT;
    const y2 = y * cP - z1 * sP; // pitch
    const z2 = y * sP + z1 * cP;
    set3(p, k, x1 * cR - y2 * sR + a.sway, x1 * sR + y2 * cR, z2); // roll
  }
  for (let k = 0; k < N_KEYPOINTS; k++) p[3 * k + 1] += pelvisY;
  // Whole-body tip about the feet: turn the fall direction to "forward", pitch, turn back.
  if (a.fallAngle === 0) {
    out.set(p);
    return out;
  }
  const cd = Math.cos(a.fallDir);
  const sd = Math.sin(a.fallDir);
  const cf = Math.cos(a.fallAngle);
  const sf = Math.sin(a.fallAngle);
  // A lying body rests on its back/side rather than sinking into the floor.
  const rest = 0.09 * H * Math.abs(sf);
  for (let k = 0; k < N_KEYPOINTS; k++) {
    const x = p[3 * k];
    const y = p[3 * k + 1];
    const z = p[3 * k + 2];
    const x1 = x * cd - z * sd;
    const z1 = x * sd + z * cd;
    const y2 = y * cf - z1 * sf;
    const z2 = y * sf + z1 * cf;
    set3(out, k, x1 * cd + z2 * sd, Math.max(y2 + rest, 0.01), -x1 * sd + z2 * cd);
  }
  return out;
}

function set3(a: Float64Array, k: number, x: number, y: number, z: number): void {
  a[3 * k] = x;
  a[3 * k + 1] = y;
  a[3 * k + 2] = z;
}
