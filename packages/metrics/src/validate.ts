// Internal input checks shared by the metric functions. Not exported from the package:
// each public function documents the errors it raises.
import { MetricsInputError } from './errors';

/** Binary labels as accepted by the classification metrics: 0/1 numbers or booleans. */
export type BinaryLabels = ArrayLike<number | boolean>;

export function checkSameLength(
  labels: ArrayLike<unknown>,
  scores: ArrayLike<unknown>,
  labelsName: string,
  scoresName: string,
): void {
  if (labels.length !== scores.length) {
    throw new MetricsInputError(
      scoresName,
      undefined,
      `length ${scores.length} does not match ${labelsName} length ${labels.length}`,
    );
  }
}

/** Reads label i as 0 or 1, or throws naming the index. */
export function labelAt(labels: BinaryLabels, i: number, source: string): 0 | 1 {
  const v = labels[i];
  if (v === 1 || v === true) return 1;
  if (v === 0 || v === false) return 0;
  throw new MetricsInputError(source, `index ${i}`, `label must be 0 or 1 (or a boolean), got ${String(v)}`);
}

/** Signal processing needs finite values: Infinity would turn into NaN inside any sum. */
export function checkFinite(values: ArrayLike<number>, source: string, what = 'value'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MetricsInputError(source, `index ${i}`, `${what} must be a finite number, got ${String(v)}`);
    }
  }
}

export function checkNonEmpty(values: ArrayLike<unknown>, source: string): void {
  if (values.length === 0) throw new MetricsInputError(source, undefined, 'is empty');
}
