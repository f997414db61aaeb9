/**
 * The one pose-estimator + tracker degradation model of the package: turns exact projections of
 * the people in a clip into what AlphaPose + PoseFlow would write — jittered keypoints with
 * confidences, missed joints and outliers, left/right confusions, truncation at the frame border,
 * missed frames and gaps, lost and switched identities. The synthetic generator
 * ({@link SYNTHETIC_ESTIMATOR_NOISE}) and the motion-capture builder ({@link MOCAP_ESTIMATOR_NOISE},
 * through {@link simulatePoseEstimator}) both use {@link simulateEstimatorTracker}; they differ
 * only in their parameter presets. Browser-safe.
 *
 * @module
 */
import { InputError, type Rng } from '@skelflow/base';
import { Gaussian, clamp, round3 } from '../numeric.js';
import { COCO17_FLIP, COCO17_KEYPOINTS } from '../layouts/skeletons.js';
import { frameKey, type PoseDetectionJson, type PoseTracksJson } from '../tracks/types.js';

const K = COCO17_KEYPOINTS.length;

// Body left/right pairs (shoulders … ankles), from the flip pairs: [5, 6], [7, 8], …, [15, 16].
const SWAP_PAIRS: ReadonlyArray<readonly [number, number]> = COCO17_FLIP.flatMap((r, l) => (l >= 5 && l < r ? [[l, r] as const] : []));

/**
 * How the virtual pose estimator and tracker degrade exact projections. Rates are per frame (or
 * per joint and frame); a feature whose rate is 0 draws no random numbers. Every field is
 * optional where settings are accepted (`simulatePoseEstimator`, the mocap manifest's `noise`);
 * missing fields come from a preset ({@link MOCAP_ESTIMATOR_NOISE} or
 * {@link SYNTHETIC_ESTIMATOR_NOISE}). "Size" h of a person is max(box height, 0.6 · box width)
 * in pixels over the joints in front of the camera; "small" is `clamp(1 − h/60, 0, 1)`.
 */
export interface EstimatorNoise {
  // Detection.
  /** A frame can be detected only when at least this many joints are in front of the camera and inside the image. */
  minVisibleJoints?: number;
  /** … and the person is at least this many pixels large. */
  minPersonPx?: number;
  /** Probability of missing a person whose box is 85 % covered by a nearer person's box (linear from 0 at 45 % coverage); a miss by occlusion makes an id switch likelier ({@link EstimatorNoise.occludedIdSwitchRate}). */
  occlusionDropRate?: number;
  /** Probability per frame that a short detection gap of 1…`maxGap` frames starts. */
  frameDropRate?: number;
  /** Added to `frameDropRate` times "small" (small people are missed more often). */
  smallPersonDropRate?: number;
  /** Longest short gap in frames. */
  maxGap?: number;
  /** Probability per frame that a long gap of `longGapMin`…`longGapMax` frames starts (detector failure, occlusion). */
  longGapRate?: number;
  longGapMin?: number;
  longGapMax?: number;
  // Tracking.
  /** Probability that the tracker continues under a new person id after a gap of 4–10 frames (frames without a detection, for any reason). */
  idSwitchRate?: number;
  /** `idSwitchRate` is multiplied by this after a gap of 1–3 frames. */
  shortGapIdFactor?: number;
  /** `idSwitchRate` is multiplied by this after a gap of more than 10 frames. */
  longGapIdFactor?: number;
  /** Added to the id-switch probability when the gap was (partly) caused by occlusion. */
  occludedIdSwitchRate?: number;
  /** Probability per detected frame without a gap that the id switches anyway (the person continues under a new id). */
  spontaneousIdSwitchRate?: number;
  // Keypoints.
  /** Keypoint noise std in pixels, constant part. */
  jitterPx?: number;
  /** Keypoint noise std per pixel of person size. */
  jitterRel?: number;
  /** Frame-to-frame correlation of the keypoint noise, AR(1) coefficient in [0, 1). */
  jitterCorrelation?: number;
  /** Std of the per-frame innovation relative to `jitterPx + jitterRel·h`; √(1 − ρ²) keeps the long-run std at `jitterPx + jitterRel·h` (0.835 for ρ = 0.55). */
  jitterInnovation?: number;
  /** A hidden joint (self-occlusion 1) gets noise × (1 + `hiddenJitter`). */
  hiddenJitter?: number;
  /** Probability per detection that one random joint is a gross outlier (a missed joint, see `missedConfidence`). */
  outlierRate?: number;
  /** Probability per joint and frame that the estimator misses the joint (same effect as an outlier). */
  jointDropRate?: number;
  /** A missed joint gets a position error of N(0, (0.15 h)²) per axis and a confidence of `missedConfidence` + U(0, `missedConfidenceSpread`). */
  missedConfidence?: number;
  missedConfidenceSpread?: number;
  /** Probability per frame, times the person's side-view factor (1 = in profile), that left and right limbs are confused for 1–5 detections. */
  swapRate?: number;
  // Confidences.
  /** Confidence of a clearly visible joint. */
  confidence?: number;
  /** Std of independent Gaussian confidence noise. */
  confidenceSpread?: number;
  /** Confidence noise tied to the position noise: `confidenceCoupling · (1.2 − |nx| − 0.5 |ny|)` for the joint's standard-normal noise draws (nx, ny) — a joint that jumped further is less certain. */
  confidenceCoupling?: number;
  /** Confidence lost by a hidden joint (× self-occlusion in [0, 1]). */
  hiddenConfidence?: number;
  /** Confidence lost by a small person (× "small"). */
  smallConfidence?: number;
  /** Lowest confidence of a joint in front of the camera (joints behind it get 0). */
  minConfidence?: number;
}

/**
 * Preset of the synthetic demo generator: a crowded fixed surveillance camera with people from
 * 20 to 250 px — size-dependent misses, occlusion by other people, gap-length-dependent id loss,
 * rare spontaneous id switches, per-detection outliers and left/right confusions in side views.
 */
export const SYNTHETIC_ESTIMATOR_NOISE: Readonly<Required<EstimatorNoise>> = Object.freeze({
  minVisibleJoints: 10,
  minPersonPx: 16,
  occlusionDropRate: 0.85,
  frameDropRate: 0.008,
  smallPersonDropRate: 0.04,
  maxGap: 3,
  longGapRate: 0.0012,
  longGapMin: 9,
  longGapMax: 41,
  idSwitchRate: 0.25,
  shortGapIdFactor: 0.12,
  longGapIdFactor: 2.4,
  occludedIdSwitchRate: 0.25,
  spontaneousIdSwitchRate: 0.0008,
  jitterPx: 0.5,
  jitterRel: 0.012,
  jitterCorrelation: 0.55,
  jitterInnovation: 0.835,
  hiddenJitter: 1.5,
  outlierRate: 0.034,
  jointDropRate: 0,
  missedConfidence: 0.05,
  missedConfidenceSpread: 0.25,
  swapRate: 0.004,
  confidence: 0.93,
  confidenceSpread: 0,
  confidenceCoupling: 0.12,
  hiddenConfidence: 0.45,
  smallConfidence: 0.3,
  minConfidence: 0.05,
});

/**
 * Preset of the motion-capture builder (and default of {@link simulatePoseEstimator}): one person
 * filmed from 8–15 m — per-joint misses, independent confidence noise, a constant id-switch
 * probability after any gap; no outliers, left/right confusions, spontaneous switches or
 * small-person effects.
 */
export const MOCAP_ESTIMATOR_NOISE: Readonly<Required<EstimatorNoise>> = Object.freeze({
  minVisibleJoints: 9,
  minPersonPx: 0,
  occlusionDropRate: 0.85,
  frameDropRate: 0.01,
  smallPersonDropRate: 0,
  maxGap: 3,
  longGapRate: 0.001,
  longGapMin: 8,
  longGapMax: 30,
  idSwitchRate: 0.2,
  shortGapIdFactor: 1,
  longGapIdFactor: 1,
  occludedIdSwitchRate: 0.25,
  spontaneousIdSwitchRate: 0,
  jitterPx: 0.5,
  jitterRel: 0.01,
  jitterCorrelation: 0.55,
  jitterInnovation: 0.835,
  hiddenJitter: 1,
  outlierRate: 0,
  jointDropRate: 0.01,
  missedConfidence: 0.02,
  missedConfidenceSpread: 0.13,
  swapRate: 0,
  confidence: 0.88,
  confidenceSpread: 0.06,
  confidenceCoupling: 0.04,
  hiddenConfidence: 0.3,
  smallConfidence: 0,
  minConfidence: 0.01,
});

// [min, max, integer] of every setting.
const RANGES: Readonly<Record<keyof EstimatorNoise, readonly [number, number, boolean]>> = {
  minVisibleJoints: [1, K, true],
  minPersonPx: [0, 1e4, false],
  occlusionDropRate: [0, 1, false],
  frameDropRate: [0, 1, false],
  smallPersonDropRate: [0, 1, false],
  maxGap: [1, 1000, true],
  longGapRate: [0, 1, false],
  longGapMin: [1, 10000, true],
  longGapMax: [1, 10000, true],
  idSwitchRate: [0, 1, false],
  shortGapIdFactor: [0, 100, false],
  longGapIdFactor: [0, 100, false],
  occludedIdSwitchRate: [0, 1, false],
  spontaneousIdSwitchRate: [0, 1, false],
  jitterPx: [0, 1e3, false],
  jitterRel: [0, 1, false],
  jitterCorrelation: [0, 0.999, false],
  jitterInnovation: [0, 1, false],
  hiddenJitter: [0, 100, false],
  outlierRate: [0, 1, false],
  jointDropRate: [0, 1, false],
  missedConfidence: [0, 1, false],
  missedConfidenceSpread: [0, 1, false],
  swapRate: [0, 1, false],
  confidence: [0.05, 1, false],
  confidenceSpread: [0, 1, false],
  confidenceCoupling: [0, 1, false],
  hiddenConfidence: [0, 1, false],
  smallConfidence: [0, 1, false],
  minConfidence: [0, 1, false],
};

/**
 * Checks an {@link EstimatorNoise} and returns a message describing the first problem, or `null`.
 *
 * @example
 * ```ts
 * estimatorNoiseProblem({ frameDropRate: 2 }); // 'frameDropRate must be a number in [0, 1], got 2'
 * ```
 */
export function estimatorNoiseProblem(noise: EstimatorNoise): string | null {
  const known = Object.keys(RANGES);
  for (const k of Object.keys(noise)) if (!known.includes(k)) return `unknown noise setting '${k}' (known: ${known.join(', ')})`;
  for (const [k, [lo, hi, int]] of Object.entries(RANGES)) {
    const v = (noise as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      return `${k} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`;
    }
  }
  if (noise.longGapMin !== undefined && noise.longGapMax !== undefined && noise.longGapMax < noise.longGapMin) {
    return `longGapMax (${noise.longGapMax}) must be ≥ longGapMin (${noise.longGapMin})`;
  }
  return null;
}

/** One person as the camera sees it, exactly: the input of {@link simulateEstimatorTracker}. */
export interface ObservedPerson {
  /** First clip frame of the person. */
  first: number;
  /** Number of consecutive frames from `first`. */
  n: number;
  /** `n × 17 × 2` pixel coordinates; NaN for joints not projected (behind the camera). */
  uv: Float64Array;
  /** `n × 17` self-occlusion in [0, 1] (1 = hidden behind the body). */
  occ: Float32Array;
  /** `n` distance from the camera (any unit): who occludes whom. */
  depth: Float32Array;
  /** `n` side-view factor in [0, 1] (1 = in profile) scaling `swapRate`; default 1. */
  side?: Float32Array;
}

/** The people of one clip and the image they are seen in. */
export interface ObservedScene {
  people: readonly ObservedPerson[];
  nFrames: number;
  /** Image width and height in pixels. */
  width: number;
  height: number;
}

/** Which person id a person carries from which frame on (an id switch starts a new span). */
export interface IdSpan {
  /** Index of the person in {@link ObservedScene.people}. */
  actor: number;
  id: string;
  /** First frame the id is used (its first detection). */
  start: number;
  /** Last frame with a detection under this id. */
  end: number;
}

/** Result of {@link simulateEstimatorTracker}. */
export interface EstimatorTrackerOutput {
  /** Person id → frame key → detection, the `*_alphapose_tracked_person.json` content. */
  persons: PoseTracksJson;
  /** All id spans, sorted by id. */
  spans: IdSpan[];
  /** Per person of the scene: `[nFrames]` 1 in the clip frames it was detected in. */
  detected: Uint8Array[];
}

/**
 * Turns exact projections of the people in a clip into pose-estimator + tracker output.
 *
 * Per person and frame, in this order (the random draws follow it; a disabled feature draws nothing):
 *
 * - **detectable** when ≥ `minVisibleJoints` joints are in front of the camera and inside the
 *   image and the person is ≥ `minPersonPx` large; frames that are not detectable are missed and
 *   do not count down a running gap;
 * - **missed** while a gap runs; by occlusion behind a nearer person (box coverage > 45 %,
 *   `occlusionDropRate`); a short gap of 1…`maxGap` frames starts with probability
 *   `frameDropRate + smallPersonDropRate·small`, a long one of `longGapMin`…`longGapMax` frames
 *   with `longGapRate`;
 * - **identity**: after g ≥ 1 frames without a detection the tracker continues under a new id with
 *   probability `idSwitchRate` × (`shortGapIdFactor` if g ≤ 3, 1 if g ≤ 10, else
 *   `longGapIdFactor`) + `occludedIdSwitchRate` if an occlusion miss happened since the last
 *   detection; without a gap with `spontaneousIdSwitchRate`. Ids are 1, 2, … in order of first
 *   appearance;
 * - **keypoints**: AR(1) noise `jit ← ρ·jit + jitterInnovation·σ·(1 + hiddenJitter·occ)·n`,
 *   σ = `jitterPx + jitterRel·h`; left/right limbs swapped for 1–5 detections (`swapRate` ×
 *   side view); missed joints (`outlierRate` per detection, `jointDropRate` per joint) get an
 *   error of ~15 % of h and a confidence of `missedConfidence` + U(0, `missedConfidenceSpread`);
 * - **confidence** `confidence + confidenceSpread·N − hiddenConfidence·occ − smallConfidence·small
 *   + confidenceCoupling·(1.2 − |nx| − 0.5|ny|)`, clamped to [`minConfidence`, 1];
 * - **truncation**: joints outside the image are clamped to its border (as AlphaPose does) with a
 *   confidence ≤ 0.05 + U(0, 0.2); joints behind the camera sit on the mean of the others with
 *   confidence 0;
 * - **detection score** `0.45 + 0.5·min(1, h/110) − 0.5·(1 − inside fraction) − 0.3·coverage +
 *   N(0, 0.05²)`, clamped to [0.05, 0.999].
 *
 * Values are rounded to 3 decimals, as in the STG-NF JSON files. Deterministic given `rng`.
 *
 * @param scene - the people (exact projections, self-occlusion, depth), clip length, image size.
 * @param rng - the clip's random stream.
 * @param noise - complete settings: a preset, possibly with overrides (`{ ...MOCAP_ESTIMATOR_NOISE, frameDropRate: 0 }`).
 * @returns the person tracks, the id spans and which frames each person was detected in.
 * @throws InputError for invalid settings or a person whose arrays do not match `n`.
 * @example
 * ```ts
 * const { persons, spans } = simulateEstimatorTracker({ people: actors, nFrames: 300, width: 856, height: 480 }, rng, SYNTHETIC_ESTIMATOR_NOISE);
 * ```
 */
export function simulateEstimatorTracker(scene: ObservedScene, rng: Rng, noise: Readonly<Required<EstimatorNoise>>): EstimatorTrackerOutput {
  const problem = estimatorNoiseProblem(noise);
  if (problem) throw new InputError(problem, { source: 'simulateEstimatorTracker' });
  const { people, nFrames, width, height } = scene;
  people.forEach((p, a) => {
    if (p.uv.length !== p.n * 2 * K || p.occ.length !== p.n * K || p.depth.length !== p.n || (p.side !== undefined && p.side.length !== p.n)) {
      throw new InputError(`person ${a}: uv, occ, depth and side must hold ${p.n} frames`, { source: 'simulateEstimatorTracker' });
    }
  });
  const o = noise;
  const W1 = width - 1;
  const H1 = height - 1;
  const g = new Gaussian(rng);
  // Box, size, joints inside the image and mean position (of the joints in front of the camera) per person frame.
  const geo = people.map((p) => {
    const box = new Float64Array(p.n * 4);
    const size = new Float64Array(p.n);
    const inside = new Uint8Array(p.n);
    // Single precision, as the synthetic generator has always stored it (the score depends on it).
    const inFrac = new Float32Array(p.n);
    const mean = new Float64Array(p.n * 2);
    for (let i = 0; i < p.n; i++) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      let front = 0;
      let su = 0;
      let sv = 0;
      let ins = 0;
      for (let j = 0; j < K; j++) {
        const u = p.uv[i * 2 * K + 2 * j];
        const v = p.uv[i * 2 * K + 2 * j + 1];
        if (Number.isNaN(u) || Number.isNaN(v)) continue;
        front++;
        su += u;
        sv += v;
        x0 = Math.min(x0, u);
        x1 = Math.max(x1, u);
        y0 = Math.min(y0, v);
        y1 = Math.max(y1, v);
        if (u >= 0 && u < width && v >= 0 && v < height) ins++;
      }
      box.set([x0, y0, x1, y1], 4 * i);
      size[i] = front > 0 ? Math.max(y1 - y0, 0.6 * (x1 - x0), 1) : 0;
      inside[i] = ins;
      inFrac[i] = ins / K;
      mean[2 * i] = su / front;
      mean[2 * i + 1] = sv / front;
    }
    return { box, size, inside, inFrac, mean };
  });
  // How much of each person's box is covered by a nearer person's box, per frame.
  const cover = people.map((p) => new Float32Array(p.n));
  if (people.length > 1) {
    for (let t = 0; t < nFrames; t++) {
      for (let a = 0; a < people.length; a++) {
        const ia = t - people[a].first;
        if (ia < 0 || ia >= people[a].n || geo[a].size[ia] === 0) continue;
        for (let b = 0; b < people.length; b++) {
          const ib = t - people[b].first;
          if (b === a || ib < 0 || ib >= people[b].n || geo[b].size[ib] === 0 || !(people[b].depth[ib] < people[a].depth[ia])) continue;
          const A = geo[a].box;
          const B = geo[b].box;
          const w = Math.min(A[4 * ia + 2], B[4 * ib + 2]) - Math.max(A[4 * ia], B[4 * ib]);
          const h = Math.min(A[4 * ia + 3], B[4 * ib + 3]) - Math.max(A[4 * ia + 1], B[4 * ib + 1]);
          if (w <= 0 || h <= 0) continue;
          const area = Math.max((A[4 * ia + 2] - A[4 * ia]) * (A[4 * ia + 3] - A[4 * ia + 1]), 1);
          cover[a][ia] = Math.max(cover[a][ia], (w * h) / area);
        }
      }
    }
  }

  type Seg = { actor: number; start: number; end: number; frames: number[]; dets: PoseDetectionJson[] };
  const segs: Seg[] = [];
  const detected: Uint8Array[] = [];
  const jit = new Float64Array(2 * K);
  const out = new Float64Array(3 * K);
  const rho = o.jitterCorrelation;
  for (let a = 0; a < people.length; a++) {
    const p = people[a];
    const mask = new Uint8Array(nFrames);
    jit.fill(0);
    let gapLeft = 0;
    let lastDet = -1;
    let cur: Seg | null = null;
    let occludedSinceLast = false;
    let swapLeft = 0;
    for (let i = 0; i < p.n; i++) {
      const t = p.first + i;
      if (t < 0 || t >= nFrames) continue;
      const size = geo[a].size[i];
      const inside = geo[a].inside[i];
      if (inside < o.minVisibleJoints || size < o.minPersonPx) continue;
      if (gapLeft > 0) {
        gapLeft--;
        continue;
      }
      const small = clamp(1 - size / 60, 0, 1);
      const cv = cover[a][i];
      if (o.occlusionDropRate > 0 && cv > 0.45 && rng.uniform() < o.occlusionDropRate * clamp((cv - 0.45) / 0.4, 0, 1)) {
        occludedSinceLast = true;
        continue;
      }
      const shortRate = o.frameDropRate + o.smallPersonDropRate * small;
      if (shortRate > 0 && rng.uniform() < shortRate) {
        gapLeft = rng.int(o.maxGap);
        continue;
      }
      if (o.longGapRate > 0 && rng.uniform() < o.longGapRate) {
        gapLeft = o.longGapMin - 1 + rng.int(o.longGapMax - o.longGapMin + 1);
        continue;
      }
      // Identity: new track, lost after a gap, or a spontaneous switch.
      const gap = lastDet < 0 ? Infinity : t - lastDet - 1;
      let newId = cur === null;
      if (!newId && gap > 0) {
        let pSwitch = o.idSwitchRate * (gap <= 3 ? o.shortGapIdFactor : gap <= 10 ? 1 : o.longGapIdFactor);
        if (occludedSinceLast) pSwitch += o.occludedIdSwitchRate;
        newId = pSwitch > 0 && rng.uniform() < pSwitch;
      } else if (!newId) newId = o.spontaneousIdSwitchRate > 0 && rng.uniform() < o.spontaneousIdSwitchRate;
      if (newId) {
        cur = { actor: a, start: t, end: t, frames: [], dets: [] };
        segs.push(cur);
      }
      occludedSinceLast = false;

      // Keypoint noise and confidences.
      const sigma = o.jitterPx + o.jitterRel * size;
      if (swapLeft > 0) swapLeft--;
      else if (o.swapRate > 0 && rng.uniform() < o.swapRate * (p.side === undefined ? 1 : p.side[i])) swapLeft = 1 + rng.int(5);
      const outlier = o.outlierRate > 0 && rng.uniform() < o.outlierRate ? rng.int(K) : -1;
      const uvOff = i * 2 * K;
      for (let j = 0; j < K; j++) {
        const nx = g.next();
        const ny = g.next();
        const missed = j === outlier || (o.jointDropRate > 0 && rng.uniform() < o.jointDropRate);
        const cn = o.confidenceSpread > 0 ? g.next() : 0;
        const u = p.uv[uvOff + 2 * j];
        const v = p.uv[uvOff + 2 * j + 1];
        if (Number.isNaN(u) || Number.isNaN(v)) {
          out[3 * j] = clamp(geo[a].mean[2 * i], 0, W1);
          out[3 * j + 1] = clamp(geo[a].mean[2 * i + 1], 0, H1);
          out[3 * j + 2] = 0;
          continue;
        }
        const occ = p.occ[i * K + j];
        const s = o.jitterInnovation * sigma * (1 + o.hiddenJitter * occ);
        const jx = rho * jit[2 * j] + s * nx;
        const jy = rho * jit[2 * j + 1] + s * ny;
        jit[2 * j] = jx;
        jit[2 * j + 1] = jy;
        let x = u + jx;
        let y = v + jy;
        let c =
          o.confidence +
          o.confidenceSpread * cn -
          o.hiddenConfidence * occ -
          o.smallConfidence * small +
          o.confidenceCoupling * (0.8 - Math.abs(nx) - Math.abs(ny) * 0.5 + 0.4);
        if (missed) {
          x += 0.15 * size * g.next();
          y += 0.15 * size * g.next();
          c = o.missedConfidence + o.missedConfidenceSpread * rng.uniform();
        }
        if (x < 0 || x > W1 || y < 0 || y > H1) {
          x = x < 0 ? 0 : x > W1 ? W1 : x;
          y = y < 0 ? 0 : y > H1 ? H1 : y;
          c = Math.min(c, 0.05 + 0.2 * rng.uniform());
        }
        out[3 * j] = x;
        out[3 * j + 1] = y;
        out[3 * j + 2] = c < o.minConfidence ? o.minConfidence : c > 1 ? 1 : c;
      }
      if (swapLeft > 0) {
        for (const [l, r] of SWAP_PAIRS) {
          for (let d = 0; d < 2; d++) {
            const tmp = out[3 * l + d];
            out[3 * l + d] = out[3 * r + d];
            out[3 * r + d] = tmp;
          }
        }
      }
      const keypoints = new Array<number>(3 * K);
      for (let m = 0; m < 3 * K; m++) keypoints[m] = Math.round(out[m] * 1000) / 1000; // = round3
      const score = clamp(0.45 + 0.5 * Math.min(1, size / 110) - 0.5 * (1 - geo[a].inFrac[i]) - 0.3 * cv + 0.05 * g.next(), 0.05, 0.999);
      cur!.frames.push(t);
      cur!.dets.push({ keypoints, scores: round3(score) });
      cur!.end = t;
      lastDet = t;
      mask[t] = 1;
    }
    detected.push(mask);
  }

  // Ids in order of first appearance, like a tracker's counter.
  segs.sort((p, q) => p.start - q.start || p.actor - q.actor);
  const persons: PoseTracksJson = {};
  const spans: IdSpan[] = [];
  segs.forEach((s, k) => {
    const id = String(k + 1);
    const track: Record<string, PoseDetectionJson> = {};
    for (let m = 0; m < s.frames.length; m++) track[frameKey(s.frames[m])] = s.dets[m];
    persons[id] = track;
    spans.push({ actor: s.actor, id, start: s.start, end: s.end });
  });
  return { persons, spans, detected };
}

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

/** Result of {@link simulatePoseEstimator}. */
export interface EstimatorOutput {
  /** Person id → frame key → detection, the `*_alphapose_tracked_person.json` content. */
  persons: PoseTracksJson;
  /** `[F]` 1 where the person was detected. */
  detected: Uint8Array;
}

/**
 * {@link simulateEstimatorTracker} for one filmed person, with the {@link MOCAP_ESTIMATOR_NOISE}
 * preset under `noise`. A joint's self-occlusion is read from the depths: 0 up to 5 cm behind the
 * torso centre (mean depth of shoulders and hips), rising to 1 at 20 cm; the person's depth is
 * the torso's.
 *
 * @param proj - the projected clip (`projectClip` of `@skelflow/mocap`).
 * @param rng - random stream of this clip and view.
 * @param noise - overrides of {@link MOCAP_ESTIMATOR_NOISE} (see {@link EstimatorNoise}).
 * @returns the tracked-person dictionary and which frames were detected.
 * @throws InputError for unknown or out-of-range settings.
 * @example
 * ```ts
 * const { persons } = simulatePoseEstimator(projectClip(clip, cam), new Rng('02_01/cam0'), { frameDropRate: 0 });
 * JSON.stringify(persons); // { "1": { "0000": { "keypoints": [...51], "scores": 0.87 }, ... } }
 * ```
 */
export function simulatePoseEstimator(proj: ProjectedClip, rng: Rng, noise: EstimatorNoise = {}): EstimatorOutput {
  const problem = estimatorNoiseProblem(noise);
  if (problem) throw new InputError(problem, { source: 'simulatePoseEstimator' });
  const F = proj.nFrames;
  const occ = new Float32Array(F * K);
  const depth = new Float32Array(F);
  for (let f = 0; f < F; f++) {
    const base = f * K;
    const torso = (proj.depth[base + 5] + proj.depth[base + 6] + proj.depth[base + 11] + proj.depth[base + 12]) / 4;
    depth[f] = torso;
    if (!Number.isFinite(torso)) continue;
    for (let j = 0; j < K; j++) occ[base + j] = clamp((proj.depth[base + j] - torso - 0.05) / 0.15, 0, 1) || 0;
  }
  const person: ObservedPerson = { first: 0, n: F, uv: proj.uv, occ, depth };
  const { persons, detected } = simulateEstimatorTracker(
    { people: [person], nFrames: F, width: proj.width, height: proj.height },
    rng,
    { ...MOCAP_ESTIMATOR_NOISE, ...noise },
  );
  return { persons, detected: detected[0] };
}
