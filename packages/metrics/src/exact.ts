// Exact arithmetic for the Gaussian kernel, so `gaussianKernel1d` equals SciPy's bit for bit:
// NumPy's pairwise summation and a correctly rounded exp. Internal: not exported from the package.

// NumPy's pairwise summation for n ≤ 128 (8 interleaved accumulators), so the kernel's
// normalising sum rounds like `phi_x.sum()` in SciPy.
export function numpySum(a: Float64Array): number {
  const n = a.length;
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]!;
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

