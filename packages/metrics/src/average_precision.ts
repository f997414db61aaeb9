import { thresholdCounts } from './binary_curve';
import { MetricsInputError } from './errors';
import type { InputNames, PrCurve } from './types';
import type { BinaryLabels } from './validate';

const DEFAULT_NAMES: InputNames = { labels: 'labels', scores: 'scores' };

function countsWithPositives(labels: BinaryLabels, scores: ArrayLike<number>, names: InputNames, metric: string) {
  const c = thresholdCounts(labels, scores, names);
  if (c.numPositive === 0) {
    // Recall is 0/0 without positives; sklearn returns a meaningless value with a warning.
    throw new MetricsInputError(names.labels, undefined, `${metric} is undefined without any anomalous (1) label`);
  }
  return c;
}

/**
 * Average precision of frame scores, equal to scikit-learn's
 * `sklearn.metrics.average_precision_score(labels, scores)`: the step-wise (not
 * interpolated) area under the precision-recall curve,
 * `AP = sum_k (R_k - R_{k-1}) * P_k` over distinct thresholds in decreasing order, where a
 * tie group is one step.
 *
 * References: scikit-learn `average_precision_score`; Zhu (2004), "Recall, precision and
 * average precision".
 *
 * @param labels per-frame ground truth, 1 = anomalous, 0 = normal
 * @param scores per-frame anomaly scores, higher = more anomalous
 * @param names names of the two inputs used in error messages
 * @returns AP in [0, 1] (1 when every frame is anomalous)
 * @throws {MetricsInputError} on a length mismatch, a NaN score, a label other than 0/1, or
 *   without any anomalous frame
 *
 * @example
 * ```ts
 * import { averagePrecision } from '`@skelflow/metrics`';
 * averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333333333333333
 * ```
 */
export function averagePrecision(labels: BinaryLabels, scores: ArrayLike<number>, names: InputNames = DEFAULT_NAMES): number {
  const c = countsWithPositives(labels, scores, names, 'average precision');
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const recall = c.tps[k] / c.numPositive;
    ap += (recall - prevRecall) * (c.tps[k] / (c.tps[k] + c.fps[k]));
    prevRecall = recall;
  }
  return ap;
}

/**
 * Precision-recall points of frame scores: one point per distinct score in decreasing
 * order, preceded by the anchor (recall 0, precision 1) that sklearn appends. The same
 * points as scikit-learn's `precision_recall_curve`, listed in the opposite order
 * (sklearn lists increasing thresholds) and with every point kept after full recall.
 *
 * References: scikit-learn `precision_recall_curve`.
 *
 * @param labels per-frame ground truth, 1 = anomalous, 0 = normal
 * @param scores per-frame anomaly scores, higher = more anomalous
 * @param names names of the two inputs used in error messages
 * @returns `precision[k]`, `recall[k]` of calling frames with score >= `thresholds[k]` anomalous
 * @throws {MetricsInputError} as {@link averagePrecision}
 *
 * @example
 * ```ts
 * import { prCurve } from '`@skelflow/metrics`';
 * const { precision, recall } = prCurve([0, 1, 1], [0.2, 0.2, 0.9]);
 * // precision [1, 1, 0.6666666666666666], recall [0, 0.5, 1]
 * ```
 */
export function prCurve(labels: BinaryLabels, scores: ArrayLike<number>, names: InputNames = DEFAULT_NAMES): PrCurve {
  const c = countsWithPositives(labels, scores, names, 'the precision-recall curve');
  const m = c.thresholds.length + 1;
  const precision = new Float64Array(m);
  const recall = new Float64Array(m);
  const thresholds = new Float64Array(m);
  precision[0] = 1;
  thresholds[0] = Infinity;
  for (let k = 1; k < m; k++) {
    precision[k] = c.tps[k - 1] / (c.tps[k - 1] + c.fps[k - 1]);
    recall[k] = c.tps[k - 1] / c.numPositive;
    thresholds[k] = c.thresholds[k - 1];
  }
  return { precision, recall, thresholds };
}
