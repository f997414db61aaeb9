import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@skelflow/base';

/**
 * Elementwise activations by name (PyTorch twin in brackets): `relu` (`nn.ReLU`), `leakyRelu`
 * (`nn.LeakyReLU(slope)`), `elu` (`nn.ELU`, α = 1), `tanh`, `sigmoid`, `silu` (`nn.SiLU`),
 * `gelu` (`nn.GELU()`, the exact form `x·Φ(x) = x/2·(1 + erf(x/√2))`; Hendrycks & Gimpel 2016), `identity`.
 */
export type Activation = 'relu' | 'leakyRelu' | 'elu' | 'tanh' | 'sigmoid' | 'silu' | 'gelu' | 'identity';

/** The activations {@link applyActivation} accepts. */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'leakyRelu', 'elu', 'tanh', 'sigmoid', 'silu', 'gelu', 'identity'];

/**
 * Applies an {@link Activation} to `x` with tfjs ops whose forward and gradient kernels exist on
 * wasm and cpu (the nn layer contract trains each of them on both).
 *
 * @param slope - negative slope of `leakyRelu`; PyTorch's default 0.01.
 * @example
 * ```ts
 * applyActivation(tf.tensor1d([-1, 2]), 'leakyRelu', 0.1); // [-0.1, 2]
 * ```
 */
export function applyActivation(x: tf.Tensor, activation: Activation, slope = 0.01): tf.Tensor {
  return tf.tidy(() => {
    switch (activation) {
      case 'relu':
        return tf.relu(x);
      case 'leakyRelu':
        return tf.leakyRelu(x, slope);
      case 'elu':
        return tf.elu(x);
      case 'tanh':
        return tf.tanh(x);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
      case 'gelu':
        // Exact GELU (PyTorch's default, not the tanh approximation): Erf has forward and gradient kernels on wasm and cpu.
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
      case 'identity':
        return tf.clone(x);
      default:
        throw new InputError(`unknown activation '${String(activation)}' (expected one of ${ACTIVATIONS.join(', ')})`, { source: 'activation' });
    }
  });
}
