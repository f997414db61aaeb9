import type { Rng } from '@skelflow/base';
import { type BodyShape, type PoseAngles, N_KEYPOINTS, approachAngles, neutralAngles, poseLocal } from './skeleton.js';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../camera/pinhole.js';
import type { ObservedPerson } from '../camera/estimator.js';
import { DEMO_FPS, type SceneCamera, insideArea, projectGround } from './scene.js';
import { Gaussian, clamp } from '../numeric.js';
import { lerp, pickWeighted, smoothstep, uniformIn, wrapAngle } from './util.js';

/**
 * The abnormal behaviours staged in test clips.
 * - `running`: a person runs through the whole scene (high speed and cadence, forward lean, bent
 *   elbows, large arm swing, flight phase);
 * - `falling`: a walker collapses — the body tips about the feet to horizontal — and lies, possibly
 *   getting up again after a few seconds;
 * - `fighting`: a walker stops and throws punches, hooks and kicks, flails, twists and steps about;
 * - `sprint`: a walker suddenly accelerates to a sprint and leaves the scene.
 */
export type AnomalyKind = 'running' | 'falling' | 'fighting' | 'sprint';

/** All anomaly kinds, in a fixed order (for balanced assignment). */
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['running', 'falling', 'fighting', 'sprint'];

/**
 * Personal walking style — the normal variation a model must learn to accept: cadence, arm swing,
 * elbow bend, posture, gaze, stance width and what the hands are doing.
 */
export interface GaitStyle {
  /** Multiplier of the speed → cadence law. */
  cadence: number;
  /** Multiplier of the arm-swing amplitude. */
  armSwing: number;
  /** Resting elbow flexion (rad). */
  elbow: number;
  /** Forward trunk lean (rad). */
  lean: number;
  /** Head nod (rad, positive = looking down). */
  headPitch: number;
  /** Hip abduction while walking (rad). */
  stanceWidth: number;
  /** `none`, a phone/cup held in one hand, a bag carried on a straight arm, or hands in pockets. */
  hands: 'none' | 'phone-left' | 'phone-right' | 'bag-left' | 'bag-right' | 'pockets';
}

/**
 * Draws a walking style.
 *
 * @param rng - random stream.
 * @example
 * ```ts
 * const style = sampleStyle(new Rng(3)); // e.g. { cadence: 1.02, hands: 'none', … }
 * ```
 */
export function sampleStyle(rng: Rng): GaitStyle {
  const h = pickWeighted(rng, [0.72, 0.05, 0.06, 0.05, 0.05, 0.07]);
  const hands = (['none', 'phone-left', 'phone-right', 'bag-left', 'bag-right', 'pockets'] as const)[h];
  return {
    cadence: clamp(1 + 0.05 * rng.normal(), 0.88, 1.12),
    armSwing: uniformIn(rng, 0.6, 1.4),
    elbow: uniformIn(rng, 0.12, 0.45),
    lean: uniformIn(rng, -0.02, 0.1),
    headPitch: uniformIn(rng, -0.05, 0.25) + (hands.startsWith('phone') ? 0.35 : 0),
    stanceWidth: uniformIn(rng, 0.0, 0.06),
    hands,
  };
}

/** What an actor is scripted to do (drawn by the clip generator). */
export interface ActorPlan {
  /** `walker` walks (and may pause), `stander` loiters before walking off, `runner` runs. */
  role: 'walker' | 'stander' | 'runner';
  /** Clip frame the actor starts to exist in. */
  startFrame: number;
  /** Ground position (metres) and heading (radians, 0 = right, π/2 = away) at `startFrame`. */
  X: number;
  Z: number;
  heading: number;
  /** Preferred speed in m/s (walking ≈ 0.7–1.9, running 2.8–5). */
  speed: number;
  /** A triggered anomaly: starts once the walker is well inside the frame. */
  anomaly: 'falling' | 'fighting' | 'sprint' | null;
  /** Frames after `startFrame` at which a walker stops for `pauseFrames` (−1 = never). */
  pauseAt: number;
  pauseFrames: number;
  /** Frames a stander loiters before it walks away. */
  standFrames: number;
}

/**
 * The noise-free rendering of one actor: what the estimator/tracker model sees of a person
 * ({@link ObservedPerson}: true pixel coordinates of the 17 keypoints per frame, self-occlusion,
 * ground depth in metres) plus the view angle, speed and scripted behaviour.
 */
export interface ActorTrack extends ObservedPerson {
  /** `n` profile factor |cos heading| (1 = seen from the side). */
  side: Float32Array;
  /** `n` root speed in m/s. */
  speed: Float32Array;
  /** The abnormal behaviour and its frame range (inclusive), if any. */
  behaviour: { kind: AnomalyKind; from: number; to: number } | null;
}

type Mode = 'walk' | 'pause' | 'stand' | 'run' | 'sprint' | 'fall' | 'lie' | 'getup' | 'fight';

const DT = 1 / DEMO_FPS;
const K_SMOOTH = 1 - Math.exp(-DT / 0.04); // limb inertia for gait
const K_FIGHT = 1 - Math.exp(-DT / 0.05); // fast but continuous strikes
const K_IDLE = 1 - Math.exp(-DT / 0.2); // unhurried gestures while standing

/** Overrides arm/trunk targets with a standing gesture: wave, phone call, point, bend down, arms crossed, hands on hips. */
function idleGesture(k: PoseAngles, kind: number, side: number, t: number): void {
  const o = 1 - side;
  switch (kind) {
    case 0: // wave
      k.shoulderFlex[side] = 2.7;
      k.shoulderAbd[side] = 0.4 + 0.35 * Math.sin(2 * Math.PI * 1.8 * t);
      k.elbow[side] = 0.5;
      break;
    case 1: // phone at the ear
      k.shoulderFlex[side] = 0.5;
      k.shoulderAbd[side] = 0.5;
      k.elbow[side] = 2.5;
      k.headPitch = 0.1;
      break;
    case 2: // point / show the way
      k.shoulderFlex[side] = 1.5;
      k.shoulderAbd[side] = 0.3;
      k.elbow[side] = 0.1;
      break;
    case 3: // bend down to pick something up / tie a shoe
      k.trunkPitch = 1.15;
      k.hipFlex[0] = k.hipFlex[1] = 0.3;
      k.knee[0] = k.knee[1] = 0.5;
      k.shoulderFlex[0] = k.shoulderFlex[1] = 0.9;
      k.headPitch = 0.3;
      break;
    case 4: // arms crossed
      k.shoulderFlex[side] = k.shoulderFlex[o] = 0.5;
      k.shoulderAbd[side] = k.shoulderAbd[o] = 0.1;
      k.elbow[side] = k.elbow[o] = 2.0;
      break;
    default: // hands on hips
      k.shoulderFlex[side] = k.shoulderFlex[o] = -0.1;
      k.shoulderAbd[side] = k.shoulderAbd[o] = 0.7;
      k.elbow[side] = k.elbow[o] = 1.6;
  }
}

/**
 * Stride frequency (Hz) for a speed: walking cadence rises with speed (≈ 0.93 Hz = 112 steps/min
 * at 1.3 m/s), running cadence is high and nearly flat (≈ 1.5 Hz at 4 m/s); `rf` blends the two.
 *
 * @param v - speed in m/s.
 * @param rf - running factor 0 (walk) … 1 (run).
 * @param cadence - personal multiplier.
 * @example
 * ```ts
 * strideFrequency(1.3, 0, 1); // ≈ 0.93
 * ```
 */
export function strideFrequency(v: number, rf: number, cadence: number): number {
  return cadence * lerp(0.55 + 0.29 * v, 1.25 + 0.07 * v, rf);
}

/**
 * Running factor for a speed: 0 up to 1.9 m/s (the walk–run transition of humans is ≈ 2 m/s),
 * 1 from 3 m/s.
 *
 * @example
 * ```ts
 * runFactor(4); // 1
 * ```
 */
export function runFactor(v: number): number {
  return smoothstep(1.9, 3.0, v);
}

/**
 * Writes the gait joint angles for gait phase `p` into `out`: sinusoidal hip flexion with the
 * amplitude that yields the step length speed/cadence demands, knee flexion peaking in early
 * swing, arms swinging in counter-phase to the legs, shoulder/pelvis counter-rotation, lateral
 * sway, and — blended in by the running factor — forward lean, bent elbows, deep knee flexion and
 * a flight phase.
 *
 * @param out - angles to overwrite.
 * @param p - gait phase (rad; the right leg runs half a cycle behind).
 * @param v - speed (m/s); at 0 the pose is a relaxed stand.
 * @param body - segment lengths (step length → hip amplitude).
 * @param style - personal style.
 * @example
 * ```ts
 * const a = neutralAngles(); gaitAngles(a, Math.PI / 2, 1.3, body, style); // left thigh forward
 * ```
 */
export function gaitAngles(out: PoseAngles, p: number, v: number, body: BodyShape, style: GaitStyle): void {
  const rf = runFactor(v);
  const f = strideFrequency(v, rf, style.cadence);
  const legLen = body.thigh + body.shank;
  const step = v / (2 * f);
  const hipAmp = Math.asin(clamp((step / (2 * legLen)) * lerp(1, 0.6, rf), 0, 0.8));
  const rel = hipAmp / 0.38; // 1 at a typical walk
  const amp = smoothstep(0.05, 0.9, v);
  const armAmp = style.armSwing * hipAmp * lerp(0.8, 1.5, rf);
  const kneeSwing = clamp(rel, 0, 1.3) * lerp(1.0, 1.5, rf);
  for (let i = 0; i < 2; i++) {
    const ph = p + i * Math.PI;
    const s = Math.sin(ph);
    out.hipFlex[i] = lerp(0.03, 0.14, rf) * amp + hipAmp * s;
    out.hipAbd[i] = style.stanceWidth;
    const kWalk = 0.08 + 0.95 * Math.min(kneeSwing, 1.2) * Math.max(0, Math.cos(ph + 0.15)) ** 3 + 0.15 * amp * Math.max(0, Math.cos(ph - Math.PI / 2 - 0.3)) ** 4;
    const kRun = 0.35 + 1.3 * Math.min(kneeSwing, 1.2) * Math.max(0, Math.cos(ph + Math.PI / 5)) ** 1.5;
    out.knee[i] = lerp(kWalk, kRun, rf);
    out.shoulderFlex[i] = lerp(0.02, 0.2, rf) - armAmp * s;
    out.shoulderAbd[i] = lerp(0.1, 0.2, rf);
    out.elbow[i] = lerp(style.elbow + 0.35 * armAmp * Math.max(0, -s), 1.45 + 0.25 * s, rf);
  }
  if (rf < 0.5 && style.hands !== 'none') {
    // Hands that are busy do not swing.
    const hold = (i: number, flex: number, elbow: number, swing: number) => {
      out.shoulderFlex[i] = flex + swing * (out.shoulderFlex[i] - lerp(0.02, 0.2, rf));
      out.elbow[i] = elbow;
    };
    if (style.hands === 'phone-left') hold(0, 0.15, 1.5, 0.1);
    if (style.hands === 'phone-right') hold(1, 0.15, 1.5, 0.1);
    if (style.hands === 'bag-left') hold(0, 0.02, 0.08, 0.2);
    if (style.hands === 'bag-right') hold(1, 0.02, 0.08, 0.2);
    if (style.hands === 'pockets') {
      hold(0, 0.05, 0.55, 0.15);
      hold(1, 0.05, 0.55, 0.15);
      out.shoulderAbd[0] = out.shoulderAbd[1] = 0.22;
    }
  }
  const s1 = Math.sin(p);
  out.trunkPitch = style.lean + lerp(0, 0.22, rf) + 0.02 * amp * Math.sin(2 * p);
  out.trunkTwist = 0.12 * clamp(rel, 0, 1.5) * s1;
  out.pelvisTwist = -0.07 * clamp(rel, 0, 1.5) * s1;
  out.trunkRoll = 0.03 * amp * s1;
  out.sway = 0.012 * body.height * amp * Math.cos(p);
  out.lift = rf * 0.05 * body.height * Math.max(0, -Math.cos(2 * p));
  out.headPitch = style.headPitch * (1 - rf);
  out.headYaw = 0;
  out.fallAngle = 0;
  out.fallDir = 0;
}

/** A fight keyframe: sets all angles of `k` to the pose of one move; returns its length in frames. */
function fightKey(rng: Rng, k: PoseAngles): number {
  // Guard stance first, moves override parts of it.
  for (let i = 0; i < 2; i++) {
    k.shoulderFlex[i] = uniformIn(rng, 0.7, 1.3);
    k.shoulderAbd[i] = uniformIn(rng, 0.15, 0.45);
    k.elbow[i] = uniformIn(rng, 1.7, 2.3);
    k.hipFlex[i] = uniformIn(rng, -0.25, 0.35);
    k.hipAbd[i] = uniformIn(rng, 0.08, 0.2);
    k.knee[i] = uniformIn(rng, 0.2, 0.6);
  }
  k.trunkPitch = uniformIn(rng, 0.05, 0.3);
  k.trunkTwist = uniformIn(rng, -0.3, 0.3);
  k.trunkRoll = uniformIn(rng, -0.12, 0.12);
  k.pelvisTwist = uniformIn(rng, -0.2, 0.2);
  k.headPitch = uniformIn(rng, -0.1, 0.2);
  k.headYaw = uniformIn(rng, -0.3, 0.3);
  k.sway = 0;
  k.lift = 0;
  const move = pickWeighted(rng, [1.5, 3, 1.5, 1.3, 2, 0.8]);
  const side = rng.int(2);
  const sign = side === 0 ? 1 : -1;
  switch (move) {
    case 1: // straight punch
      k.shoulderFlex[side] = uniformIn(rng, 1.3, 1.75);
      k.shoulderAbd[side] = uniformIn(rng, 0.05, 0.3);
      k.elbow[side] = uniformIn(rng, 0, 0.25);
      k.trunkTwist = sign * uniformIn(rng, 0.3, 0.6);
      return 3 + rng.int(4);
    case 2: // hook / haymaker
      k.shoulderAbd[side] = uniformIn(rng, 1.1, 1.6);
      k.shoulderFlex[side] = uniformIn(rng, 0.4, 1.1);
      k.elbow[side] = uniformIn(rng, 0.9, 1.6);
      k.trunkTwist = sign * uniformIn(rng, 0.5, 0.9);
      return 4 + rng.int(5);
    case 3: // kick
      k.hipFlex[side] = uniformIn(rng, 0.9, 1.5);
      k.knee[side] = uniformIn(rng, 0.05, 0.5);
      k.knee[1 - side] = uniformIn(rng, 0.1, 0.3);
      k.hipFlex[1 - side] = uniformIn(rng, -0.2, 0.05);
      k.trunkPitch = uniformIn(rng, -0.35, -0.1);
      k.shoulderAbd[0] = uniformIn(rng, 0.4, 1.0);
      k.shoulderAbd[1] = uniformIn(rng, 0.4, 1.0);
      return 6 + rng.int(6);
    case 4: // flailing
      for (let i = 0; i < 2; i++) {
        k.shoulderFlex[i] = uniformIn(rng, -0.8, 2.6);
        k.shoulderAbd[i] = uniformIn(rng, 0, 1.7);
        k.elbow[i] = uniformIn(rng, 0, 2.3);
        k.hipFlex[i] = uniformIn(rng, -0.3, 0.6);
      }
      k.trunkTwist = uniformIn(rng, -0.7, 0.7);
      k.trunkRoll = uniformIn(rng, -0.25, 0.25);
      return 2 + rng.int(5);
    case 5: // shove / grab
      for (let i = 0; i < 2; i++) {
        k.shoulderFlex[i] = uniformIn(rng, 1.1, 1.5);
        k.elbow[i] = uniformIn(rng, 0, 0.4);
      }
      k.trunkPitch = uniformIn(rng, 0.25, 0.5);
      return 5 + rng.int(5);
    default: // guard
      return 3 + rng.int(8);
  }
}

/**
 * Simulates one actor frame by frame from `plan.startFrame` until it leaves the walkable area or
 * the clip ends, and renders the noise-free keypoints. Walkers drift along slightly curved paths
 * with small speed fluctuations, may pause (and look around), standers loiter and turn before
 * walking off; a scripted anomaly starts once the walker is well inside the frame (a per-frame
 * hazard, forced after 3 s there) so it is visible.
 *
 * @param plan - what the actor does.
 * @param body - its body.
 * @param style - its walking style.
 * @param cam - the scene camera.
 * @param nFrames - clip length.
 * @param rng - the actor's own random stream.
 * @returns the rendered track (`n` may be 0 for an actor that never becomes visible in time).
 * @example
 * ```ts
 * const tr = simulateActor(plan, sampleBody(rng), sampleStyle(rng), cam, 300, rng);
 * ```
 */
export function simulateActor(
  plan: ActorPlan,
  body: BodyShape,
  style: GaitStyle,
  cam: SceneCamera,
  nFrames: number,
  rng: Rng,
): ActorTrack {
  const cap = Math.max(0, nFrames - plan.startFrame);
  const uv = new Float64Array(cap * 2 * N_KEYPOINTS);
  const occ = new Float32Array(cap * N_KEYPOINTS);
  const depth = new Float32Array(cap);
  const sideArr = new Float32Array(cap);
  const speedArr = new Float32Array(cap);
  const H = body.height;
  const g = new Gaussian(rng);
  const state = neutralAngles();
  const target = neutralAngles();
  const upright = new Float64Array(3 * N_KEYPOINTS);
  const local = new Float64Array(3 * N_KEYPOINTS);

  let X = plan.X;
  let Z = plan.Z;
  let heading = plan.heading;
  let headingGoal = heading;
  let curvature = 0;
  let v = plan.role === 'stander' ? 0 : plan.speed;
  let prefSpeed = plan.speed;
  let phase = rng.uniform() * 2 * Math.PI;
  // Widened on purpose: `setMode` (a closure) changes it, which control-flow narrowing cannot see.
  let mode = (plan.role === 'stander' ? 'stand' : plan.role === 'runner' ? 'run' : 'walk') as Mode;
  let modeFrames = 0;
  let everInside = insideArea(cam, X, Z, 0);
  let centralFrames = 0;
  let behaviour: ActorTrack['behaviour'] = plan.role === 'runner' ? { kind: 'running', from: plan.startFrame, to: -1 } : null;
  let idleT = rng.uniform() * 100;
  // Scripted-anomaly parameters, drawn when it starts.
  let sprintSpeed = 0;
  let sprintAcc = 0;
  let fallDir = 0;
  let fallFrames = 0;
  let lieAngle = Math.PI / 2;
  let lieFrames = 0;
  let getUp = false;
  let getUpFrames = 0;
  let fightFrames = 0;
  let moveLeft = 0;
  let fightVf = 0;
  let fightVl = 0;
  let idleLeft = 0;
  let idleKind = 0;
  let idleSide = 0;
  const lieKey = neutralAngles();
  const fallKey = neutralAngles();
  const fightTarget = neutralAngles();

  let n = 0;
  for (let t = plan.startFrame; t < nFrames; t++, n++, modeFrames++) {
    // 1. Behaviour transitions.
    if (mode === 'walk' && plan.pauseAt >= 0 && t - plan.startFrame === plan.pauseAt) setMode('pause');
    else if (mode === 'pause' && modeFrames >= plan.pauseFrames) setMode('walk');
    else if (mode === 'stand' && modeFrames >= plan.standFrames) setMode('walk');
    else if (mode === 'walk' && plan.anomaly !== null && behaviour === null) {
      const [fu, fv] = projectGround(cam, X, 0, Z);
      const central = fu > 0.15 * FRAME_WIDTH && fu < 0.85 * FRAME_WIDTH && fv > 0.3 * FRAME_HEIGHT && fv < 0.97 * FRAME_HEIGHT;
      if (central) centralFrames++;
      if (central && (rng.uniform() < 1 / 30 || centralFrames >= 3 * DEMO_FPS)) startAnomaly(plan.anomaly, t);
    } else if (mode === 'fall' && modeFrames >= fallFrames) setMode('lie');
    else if (mode === 'lie' && getUp && modeFrames >= lieFrames) setMode('getup');
    else if (mode === 'getup' && modeFrames >= getUpFrames) {
      behaviour!.to = t - 1;
      prefSpeed *= 0.8;
      setMode('walk');
    } else if (mode === 'fight' && modeFrames >= fightFrames) {
      behaviour!.to = t - 1;
      setMode('walk');
    }

    // 2. Root motion.
    let targetSpeed = prefSpeed;
    let acc = 1.2;
    let dec = 1.5;
    if (mode === 'pause' || mode === 'stand' || mode === 'lie' || mode === 'getup' || mode === 'fight') targetSpeed = 0;
    if (mode === 'sprint') {
      targetSpeed = sprintSpeed;
      acc = sprintAcc;
    }
    if (mode === 'fall') {
      targetSpeed = 0;
      dec = 5;
    }
    if (mode === 'walk') targetSpeed = prefSpeed * (1 + 0.04 * Math.sin(0.7 * idleT));
    v += clamp(targetSpeed - v, -dec * DT, acc * DT);
    if (mode === 'walk' || mode === 'run' || mode === 'sprint') {
      curvature += -0.8 * curvature * DT + (mode === 'walk' ? 0.12 : 0.06) * Math.sqrt(DT) * g.next();
      heading += curvature * DT + 0.05 * wrapAngle(plan.heading - heading) * DT;
      headingGoal = heading;
    } else if (mode === 'pause' || mode === 'stand' || mode === 'fight') {
      // Loitering people turn now and then; fighters keep re-orienting to the opponent.
      if (mode !== 'fight' && rng.uniform() < 1 / (4 * DEMO_FPS)) headingGoal = heading + 0.9 * rng.normal();
      const maxTurn = (mode === 'fight' ? 3 : 1.5) * DT;
      heading += clamp(wrapAngle(headingGoal - heading), -maxTurn, maxTurn);
    }
    const ch = Math.cos(heading);
    const sh = Math.sin(heading);
    X += v * ch * DT;
    Z += v * sh * DT;
    if (mode === 'fight') {
      X += (fightVf * ch - fightVl * sh) * DT;
      Z += (fightVf * sh + fightVl * ch) * DT;
    }
    Z = Math.max(Z, 1);
    idleT += DT;

    // 3. Limbs.
    const rf = runFactor(v);
    phase += 2 * Math.PI * strideFrequency(v, rf, style.cadence) * DT;
    let k = K_SMOOTH;
    if (mode === 'fight') {
      if (--moveLeft <= 0) {
        moveLeft = fightKey(rng, fightTarget);
        fightVf = clamp(0.7 * rng.normal(), -1.5, 1.5);
        fightVl = clamp(0.5 * rng.normal(), -1.2, 1.2);
        headingGoal = heading + 0.5 * rng.normal();
      }
      copyAngles(target, fightTarget);
      for (let i = 0; i < 2; i++) {
        target.shoulderFlex[i] += 0.08 * g.next();
        target.elbow[i] += 0.08 * g.next();
      }
      target.lift = 0.015 * H * Math.abs(Math.sin(3 * idleT * Math.PI));
      k = K_FIGHT;
    } else if (mode === 'fall' || mode === 'lie' || mode === 'getup') {
      if (mode === 'fall') {
        copyAngles(target, fallKey);
        const u = (modeFrames + 1) / fallFrames;
        target.fallAngle = lieAngle * u * u; // accelerating like a toppling body
      } else if (mode === 'lie') {
        copyAngles(target, lieKey);
        // Breathing, twitches, now and then a limb moves.
        if (rng.uniform() < 1 / (1.5 * DEMO_FPS)) {
          const i = rng.int(2);
          lieKey.shoulderFlex[i] = uniformIn(rng, 0, 2.8);
          lieKey.elbow[i] = uniformIn(rng, 0, 1.5);
        }
        target.fallAngle = lieAngle + 0.01 * Math.sin(1.5 * idleT);
      } else {
        const u = (modeFrames + 1) / getUpFrames;
        const bend = Math.sin(Math.PI * u);
        copyAngles(target, neutralAngles());
        target.knee[0] = target.knee[1] = 0.1 + 1.6 * bend;
        target.hipFlex[0] = target.hipFlex[1] = 1.3 * bend;
        target.shoulderFlex[0] = target.shoulderFlex[1] = 0.8 * bend;
        target.trunkPitch = 0.5 * bend;
        target.fallAngle = lieAngle * (1 - smoothstep(0, 1, u));
      }
      target.fallDir = fallDir;
    } else {
      gaitAngles(target, phase, v, body, style);
      if (mode === 'pause' || mode === 'stand') {
        target.sway = 0.02 * H * Math.sin(0.4 * idleT);
        target.headYaw = 0.5 * Math.sin(0.23 * idleT) * Math.sin(0.11 * idleT + 1);
        target.hipAbd[0] = target.hipAbd[1] = 0.05;
        // Normal things people do while standing — slow, deliberate, unlike a fight or a fall.
        if (idleLeft <= 0 && v < 0.3 && rng.uniform() < 1 / (3 * DEMO_FPS)) {
          idleKind = pickWeighted(rng, [1, 1.2, 1, 0.7, 1.2, 0.8]);
          idleSide = rng.int(2);
          idleLeft = Math.round(uniformIn(rng, 1.5, 4) * DEMO_FPS);
        }
        if (idleLeft > 0) {
          idleLeft--;
          idleGesture(target, idleKind, idleSide, idleT);
        }
        k = K_IDLE;
      }
    }
    approachAngles(state, target, k);
    poseLocal(body, state, upright, local);

    // 4. Render: body frame → world → pixels.
    const viewX = ch; // camera ray (0,0,1) expressed on the body's left axis
    const viewZ = sh; // … and on its forward axis
    const off = n * 2 * N_KEYPOINTS;
    for (let j = 0; j < N_KEYPOINTS; j++) {
      const x = local[3 * j];
      const y = local[3 * j + 1];
      const z = local[3 * j + 2];
      const Xw = X - x * sh + z * ch;
      const Zw = Math.max(Z + x * ch + z * sh, 0.5);
      uv[off + 2 * j] = cam.cx + (cam.focal * Xw) / Zw; // = projectGround (projectPoint on cam.view), inlined (hot loop)
      uv[off + 2 * j + 1] = cam.horizonY + (cam.focal * (cam.cameraHeight - y)) / Zw;
      const d = upright[3 * j] * viewX + upright[3 * j + 2] * viewZ;
      occ[n * N_KEYPOINTS + j] = clamp((d - 0.01 * H) / (0.07 * H), 0, 1);
    }
    depth[n] = Z;
    sideArr[n] = Math.abs(ch);
    speedArr[n] = v;

    // 5. Leaving the scene.
    const inside = insideArea(cam, X, Z, 0);
    if (inside) everInside = true;
    if (everInside && !insideArea(cam, X, Z, 1)) {
      n++;
      break;
    }
    if (!everInside && n > 20 * DEMO_FPS) {
      n++;
      break;
    }
  }
  const last = plan.startFrame + n - 1;
  if (behaviour !== null && (behaviour.to < 0 || behaviour.to > last)) behaviour.to = last;
  return {
    first: plan.startFrame,
    n,
    uv: uv.subarray(0, n * 2 * N_KEYPOINTS),
    occ: occ.subarray(0, n * N_KEYPOINTS),
    depth: depth.subarray(0, n),
    side: sideArr.subarray(0, n),
    speed: speedArr.subarray(0, n),
    behaviour,
  };

  function setMode(m: Mode): void {
    mode = m;
    modeFrames = -1; // incremented to 0 at the end of this frame
  }

  function startAnomaly(kind: 'falling' | 'fighting' | 'sprint', t: number): void {
    behaviour = { kind, from: t, to: -1 };
    if (kind === 'sprint') {
      sprintSpeed = uniformIn(rng, 4.5, 7);
      sprintAcc = uniformIn(rng, 3, 6);
      setMode('sprint');
    } else if (kind === 'falling') {
      const dir = pickWeighted(rng, [0.4, 0.25, 0.175, 0.175]);
      fallDir = [0, Math.PI, Math.PI / 2, -Math.PI / 2][dir] + 0.3 * rng.normal();
      fallFrames = Math.round(uniformIn(rng, 0.6, 1.1) * DEMO_FPS);
      lieAngle = clamp(Math.PI / 2 + 0.06 * rng.normal(), 1.35, 1.65);
      lieFrames = Math.round(uniformIn(rng, 2, 6) * DEMO_FPS);
      getUp = rng.uniform() < 0.6;
      getUpFrames = Math.round(uniformIn(rng, 1.5, 2.5) * DEMO_FPS);
      for (let i = 0; i < 2; i++) {
        fallKey.knee[i] = uniformIn(rng, 0.4, 0.9);
        fallKey.hipFlex[i] = uniformIn(rng, 0.1, 0.5);
        fallKey.shoulderFlex[i] = uniformIn(rng, 0.5, 1.7);
        fallKey.shoulderAbd[i] = uniformIn(rng, 0.3, 1.2);
        fallKey.elbow[i] = uniformIn(rng, 0.1, 0.6);
        lieKey.knee[i] = uniformIn(rng, 0.05, 0.7);
        lieKey.hipFlex[i] = uniformIn(rng, -0.1, 0.5);
        lieKey.hipAbd[i] = uniformIn(rng, 0.02, 0.3);
        lieKey.shoulderFlex[i] = uniformIn(rng, 0, 2.8);
        lieKey.shoulderAbd[i] = uniformIn(rng, 0.1, 1.3);
        lieKey.elbow[i] = uniformIn(rng, 0, 1.5);
      }
      lieKey.headYaw = uniformIn(rng, -0.6, 0.6);
      setMode('fall');
    } else {
      fightFrames = Math.round(uniformIn(rng, 2.5, 6) * DEMO_FPS);
      moveLeft = 0;
      setMode('fight');
    }
  }
}

function copyAngles(dst: PoseAngles, src: PoseAngles): void {
  for (let i = 0; i < 2; i++) {
    dst.hipFlex[i] = src.hipFlex[i];
    dst.hipAbd[i] = src.hipAbd[i];
    dst.knee[i] = src.knee[i];
    dst.shoulderFlex[i] = src.shoulderFlex[i];
    dst.shoulderAbd[i] = src.shoulderAbd[i];
    dst.elbow[i] = src.elbow[i];
  }
  dst.trunkPitch = src.trunkPitch;
  dst.trunkRoll = src.trunkRoll;
  dst.trunkTwist = src.trunkTwist;
  dst.pelvisTwist = src.pelvisTwist;
  dst.headPitch = src.headPitch;
  dst.headYaw = src.headYaw;
  dst.sway = src.sway;
  dst.lift = src.lift;
  dst.fallAngle = src.fallAngle;
  dst.fallDir = src.fallDir;
}
