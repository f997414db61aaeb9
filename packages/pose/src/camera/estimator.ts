/**
 * The pose-estimator + tracker imitation of a single filmed person: turns exact projections into
 * what AlphaPose + PoseFlow would write — jittered keypoints with confidences, missed joints,
 * missed frames and lost identities. Browser-safe.
 *
 * @module
 */
import { InputError, type Rng } from '@skelflow/base';
import { Gaussian, clamp, round3 } from '../numeric.js';
import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';
import { frameKey, type PoseDetectionJson, type PoseTracksJson } from '../tracks/types.js';

const K = COCO17_KEYPOINTS.length;

/** The COCO-17 joints of one person in every frame, seen by a camera (what `projectClip` of `@skelflow/mocap` returns). */
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
  persons: PoseTracksJson;
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
  const persons: PoseTracksJson = {};
  let track: Record<string, PoseDetectionJson> | null = null;
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
