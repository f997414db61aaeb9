import type * as tf from '@tensorflow/tfjs-core';

/**
 * A first-order optimiser over a fixed list of variables, with PyTorch's update rules (so released
 * PyTorch training runs reproduce step for step; tfjs's built-in `adamax` differs in details).
 * `lr` is mutable so schedules can set it between steps.
 */
export interface Optimizer {
  lr: number;
  /** Applies one update given gradients in the same order as the variables. Disposes nothing given. */
  step(grads: tf.Tensor[]): void;
  /** Frees the optimiser's state tensors. */
  dispose(): void;
}
