import { InputError } from '@skelflow/base';

// NumPy's pairwise summation for n ≤ 128 (8 interleaved accumulators), so the kernel's
// normalising sum rounds like `phi_x.sum()` in SciPy.
function numpySum(a: Float64Array): number {
  const n = a.length;
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }
  if (n > 128) {
    const h = Math.floor(n / 2);
    const m = h - (h % 8);
    return numpySum(a.subarray(0, m)) + numpySum(a.subarray(m));
  }
  const r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
  let i = 8;
  for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] += a[i + k];
  let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
  for (; i < n; i++) res += a[i];
  return res;
}

// ---- a correctly rounded exp ------------------------------------------------------------------
// V8's Math.exp (fdlibm) is faithful but not correctly rounded, and NumPy's exp is (for every
// argument of the σ = 1..12 kernels). A one-ulp difference in a kernel weight changes the smoothed
// value of a constant run of filled frames by an ulp, which flips ties between thousands of
// frames and moves the AUC by ~2e-5. So the kernel uses exp evaluated in double-double
// arithmetic (≈ 2^-100 relative error) and rounded once.

const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter

/** Exact a·b as hi + lo. */
function twoProd(a: number, b: number, out: Float64Array): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  out[0] = p;
  out[1] = ah * bh - p + ah * bl + al * bh + al * bl;
}

const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;

/** exp(x) correctly rounded (barring astronomically rare hard cases), for |x| < 700. */
export function expCorrectlyRounded(x: number): number {
  if (x === 0) return 1;
  if (!(Math.abs(x) < 700)) return Math.exp(x);
  const n = Math.round(x / LN2_HI);
  // r = x − n·ln2 in double-double.
  const tp = new Float64Array(2);
  twoProd(n, LN2_HI, tp);
  let rh = x - tp[0];
  const bv = rh - x; // TwoSum(x, −tp[0]): rl is the exact rounding error of rh
  let rl = x - (rh - bv) + (-tp[0] - bv);
  rl -= tp[1] + n * LN2_LO;
  let s = rh + rl;
  rl = rl - (s - rh);
  rh = s;
  // Horner for exp(r) = 1 + r(1 + r/2(1 + r/3(…))), 27 terms suffice for |r| ≤ ln2/2 at 2^-106.
  let ph = 1;
  let pl = 0;
  for (let k = 27; k >= 1; k--) {
    // p = p · r
    twoProd(ph, rh, tp);
    let e = tp[1] + (ph * rl + pl * rh);
    let h = tp[0] + e;
    let l = e - (h - tp[0]);
    // p = p / k
    const q1 = h / k;
    twoProd(q1, k, tp);
    const q2 = (h - tp[0] - tp[1] + l) / k;
    h = q1 + q2;
    l = q2 - (h - q1);
    // p = 1 + p
    s = 1 + h;
    const bb = s - 1;
    e = 1 - (s - bb) + (h - bb) + l;
    ph = s + e;
    pl = e - (ph - s);
  }
  const scale = 2 ** n;
  return ph * scale + pl * scale;
}

/**
 * `scipy.ndimage.gaussian_filter1d(x, sigma, truncate=truncate)` with SciPy's defaults
 * (order 0, mode `'reflect'`), in float64.
 *
 * - radius `r = int(truncate·σ + 0.5)`, kernel `exp(−k²/(2σ²))` for k = −r..r, normalised to sum 1;
 * - mode `'reflect'` is the half-sample symmetric extension `d c b a | a b c d | d c b a`,
 *   periodic with period 2N, so inputs shorter than the radius reflect repeatedly (as SciPy's
 *   `NI_ExtendLine` does);
 * - the sum runs centre first, then symmetric pairs from the outside in, as SciPy's
 *   `NI_Correlate1D` does for symmetric kernels.
 *
 * TODO(lead): replace with `@skelflow/metrics` `gaussianFilter1d(x, sigma, { truncate, mode: 'reflect' })`.
 *
 * @internal Not exported from the package; use {@link smoothStgNf}.
 */
export function gaussianFilter1dReflect(x: ArrayLike<number>, sigma: number, truncate = 4): Float64Array {
  if (!(sigma > 0 && Number.isFinite(sigma))) {
    throw new InputError(`sigma must be a positive number, got ${sigma}`, { source: 'gaussianFilter1d' });
  }
  const n = x.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const r = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * r + 1);
  const c = -0.5 / (sigma * sigma);
  for (let k = -r; k <= r; k++) w[k + r] = expCorrectlyRounded(c * (k * k));
  const sum = numpySum(w);
  for (let k = 0; k < w.length; k++) w[k] /= sum;

  // Extended line e[j] = x[reflect(j − r)].
  const e = new Float64Array(n + 2 * r);
  const period = 2 * n;
  for (let j = 0; j < e.length; j++) {
    let m = (j - r) % period;
    if (m < 0) m += period;
    e[j] = x[m < n ? m : period - 1 - m];
  }
  for (let i = 0; i < n; i++) {
    const ce = i + r;
    let acc = e[ce] * w[r];
    for (let k = r; k >= 1; k--) acc += (e[ce - k] + e[ce + k]) * w[r + k];
    out[i] = acc;
  }
  return out;
}

/**
 * STG-NF's temporal smoothing of one clip's frame scores (`smooth_scores`,
 * `utils/scoring_utils.py` L73-77): `gaussian_filter1d` applied six times in sequence with
 * σ = 1, 2, 3, 4, 5, 6 (SciPy defaults: mode `'reflect'`, truncate 4, float64). The cascade is
 * roughly one Gaussian with σ ≈ 9.5, but the truncation and the reflection at the clip ends make
 * it differ, so it is reproduced step by step. Apply it per clip, after the fill of
 * `scoresToFrames` (the original smooths the filled values).
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py` `smooth_scores`;
 * SciPy `scipy.ndimage.gaussian_filter1d`.
 *
 * @param scores one clip's frame scores (finite)
 * @returns a new `Float64Array` of the same length
 *
 * @example
 * ```ts
 * const smoothed = smoothStgNf(frameScores.clips[0].scores);
 * ```
 */
export function smoothStgNf(scores: ArrayLike<number>): Float64Array {
  let s: ArrayLike<number> = scores;
  for (let sigma = 1; sigma <= 6; sigma++) s = gaussianFilter1dReflect(s, sigma);
  return s instanceof Float64Array && s !== scores ? s : Float64Array.from(s);
}
