import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { matrixInverse } from './linalg.js';
import { luInitFromOrthogonal, luWeight } from './lu_weight.js';
import { checkVectors, repeatPerSample } from './tensor_utils.js';

/**
 * Glow's LU-decomposed invertible 1×1 convolution on vectors: an invertible linear map
 * `y = W·x` of `[B, D]` with W = P · L · (U + diag(sign_s · exp(log_s))) — a fixed permutation P,
 * a unit lower-triangular L and a strictly upper-triangular U — so log|det W| = Σ log_s per sample
 * (Glow, Table 1, "1×1 conv, LU"), without a determinant. W starts as a random orthogonal matrix
 * (QR of a seeded standard normal matrix, Glow's initialisation), so log|det| starts at 0.
 *
 * This is {@link InvertibleConv1x1LU} for a flow on vectors (NFlowAD's conditional Glow on frame
 * embeddings h_t): one 2-D matMul `x·Wᵀ` instead of a weight broadcast per sample, which on
 * `[B, D]` would allocate B·D² numbers. The triangles are cut with constant masks and W is built
 * with matMul and elementwise ops only, so it trains on wasm. The inverse pass inverts W in
 * float64 JavaScript (O(D³), differentiable); training never needs it.
 *
 * Members: parameters `lower` `[D, D]` (only the strict lower triangle is used), `upper` `[D, D]`
 * (only the strict upper triangle is used), `logS` `[D]`; buffers `p` `[D, D]`, `signS` `[D]`.
 * PyTorch twin: `bench/torch/nflowad.py` `InvertibleLinearLU` (same names; Glow's
 * `InvConv2dLU` calls them `w_l`, `w_u`, `w_s` (log), `w_p`, `s_sign`).
 *
 * References: Kingma & Dhariwal, "Glow: Generative Flow with Invertible 1×1 Convolutions",
 * NeurIPS 2018 (§3.2, Eq. 10); Choueb et al., NFlowAD (the Glow-type conditional flow, Eq. 3–4).
 *
 * @param dim - the vector size D.
 * @param seed - seed of the orthogonal initialisation.
 * @example
 * ```ts
 * const lu = new InvertibleLinearLU(6, 'seed');
 * const { y, logDet } = lu.forward(h); // h: [B, 6]; logDet = Σ logS, [B]
 * const { x: back } = lu.inverse(y);
 * ```
 */
export class InvertibleLinearLU extends Module implements Bijector {
  readonly dim: number;
  readonly lower: tf.Variable;
  readonly upper: tf.Variable;
  readonly logS: tf.Variable;
  readonly p: tf.Variable;
  readonly signS: tf.Variable;
  private readonly strictlyLowerMask: Float32Array;

  constructor(dim: number, seed: number | string) {
    super();
    if (!Number.isInteger(dim) || dim < 1) throw new InputError(`dim must be a positive integer, got ${dim}`, { source: 'InvertibleLinearLU' });
    this.dim = dim;
    const init = luInitFromOrthogonal(dim, seed);
    this.strictlyLowerMask = init.strictlyLowerMask;
    this.lower = this.addParameter('lower', tf.tensor2d(init.lower, [dim, dim]));
    this.upper = this.addParameter('upper', tf.tensor2d(init.upper, [dim, dim]));
    this.logS = this.addParameter('logS', tf.tensor1d(init.logS));
    this.p = this.addBuffer('p', tf.tensor2d(init.p, [dim, dim]));
    this.signS = this.addBuffer('signS', tf.tensor1d(init.signS));
  }

  /** The assembled matrix W `[D, D]` (y = W·x), differentiable in `lower`, `upper` and `logS`. */
  weight(): tf.Tensor {
    return luWeight(this, this.strictlyLowerMask);
  }

  forward(x: tf.Tensor): ForwardResult {
    checkVectors(x, 'InvertibleLinearLU', this.dim);
    return tf.tidy(() => ({ y: tf.matMul(x, this.weight(), false, true), logDet: this.logDet(x.shape[0]!, 1) }));
  }

  inverse(y: tf.Tensor): InverseResult {
    checkVectors(y, 'InvertibleLinearLU', this.dim);
    return tf.tidy(() => ({ x: tf.matMul(y, matrixInverse(this.weight()), false, true), logDet: this.logDet(y.shape[0]!, -1) }));
  }

  private logDet(batch: number, sign: 1 | -1): tf.Tensor {
    return repeatPerSample(tf.mul(tf.sum(this.logS), sign), batch);
  }
}
