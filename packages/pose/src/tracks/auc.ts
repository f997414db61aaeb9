import { InputError } from '@skelflow/base';

/**
 * Area under the ROC curve with sklearn `roc_auc_score(labels, scores)` semantics for binary
 * labels: positive class 1, a higher score means more positive, tied scores count one half (the
 * trapezoid of sklearn's ROC curve through tied thresholds). Computed as the Mann–Whitney
 * statistic from the two classes' sorted scores, in O(n log n) with native typed-array sorts;
 * the counts are integers (times ½), exact in float64, so only the final division rounds.
 *
 * TODO(lead): replace with `@skelflow/metrics` `rocAuc(labels, scores)`.
 *
 * @internal Not exported from the package; `evaluateFrames` uses it.
 * @throws InputError if the lengths differ, a label is not 0/1, a score is NaN, or only one
 *   class is present (sklearn raises there too)
 */
export function rocAucSklearn(labels: ArrayLike<number>, scores: ArrayLike<number>, source = 'rocAuc'): number {
  const n = labels.length;
  if (scores.length !== n) {
    throw new InputError(`labels have ${n} entries but scores ${scores.length}`, { source });
  }
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === 1) nPos++;
    else if (l !== 0) throw new InputError(`label must be 0 or 1, got ${l}`, { source, location: `index ${i}` });
    if (Number.isNaN(scores[i])) throw new InputError('score is NaN', { source, location: `index ${i}` });
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new InputError(
      `ROC AUC is undefined with only one class present (${nPos} positive, ${nNeg} negative)`,
      { source },
    );
  }
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (labels[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  // For each run of equal positive scores: negatives strictly below count 1, equal ones ½.
  let twiceU = 0;
  let below = 0; // negatives < current positive score
  for (let i = 0; i < nPos; ) {
    const v = pos[i];
    let j = i;
    while (j < nPos && pos[j] === v) j++;
    while (below < nNeg && neg[below] < v) below++;
    let eq = below;
    while (eq < nNeg && neg[eq] === v) eq++;
    twiceU += (j - i) * (2 * below + (eq - below));
    i = j;
  }
  return twiceU / 2 / (nPos * nNeg);
}
