import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { Conditioner } from '../src/index.js';

// Conditioners for the flows tests. The generic harness (bijector contract, Jacobians, tensor
// helpers, backends) lives in @skelflow/testing.

/**
 * A small conditioner for couplings: `tanh(W·x1 + b + Wc·context)` with a 1×1 channel mixing and a
 * per-sample context projection broadcast over the positions. Built only from ops with gradient
 * kernels on wasm (batched matMul, 2-D matMul, tanh).
 */
export class TestConditioner extends Module implements Conditioner {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly contextWeight: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, seed: number | string, contextDim = 0) {
    super();
    const rng = new Rng(seed);
    this.weight = this.addParameter('weight', normalTensor(rng, [outChannels, inChannels], 0, 0.8));
    this.bias = this.addParameter('bias', normalTensor(rng, [outChannels], 0, 0.3));
    this.contextWeight = contextDim > 0 ? this.addParameter('contextWeight', normalTensor(rng, [outChannels, contextDim], 0, 0.8)) : null;
  }

  call(x1: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ones = x1.shape.slice(2).map(() => 1);
      let h = tf.add(channelMatMul(x1, this.weight), tf.reshape(this.bias, [1, this.bias.size, ...ones]));
      if (this.contextWeight && context) {
        const c = tf.matMul(context, this.contextWeight, false, true); // [B, out]
        h = tf.add(h, tf.reshape(c, [c.shape[0]!, c.shape[1]!, ...ones]));
      }
      return tf.tanh(h);
    });
  }
}

/** A conditioner that returns a fixed tensor, to check the couplings' formulas against JS. */
export class ConstantConditioner extends Module implements Conditioner {
  constructor(private readonly value: tf.Tensor) {
    super();
  }
  call(): tf.Tensor {
    return tf.clone(this.value);
  }
}
