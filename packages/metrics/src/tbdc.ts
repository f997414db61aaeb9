import { rbdcTbdc } from './detection_criteria';
import type { DetectionCriteriaOptions, TbdcResult, VideoRegions } from './detection_types';

/**
 * Track-based detection criterion (TBDC) of Ramachandra & Jones (WACV 2020): the area
 * under the curve of track detection rate versus false positives per frame, for FPR in
 * [0, 1].
 *
 * The sweep is the one of {@link rbdc} (same ranking, IoU >= alpha matching, false
 * positives and cut at FPR = 1). A ground-truth track counts as detected once the fraction
 * of its regions (distinct frames) hit so far is >= beta; the rate is detected tracks /
 * number of tracks. The deliberate differences from the reference script (tie handling,
 * one-row files, track ids, no ground truth) are those listed under {@link rbdc}.
 *
 * References: Ramachandra & Jones, "Street Scene", WACV 2020; Georgescu et al., TPAMI 2021
 * (reference script `evaluation/compute_tbdc_rbdc.py`).
 *
 * @param videos ground-truth tracks and detections per video (see {@link rbdc})
 * @param numFrames total number of frames of all videos, normal ones included
 * @param options alpha (default 0.1), beta (default 0.1), ties (default 'average')
 * @returns the TBDC, its curve and counts
 * @throws {MetricsInputError} see {@link rbdcTbdc}
 *
 * @example
 * ```ts
 * import { tbdc } from '`@skelflow/metrics`';
 * const track = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => [0, f, 0, 0, 9, 9]);
 * tbdc([{ tracks: track, detections: [[5, 0, 0, 9, 9, 0.8]] }], 50).tbdc; // 1 (1 of 10 frames hit >= 0.1)
 * ```
 */
export function tbdc(videos: readonly VideoRegions[], numFrames: number, options?: DetectionCriteriaOptions): TbdcResult {
  const r = rbdcTbdc(videos, numFrames, options);
  return { tbdc: r.tbdc, curve: r.tbdcCurve, diagnostics: r.diagnostics };
}
