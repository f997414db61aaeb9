import { MetricsInputError } from './errors';
import { checkFinite, checkNonEmpty } from './validate';

/** Frames flagged by a threshold; see {@link applyThreshold}. */
export interface ThresholdDecision {
  threshold: number;
  /** flags[i] = 1 when scores[i] > threshold. */
  flags: Uint8Array;
  /** Indices of the flagged frames, increasing. */
  flaggedFrames: number[];
  /** flaggedFrames.length / scores.length (0 for an empty input). */
  fraction: number;
}

function checkPercentile(q: number, source: string): void {
  if (typeof q !== 'number' || !(q >= 0 && q <= 100)) {
    throw new MetricsInputError(source, undefined, `percentile must be in [0, 100], got ${String(q)}`);
  }
}

/** @internal numpy's linear interpolation at q (0..100) of an ascending sorted array; shared with the multi-level calibration. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (q / 100) * (n - 1);
  const lo = Math.floor(virtual);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtual - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const d = b - a;
  // numpy's _lerp: interpolate from the nearer end, which keeps the result monotone in q.
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * The q-th percentile of values with numpy's default ('linear') method:
 * `np.percentile(values, q)`.
 *
 * References: numpy `percentile` (method='linear'); Hyndman & Fan (1996) definition 7.
 *
 * @param values the sample (finite values)
 * @param q percentile in [0, 100]
 * @returns the interpolated percentile
 * @throws {MetricsInputError} for an empty sample, a non-finite value or q outside [0, 100]
 *
 * @example
 * ```ts
 * import { percentile } from '`@skelflow/metrics`';
 * percentile([10, 7, 4, 3, 2, 1], 50); // 3.5
 * ```
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  checkNonEmpty(values, 'values');
  checkFinite(values, 'values');
  checkPercentile(q, 'q');
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, q);
}

/**
 * An alarm threshold from a calibration set of normal data: the q-th percentile of the
 * calibration scores (numpy 'linear'), so that about (100 - q)% of normal frames would
 * raise an alarm. With q = 99 that is a 1% false-alarm budget on normal data.
 *
 * References: numpy `percentile`; the usual one-class calibration of anomaly detectors.
 *
 * @param calibration anomaly scores of normal data, higher = more anomalous
 * @param q percentile in [0, 100], e.g. 99
 * @returns the threshold; frames with a score above it are anomalous
 * @throws {MetricsInputError} for an empty set, a non-finite score or a bad q
 *
 * @example
 * ```ts
 * import { percentileThreshold, applyThreshold } from '`@skelflow/metrics`';
 * const t = percentileThreshold([0.1, 0.2, 0.3, 0.4, 0.5], 75); // 0.4
 * applyThreshold([0.35, 0.45], t).flaggedFrames; // [1]
 * ```
 */
export function percentileThreshold(calibration: ArrayLike<number>, q: number): number {
  checkNonEmpty(calibration, 'calibration');
  checkFinite(calibration, 'calibration', 'score');
  checkPercentile(q, 'q');
  return percentileOfSorted(Float64Array.from(calibration).sort(), q);
}

/**
 * Turns scores into alarms: frame i is flagged when scores[i] > threshold (strictly, so a
 * percentile-100 threshold flags nothing that the calibration set contained).
 *
 * References: none beyond the definition.
 *
 * @param scores per-frame anomaly scores, higher = more anomalous; +/-Infinity allowed
 * @param threshold the decision threshold (e.g. from {@link percentileThreshold})
 * @returns the flags, the flagged frame indices and their fraction
 * @throws {MetricsInputError} for a NaN score (naming its index) or a NaN threshold
 *
 * @example
 * ```ts
 * import { applyThreshold } from '`@skelflow/metrics`';
 * applyThreshold([0.1, 0.9, 0.5], 0.5); // flaggedFrames [1], fraction 1/3
 * ```
 */
export function applyThreshold(scores: ArrayLike<number>, threshold: number): ThresholdDecision {
  if (typeof threshold !== 'number' || threshold !== threshold) {
    throw new MetricsInputError('threshold', undefined, `must be a number, got ${String(threshold)}`);
  }
  const n = scores.length;
  const flags = new Uint8Array(n);
  const flaggedFrames: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (typeof s !== 'number' || s !== s) {
      throw new MetricsInputError('scores', `index ${i}`, `score must be a number, got ${String(s)}`);
    }
    if (s > threshold) {
      flags[i] = 1;
      flaggedFrames.push(i);
    }
  }
  return { threshold, flags, flaggedFrames, fraction: n === 0 ? 0 : flaggedFrames.length / n };
}
