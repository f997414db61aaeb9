import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { FusedPlanContext } from '@skelflow/fused';
import { permuteKernel, type PermutePlan } from './kernels/permute_kernel.js';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { checkChannelsFirst } from './tensor_utils.js';

/**
 * A fixed random permutation of the channels (axis 1): `y[:, i] = x[:, permutation[i]]`. Volume
 * preserving (logDet 0). The permutation is drawn once from a seeded {@link Rng} and kept in the
 * int32 buffer `permutation` `[C]`, so a saved model reloads the same order.
 *
 * Applied as a multiplication by the one-hot permutation matrix via `channelMatMul`: exact for
 * finite inputs, needs no read-back of the buffer, and — unlike `gather` — has a gradient kernel on
 * the wasm backend.
 *
 * Note: PyTorch's Glow/STG-NF `Permute2d(shuffle=True)` draws its order from `torch.randperm` and
 * does not save it, so those checkpoints cannot be reproduced with the "shuffle" permutation.
 *
 * References: Dinh et al., "Density estimation using Real NVP", ICLR 2017;
 * Kingma & Dhariwal, "Glow", NeurIPS 2018 (the "shuffle" permutation).
 *
 * @param channels - number of channels C.
 * @param seed - seed of the permutation; the same seed gives the same order on every backend.
 * @example
 * ```ts
 * const s = new ShuffleChannels(4, 7);
 * const { y } = s.forward(x); // x: [B, 4, T, V]
 * const { x: back } = s.inverse(y);
 * ```
 */
export class ShuffleChannels extends Module implements Bijector {
  readonly channels: number;
  /** `y[:, i] = x[:, permutation[i]]`, int32 `[C]`. */
  readonly permutation: tf.Variable;

  constructor(channels: number, seed: number | string) {
    super();
    this.channels = channels;
    const order = new Rng(seed).permutation(channels);
    this.permutation = this.addBuffer('permutation', tf.tensor1d(order, 'int32'));
  }

  /** The permutation as a matrix P `[C, C]`, `P[i, permutation[i]] = 1`, so `y = P·x`. */
  private matrix(): tf.Tensor {
    return tf.cast(tf.oneHot(this.permutation as tf.Tensor1D, this.channels), 'float32');
  }

  forward(x: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'ShuffleChannels', this.channels);
    return tf.tidy(() => ({ y: channelMatMul(x, this.matrix()), logDet: tf.zeros([x.shape[0]!]) }));
  }

  inverse(y: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'ShuffleChannels', this.channels);
    // A permutation matrix is orthogonal: P⁻¹ = Pᵀ.
    return tf.tidy(() => ({ x: channelMatMul(y, tf.transpose(this.matrix())), logDet: tf.zeros([y.shape[0]!]) }));
  }

  /** The fused engine's description of this layer (runs on {@link permuteKernel}, the order read from the buffer). */
  fusedPlan(ctx: FusedPlanContext): PermutePlan {
    return { kind: permuteKernel.kind as 'permute', channels: ctx.eventShape[0]!, perm: [], permBuffer: ctx.buffer(this.permutation) };
  }

}
