import { requireBothClasses, thresholdCounts } from './binary_curve';
import type { InputNames, RocCurve } from './types';
import type { BinaryLabels } from './validate';

/**
 * Area under the ROC curve of frame scores, equal to scikit-learn's
 * `sklearn.metrics.roc_auc_score(labels, scores)` for binary labels.
 *
 * Tied scores form one diagonal ROC segment (sklearn's trapezoid), so the value equals the
 * Mann-Whitney probability P(s+ > s-) + 0.5 P(s+ = s-). Scores are compared exactly (1 ulp
 * apart is distinct; -0 equals 0). +/-Infinity are accepted as the largest/smallest score,
 * which is what log-likelihood scores need; sklearn rejects them, but AUC depends on the
 * order only. The area is accumulated in integer counts, so it is exact before the final
 * division. O(n log n): one native typed-array sort per class.
 *
 * References: scikit-learn `roc_auc_score` / `_binary_clf_curve`; Hanley & McNeil (1982).
 *
 * @param labels per-frame ground truth, 1 (or `true`) = anomalous, 0 (or `false`) = normal
 * @param scores per-frame anomaly scores, higher = more anomalous (`number[]` or a typed array)
 * @param names names of the two inputs used in error messages (default `labels`, `scores`),
 *   e.g. the files they were read from
 * @returns the AUC in [0, 1]
 * @throws {MetricsInputError} on a length mismatch, a NaN score, a label other than 0/1, or
 *   when only one class is present (AUC is undefined then)
 *
 * @example
 * ```ts
 * import { rocAuc } from '`@skelflow/metrics`';
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * ```
 */
export function rocAuc(labels: BinaryLabels, scores: ArrayLike<number>, names?: InputNames): number {
  const nm = names ?? { labels: 'labels', scores: 'scores' };
  const c = thresholdCounts(labels, scores, nm);
  requireBothClasses(c, nm, 'ROC AUC');
  // Twice the trapezoid area in count units: every term is an integer well below 2^53.
  let area2 = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    area2 += (c.fps[k] - prevFp) * (c.tps[k] + prevTp);
    prevTp = c.tps[k];
    prevFp = c.fps[k];
  }
  return area2 / (2 * c.numPositive * c.numNegative);
}

/**
 * The ROC polyline of frame scores: one vertex per distinct score, in decreasing score
 * order, preceded by the origin. Equal to scikit-learn's
 * `roc_curve(labels, scores, drop_intermediate=False)` except for the first threshold,
 * which is `+Infinity` here (sklearn 1.2 writes `max(score) + 1`).
 *
 * References: scikit-learn `roc_curve`.
 *
 * @param labels per-frame ground truth, 1 = anomalous, 0 = normal
 * @param scores per-frame anomaly scores, higher = more anomalous
 * @param names names of the two inputs used in error messages
 * @returns `fpr[k]`, `tpr[k]`: rates of frames with score >= `thresholds[k]`
 * @throws {MetricsInputError} as {@link rocAuc}
 *
 * @example
 * ```ts
 * import { rocCurve } from '`@skelflow/metrics`';
 * const { fpr, tpr, thresholds } = rocCurve([0, 1, 1], [0.2, 0.2, 0.9]);
 * // fpr [0, 0, 1], tpr [0, 0.5, 1], thresholds [Infinity, 0.9, 0.2]
 * ```
 */
export function rocCurve(labels: BinaryLabels, scores: ArrayLike<number>, names?: InputNames): RocCurve {
  const nm = names ?? { labels: 'labels', scores: 'scores' };
  const c = thresholdCounts(labels, scores, nm);
  requireBothClasses(c, nm, 'the ROC curve');
  const m = c.thresholds.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Infinity;
  for (let k = 1; k < m; k++) {
    fpr[k] = c.fps[k - 1] / c.numNegative;
    tpr[k] = c.tps[k - 1] / c.numPositive;
    thresholds[k] = c.thresholds[k - 1];
  }
  return { fpr, tpr, thresholds };
}
