import { requireBothClasses, thresholdCounts } from './binary_curve';
import type { InputNames } from './types';
import type { BinaryLabels } from './validate';

/**
 * Equal error rate of frame scores: the false-positive rate at the point where the ROC
 * polyline (all vertices, as `roc_curve(..., drop_intermediate=False)`, tie groups as one
 * diagonal segment) crosses the line FPR = 1 - TPR, so FPR = FNR there.
 *
 * With g = FPR + TPR - 1 along the polyline (non-decreasing from -1 at the origin to +1),
 * let k be the first vertex with g_k >= 0: EER = FPR_k if g_k = 0, else the linear
 * interpolation between vertices k-1 and k. g is evaluated in integer counts
 * (g * P * N = FP*P + TP*N - P*N), so the test `g_k = 0` is exact.
 *
 * References: the definition in the `spec` of the shared fixture `auc_cases.json` (values
 * from scikit-learn's `roc_curve`); the usual verification-literature EER.
 *
 * @param labels per-frame ground truth, 1 = anomalous, 0 = normal
 * @param scores per-frame anomaly scores, higher = more anomalous
 * @param names names of the two inputs used in error messages
 * @returns the EER in [0, 1]
 * @throws {MetricsInputError} as {@link rocAuc}
 *
 * @example
 * ```ts
 * import { equalErrorRate } from '`@skelflow/metrics`';
 * equalErrorRate([0, 1], [0.5, 0.5]); // 0.5
 * equalErrorRate([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]); // 0
 * ```
 */
export function equalErrorRate(labels: BinaryLabels, scores: ArrayLike<number>, names?: InputNames): number {
  const nm = names ?? { labels: 'labels', scores: 'scores' };
  const c = thresholdCounts(labels, scores, nm);
  requireBothClasses(c, nm, 'the equal error rate');
  const P = c.numPositive;
  const N = c.numNegative;
  let prevG = -P * N;
  let prevFpr = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const g = c.fps[k] * P + c.tps[k] * N - P * N;
    const fpr = c.fps[k] / N;
    if (g >= 0) {
      if (g === 0) return fpr;
      return prevFpr + (fpr - prevFpr) * (-prevG / (g - prevG));
    }
    prevG = g;
    prevFpr = fpr;
  }
  // Unreachable: the last vertex is (1, 1) with g = P*N > 0.
  return 1;
}
