import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';
import type { Rng } from '@skelflow/base';

/**
 * Small dense linear algebra for the channel-mixing matrices of flows (C ≤ a few dozen).
 *
 * tfjs has no determinant or inverse kernels, so these run in JavaScript in float64 on a row-major
 * `Float64Array`. The tensor-level functions ({@link logAbsDet}, {@link matrixInverse}) read their
 * input synchronously — cheap on cpu and wasm, a GPU sync on webgl — and carry analytic gradients
 * through `tf.customGrad`, so a 1×1 convolution trains on every backend.
 */

/** Row-major square matrix. */
export interface SquareMatrix {
  n: number;
  data: Float64Array;
}

/** `P·A = L·U` with partial pivoting: `perm[i]` is the row of A that ended up at row i. */
export interface LuFactors {
  n: number;
  /** Unit lower triangle below the diagonal, U on and above it (LAPACK's packed layout). */
  packed: Float64Array;
  perm: number[];
  /** +1 or −1: the parity of the row swaps. */
  swapSign: number;
}

export function luDecompose(a: SquareMatrix): LuFactors {
  const { n } = a;
  const m = Float64Array.from(a.data);
  const perm = Array.from({ length: n }, (_, i) => i);
  let swapSign = 1;
  for (let k = 0; k < n; k++) {
    let piv = k;
    let best = Math.abs(m[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(m[i * n + k]!);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (piv !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j]!;
        m[k * n + j] = m[piv * n + j]!;
        m[piv * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[piv]!;
      perm[piv] = t;
      swapSign = -swapSign;
    }
    const d = m[k * n + k]!;
    if (d === 0) continue; // singular: the zero pivot makes log|det| = −∞, which is the right answer
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / d;
      m[i * n + k] = f;
      for (let j = k + 1; j < n; j++) m[i * n + j]! -= f * m[k * n + j]!;
    }
  }
  return { n, packed: m, perm, swapSign };
}

/** log|det A| and sign(det A) (0 for a singular matrix). */
export function slogdet(a: SquareMatrix): { logAbsDet: number; sign: number } {
  const lu = luDecompose(a);
  let logAbsDet = 0;
  let sign = lu.swapSign;
  for (let i = 0; i < a.n; i++) {
    const d = lu.packed[i * a.n + i]!;
    if (d === 0) return { logAbsDet: -Infinity, sign: 0 };
    logAbsDet += Math.log(Math.abs(d));
    if (d < 0) sign = -sign;
  }
  return { logAbsDet, sign };
}

/** A⁻¹ by LU solves; throws a {@link ShapeError} for a singular matrix (no inverse exists). */
export function invert(a: SquareMatrix): SquareMatrix {
  const { n } = a;
  const lu = luDecompose(a);
  const m = lu.packed;
  for (let i = 0; i < n; i++) {
    if (m[i * n + i] === 0) throw new ShapeError('matrix is singular', { source: 'invert' });
  }
  const inv = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    // Solve A·x = e_c  ⇔  L·U·x = P·e_c.
    for (let i = 0; i < n; i++) col[i] = lu.perm[i] === c ? 1 : 0;
    for (let i = 0; i < n; i++) {
      let s = col[i]!;
      for (let j = 0; j < i; j++) s -= m[i * n + j]! * col[j]!;
      col[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = col[i]!;
      for (let j = i + 1; j < n; j++) s -= m[i * n + j]! * col[j]!;
      col[i] = s / m[i * n + i]!;
    }
    for (let i = 0; i < n; i++) inv[i * n + c] = col[i]!;
  }
  return { n, data: inv };
}

/**
 * Q of a Householder QR of A, with the signs LAPACK (and hence `torch.linalg.qr`) produces: a
 * uniformly distributed-enough orthogonal matrix when A is Gaussian.
 */
export function orthogonalFromQr(a: SquareMatrix): SquareMatrix {
  const { n } = a;
  const r = Float64Array.from(a.data);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const v = new Float64Array(n);
  for (let k = 0; k < n - 1; k++) {
    let norm = 0;
    for (let i = k; i < n; i++) norm += r[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = r[k * n + k]! > 0 ? -norm : norm;
    v.fill(0);
    for (let i = k; i < n; i++) v[i] = r[i * n + k]!;
    v[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < n; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    // R ← H·R and Q ← Q·H with H = I − 2·v·vᵀ/(vᵀv).
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < n; i++) s += v[i]! * r[i * n + j]!;
      const f = (2 * s) / vv;
      for (let i = k; i < n; i++) r[i * n + j]! -= f * v[i]!;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = k; j < n; j++) s += q[i * n + j]! * v[j]!;
      const f = (2 * s) / vv;
      for (let j = k; j < n; j++) q[i * n + j]! -= f * v[j]!;
    }
  }
  return { n, data: q };
}

/** A random orthogonal C×C matrix: Q of the QR of a seeded standard normal matrix (Glow's init). */
export function randomOrthogonal(n: number, rng: Rng): SquareMatrix {
  const a = new Float64Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return orthogonalFromQr({ n, data: a });
}

export function transpose(a: SquareMatrix): SquareMatrix {
  const { n } = a;
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a.data[i * n + j]!;
  return { n, data: t };
}

export function matrixFromTensor(t: tf.Tensor): SquareMatrix {
  if (t.rank !== 2 || t.shape[0] !== t.shape[1]) {
    throw new ShapeError(`expected a square matrix, got [${t.shape}]`, { source: 'linalg' });
  }
  return { n: t.shape[0]!, data: Float64Array.from(t.dataSync()) };
}

export function matrixToTensor(a: SquareMatrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(a.data), [a.n, a.n], 'float32');
}

/**
 * log|det W| of a square matrix `[C, C]` as a scalar tensor, differentiable in W:
 * ∂ log|det W| / ∂W = W⁻ᵀ (Jacobi's formula). The forward value is computed in float64.
 */
export const logAbsDet: (w: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const w = args[0] as tf.Tensor;
  // The gradient only needs W⁻¹, computed from this call's float64 copy of W.
  const m = matrixFromTensor(w);
  return {
    value: tf.scalar(slogdet(m).logAbsDet),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, matrixToTensor(transpose(invert(m)))),
  };
}) as (w: tf.Tensor) => tf.Tensor;

/**
 * W⁻¹ of a square matrix `[C, C]`, differentiable in W: with A = W⁻¹, dA = −A·dW·A, so the
 * gradient is −Aᵀ·Ḡ·Aᵀ. Lets the inverse pass of a 1×1 convolution train (e.g. a sampling loss).
 */
export const matrixInverse: (w: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [w, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const inv = matrixToTensor(invert(matrixFromTensor(w)));
  save([inv]);
  return {
    value: inv,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const at = tf.transpose(saved[0]!);
      return tf.neg(tf.matMul(tf.matMul(at, dy), at));
    },
  };
}) as (w: tf.Tensor) => tf.Tensor;
