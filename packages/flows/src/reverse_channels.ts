import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import { channelMatMul } from '@skelflow/nn';
import type { FusedPlanContext } from '@skelflow/fused';
import { permuteKernel, type PermutePlan } from './kernels/permute_kernel.js';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { checkChannelsFirst } from './tensor_utils.js';

/**
 * Reverses the order of the channels (axis 1) of `[B, C, ...rest]`. A coupling only transforms one
 * part of the channels; reversing between couplings lets every channel be transformed. Volume
 * preserving (logDet 0), self-inverse, and without weights.
 *
 * References: Dinh et al., "Density estimation using Real NVP", ICLR 2017 (alternating masks);
 * Kingma & Dhariwal, "Glow", NeurIPS 2018 (the "reverse" permutation);
 * Hirschorn & Avidan, STG-NF, ICCV 2023 (`Permute2d(shuffle=False)`, its default permutation).
 *
 * @example
 * ```ts
 * const r = new ReverseChannels();
 * const { y } = r.forward(tf.tensor4d([1, 2], [1, 2, 1, 1])); // [[[[2]], [[1]]]]
 * ```
 */
export class ReverseChannels extends Module implements Bijector {
  forward(x: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'ReverseChannels');
    return tf.tidy(() => ({ y: reverseChannels(x), logDet: tf.zeros([x.shape[0]!]) }));
  }

  inverse(y: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'ReverseChannels');
    return tf.tidy(() => ({ x: reverseChannels(y), logDet: tf.zeros([y.shape[0]!]) }));
  }

  /** The fused engine's description of this layer (runs on {@link permuteKernel}). */
  fusedPlan(ctx: FusedPlanContext): PermutePlan {
    const channels = ctx.eventShape[0]!;
    return { kind: permuteKernel.kind as 'permute', channels, perm: Array.from({ length: channels }, (_, i) => channels - 1 - i), permBuffer: -1 };
  }

}

/**
 * Channel reversal as a product with the anti-identity: exact (every output is one input times 1
 * plus zeros) and, for the few channels of pose flows, several times faster than `tf.reverse`,
 * whose wasm and cpu kernels walk the tensor element by element.
 */
function reverseChannels(x: tf.Tensor): tf.Tensor {
  const c = x.shape[1]!;
  if (c > 16) return tf.reverse(x, 1);
  return tf.tidy(() => {
    const p = new Float32Array(c * c);
    for (let i = 0; i < c; i++) p[i * c + (c - 1 - i)] = 1;
    return channelMatMul(x, tf.tensor2d(p, [c, c]));
  });
}
