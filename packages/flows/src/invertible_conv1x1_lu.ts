import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { luDecompose, matrixInverse, randomOrthogonal } from './linalg.js';
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
    const lu = luDecompose(randomOrthogonal(n, new Rng(seed)));
    const lower = new Float32Array(n * n);
    const upper = new Float32Array(n * n);
    const logS = new Float32Array(n);
    const signS = new Float32Array(n);
    const p = new Float32Array(n * n);
    this.strictlyLowerMask = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = lu.packed[i * n + j]!;
        if (j < i) {
          lower[i * n + j] = v;
          this.strictlyLowerMask[i * n + j] = 1;
        } else if (j > i) upper[i * n + j] = v;
      }
      const s = lu.packed[i * n + i]!;
      logS[i] = Math.log(Math.abs(s));
      signS[i] = s < 0 ? -1 : 1;
      // Rows were permuted as (P_r · W)[i] = W[perm[i]], so W = P_rᵀ · L · U.
      p[lu.perm[i]! * n + i] = 1;
    }
    this.lower = this.addParameter('lower', tf.tensor2d(lower, [n, n]));
    this.upper = this.addParameter('upper', tf.tensor2d(upper, [n, n]));
    this.logS = this.addParameter('logS', tf.tensor1d(logS));
    this.p = this.addBuffer('p', tf.tensor2d(p, [n, n]));
    this.signS = this.addBuffer('signS', tf.tensor1d(signS));
  }

  /** The assembled matrix W `[C, C]`, differentiable in `lower`, `upper` and `logS`. */
  weight(): tf.Tensor {
    return tf.tidy(() => {
      const n = this.channels;
      const lowerMask = tf.tensor2d(this.strictlyLowerMask, [n, n]);
      const eye = tf.eye(n);
      const l = tf.add(tf.mul(this.lower, lowerMask), eye);
      const diag = tf.mul(eye, tf.reshape(tf.mul(this.signS, tf.exp(this.logS)), [1, n]));
      const u = tf.add(tf.mul(this.upper, tf.transpose(lowerMask)), diag);
      return tf.matMul(this.p, tf.matMul(l, u));
    });
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
