/**
 * A virtual pinhole camera that films a {@link MotionClip3D}, and a pose-estimator + tracker
 * imitation that turns the exact projections into what AlphaPose + PoseFlow would write:
 * jittered keypoints with confidences, missed joints, missed frames and lost identities.
 * Browser-safe (no file system).
 *
 * @module
 */
import { InputError, type Rng } from '@skelflow/base';
import { Gaussian, clamp, round3 } from '@skelflow/pose';
import { frameKey, type PersonTracks, type PoseDetection } from '@skelflow/pose';
import type { MotionClip3D } from './types.js';

/** Image width in pixels of the virtual camera (STG-NF's `vid_res`, ShanghaiTech's frames). */
export const MOCAP_IMAGE_WIDTH = 856;
/** Image height in pixels. */
export const MOCAP_IMAGE_HEIGHT = 480;
/** Points closer than this (metres, along the optical axis) or behind the camera are not projected. */
export const CAMERA_NEAR = 0.1;

const K = 17;

/**
 * Where a camera stands, relative to the point it looks at. Angles in degrees.
 *
 * - `azimuth`: rotation of the camera position about the vertical (y) axis through the target.
 *   0 puts the camera on the target's +z side looking towards −z (world x then points right in
 *   the image); 90 puts it on the +x side looking towards −x.
 * - `elevation`: angle above the horizontal plane through the target (0 = level, 30 = looking
 *   down at 30°); |elevation| must stay below 89°.
 * - `distance`: metres from the camera to the target.
 * - `focal`: focal length in pixels.
 * - `width`, `height`: image size (default 856 × 480); the principal point is the image centre
 *   `(width/2, height/2)`.
 */
export interface CameraSpec {
  azimuth: number;
  elevation: number;
  distance: number;
  focal: number;
  width?: number;
  height?: number;
}

/** A posed pinhole camera: centre, orthonormal axes (world coordinates), intrinsics. */
export interface PinholeCamera {
  /** Camera centre in world coordinates (metres). */
  position: [number, number, number];
  /** Image x axis (to the right) in world coordinates. */
  right: [number, number, number];
  /** Image "up" axis in world coordinates (image y grows the other way). */
  up: [number, number, number];
  /** Optical axis (viewing direction) in world coordinates. */
  forward: [number, number, number];
  /** Focal length in pixels. */
  focal: number;
  /** Principal point x (pixels). */
  cx: number;
  /** Principal point y (pixels). */
  cy: number;
  width: number;
  height: number;
}

/**
 * Checks a {@link CameraSpec} and returns a message describing the first problem, or `null`.
 *
 * @example
 * ```ts
 * cameraSpecProblem({ azimuth: 0, elevation: 95, distance: 8, focal: 700 }); // 'elevation must be in (−89, 89) degrees, got 95'
 * ```
 */
export function cameraSpecProblem(spec: CameraSpec): string | null {
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!finite(spec.azimuth)) return `azimuth must be a number (degrees), got ${String(spec.azimuth)}`;
  if (!finite(spec.elevation) || Math.abs(spec.elevation) >= 89) return `elevation must be in (−89, 89) degrees, got ${String(spec.elevation)}`;
  if (!finite(spec.distance) || spec.distance <= CAMERA_NEAR) return `distance must be a number > ${CAMERA_NEAR} (metres), got ${String(spec.distance)}`;
  if (!finite(spec.focal) || spec.focal <= 0) return `focal must be a positive number (pixels), got ${String(spec.focal)}`;
  for (const k of ['width', 'height'] as const) {
    const v = spec[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) return `${k} must be a positive integer (pixels), got ${String(v)}`;
  }
  return null;
}

/**
 * Places a pinhole camera that looks at `target` from the direction and distance of `spec`
 * (see {@link CameraSpec}). World y is up; the camera has no roll, so vertical world lines through
 * the image centre stay vertical.
 *
 * @param spec - azimuth, elevation, distance, focal length, image size.
 * @param target - world point (metres) that lands on the principal point.
 * @returns the camera.
 * @throws InputError for an invalid spec.
 * @example
 * ```ts
 * const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
 * cam.position; // [0, 1, 10]
 * projectPoint(cam, 1, 1, 0); // [478, 240, 10]: 1 m to the right at 10 m = 50 px right of centre
 * ```
 */
export function lookAtCamera(spec: CameraSpec, target: readonly [number, number, number]): PinholeCamera {
  const problem = cameraSpecProblem(spec);
  if (problem) throw new InputError(problem, { source: 'lookAtCamera' });
  const az = (spec.azimuth * Math.PI) / 180;
  const el = (spec.elevation * Math.PI) / 180;
  // Unit vector from the target to the camera.
  const dx = Math.cos(el) * Math.sin(az);
  const dy = Math.sin(el);
  const dz = Math.cos(el) * Math.cos(az);
  const position: [number, number, number] = [target[0] + spec.distance * dx, target[1] + spec.distance * dy, target[2] + spec.distance * dz];
  const forward: [number, number, number] = [-dx, -dy, -dz];
  // right = forward × worldUp, normalised (worldUp = (0, 1, 0)).
  const rl = Math.hypot(forward[2], forward[0]);
  const right: [number, number, number] = [-forward[2] / rl, 0, forward[0] / rl];
  // up = right × forward.
  const up: [number, number, number] = [
    right[1] * forward[2] - right[2] * forward[1],
    right[2] * forward[0] - right[0] * forward[2],
    right[0] * forward[1] - right[1] * forward[0],
  ];
  const width = spec.width ?? MOCAP_IMAGE_WIDTH;
  const height = spec.height ?? MOCAP_IMAGE_HEIGHT;
  return { position, right, up, forward, focal: spec.focal, cx: width / 2, cy: height / 2, width, height };
}

/**
 * Projects one world point: `u = cx + f·x_c/z_c`, `v = cy − f·y_c/z_c` with `(x_c, y_c, z_c)` the
 * point in camera coordinates (right, up, forward). Image y grows downwards.
 *
 * @returns `[u, v, depth]` in pixels and metres; `u`, `v` are NaN when the point is closer than
 *   {@link CAMERA_NEAR} or behind the camera (depth ≤ 0.1).
 * @example
 * ```ts
 * const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 0, 0]);
 * projectPoint(cam, 0, 2, 0); // [428, 140, 10]
 * projectPoint(cam, 0, 0, 20); // [NaN, NaN, -10]: behind the camera
 * ```
 */
export function projectPoint(cam: PinholeCamera, x: number, y: number, z: number): [number, number, number] {
  const px = x - cam.position[0];
  const py = y - cam.position[1];
  const pz = z - cam.position[2];
  const depth = px * cam.forward[0] + py * cam.forward[1] + pz * cam.forward[2];
  if (!(depth > CAMERA_NEAR)) return [NaN, NaN, depth];
  const xc = px * cam.right[0] + py * cam.right[1] + pz * cam.right[2];
  const yc = px * cam.up[0] + py * cam.up[1] + pz * cam.up[2];
  return [cam.cx + (cam.focal * xc) / depth, cam.cy - (cam.focal * yc) / depth, depth];
}

/** The COCO-17 joints of a clip seen by a camera (see {@link projectClip}). */
export interface ProjectedClip {
  nFrames: number;
  /** `[F, 17, 2]` pixel coordinates; NaN for joints behind the camera. */
  uv: Float64Array;
  /** `[F, 17]` depth along the optical axis in metres. */
  depth: Float32Array;
  /** Image width and height the coordinates refer to. */
  width: number;
  height: number;
}

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

/**
 * How the virtual pose estimator and tracker degrade the exact projections. All rates are per
 * frame (or per joint and frame); every field is optional (defaults in brackets).
 */
export interface EstimatorNoise {
  /** Keypoint noise std in pixels, constant part [0.5]. */
  jitterPx?: number;
  /** Keypoint noise std per pixel of person height [0.01] (a 150 px person gets 0.5 + 1.5 px). */
  jitterRel?: number;
  /** Frame-to-frame correlation of the keypoint noise, AR(1) coefficient in [0, 1) [0.55]. */
  jitterCorrelation?: number;
  /** Mean confidence of a clearly visible joint [0.88]. */
  confidence?: number;
  /** Std of the confidence noise [0.06]. */
  confidenceSpread?: number;
  /** Probability that the estimator misses a joint in a frame: it gets a confidence of 0.02–0.15 and a position error of ~15 % of the person's height [0.01]. */
  jointDropRate?: number;
  /** Probability per frame that a short detection gap of 1…`maxGap` frames starts [0.01]. */
  frameDropRate?: number;
  /** Longest short gap in frames [3]. */
  maxGap?: number;
  /** Probability per frame that a long gap of 8–30 frames starts (occlusion, detector failure) [0.001]. */
  longGapRate?: number;
  /** Probability that the tracker gives the person a new id after a gap [0.2]. */
  idSwitchRate?: number;
  /** A frame is detected only when at least this many joints are in front of the camera and inside the image [9]. */
  minVisibleJoints?: number;
}

/** {@link EstimatorNoise} with every default filled in. */
export const DEFAULT_ESTIMATOR_NOISE: Readonly<Required<EstimatorNoise>> = Object.freeze({
  jitterPx: 0.5,
  jitterRel: 0.01,
  jitterCorrelation: 0.55,
  confidence: 0.88,
  confidenceSpread: 0.06,
  jointDropRate: 0.01,
  frameDropRate: 0.01,
  maxGap: 3,
  longGapRate: 0.001,
  idSwitchRate: 0.2,
  minVisibleJoints: 9,
});

/**
 * Checks an {@link EstimatorNoise} and returns a message describing the first problem, or `null`.
 *
 * @example
 * ```ts
 * estimatorNoiseProblem({ frameDropRate: 2 }); // 'frameDropRate must be a number in [0, 1], got 2'
 * ```
 */
export function estimatorNoiseProblem(noise: EstimatorNoise): string | null {
  const known = new Set(Object.keys(DEFAULT_ESTIMATOR_NOISE));
  for (const k of Object.keys(noise)) if (!known.has(k)) return `unknown noise setting '${k}' (known: ${[...known].join(', ')})`;
  const n = noise as Record<string, unknown>;
  const check = (k: string, lo: number, hi: number, int = false): string | null => {
    const v = n[k];
    if (v === undefined) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      return `${k} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`;
    }
    return null;
  };
  return (
    check('jitterPx', 0, 1e3) ??
    check('jitterRel', 0, 1) ??
    check('jitterCorrelation', 0, 0.999) ??
    check('confidence', 0.05, 1) ??
    check('confidenceSpread', 0, 1) ??
    check('jointDropRate', 0, 1) ??
    check('frameDropRate', 0, 1) ??
    check('maxGap', 1, 1000, true) ??
    check('longGapRate', 0, 1) ??
    check('idSwitchRate', 0, 1) ??
    check('minVisibleJoints', 1, 17, true)
  );
}

/** Result of {@link simulatePoseEstimator}. */
export interface EstimatorOutput {
  /** Person id → frame key → detection, the `*_alphapose_tracked_person.json` content. */
  persons: PersonTracks;
  /** `[F]` 1 where the person was detected. */
  detected: Uint8Array;
}

/**
 * Turns exact projections into pose-estimator + tracker output (one person):
 *
 * - a frame is detected when at least `minVisibleJoints` joints are in front of the camera and
 *   inside the image, and it is not inside a gap; gaps of 1…`maxGap` frames start with
 *   probability `frameDropRate` per frame and long gaps of 8–30 frames with `longGapRate`;
 * - after a gap the tracker continues with a new person id with probability `idSwitchRate`
 *   (ids are 1, 2, … in order of appearance);
 * - keypoints get temporally correlated Gaussian noise of std `jitterPx + jitterRel·h`
 *   (h = the person's height in pixels), up to doubled for joints hidden behind the body (5–20 cm
 *   farther from the camera than the torso centre); confidences are `confidence` ± `confidenceSpread`, lower for
 *   hidden joints and for joints that moved further than their noise;
 * - a missed joint (`jointDropRate`) keeps a position with an error of ~15 % of the person's
 *   height and a confidence of 0.02–0.15; joints behind the camera sit on the mean of the visible
 *   ones with confidence 0; joints outside the image are clamped to its border with a confidence
 *   ≤ 0.25 (as AlphaPose does);
 * - the detection score is the mean confidence times the fraction of joints inside the image.
 *
 * Values are rounded to 3 decimals, as in the STG-NF JSON files. Deterministic given `rng`.
 *
 * @param proj - the projected clip ({@link projectClip}).
 * @param rng - random stream of this clip and view.
 * @param noise - degradation settings (see {@link EstimatorNoise}).
 * @returns the tracked-person dictionary and which frames were detected.
 * @example
 * ```ts
 * const { persons } = simulatePoseEstimator(projectClip(clip, cam), new Rng('02_01/cam0'), { frameDropRate: 0 });
 * JSON.stringify(persons); // { "1": { "0000": { "keypoints": [...51], "scores": 0.87 }, ... } }
 * ```
 */
export function simulatePoseEstimator(proj: ProjectedClip, rng: Rng, noise: EstimatorNoise = {}): EstimatorOutput {
  const problem = estimatorNoiseProblem(noise);
  if (problem) throw new InputError(problem, { source: 'simulatePoseEstimator' });
  const o = { ...DEFAULT_ESTIMATOR_NOISE, ...noise };
  const F = proj.nFrames;
  const W1 = proj.width - 1;
  const H1 = proj.height - 1;
  const g = new Gaussian(rng);
  const jit = new Float64Array(2 * K);
  const out = new Float64Array(3 * K);
  const detected = new Uint8Array(F);
  const persons: PersonTracks = {};
  let track: Record<string, PoseDetection> | null = null;
  let nextId = 1;
  let gapLeft = 0;
  let hadGap = false;
  for (let f = 0; f < F; f++) {
    const base = f * K;
    // Visibility and the person's extent.
    let visible = 0;
    let front = 0;
    let mu = 0;
    let mv = 0;
    let v0 = Infinity;
    let v1 = -Infinity;
    let u0 = Infinity;
    let u1 = -Infinity;
    for (let j = 0; j < K; j++) {
      const u = proj.uv[2 * (base + j)];
      const v = proj.uv[2 * (base + j) + 1];
      if (Number.isNaN(u)) continue;
      front++;
      mu += u;
      mv += v;
      u0 = Math.min(u0, u);
      u1 = Math.max(u1, u);
      v0 = Math.min(v0, v);
      v1 = Math.max(v1, v);
      if (u >= 0 && u <= W1 && v >= 0 && v <= H1) visible++;
    }
    // Random draws happen every frame, so one frame's outcome does not shift the others' noise.
    const startShort = rng.uniform() < o.frameDropRate;
    const shortLen = 1 + rng.int(o.maxGap);
    const startLong = rng.uniform() < o.longGapRate;
    const longLen = 8 + rng.int(23);
    const newIdDraw = rng.uniform();
    if (gapLeft > 0) {
      gapLeft--;
      hadGap = true;
      continue;
    }
    if (visible < o.minVisibleJoints) {
      hadGap = true;
      continue;
    }
    if (startLong || startShort) {
      gapLeft = (startLong ? longLen : shortLen) - 1;
      hadGap = true;
      continue;
    }
    if (track === null || (hadGap && newIdDraw < o.idSwitchRate)) {
      track = {};
      persons[String(nextId++)] = track;
      jit.fill(0);
    }
    hadGap = false;
    mu /= front;
    mv /= front;
    const size = Math.max(v1 - v0, 0.6 * (u1 - u0), 1);
    const sigma = o.jitterPx + o.jitterRel * size;
    // Torso depth: mean of shoulders and hips; joints behind it count as hidden by the body.
    const torso = (proj.depth[base + 5] + proj.depth[base + 6] + proj.depth[base + 11] + proj.depth[base + 12]) / 4;
    let csum = 0;
    for (let j = 0; j < K; j++) {
      const u = proj.uv[2 * (base + j)];
      const v = proj.uv[2 * (base + j) + 1];
      const nx = g.next();
      const ny = g.next();
      const dropped = rng.uniform() < o.jointDropRate;
      const cn = g.next();
      if (Number.isNaN(u)) {
        out[3 * j] = clamp(mu, 0, W1);
        out[3 * j + 1] = clamp(mv, 0, H1);
        out[3 * j + 2] = 0;
        continue;
      }
      const occ = Number.isFinite(torso) ? clamp((proj.depth[base + j] - torso - 0.05) / 0.15, 0, 1) : 0;
      const s = sigma * (1 + occ);
      const jx = o.jitterCorrelation * jit[2 * j] + Math.sqrt(1 - o.jitterCorrelation ** 2) * s * nx;
      const jy = o.jitterCorrelation * jit[2 * j + 1] + Math.sqrt(1 - o.jitterCorrelation ** 2) * s * ny;
      jit[2 * j] = jx;
      jit[2 * j + 1] = jy;
      let x = u + jx;
      let y = v + jy;
      let c = o.confidence + o.confidenceSpread * cn - 0.3 * occ - 0.04 * (Math.abs(nx) + Math.abs(ny) - 1.6);
      if (dropped) {
        x += 0.15 * size * g.next();
        y += 0.15 * size * g.next();
        c = 0.02 + 0.13 * rng.uniform();
      }
      if (x < 0 || x > W1 || y < 0 || y > H1) {
        x = clamp(x, 0, W1);
        y = clamp(y, 0, H1);
        c = Math.min(c, 0.05 + 0.2 * rng.uniform());
      }
      c = clamp(c, 0.01, 1);
      out[3 * j] = x;
      out[3 * j + 1] = y;
      out[3 * j + 2] = c;
      csum += c;
    }
    const keypoints = new Array<number>(3 * K);
    for (let m = 0; m < 3 * K; m++) keypoints[m] = round3(out[m]);
    const score = clamp((csum / K) * (visible / K) + 0.03 * g.next(), 0.05, 0.999);
    track[frameKey(f)] = { keypoints, scores: round3(score) };
    detected[f] = 1;
  }
  return { persons, detected };
}
