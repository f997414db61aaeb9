import { MetricsInputError } from './errors';

/** The pose of one person in one frame, with the model's anomaly score for it. */
export interface PersonFrameScore {
  /** Frame index (integer), as in the ground-truth tracks. */
  frame: number;
  /** Keypoints, flat: `[x0, y0, c0, x1, y1, c1, ...]` (stride 3, default) or `[x0, y0, x1, y1, ...]` (stride 2), in pixels. */
  keypoints: ArrayLike<number>;
  /** Anomaly score of this person in this frame, higher = more anomalous. */
  score: number;
}

/** Options of {@link poseRegions}. */
export interface PoseRegionOptions {
  /** Numbers per keypoint: 3 for `(x, y, confidence)` (AlphaPose/OpenPose, default), 2 for `(x, y)`. */
  keypointStride?: 2 | 3;
  /** With stride 3, keypoints with confidence below this are ignored. Zero-confidence keypoints (undetected) are always ignored. Default 0. */
  minConfidence?: number;
  /** Margin added on each side, as a fraction of the keypoints' extent in that axis. Default 0.1. */
  margin?: number;
  /** Margin added on each side in pixels, on top of `margin`. Default 0. */
  marginPixels?: number;
  /** When given, boxes are clipped to x in [0, imageWidth - 1]. */
  imageWidth?: number;
  /** When given, boxes are clipped to y in [0, imageHeight - 1]. */
  imageHeight?: number;
}

/** Result of {@link poseRegions}. */
export interface PoseRegionsResult {
  /** Detection rows `[frame, x1, y1, x2, y2, score]`, one per kept input, in input order. */
  detections: number[][];
  /** Indices of inputs without a usable keypoint (or whose box lies outside the image); they produce no row. */
  skipped: number[];
}

function nonNegative(v: number | undefined, fallback: number, source: string): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
    throw new MetricsInputError(source, undefined, `must be a finite number >= 0, got ${String(x)}`);
  }
  return x;
}

/**
 * Turns per-person per-frame anomaly scores of a pose model into detection regions, so
 * that RBDC/TBDC ({@link rbdc}, {@link tbdc}) can be computed for any `@skelflow` model: the
 * region of a person is the bounding box of its detected keypoints, enlarged by a margin
 * (a skeleton's box is tighter than the person's, whose ground-truth box includes the
 * body outline), optionally clipped to the image.
 *
 * References: Ramachandra & Jones, WACV 2020 (detections as scored regions); Markovitz et
 * al., GEPC (CVPR 2020) and Hirschorn & Avidan, STG-NF (ICCV 2023) for per-person pose
 * scores.
 *
 * @param persons one entry per person and frame
 * @param options keypoint layout, confidence cut, margins, image size
 * @returns detection rows `[frame, x1, y1, x2, y2, score]` and the skipped inputs
 * @throws {MetricsInputError} for a non-integer frame, a NaN score, keypoints whose length
 *   is not a multiple of the stride, or bad options (naming the input index)
 *
 * @example
 * ```ts
 * import { poseRegions } from '`@skelflow/metrics`';
 * const { detections } = poseRegions(
 *   [{ frame: 7, keypoints: [100, 50, 0.9, 120, 150, 0.8, 0, 0, 0], score: 2.5 }],
 *   { margin: 0.1 },
 * );
 * // detections [[7, 98, 40, 122, 160, 2.5]]  (extent 20 x 100, margins 2 and 10)
 * ```
 */
export function poseRegions(persons: readonly PersonFrameScore[], options: PoseRegionOptions = {}): PoseRegionsResult {
  const stride = options.keypointStride ?? 3;
  if (stride !== 2 && stride !== 3) {
    throw new MetricsInputError('options.keypointStride', undefined, `must be 2 or 3, got ${String(stride)}`);
  }
  const minConfidence = options.minConfidence ?? 0;
  if (typeof minConfidence !== 'number' || minConfidence !== minConfidence) {
    throw new MetricsInputError('options.minConfidence', undefined, `must be a number, got ${String(minConfidence)}`);
  }
  const margin = nonNegative(options.margin, 0.1, 'options.margin');
  const marginPixels = nonNegative(options.marginPixels, 0, 'options.marginPixels');
  const W = options.imageWidth;
  const H = options.imageHeight;
  if (W !== undefined && !(Number.isFinite(W) && W > 0)) {
    throw new MetricsInputError('options.imageWidth', undefined, `must be a positive number, got ${String(W)}`);
  }
  if (H !== undefined && !(Number.isFinite(H) && H > 0)) {
    throw new MetricsInputError('options.imageHeight', undefined, `must be a positive number, got ${String(H)}`);
  }

  const detections: number[][] = [];
  const skipped: number[] = [];
  for (let p = 0; p < persons.length; p++) {
    const { frame, keypoints: kp, score } = persons[p];
    const source = `persons[${p}]`;
    if (!Number.isInteger(frame)) throw new MetricsInputError(source, 'frame', `must be an integer, got ${String(frame)}`);
    if (typeof score !== 'number' || score !== score) {
      throw new MetricsInputError(source, 'score', `must be a number, got ${String(score)}`);
    }
    if (kp.length % stride !== 0) {
      throw new MetricsInputError(source, 'keypoints', `length ${kp.length} is not a multiple of the stride ${stride}`);
    }
    let xmin = Infinity;
    let ymin = Infinity;
    let xmax = -Infinity;
    let ymax = -Infinity;
    for (let k = 0; k < kp.length; k += stride) {
      const x = kp[k];
      const y = kp[k + 1];
      // Missing keypoints are written as NaN or with confidence 0 by pose estimators.
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (stride === 3) {
        const c = kp[k + 2];
        if (!(c > 0) || c < minConfidence) continue;
      }
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
    if (xmin === Infinity) {
      skipped.push(p);
      continue;
    }
    const mx = margin * (xmax - xmin) + marginPixels;
    const my = margin * (ymax - ymin) + marginPixels;
    let x1 = xmin - mx;
    let y1 = ymin - my;
    let x2 = xmax + mx;
    let y2 = ymax + my;
    if (W !== undefined) {
      x1 = Math.max(0, x1);
      x2 = Math.min(W - 1, x2);
    }
    if (H !== undefined) {
      y1 = Math.max(0, y1);
      y2 = Math.min(H - 1, y2);
    }
    // Inclusive pixels: a box exists while x2 - x1 + 1 > 0 (a single keypoint is a 1x1 box).
    if (!(x2 - x1 + 1 > 0) || !(y2 - y1 + 1 > 0)) {
      skipped.push(p);
      continue;
    }
    detections.push([frame, x1, y1, x2, y2, score]);
  }
  return { detections, skipped };
}
