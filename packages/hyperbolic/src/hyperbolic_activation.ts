import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { hyperbolicActivation } from './hyperbolic_linear.js';
import type { PoincareBall } from './poincare_ball.js';

/** Euclidean activations {@link HyperbolicActivation} applies in the tangent space at 0. */
export type TangentActivation = 'relu' | 'tanh' | 'leakyRelu' | 'identity';

/** The Euclidean function of a {@link TangentActivation}. */
export function tangentActivationFn(name: TangentActivation): (t: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu;
    case 'tanh':
      return tf.tanh;
    case 'leakyRelu':
      // Written as max(x, 0.2x): tfjs's LeakyRelu gradient kernel is fine, but this keeps the op set minimal on wasm.
      return (t) => tf.maximum(t, tf.mul(t, 0.2));
    case 'identity':
      return (t) => tf.clone(t);
    default:
      throw new InputError(`unknown activation '${String(name)}' (relu, tanh, leakyRelu, identity)`, { source: 'HyperbolicActivation' });
  }
}

/**
 * HGCN's hyperbolic activation as a layer: `proj_out(expmap0_out(σ(logmap0_in(x))))`. It has no
 * parameters of its own; the balls are owned by whoever passes them (typically the enclosing
 * {@link HgcnLayer}), so a learnable curvature is registered once.
 *
 * References: Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks",
 * NeurIPS 2019 (`layers/hyp_layers.py` `HypAct`).
 *
 * @param ballIn - the ball of the input.
 * @param activation - the tangent-space function; default `'relu'`.
 * @param ballOut - the ball of the output; default `ballIn`.
 * @example
 * ```ts
 * const act = new HyperbolicActivation(ball, 'relu');
 * const y = act.call(x); // x, y: [..., D] on the ball
 * ```
 */
export class HyperbolicActivation extends Module {
  readonly activation: TangentActivation;
  private readonly fn: (t: tf.Tensor) => tf.Tensor;

  constructor(
    readonly ballIn: PoincareBall,
    activation: TangentActivation = 'relu',
    readonly ballOut: PoincareBall = ballIn,
  ) {
    super();
    this.activation = activation;
    this.fn = tangentActivationFn(activation);
  }

  /** Points of `ballIn` `[..., D]` → points of `ballOut` `[..., D]`. */
  call(x: tf.Tensor): tf.Tensor {
    return hyperbolicActivation(x, this.fn, this.ballIn, this.ballOut);
  }
}
