// Internal: the cumulative true/false positive counts per distinct score threshold that
// every frame-level metric (ROC, AUC, AP, EER) is derived from. This is the role of
// scikit-learn's `_binary_clf_curve`, computed differently: instead of one argsort of all
// scores with a comparator, the positive and the negative scores are copied into two
// Float64Arrays, each sorted with the native numeric typed-array sort (O(n log n), no
// comparator callbacks), and then merged from the top. A merge step consumes a whole tie
// group of both classes at once, which is exactly sklearn's "one vertex per distinct score".
import { MetricsInputError } from './errors';
import type { InputNames } from './types';
import { type BinaryLabels, checkSameLength, labelAt } from './validate';

export interface ThresholdCounts {
  /** Distinct scores, strictly decreasing. */
  thresholds: Float64Array;
  /** tps[k]: positives with score >= thresholds[k]. */
  tps: Float64Array;
  /** fps[k]: negatives with score >= thresholds[k]. */
  fps: Float64Array;
  numPositive: number;
  numNegative: number;
}

export type { InputNames } from './types';

const DEFAULT_NAMES: InputNames = { labels: 'labels', scores: 'scores' };

export function thresholdCounts(
  labels: BinaryLabels,
  scores: ArrayLike<number>,
  names: InputNames = DEFAULT_NAMES,
): ThresholdCounts {
  checkSameLength(labels, scores, names.labels, names.scores);
  const n = scores.length;
  const isPositive = new Uint8Array(n);
  let numPositive = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (typeof s !== 'number') {
      throw new MetricsInputError(names.scores, `index ${i}`, `score must be a number, got ${typeof s}`);
    }
    if (s !== s) throw new MetricsInputError(names.scores, `index ${i}`, 'score is NaN');
    if (labelAt(labels, i, names.labels) === 1) {
      isPositive[i] = 1;
      numPositive++;
    }
  }
  const numNegative = n - numPositive;
  const pos = new Float64Array(numPositive);
  const neg = new Float64Array(numNegative);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (isPositive[i]) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  // Native numeric sort, ascending; -0 sorts before +0 but `===` below treats them as one
  // tie group, as numpy's diff does.
  pos.sort();
  neg.sort();

  const thresholds = new Float64Array(n);
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let i = numPositive - 1;
  let j = numNegative - 1;
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (i >= 0 || j >= 0) {
    let t: number;
    if (i < 0) t = neg[j];
    else if (j < 0) t = pos[i];
    else t = pos[i] >= neg[j] ? pos[i] : neg[j];
    while (i >= 0 && pos[i] === t) {
      i--;
      tp++;
    }
    while (j >= 0 && neg[j] === t) {
      j--;
      fp++;
    }
    thresholds[k] = t;
    tps[k] = tp;
    fps[k] = fp;
    k++;
  }
  return {
    thresholds: thresholds.slice(0, k),
    tps: tps.slice(0, k),
    fps: fps.slice(0, k),
    numPositive,
    numNegative,
  };
}

export function requireBothClasses(c: ThresholdCounts, names: InputNames, metric: string): void {
  if (c.numPositive === 0 || c.numNegative === 0) {
    const present = c.numPositive === 0 ? (c.numNegative === 0 ? 'no' : 'only negative (0)') : 'only positive (1)';
    throw new MetricsInputError(
      names.labels,
      undefined,
      `${metric} is undefined with ${present} labels: both classes (0 = normal, 1 = anomalous) must be present`,
    );
  }
}
