import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module } from '@skelflow/core';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { matrixInverse } from './linalg.js';
import { luInitFromOrthogonal, luWeight } from './lu_weight.js';
import { checkChannelsFirst, positionsPerChannel, repeatPerSample } from './tensor_utils.js';

/**
 * Glow's LU-decomposed invertible 1×1 convolution: W = P · L · (U + diag(sign_s · exp(log_s)))
 * with a fixed permutation P, a unit lower-triangular L and a strictly upper-triangular U. The
 * parametrisation makes log|det W| = Σ log_s, so the log-determinant costs O(C) and needs no
 * matrix read-back; only the inverse pass inverts W (float64 JavaScript, differentiable).
 * Initialised from the LU factors (partial pivoting) of a random orthogonal matrix.
 *
 * Members: parameters `lower` `[C, C]` (only the strict lower triangle is used), `upper` `[C, C]`
 * (only the strict upper triangle is used), `logS` `[C]`; buffers `p` `[C, C]` (permutation
 * matrix) and `signS` `[C]`. PyTorch names: `lower`, `upper`, `log_s`, `p`, `sign_s`.
 *
 * References: Kingma & Dhariwal, "Glow: Generative Flow with Invertible 1×1 Convolutions",
 * NeurIPS 2018 (§3.2, LU decomposition); Hirschorn & Avidan, STG-NF, ICCV 2023
 * (`InvertibleConv1x1(LU_decomposed=True)`).
 *
 * @param channels - number of channels C.
 * @param seed - seed of the orthogonal initialisation.
 * @example
 * ```ts
 * const conv = new InvertibleConv1x1LU(4, 0);
 * const { y, logDet } = conv.forward(x); // x: [B, 4, T, V]
 * const { x: back } = conv.inverse(y);
 * ```
 */
export class InvertibleConv1x1LU extends Module implements Bijector {
  readonly channels: number;
  readonly lower: tf.Variable;
  readonly upper: tf.Variable;
  readonly logS: tf.Variable;
  readonly p: tf.Variable;
  readonly signS: tf.Variable;
  private readonly strictlyLowerMask: Float32Array;

  constructor(channels: number, seed: number | string) {
    super();
    const n = channels;
    this.channels = n;
    const init = luInitFromOrthogonal(n, seed);
    this.strictlyLowerMask = init.strictlyLowerMask;
    this.lower = this.addParameter('lower', tf.tensor2d(init.lower, [n, n]));
    this.upper = this.addParameter('upper', tf.tensor2d(init.upper, [n, n]));
    this.logS = this.addParameter('logS', tf.tensor1d(init.logS));
    this.p = this.addBuffer('p', tf.tensor2d(init.p, [n, n]));
    this.signS = this.addBuffer('signS', tf.tensor1d(init.signS));
  }

  /** The assembled matrix W `[C, C]`, differentiable in `lower`, `upper` and `logS`. */
  weight(): tf.Tensor {
    return luWeight(this, this.strictlyLowerMask);
  }

  forward(x: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'InvertibleConv1x1LU', this.channels);
    return tf.tidy(() => ({ y: channelMatMul(x, this.weight()), logDet: this.logDet(x, 1) }));
  }

  inverse(y: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'InvertibleConv1x1LU', this.channels);
    return tf.tidy(() => ({ x: channelMatMul(y, matrixInverse(this.weight())), logDet: this.logDet(y, -1) }));
  }

  private logDet(like: tf.Tensor, sign: 1 | -1): tf.Tensor {
    return repeatPerSample(tf.mul(tf.sum(this.logS), sign * positionsPerChannel(like)), like.shape[0]!);
  }
}
