import { InputError } from '@skelflow/base';

/**
 * A person crop in source-image pixels: the square (or crop-aspect) window a rendered frame shows.
 * Crop pixel `(row r, column c)` has its centre at source `(x0 + (c + ½)·width/W, y0 + (r + ½)·height/H)`.
 */
export interface CropBox {
  /** Left edge, source pixels. */
  x0: number;
  /** Top edge, source pixels. */
  y0: number;
  /** Width in source pixels (> 0). */
  width: number;
  /** Height in source pixels (> 0). */
  height: number;
}

/** Options of {@link cropBox}. */
export interface CropBoxOptions {
  /** Margin added on *each* side, as a fraction of the keypoint box's width/height. Default 0.2 (GENet `alpha=0.2`). */
  margin?: number;
  /** Crop width / height in output pixels; the box is widened on its short side to this aspect. Default 1 (square). */
  aspect?: number;
  /** Smallest box side in source pixels, for one visible joint or collinear joints. Default 16. */
  minSize?: number;
  /** Joints with confidence below this (or non-finite coordinates) are ignored. Default 0.05. */
  minConfidence?: number;
}

/**
 * The crop box of one detection: the bounding box of its visible keypoints, enlarged by `margin`
 * of its width (height) on the left and right (top and bottom), then widened about its centre on
 * the short side so that it has the crop's aspect (the skeleton is never stretched), and at least
 * `minSize` on each side.
 *
 * References: GENet / MGNet (Yang et al., ACM MM 2024), `tool/extractor_crop.py` (keypoint box plus
 * `alpha = 0.2` on each side); the aspect rule is ours (GENet resizes the crop, distorting it).
 *
 * @param keypoints `[V, C]` flattened, channels (x, y, confidence, …) in source pixels
 * @param channels values per joint C (≥ 3)
 * @param offset where the detection starts in `keypoints` (default 0)
 * @returns the box, or `null` when no joint is visible
 * @throws InputError for a margin < 0, aspect ≤ 0, minSize ≤ 0 or channels < 3
 *
 * @example
 * ```ts
 * // joints at (100, 50) and (120, 90): box 20 × 40 → margins 4 and 8 → 28 × 56 → square 56 × 56
 * cropBox([100, 50, 1, 120, 90, 1], 3); // { x0: 82, y0: 42, width: 56, height: 56 }
 * ```
 */
export function cropBox(
  keypoints: ArrayLike<number>,
  channels: number,
  options: CropBoxOptions = {},
  offset = 0,
  joints = Math.floor((keypoints.length - offset) / channels),
): CropBox | null {
  const margin = options.margin ?? 0.2;
  const aspect = options.aspect ?? 1;
  const minSize = options.minSize ?? 16;
  const minConf = options.minConfidence ?? 0.05;
  if (!(margin >= 0) || !(aspect > 0) || !(minSize > 0) || !(Number.isInteger(channels) && channels >= 3)) {
    throw new InputError(`cropBox needs margin ≥ 0, aspect > 0, minSize > 0 and channels ≥ 3 (got ${margin}, ${aspect}, ${minSize}, ${channels})`, {
      source: 'cropBox',
    });
  }
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let v = 0, p = offset; v < joints; v++, p += channels) {
    const x = keypoints[p];
    const y = keypoints[p + 1];
    if (!isVisible(x, y, keypoints[p + 2], minConf)) continue;
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  if (xmin === Infinity) return null;
  const cx = (xmin + xmax) / 2;
  const cy = (ymin + ymax) / 2;
  let w = Math.max((xmax - xmin) * (1 + 2 * margin), minSize);
  let h = Math.max((ymax - ymin) * (1 + 2 * margin), minSize);
  if (w / h < aspect) w = h * aspect;
  else h = w / aspect;
  return { x0: cx - w / 2, y0: cy - h / 2, width: w, height: h };
}

/** A joint is drawn and boxed when its coordinates are finite and its confidence reaches `minConfidence`. */
export function isVisible(x: number, y: number, confidence: number, minConfidence: number): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(confidence) && confidence >= minConfidence;
}
