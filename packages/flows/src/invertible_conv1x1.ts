import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { logAbsDet, matrixInverse, matrixToTensor, randomOrthogonal } from './linalg.js';
import { checkChannelsFirst, positionsPerChannel, repeatPerSample } from './tensor_utils.js';

/**
 * Glow's invertible 1×1 convolution: a learnable mixing `y[:, o] = Σ_i W[o, i] · x[:, i]` of the
 * channels (axis 1) of `[B, C, ...rest]`, a generalisation of a channel permutation. log|det| =
 * log|det W| · prod(rest) per sample. W `[C, C]` starts as a random orthogonal matrix (log|det| 0).
 *
 * tfjs has no determinant or inverse kernels: log|det W| and W⁻¹ are computed in float64
 * JavaScript with analytic gradients (Jacobi's formula; dW⁻¹ = −W⁻¹·dW·W⁻¹), so both directions
 * train. This reads W back synchronously once per call — negligible on cpu/wasm for C ≤ dozens;
 * prefer {@link InvertibleConv1x1LU}, which needs neither, on a GPU backend or for large C.
 *
 * Members: parameter `weight` `[C, C]`, `weight[o, i]` mixing input channel i into output o —
 * PyTorch's `InvertibleConv1x1.weight` as stored (it is only viewed as `[C, C, 1, 1]` for conv2d).
 *
 * References: Kingma & Dhariwal, "Glow: Generative Flow with Invertible 1×1 Convolutions",
 * NeurIPS 2018; Hirschorn & Avidan, STG-NF, ICCV 2023 (`InvertibleConv1x1(LU_decomposed=False)`).
 *
 * @param channels - number of channels C.
 * @param seed - seed of the orthogonal initialisation (QR of a seeded standard normal matrix).
 * @example
 * ```ts
 * const conv = new InvertibleConv1x1(4, 0);
 * const { y, logDet } = conv.forward(x); // x: [B, 4, T, V]; logDet ≈ 0 at initialisation
 * ```
 */
export class InvertibleConv1x1 extends Module implements Bijector {
  readonly channels: number;
  readonly weight: tf.Variable;

  constructor(channels: number, seed: number | string) {
    super();
    this.channels = channels;
    this.weight = this.addParameter('weight', matrixToTensor(randomOrthogonal(channels, new Rng(seed))));
  }

  forward(x: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'InvertibleConv1x1', this.channels);
    return tf.tidy(() => ({ y: channelMatMul(x, this.weight), logDet: this.logDet(x, 1) }));
  }

  inverse(y: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'InvertibleConv1x1', this.channels);
    return tf.tidy(() => ({ x: channelMatMul(y, matrixInverse(this.weight)), logDet: this.logDet(y, -1) }));
  }

  private logDet(like: tf.Tensor, sign: 1 | -1): tf.Tensor {
    return repeatPerSample(tf.mul(logAbsDet(this.weight), sign * positionsPerChannel(like)), like.shape[0]!);
  }
}
