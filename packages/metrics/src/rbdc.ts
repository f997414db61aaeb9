import { rbdcTbdc } from './detection_criteria';
import type { DetectionCriteriaOptions, RbdcResult, VideoRegions } from './detection_types';

/**
 * Region-based detection criterion (RBDC) of Ramachandra & Jones (WACV 2020): the area
 * under the curve of region detection rate versus false positives per frame, for FPR in
 * [0, 1].
 *
 * Detections of all videos are ranked by score (descending). Sweeping down the ranking, a
 * detection whose IoU with a ground-truth region of the same video and frame is >= alpha
 * (inclusive-pixel IoU, see {@link boxIou}) hits it: every still-unhit region it overlaps
 * becomes a true positive (one detection may hit several), a detection overlapping only
 * already-hit regions is neither true nor false positive, and a detection overlapping
 * nothing is a false positive. After each step the rate is hits / (number of ground-truth
 * regions) and FPR = false positives / numFrames. The curve starts at (0, 0), is cut at
 * FPR = 1, extended flat to FPR = 1 if it ends before, and integrated with the trapezoid
 * rule (no further normalisation; the maximum is 1).
 *
 * Where the reference script (lilygeorgescu/AED `evaluation/compute_tbdc_rbdc.py`)
 * misbehaves, this implementation deliberately differs:
 * - Tied scores: the reference sweeps one detection at a time after a stable sort, so when
 *   a tie holds both hits and false positives the result depends on the row order and on
 *   the directory listing order of the video files. By default (`ties: 'average'`) a tie
 *   group is one diagonal step, which is order independent and equals the mean of the two
 *   extreme orders (as ROC AUC treats ties). `ties: 'input-order'` reproduces the reference
 *   for the given video and row order.
 * - One-row files: the reference crashes on a video with a single detection or a single
 *   ground-truth region; here every row counts.
 * - Track ids: the reference assumes ids 0..K-1 with the largest id on the last row; it
 *   crashes on a missing id and silently drops tracks whose id is larger than the last
 *   row's. Here every id is a track, whatever its value or row order.
 * - No ground truth at all: the reference returns NaN (0/0); here a
 *   {@link MetricsInputError} is thrown. numFrames < 1, a NaN score, a non-integer frame or
 *   a box without area are errors too.
 * As in the reference, repeated frames within one track keep the last row, and the paper's
 * alpha (IoU) and beta (track fraction) are named as in the paper (the script swaps them).
 *
 * References: Ramachandra & Jones, "Street Scene", WACV 2020; Georgescu et al., "A
 * Background-Agnostic Framework with Adversarial Training for Abnormal Event Detection in
 * Video", TPAMI 2021 (reference script).
 *
 * @param videos ground-truth tracks (`[track_id, frame, x1, y1, x2, y2]`) and detections
 *   (`[frame, x1, y1, x2, y2, score]`) per video; videos without anomalies or detections
 *   may omit the field
 * @param numFrames total number of frames of all videos, normal ones included
 * @param options alpha (default 0.1), beta (default 0.1), ties (default 'average')
 * @returns the RBDC, its curve and counts
 * @throws {MetricsInputError} see {@link rbdcTbdc}
 *
 * @example
 * ```ts
 * import { rbdc } from '`@skelflow/metrics`';
 * const { rbdc: value, curve } = rbdc(
 *   [
 *     { name: 'abnormal', tracks: [[0, 3, 10, 10, 40, 60], [0, 4, 12, 10, 42, 60]],
 *       detections: [[3, 11, 10, 41, 60, 0.9], [4, 100, 100, 120, 130, 0.7]] },
 *     { name: 'normal', detections: [[0, 5, 5, 20, 20, 0.2]] },
 *   ],
 *   100,
 * );
 * // value 0.5; curve.fpr [0, 0, 0.01, 0.02, 1], curve.rate [0, 0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function rbdc(videos: readonly VideoRegions[], numFrames: number, options?: DetectionCriteriaOptions): RbdcResult {
  const r = rbdcTbdc(videos, numFrames, options);
  return { rbdc: r.rbdc, curve: r.rbdcCurve, diagnostics: r.diagnostics };
}
