/** An axis-aligned box `[x1, y1, x2, y2]`, corners included (a pixel box of (x2-x1+1) x (y2-y1+1)). */
export type Box = ArrayLike<number>;

/** @internal IoU of two inclusive-pixel boxes given by their corners (scalar form of {@link boxIou} for the sweep's inner loop). */
export function iouCorners(
  ax1: number,
  ay1: number,
  ax2: number,
  ay2: number,
  bx1: number,
  by1: number,
  bx2: number,
  by2: number,
): number {
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1) + 1);
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1) + 1);
  const inter = iw * ih;
  const areaA = (ax2 - ax1 + 1) * (ay2 - ay1 + 1);
  const areaB = (bx2 - bx1 + 1) * (by2 - by1 + 1);
  // Same operation order as the reference, so IoU = 0.1 exactly stays a match.
  return inter / (areaA + areaB - inter);
}

/**
 * Intersection over union of two boxes in the inclusive-pixel convention of the RBDC/TBDC
 * reference: width = x2 - x1 + 1, so boxes sharing one edge pixel overlap and
 * `[0,0,9,9]` vs `[0,0,9,0]` has IoU exactly 0.1. Works for fractional coordinates too.
 *
 * References: Ramachandra & Jones, "Street Scene", WACV 2020; the reference script
 * `evaluation/compute_tbdc_rbdc.py` of Georgescu et al. (TPAMI 2021).
 *
 * @param a first box `[x1, y1, x2, y2]`
 * @param b second box `[x1, y1, x2, y2]`
 * @returns IoU in [0, 1]
 *
 * @example
 * ```ts
 * import { boxIou } from '`@skelflow/metrics`';
 * boxIou([0, 0, 9, 9], [0, 0, 9, 0]); // 0.1
 * boxIou([0, 0, 9, 9], [9, 9, 18, 18]); // 1 / 199 (one shared pixel)
 * ```
 */
export function boxIou(a: Box, b: Box): number {
  return iouCorners(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
}
