import { registerPriorKernel, type PriorPlan } from '@skelflow/fused';

// The fused engine's kernels of ClassConditionalGaussianPrior and a fixed DiagonalGaussianPrior (priors/).

const LOG_2PI = Math.log(2 * Math.PI);

/** ClassConditionalGaussianPrior: a unit-variance Gaussian around ±R·label (R a buffer offset). */
export interface ClassConditionalGaussianPriorPlan extends PriorPlan {
  kind: 'class-gaussian';
  radius: number;
}

/** A fixed diagonal Gaussian: buffer offsets and sizes (1 = broadcast scalar, else the full event size). */
export interface DiagonalPriorPlan extends PriorPlan {
  kind: 'diagonal';
  mean: number;
  meanSize: number;
  logStd: number;
  logStdSize: number;
}

/** The registered prior kernel of `'class-gaussian'` plans. */
export const classConditionalGaussianPriorKernel = registerPriorKernel<ClassConditionalGaussianPriorPlan>({
  kind: 'class-gaussian',
  module: import.meta.url,
  logProb(pr, S, z, off, dims, label) {
    const mu = S[pr.radius]! * label;
    let sq = 0;
    for (let c = 0; c < dims.C; c++) {
      const o = off[c]!;
      for (let i = 0; i < dims.N; i++) {
        const d = z[o + i]! - mu;
        sq += d * d;
      }
    }
    return -0.5 * (sq / (1 + pr.varianceEps) + dims.C * dims.N * LOG_2PI);
  },
  gradient(pr, S, z, o, dims, label, w, dz) {
    const mu = S[pr.radius]! * label;
    const k = w / (1 + pr.varianceEps);
    for (let e = o; e < o + dims.C * dims.N; e++) dz[e] = k * (z[e]! - mu);
  },
});

/** The registered prior kernel of `'diagonal'` plans. */
export const diagonalPriorKernel = registerPriorKernel<DiagonalPriorPlan>({
  kind: 'diagonal',
  module: import.meta.url,
  logProb(pr, S, z, off, dims, _label) {
    let acc = 0;
    for (let c = 0; c < dims.C; c++) {
      for (let i = 0; i < dims.N; i++) {
        const e = c * dims.N + i;
        const ls = S[pr.logStd + (pr.logStdSize === 1 ? 0 : e)]!;
        const d = z[off[c]! + i]! - S[pr.mean + (pr.meanSize === 1 ? 0 : e)]!;
        acc += -0.5 * (2 * ls + (d * d) / (Math.exp(2 * ls) + pr.varianceEps) + LOG_2PI);
      }
    }
    return acc;
  },
  gradient(pr, S, z, o, dims, _label, w, dz) {
    for (let e = 0; e < dims.C * dims.N; e++) {
      const ls = S[pr.logStd + (pr.logStdSize === 1 ? 0 : e)]!;
      dz[o + e] = (w * (z[o + e]! - S[pr.mean + (pr.meanSize === 1 ? 0 : e)]!)) / (Math.exp(2 * ls) + pr.varianceEps);
    }
  },
});
