import { registerLayerKernel, type LayerPlan } from '@skelflow/fused';

// The fused engine's kernel of ActNorm (actnorm.ts), with Glow's data-dependent initialisation.

/** An ActNorm layer as fused-engine plan data. */
export interface ActNormPlan extends LayerPlan {
  kind: 'actnorm';
  channels: number;
  bias: number;
  logs: number;
  /** Buffer offset of the `initialized` flag. */
  initialized: number;
  /** Target std of the data-dependent initialisation. */
  scale: number;
}

/** `y = (x + bias)·exp(logs)` per channel over `[B, C, N]`; adds `N·Σ logs` to every log-determinant. */
function actnormForward(L: ActNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, y: Float64Array, B: number, N: number, ld: Float64Array, train: boolean): void {
  const C = L.channels;
  if (train && S[L.initialized] === 0) actnormInit(L, P, S, x, B, N);
  let sumLogs = 0;
  for (let c = 0; c < C; c++) sumLogs += P[L.logs + c]!;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const e = Math.exp(P[L.logs + c]!);
      const bias = P[L.bias + c]!;
      const o = (b * C + c) * N;
      for (let n = 0; n < N; n++) y[o + n] = (x[o + n]! + bias) * e;
    }
    ld[b] = ld[b]! + sumLogs * N;
  }
}

/** Glow's data-dependent initialisation: zero mean, unit (population) std per channel of x. */
export function actnormInit(L: ActNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, B: number, N: number): void {
  const C = L.channels;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) sum += x[(b * C + c) * N + n]!;
    const mean = sum / (B * N);
    let sq = 0;
    for (let b = 0; b < B; b++) {
      for (let n = 0; n < N; n++) {
        const d = x[(b * C + c) * N + n]! - mean;
        sq += d * d;
      }
    }
    P[L.bias + c] = Math.fround(-mean);
    P[L.logs + c] = Math.fround(Math.log(L.scale / (Math.sqrt(sq / (B * N)) + 1e-6)));
  }
  S[L.initialized] = 1;
}

/** Backward of {@link actnormForward}: `dx` from `dy`, gradients of bias and logs into G. */
function actnormBackward(L: ActNormPlan, P: Float64Array, G: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array, B: number, N: number, wld: Float64Array): void {
  const C = L.channels;
  let swld = 0;
  for (let b = 0; b < B; b++) swld += wld[b]!;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(P[L.logs + c]!);
    let sdy = 0;
    let sdyy = 0;
    for (let b = 0; b < B; b++) {
      const o = (b * C + c) * N;
      for (let n = 0; n < N; n++) {
        const g = dy[o + n]!;
        sdy += g;
        sdyy += g * y[o + n]!;
        dx[o + n] = g * e;
      }
    }
    G[L.bias + c] = G[L.bias + c]! + sdy * e;
    G[L.logs + c] = G[L.logs + c]! + sdyy + N * swld;
  }
}

/** The registered layer kernel of `'actnorm'` plans. */
export const actnormKernel = registerLayerKernel<ActNormPlan>({
  kind: 'actnorm',
  module: import.meta.url,
  forward(L, a) {
    actnormForward(L, a.P, a.S, a.x, a.y, a.B, a.dims.N, a.ld, a.train);
  },
  backward(L, a) {
    actnormBackward(L, a.P, a.G, a.y, a.dy, a.dx, a.B, a.dims.N, a.wld);
  },
  evalPrepare(L, P, _S, dims) {
    const e = new Float64Array(L.channels);
    const b = new Float64Array(L.channels);
    let logdet = 0;
    for (let c = 0; c < L.channels; c++) {
      e[c] = Math.exp(P[L.logs + c]!);
      b[c] = P[L.bias + c]!;
      logdet += P[L.logs + c]! * dims.N;
    }
    return { e, b, logdet };
  },
  evalSample(L, prep, a) {
    // In place, on wherever each channel currently lives.
    const { e, b, logdet } = prep as { e: Float64Array; b: Float64Array; logdet: number };
    const { za, off } = a;
    const N = a.dims.N;
    for (let c = 0; c < L.channels; c++) {
      const ec = e[c]!;
      const bc = b[c]!;
      const o = off[c]!;
      for (let i = 0; i < N; i++) za[o + i] = (za[o + i]! + bc) * ec;
    }
    return logdet;
  },
});
