import { MetricsInputError } from './errors';
import { checkFinite, checkNonEmpty } from './validate';

/** Mean and (population) standard deviation of a calibration set; see {@link calibrationStats}. */
export interface CalibrationStats {
  mean: number;
  /** Population standard deviation (ddof = 0, numpy's default). */
  std: number;
  count: number;
}

/**
 * Rescales scores to [0, 1] by their own minimum and maximum: (x - min) / (max - min).
 *
 * References: the per-video min-max step of several pose-based anomaly pipelines
 * (e.g. GEPC, Markovitz et al. CVPR 2020); `sklearn.preprocessing.minmax_scale`.
 *
 * @param x scores (finite values)
 * @returns the rescaled scores
 * @throws {MetricsInputError} for an empty input, a non-finite value (naming its index),
 *   or a constant input, where the scale is 0/0 and any output would be made up
 *
 * @example
 * ```ts
 * import { minMaxNormalise } from '`@skelflow/metrics`';
 * minMaxNormalise([2, 4, 3]); // [0, 1, 0.5]
 * ```
 */
export function minMaxNormalise(x: ArrayLike<number>): Float64Array {
  checkNonEmpty(x, 'x');
  checkFinite(x, 'x', 'score');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const range = hi - lo;
  if (!(range > 0)) {
    throw new MetricsInputError('x', undefined, `is constant (${lo}): min-max normalisation is undefined`);
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - lo) / range;
  return out;
}

/**
 * Mean and population standard deviation of a calibration set (scores of normal data),
 * computed with a two-pass algorithm (the shift by the mean avoids cancellation).
 *
 * References: numpy `mean`, `std` (ddof = 0).
 *
 * @param calibration scores of normal data (finite values)
 * @returns mean, std, count
 * @throws {MetricsInputError} for an empty set or a non-finite value
 *
 * @example
 * ```ts
 * import { calibrationStats } from '`@skelflow/metrics`';
 * calibrationStats([1, 2, 3, 4]); // { mean: 2.5, std: 1.118033988749895, count: 4 }
 * ```
 */
export function calibrationStats(calibration: ArrayLike<number>): CalibrationStats {
  checkNonEmpty(calibration, 'calibration');
  checkFinite(calibration, 'calibration', 'score');
  const n = calibration.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += calibration[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = calibration[i] - mean;
    ss += d * d;
  }
  return { mean, std: Math.sqrt(ss / n), count: n };
}

/**
 * Z-normalises scores against a calibration set of normal data:
 * (x - mean(calibration)) / std(calibration), so that scores of different models or
 * cameras share a scale and a threshold such as "3 standard deviations" means the same.
 *
 * References: numpy `mean`, `std` (ddof = 0); standard score.
 *
 * @param x scores to normalise (finite values)
 * @param calibration scores of normal data, or precomputed {@link CalibrationStats}
 * @returns the normalised scores
 * @throws {MetricsInputError} for a non-finite value, an empty calibration set, or a
 *   calibration set with zero spread (division by zero)
 *
 * @example
 * ```ts
 * import { zNormalise } from '`@skelflow/metrics`';
 * zNormalise([3, 5], [1, 3]); // [1, 3]   (mean 2, std 1)
 * ```
 */
export function zNormalise(x: ArrayLike<number>, calibration: ArrayLike<number> | CalibrationStats): Float64Array {
  checkFinite(x, 'x', 'score');
  const stats = isStats(calibration) ? calibration : calibrationStats(calibration);
  if (!Number.isFinite(stats.mean) || !(stats.std > 0) || !Number.isFinite(stats.std)) {
    throw new MetricsInputError(
      'calibration',
      undefined,
      `standard deviation must be finite and > 0, got ${stats.std}: z-normalisation is undefined`,
    );
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - stats.mean) / stats.std;
  return out;
}

function isStats(c: ArrayLike<number> | CalibrationStats): c is CalibrationStats {
  return typeof (c as CalibrationStats).std === 'number' && typeof (c as CalibrationStats).mean === 'number';
}
