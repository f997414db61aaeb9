import { registerLayerKernel, type LayerPlan } from '@skelflow/fused';

// The fused engine's kernel of InvertibleLinearLU (invertible_linear_lu.ts): W = P·L·U with
// L = lower (strict) + I and U = upper (strict) + diag(signS·exp(logS)), assembled in float64 per
// call, y = W·x per position, log|det| = N·Σ logS; the backward pass carries dW = Σ dy·xᵀ back to
// lower, upper and logS through the product (dLU = Pᵀ·dW, dL = dLU·Uᵀ, dU = Lᵀ·dLU).

/** An {@link InvertibleLinearLU} layer as fused-engine plan data. */
export interface LinearLuPlan extends LayerPlan {
  kind: 'linear-lu';
  dim: number;
  /** Parameter offsets, `[D, D]`, `[D, D]`, `[D]`. */
  lower: number;
  upper: number;
  logS: number;
  /** Buffer offsets of P `[D, D]` and signS `[D]`. */
  p: number;
  signS: number;
}

interface Factors {
  /** L, U and W = P·L·U, row-major `[D, D]`. */
  l: Float64Array;
  u: Float64Array;
  w: Float64Array;
  /** perm[i] = the column of P's one in row i (W[i] = (L·U)[perm[i]]). */
  perm: Int32Array;
}

function factors(L: LinearLuPlan, P: Float64Array, S: Float64Array): Factors {
  const n = L.dim;
  const l = new Float64Array(n * n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j < i) l[i * n + j] = P[L.lower + i * n + j]!;
      else if (j > i) u[i * n + j] = P[L.upper + i * n + j]!;
    }
    l[i * n + i] = 1;
    u[i * n + i] = S[L.signS + i]! * Math.exp(P[L.logS + i]!);
  }
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let col = -1;
    for (let j = 0; j < n; j++) if (S[L.p + i * n + j] === 1) col = j;
    if (col < 0) throw new Error(`linear-lu: row ${i} of P is not a permutation row`);
    perm[i] = col;
  }
  // (L·U)[r] only over the non-zero triangles: Σ_{k ≤ r} L[r, k]·U[k, :] with U[k, c] = 0 for c < k.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const r = perm[i]!;
    const o = i * n;
    for (let k = 0; k <= r; k++) {
      const a = l[r * n + k]!;
      if (a === 0) continue;
      for (let c = k; c < n; c++) w[o + c] = w[o + c]! + a * u[k * n + c]!;
    }
  }
  return { l, u, w, perm };
}

/** y = W·x per sample and position over `[B, D, N]` (locals and an N = 1 loop for vectors). */
function applyW(w: Float64Array, n: number, x: Float64Array, y: Float64Array, B: number, N: number): void {
  for (let b = 0; b < B; b++) {
    const base = b * n * N;
    if (N === 1) {
      for (let o = 0; o < n; o++) {
        const wr = o * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += w[wr + i]! * x[base + i]!;
        y[base + o] = s;
      }
      continue;
    }
    for (let o = 0; o < n; o++) {
      const yo = base + o * N;
      y.fill(0, yo, yo + N);
      for (let i = 0; i < n; i++) {
        const wv = w[o * n + i]!;
        const xi = base + i * N;
        for (let m = 0; m < N; m++) y[yo + m] = y[yo + m]! + wv * x[xi + m]!;
      }
    }
  }
}

function sumLogS(L: LinearLuPlan, P: Float64Array): number {
  let s = 0;
  for (let i = 0; i < L.dim; i++) s += P[L.logS + i]!;
  return s;
}

/** The registered layer kernel of `'linear-lu'` plans. */
export const linearLuKernel = registerLayerKernel<LinearLuPlan>({
  kind: 'linear-lu',
  module: import.meta.url,
  forward(L, a) {
    const N = a.dims.N;
    applyW(factors(L, a.P, a.S).w, L.dim, a.x, a.y, a.B, N);
    const ld = sumLogS(L, a.P) * N;
    for (let b = 0; b < a.B; b++) a.ld[b] = a.ld[b]! + ld;
  },
  backward(L, a) {
    const n = L.dim;
    const N = a.dims.N;
    const { l, u, w, perm } = factors(L, a.P, a.S);
    const { x, dy, dx } = a;
    const dw = new Float64Array(n * n);
    for (let b = 0; b < a.B; b++) {
      const base = b * n * N;
      dx.fill(0, base, base + n * N);
      for (let o = 0; o < n; o++) {
        const yo = base + o * N;
        const wr = o * n;
        if (N === 1) {
          const g = dy[yo]!;
          if (g === 0) continue;
          for (let i = 0; i < n; i++) {
            dw[wr + i] = dw[wr + i]! + g * x[base + i]!;
            dx[base + i] = dx[base + i]! + w[wr + i]! * g;
          }
          continue;
        }
        for (let i = 0; i < n; i++) {
          const wv = w[wr + i]!;
          const xi = base + i * N;
          let s = 0;
          for (let m = 0; m < N; m++) {
            const g = dy[yo + m]!;
            s += g * x[xi + m]!;
            dx[xi + m] = dx[xi + m]! + wv * g;
          }
          dw[wr + i] = dw[wr + i]! + s;
        }
      }
    }
    // dLU = Pᵀ·dW: row perm[i] of dLU is row i of dW.
    const dlu = new Float64Array(n * n);
    for (let i = 0; i < n; i++) dlu.set(dw.subarray(i * n, (i + 1) * n), perm[i]! * n);
    let swld = 0;
    for (let b = 0; b < a.B; b++) swld += a.wld[b]!;
    const G = a.G;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j < i) {
          // dL[i, j] = Σ_c dLU[i, c]·U[j, c] (U[j, c] = 0 for c < j).
          let s = 0;
          for (let c = j; c < n; c++) s += dlu[i * n + c]! * u[j * n + c]!;
          G[L.lower + i * n + j] = G[L.lower + i * n + j]! + s;
        } else {
          // dU[i, j] = Σ_r L[r, i]·dLU[r, j] (L[r, i] = 0 for r < i), for j ≥ i.
          let s = 0;
          for (let r = i; r < n; r++) s += l[r * n + i]! * dlu[r * n + j]!;
          if (j > i) G[L.upper + i * n + j] = G[L.upper + i * n + j]! + s;
          else G[L.logS + i] = G[L.logS + i]! + s * u[i * n + i]! + N * swld;
        }
      }
    }
  },
  evalPrepare(L, P, S, dims) {
    // W once per scoring call, not per sample.
    return { w: factors(L, P, S).w, logdet: sumLogS(L, P) * dims.N, v: new Float64Array(L.dim * dims.N) };
  },
  evalSample(L, prep, a) {
    const { w, logdet, v } = prep as { w: Float64Array; logdet: number; v: Float64Array };
    const n = L.dim;
    const N = a.dims.N;
    const { za, off } = a;
    // Gather the sample's channels (wherever a permutation left them), mix, write back in place.
    for (let i = 0; i < n; i++) for (let m = 0; m < N; m++) v[i * N + m] = za[off[i]! + m]!;
    for (let o = 0; o < n; o++) {
      const o0 = off[o]!;
      for (let m = 0; m < N; m++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += w[o * n + i]! * v[i * N + m]!;
        za[o0 + m] = s;
      }
    }
    return logdet;
  },
});
