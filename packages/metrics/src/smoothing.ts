import { type BoundaryMode, checkMode, padLine } from './boundary';
import { MetricsInputError } from './errors';
import { expCorrectlyRounded, numpySum } from './exact';
import { checkFinite } from './validate';

export type { BoundaryMode } from './boundary';

/** Options of {@link gaussianFilter1d}; defaults are SciPy's. */
export interface GaussianFilterOptions {
  /** Kernel radius in standard deviations: radius = int(truncate * sigma + 0.5). Default 4. */
  truncate?: number;
  /** Explicit kernel radius (SciPy >= 1.10 `radius`), overriding `truncate`. */
  radius?: number;
  /** Boundary mode, SciPy names. Default `'reflect'` (d c b a | a b c d | d c b a). */
  mode?: BoundaryMode;
  /** Fill value for `mode: 'constant'`. Default 0. */
  cval?: number;
}

function checkSigma(sigma: number): void {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new MetricsInputError('sigma', undefined, `must be a finite number >= 0, got ${String(sigma)}`);
  }
}

function kernelRadius(sigma: number, options: GaussianFilterOptions): number {
  if (options.radius !== undefined) {
    const r = options.radius;
    if (!Number.isInteger(r) || r < 0) {
      throw new MetricsInputError('options.radius', undefined, `must be an integer >= 0, got ${String(r)}`);
    }
    return r;
  }
  const truncate = options.truncate ?? 4;
  if (!Number.isFinite(truncate) || truncate < 0) {
    throw new MetricsInputError('options.truncate', undefined, `must be a finite number >= 0, got ${String(truncate)}`);
  }
  // Python's int() truncates toward zero; the argument is never negative here.
  return Math.trunc(truncate * sigma + 0.5);
}

/**
 * The normalised Gaussian kernel SciPy's `gaussian_filter1d` uses (order 0), of length
 * 2 * radius + 1: `exp(-0.5 / sigma^2 * x^2)` for x = -radius..radius, divided by its sum.
 *
 * The weights are exact: `exp` is evaluated correctly rounded (V8's `Math.exp` is faithful but not
 * correctly rounded, NumPy's is for these arguments) and the sum is NumPy's pairwise sum, so the
 * kernel equals SciPy's bit for bit. A one-ulp difference in a weight changes the smoothed value of
 * a constant run of filled frames by an ulp, which flips ties between thousands of frames and
 * moves a frame-level AUC by ~2e-5.
 *
 * References: SciPy `scipy.ndimage._filters._gaussian_kernel1d`.
 *
 * @param sigma standard deviation in samples, > 0
 * @param radius half-width in samples (`gaussianFilter1d` uses int(4 * sigma + 0.5))
 * @returns the kernel, symmetric, summing to 1
 * @throws {MetricsInputError} for a non-positive sigma or a negative radius
 *
 * @example
 * ```ts
 * import { gaussianKernel1d } from '`@skelflow/metrics`';
 * gaussianKernel1d(1, 1); // [0.2740686, 0.4518628, 0.2740686]
 * ```
 */
export function gaussianKernel1d(sigma: number, radius: number): Float64Array {
  checkSigma(sigma);
  if (sigma === 0) throw new MetricsInputError('sigma', undefined, 'must be > 0 for a kernel');
  if (!Number.isInteger(radius) || radius < 0) {
    throw new MetricsInputError('radius', undefined, `must be an integer >= 0, got ${String(radius)}`);
  }
  const w = new Float64Array(2 * radius + 1);
  const c = -0.5 / (sigma * sigma);
  for (let i = 0; i < w.length; i++) {
    const x = i - radius;
    w[i] = expCorrectlyRounded(c * (x * x));
  }
  const sum = numpySum(w);
  for (let i = 0; i < w.length; i++) w[i] /= sum;
  return w;
}

/**
 * One-dimensional Gaussian smoothing with the semantics of SciPy's
 * `scipy.ndimage.gaussian_filter1d(x, sigma)` (order 0) and its defaults: kernel radius
 * int(truncate * sigma + 0.5) with truncate = 4, kernel normalised to sum 1, boundary
 * mode 'reflect' (half-sample symmetric, `d c b a | a b c d | d c b a`), repeated as often
 * as needed when the signal is shorter than the radius. The symmetric kernel is applied as
 * SciPy does, centre tap first and then pairs `(x[i-r] + x[i+r]) * w[r]` from the outermost
 * tap inwards, so results agree with SciPy to the last few ulps. STG-NF smooths its frame
 * scores with this filter before computing the AUC.
 *
 * Unlike SciPy the output is always float64 (SciPy casts back to an integer input's dtype).
 * `sigma = 0` returns a copy, as `scipy.ndimage.gaussian_filter` does.
 *
 * References: SciPy `scipy.ndimage.gaussian_filter1d`, `correlate1d`, `NI_ExtendLine`.
 *
 * @param x the signal (finite values)
 * @param sigma standard deviation of the Gaussian in samples, >= 0
 * @param options truncate, radius, mode, cval (SciPy defaults)
 * @returns the smoothed signal, same length as `x`
 * @throws {MetricsInputError} for a non-finite sample (naming its index), a negative or
 *   non-finite sigma, or bad options
 *
 * @example
 * ```ts
 * import { gaussianFilter1d } from '`@skelflow/metrics`';
 * gaussianFilter1d([1, 2, 3, 4, 5], 1);
 * // [1.42704095, 2.06782203, 3, 3.93217797, 4.57295905] (as in SciPy's documentation)
 * ```
 */
export function gaussianFilter1d(x: ArrayLike<number>, sigma: number, options: GaussianFilterOptions = {}): Float64Array {
  checkFinite(x, 'x', 'sample');
  checkSigma(sigma);
  const mode = checkMode(options.mode ?? 'reflect', 'options.mode');
  const cval = options.cval ?? 0;
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  if (sigma === 0) return Float64Array.from(x);
  const radius = kernelRadius(sigma, options);
  const w = gaussianKernel1d(sigma, radius);
  const padded = padLine(x, radius, radius, mode, cval);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i + radius; // centre in the padded line
    let acc = padded[c] * w[radius];
    for (let r = radius; r >= 1; r--) acc += (padded[c - r] + padded[c + r]) * w[radius + r];
    out[i] = acc;
  }
  return out;
}

/** Options of {@link movingAverage}. */
export interface MovingAverageOptions {
  /**
   * `'centered'` (default): the window of output i covers inputs
   * i - floor(w/2) .. i - floor(w/2) + w - 1, as SciPy's `uniform_filter1d`.
   * `'trailing'`: inputs i - w + 1 .. i, i.e. causal, usable online.
   */
  align?: 'centered' | 'trailing';
  /** How samples beyond the ends are filled, SciPy names. Default `'reflect'` (SciPy's default). */
  mode?: BoundaryMode;
  /** Fill value for `mode: 'constant'`. Default 0. */
  cval?: number;
}

/**
 * Moving (box) average of a score signal. With the default centred window it matches
 * SciPy's `scipy.ndimage.uniform_filter1d(x, window)`; the trailing window only uses past
 * frames, for live alarms. Samples beyond the ends are filled per `mode`, so every output
 * is a mean of exactly `window` values.
 *
 * References: SciPy `scipy.ndimage.uniform_filter1d`.
 *
 * @param x the signal (finite values)
 * @param window window length in samples, an integer >= 1
 * @param options alignment and boundary mode
 * @returns the averaged signal, same length as `x`
 * @throws {MetricsInputError} for a non-finite sample, a bad window or bad options
 *
 * @example
 * ```ts
 * import { movingAverage } from '`@skelflow/metrics`';
 * movingAverage([0, 0, 3, 0, 0], 3); // [0, 1, 1, 1, 0]
 * movingAverage([3, 0, 0], 2, { align: 'trailing', mode: 'nearest' }); // [3, 1.5, 0]
 * ```
 */
export function movingAverage(x: ArrayLike<number>, window: number, options: MovingAverageOptions = {}): Float64Array {
  checkFinite(x, 'x', 'sample');
  if (!Number.isInteger(window) || window < 1) {
    throw new MetricsInputError('window', undefined, `must be an integer >= 1, got ${String(window)}`);
  }
  const align = options.align ?? 'centered';
  if (align !== 'centered' && align !== 'trailing') {
    throw new MetricsInputError('options.align', undefined, `must be 'centered' or 'trailing', got ${String(align)}`);
  }
  const mode = checkMode(options.mode ?? 'reflect', 'options.mode');
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const before = align === 'centered' ? Math.floor(window / 2) : window - 1;
  const after = window - 1 - before;
  const padded = padLine(x, before, after, mode, options.cval ?? 0);
  const out = new Float64Array(n);
  // A running sum keeps this O(n) for any window; re-summing each window would not be.
  let sum = 0;
  for (let j = 0; j < window; j++) sum += padded[j];
  out[0] = sum / window;
  for (let i = 1; i < n; i++) {
    sum += padded[i + window - 1] - padded[i - 1];
    out[i] = sum / window;
  }
  return out;
}
