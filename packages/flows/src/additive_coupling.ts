import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import type { Bijector, ConditionerModule, ForwardResult, InverseResult } from './bijector.js';
import { conditionerOutput, conditioningChannels, type CouplingOptions } from './coupling_utils.js';
import { checkChannelsFirst, splitChannels } from './tensor_utils.js';

/**
 * Additive coupling: `y1 = x1`, `y2 = x2 + net(x1, context)` with `x1 = x[:, :C1]`,
 * `x2 = x[:, C1:]`. Volume preserving (logDet 0), so it can only move density, not concentrate it;
 * combine with {@link ActNorm} or an affine coupling when the scale matters. The conditioner
 * returns `[B, C − C1, ...rest]` and is registered as the child module `net`.
 *
 * References: Dinh, Krueger & Bengio, "NICE: Non-linear Independent Components Estimation",
 * ICLR 2015 workshop; Kingma & Dhariwal, "Glow", NeurIPS 2018 (`flow_coupling="additive"`);
 * Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @param net - the conditioner (any {@link ConditionerModule}, e.g. an ST-GCN block).
 * @param options - {@link CouplingOptions} (`split`).
 * @example
 * ```ts
 * const coupling = new AdditiveCoupling(net); // net: [B, 1, T, V] → [B, 1, T, V]
 * const { y, logDet } = coupling.forward(x); // x: [B, 2, T, V]; logDet = 0
 * ```
 */
export class AdditiveCoupling extends Module implements Bijector {
  readonly net: ConditionerModule;
  readonly split: number | undefined;

  constructor(net: ConditionerModule, options: CouplingOptions = {}) {
    super();
    this.net = this.addModule('net', net);
    this.split = options.split;
  }

  forward(x: tf.Tensor, context?: tf.Tensor): ForwardResult {
    return this.apply(x, context, 1);
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): InverseResult {
    const { y: x, logDet } = this.apply(y, context, -1);
    return { x, logDet };
  }

  private apply(input: tf.Tensor, context: tf.Tensor | undefined, sign: 1 | -1): ForwardResult {
    checkChannelsFirst(input, 'AdditiveCoupling');
    const c1 = conditioningChannels(input.shape[1]!, this.split, 'AdditiveCoupling');
    return tf.tidy(() => {
      const [x1, x2] = splitChannels(input, c1);
      const shift = conditionerOutput(this.net, x1, context, x2.shape[1]!, 'AdditiveCoupling');
      const y2 = sign === 1 ? tf.add(x2, shift) : tf.sub(x2, shift);
      return { y: tf.concat([x1, y2], 1), logDet: tf.zeros([input.shape[0]!]) };
    });
  }
}
