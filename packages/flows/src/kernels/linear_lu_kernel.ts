import { registerLayerKernel, type LayerPlan, type Scratch } from '@skelflow/fused';
import { gemmABt } from './gemm.js';

// The fused engine's kernel of InvertibleLinearLU (invertible_linear_lu.ts): W = P·L·U with
// L = lower (strict) + I and U = upper (strict) + diag(signS·exp(logS)), assembled in float64
// when the parameters change, y = W·x per position, log|det| = N·Σ logS; the backward pass
// carries dW = Σ dy·xᵀ back to lower, upper and logS through the product (dLU = Pᵀ·dW,
// dL = dLU·Uᵀ, dU = Lᵀ·dLU). No one-sample eval path: scoring runs chunks of samples through
// `forward`, where the coupling's MLP reuses its weights across the chunk.

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

/**
 * {@link factors}, reused while lower, upper, logS, P and signS are unchanged: scoring runs the
 * layer on chunks of samples, and re-assembling W (O(D³)) for each would cost more than applying
 * it. The check compares the 2·D² + D parameters and D² + D buffers the factors come from (O(D²)).
 */
function cachedFactors(L: LinearLuPlan, P: Float64Array, S: Float64Array, ws: Scratch, key: string): Factors {
  const n = L.dim;
  const nn = n * n;
  const src = ws.get(key + 'src', 3 * nn + 2 * n + 1);
  const parts: [Float64Array, number, number][] = [[P, L.lower, nn], [P, L.upper, nn], [P, L.logS, n], [S, L.p, nn], [S, L.signS, n]];
  let same = src[3 * nn + 2 * n] === 1;
  let o = 0;
  for (const [arr, at, len] of parts) {
    for (let i = 0; i < len; i++) {
      const v = arr[at + i]!;
      if (src[o + i] !== v) {
        same = false;
        src[o + i] = v;
      }
    }
    o += len;
  }
  const cached = factorCache.get(src);
  if (same && cached) return cached;
  const f = factors(L, P, S);
  factorCache.set(src, f);
  src[3 * nn + 2 * n] = 1;
  return f;
}

/** Factors by the scratch array holding their source numbers (one entry per layer and scratch). */
const factorCache = new WeakMap<Float64Array, Factors>();

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
  if (N === 1) {
    gemmABt(x, 0, B, w, 0, n, n, y, 0, false); // y = x·Wᵀ
    return;
  }
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
    applyW(cachedFactors(L, a.P, a.S, a.ws, a.key).w, L.dim, a.x, a.y, a.B, N);
    const ld = sumLogS(L, a.P) * N;
    for (let b = 0; b < a.B; b++) a.ld[b] = a.ld[b]! + ld;
  },
  backward(L, a) {
    const n = L.dim;
    const N = a.dims.N;
    const { l, u, w, perm } = cachedFactors(L, a.P, a.S, a.ws, a.key);
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
});
