import { InputError } from '@skelflow/base';
import { symmetricEigen } from '@skelflow/linalg';

/** How many principal components {@link fitPpca} keeps. */
export interface PpcaOptions {
  /** Keep the fewest components explaining at least this fraction of the variance. Default 0.95. */
  variance?: number;
  /** Never keep more than this many. Default 64. */
  maxComponents?: number;
  /** Keep exactly this many (overrides `variance`); 0 or absent = choose by variance. */
  components?: number;
}

/**
 * A fitted probabilistic PCA model (Tipping & Bishop's maximum-likelihood solution): mean μ, the
 * top-k eigenpairs (λᵢ, uᵢ) of the sample covariance, and the isotropic noise variance σ² = mean
 * of the discarded eigenvalues. Its covariance is `Σ = U diag(λ) Uᵀ + σ² (I − U Uᵀ)`.
 */
export interface PpcaParams {
  /** Dimension D. */
  dim: number;
  /** Components kept k (1 ≤ k < D). */
  k: number;
  /** Mean, `[D]`. */
  mean: Float64Array;
  /** Kept eigenvalues λ₀ ≥ … ≥ λ_{k−1}, `[k]` (each at least σ²). */
  eigenvalues: Float64Array;
  /** Kept eigenvectors as rows, `[k, D]`. */
  components: Float64Array;
  /** Residual variance σ² of every discarded direction. */
  sigma2: number;
  /** Fraction of the total variance the k components explain. */
  explained: number;
  /** Training samples. */
  n: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Fits probabilistic PCA to `n` samples of dimension `dim` (row-major `data`, float32 or
 * float64; the computation is float64). The covariance is the maximum-likelihood one (divided by
 * n). σ² is floored at 1e-6 × the mean eigenvalue, so segments whose residual is degenerate on
 * the training data (e.g. a coordinate that normalisation fixes) still get a finite density.
 * Deterministic: the same samples in the same order give bit-identical parameters.
 *
 * References: Tipping & Bishop, "Probabilistic Principal Component Analysis", JRSS-B 1999.
 *
 * @example
 * ```ts
 * const p = fitPpca(segments, n, 2 * 24 * 18, { variance: 0.95, maxComponents: 64 });
 * const logp = ppcaLogDensity(p, testSegments); // nats per segment
 * ```
 * @throws InputError for fewer than 2 samples, non-finite values or bad options
 */
export function fitPpca(data: Float32Array | Float64Array, n: number, dim: number, options: PpcaOptions = {}): PpcaParams {
  const source = 'fitPpca';
  if (!Number.isInteger(dim) || dim < 2) throw new InputError(`dimension must be an integer ≥ 2, got ${dim}`, { source });
  if (!Number.isInteger(n) || n < 2 || data.length !== n * dim) {
    throw new InputError(`need at least 2 samples of dimension ${dim}; got ${data.length} values for n = ${n}`, { source });
  }
  const variance = options.variance ?? 0.95;
  if (!(variance > 0 && variance <= 1)) throw new InputError(`variance must be in (0, 1], got ${variance}`, { source, location: 'variance' });
  const maxComponents = options.maxComponents ?? 64;
  if (!Number.isInteger(maxComponents) || maxComponents < 1) throw new InputError(`maxComponents must be an integer ≥ 1, got ${maxComponents}`, { source, location: 'maxComponents' });
  const fixed = options.components ?? 0;
  if (!Number.isInteger(fixed) || fixed < 0 || fixed >= dim) throw new InputError(`components must be an integer in [0, ${dim - 1}], got ${fixed}`, { source, location: 'components' });

  const mean = new Float64Array(dim);
  for (let s = 0; s < n; s++) {
    const o = s * dim;
    for (let i = 0; i < dim; i++) {
      const v = data[o + i]!;
      if (!Number.isFinite(v)) throw new InputError(`non-finite value ${v}`, { source, location: `sample ${s}, index ${i}` });
      mean[i] = mean[i]! + v;
    }
  }
  for (let i = 0; i < dim; i++) mean[i] = mean[i]! / n;

  // Covariance by blocks of B samples: the centred block is stored transposed ([D, B]) so every
  // entry of the upper triangle is a contiguous dot product.
  const B = 128;
  const cov = new Float64Array(dim * dim);
  const xt = new Float64Array(dim * B);
  for (let s0 = 0; s0 < n; s0 += B) {
    const b = Math.min(B, n - s0);
    for (let t = 0; t < b; t++) {
      const o = (s0 + t) * dim;
      for (let i = 0; i < dim; i++) xt[i * B + t] = data[o + i]! - mean[i]!;
    }
    for (let i = 0; i < dim; i++) {
      const oi = i * B;
      const row = i * dim;
      for (let j = i; j < dim; j++) {
        const oj = j * B;
        let acc = 0;
        for (let t = 0; t < b; t++) acc += xt[oi + t]! * xt[oj + t]!;
        cov[row + j] = cov[row + j]! + acc;
      }
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j]! / n;
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  }

  const eig = symmetricEigen(cov, dim);
  const lambda = eig.values.map((v) => Math.max(v, 0));
  const total = lambda.reduce((a, v) => a + v, 0);
  let k: number;
  if (fixed > 0) k = fixed;
  else {
    k = 1;
    let acc = lambda[0]!;
    while (k < dim - 1 && total > 0 && acc / total < variance) acc += lambda[k++]!;
  }
  k = Math.max(1, Math.min(k, fixed > 0 ? fixed : maxComponents, dim - 1));
  let rest = 0;
  for (let i = k; i < dim; i++) rest += lambda[i]!;
  const floor = Math.max(1e-6 * (total / dim), Number.MIN_VALUE);
  const sigma2 = Math.max(rest / (dim - k), floor);
  let kept = 0;
  const eigenvalues = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    eigenvalues[i] = Math.max(lambda[i]!, sigma2);
    kept += lambda[i]!;
  }
  return {
    dim,
    k,
    mean,
    eigenvalues,
    components: eig.vectors.slice(0, k * dim),
    sigma2,
    explained: total > 0 ? kept / total : 1,
    n,
  };
}

/**
 * Log-density (nats) of each sample of `data` (row-major `[m, D]`) under the PPCA Gaussian:
 * `−½ [D log 2π + Σᵢ log λᵢ + (D − k) log σ² + Σᵢ zᵢ²/λᵢ + (‖x − μ‖² − Σᵢ zᵢ²)/σ²]` with
 * `zᵢ = uᵢᵀ(x − μ)` — the Mahalanobis distance in the kept subspace plus the reconstruction
 * error over σ². Higher = more normal.
 *
 * @example
 * ```ts
 * const logp = ppcaLogDensity(params, segments);
 * ```
 */
export function ppcaLogDensity(p: PpcaParams, data: Float32Array | Float64Array): Float64Array {
  const { dim, k, mean, eigenvalues, components, sigma2 } = p;
  const m = data.length / dim;
  if (!Number.isInteger(m)) throw new InputError(`data of length ${data.length} is not a multiple of the dimension ${dim}`, { source: 'ppcaLogDensity' });
  let logDet = (dim - k) * Math.log(sigma2);
  for (let i = 0; i < k; i++) logDet += Math.log(eigenvalues[i]!);
  const constant = -0.5 * (dim * LOG_2PI + logDet);
  const out = new Float64Array(m);
  const x = new Float64Array(dim);
  for (let s = 0; s < m; s++) {
    const o = s * dim;
    let norm2 = 0;
    for (let j = 0; j < dim; j++) {
      const v = data[o + j]! - mean[j]!;
      x[j] = v;
      norm2 += v * v;
    }
    let inSub = 0;
    let maha = 0;
    for (let i = 0; i < k; i++) {
      const u = i * dim;
      let z = 0;
      for (let j = 0; j < dim; j++) z += components[u + j]! * x[j]!;
      inSub += z * z;
      maha += (z * z) / eigenvalues[i]!;
    }
    out[s] = constant - 0.5 * (maha + Math.max(norm2 - inSub, 0) / sigma2);
  }
  return out;
}
