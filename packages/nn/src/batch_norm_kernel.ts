import type { Variable } from '@tensorflow/tfjs-core';
import type { BatchNorm } from './batch_norm.js';

// The typed-array twin of batch_norm.ts for the fused engine (@skelflow/fused): plain loops over
// float64 arrays, PyTorch's semantics (biased variance to normalise, unbiased running variance).
// Kept as a standalone file beside the layer (no engine import), so the layer and its kernel can
// move together.

/** BatchNorm over axis 1 as fused-engine plan data: offsets into the flat parameter and buffer vectors. */
export interface BatchNormPlan {
  channels: number;
  /** Parameter offsets of γ and β, −1 when not affine. */
  weight: number;
  bias: number;
  /** Buffer offsets. */
  runningMean: number;
  runningVar: number;
  numBatchesTracked: number;
  eps: number;
  momentum: number;
}

/** Resolves variables to their offsets in the flat vectors (the fused engine's plan context is one). */
export interface FlatOffsets {
  param(v: Variable): number;
  buffer(v: Variable): number;
}

/** The fused engine's description of a {@link BatchNorm}. */
export function batchNormPlan(bn: BatchNorm, ctx: FlatOffsets): BatchNormPlan {
  return {
    channels: bn.channels,
    weight: bn.weight ? ctx.param(bn.weight) : -1,
    bias: bn.bias ? ctx.param(bn.bias) : -1,
    runningMean: ctx.buffer(bn.runningMean),
    runningVar: ctx.buffer(bn.runningVar),
    numBatchesTracked: ctx.buffer(bn.numBatchesTracked),
    eps: bn.eps,
    momentum: bn.momentum,
  };
}

/**
 * Normalises x `[B, C, M]` per channel into `out` (may alias x). `replicas`: each value stands
 * for that many equal elements (joint-constant tensors), which changes only the unbiased count of
 * the running variance. Stores 1/√(σ²+ε) per channel in `inv` and, in train mode, x̂ in `xhat`.
 */
export function bnForward(
  bn: BatchNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, out: Float64Array, xhat: Float64Array | null,
  B: number, M: number, replicas: number, train: boolean, inv: Float64Array,
): void {
  const C = bn.channels;
  for (let c = 0; c < C; c++) {
    let mean: number;
    let variance: number;
    if (train) {
      let sum = 0;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * M;
        for (let m = 0; m < M; m++) sum += x[o + m]!;
      }
      mean = sum / (B * M);
      let sq = 0;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * M;
        for (let m = 0; m < M; m++) {
          const d = x[o + m]! - mean;
          sq += d * d;
        }
      }
      variance = sq / (B * M);
      const n = B * M * replicas;
      const mom = bn.momentum;
      S[bn.runningMean + c] = (1 - mom) * S[bn.runningMean + c]! + mom * mean;
      S[bn.runningVar + c] = (1 - mom) * S[bn.runningVar + c]! + mom * (n > 1 ? (variance * n) / (n - 1) : variance);
    } else {
      mean = S[bn.runningMean + c]!;
      variance = S[bn.runningVar + c]!;
    }
    const iv = 1 / Math.sqrt(variance + bn.eps);
    inv[c] = iv;
    const alpha = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * iv;
    const beta = (bn.bias >= 0 ? P[bn.bias + c]! : 0) - mean * alpha;
    for (let b = 0; b < B; b++) {
      const o = (b * C + c) * M;
      if (xhat) for (let m = 0; m < M; m++) xhat[o + m] = (x[o + m]! - mean) * iv;
      for (let m = 0; m < M; m++) out[o + m] = x[o + m]! * alpha + beta;
    }
  }
  if (train) S[bn.numBatchesTracked] = S[bn.numBatchesTracked]! + 1;
}

/** Backward of {@link bnForward}: `dx` (may alias dy) from `dy`; accumulates dγ, dβ into G. */
export function bnBackward(
  bn: BatchNormPlan, P: Float64Array, G: Float64Array, dy: Float64Array, xhat: Float64Array, dx: Float64Array,
  B: number, M: number, train: boolean, inv: Float64Array,
): void {
  const C = bn.channels;
  for (let c = 0; c < C; c++) {
    let sdy = 0;
    let sdyx = 0;
    for (let b = 0; b < B; b++) {
      const o = (b * C + c) * M;
      for (let m = 0; m < M; m++) {
        sdy += dy[o + m]!;
        sdyx += dy[o + m]! * xhat[o + m]!;
      }
    }
    if (bn.weight >= 0) G[bn.weight + c] = G[bn.weight + c]! + sdyx;
    if (bn.bias >= 0) G[bn.bias + c] = G[bn.bias + c]! + sdy;
    const k = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * inv[c]!;
    const count = B * M;
    const mdy = train ? sdy / count : 0;
    const mdyx = train ? sdyx / count : 0;
    for (let b = 0; b < B; b++) {
      const o = (b * C + c) * M;
      for (let m = 0; m < M; m++) dx[o + m] = k * (dy[o + m]! - mdy - xhat[o + m]! * mdyx);
    }
  }
}

/** Eval-mode BatchNorm as one affine per channel: `y = a_c·x + b_c` (running statistics). */
export function bnAffine(bn: BatchNormPlan, P: Float64Array, S: Float64Array): [Float64Array, Float64Array] {
  const a = new Float64Array(bn.channels);
  const b = new Float64Array(bn.channels);
  for (let c = 0; c < bn.channels; c++) {
    const iv = 1 / Math.sqrt(S[bn.runningVar + c]! + bn.eps);
    a[c] = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * iv;
    b[c] = (bn.bias >= 0 ? P[bn.bias + c]! : 0) - S[bn.runningMean + c]! * a[c]!;
  }
  return [a, b];
}
