import * as tf from '@tensorflow/tfjs-core';

/**
 * Rescales gradients in place of PyTorch's `clip_grad_norm_`: the global L2 norm over all tensors
 * is computed, and if it exceeds `maxNorm` every gradient is multiplied by `maxNorm/(norm + 1e-6)`.
 * Returns new tensors (the caller disposes both lists) and the norm before clipping.
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipGradNorm(grads, 100);
 * ```
 */
export function clipGradNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const norm = tf.tidy(() => {
    const sq = grads.map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(sq));
  });
  const n = norm.dataSync()[0]!;
  norm.dispose();
  const coef = Math.min(1, maxNorm / (n + 1e-6));
  // PyTorch multiplies by the clamped coefficient in float32 even when it is 1.
  const clipped = grads.map((g) => tf.tidy(() => (coef < 1 ? tf.mul(g, tf.scalar(coef, 'float32')) : tf.clone(g))));
  return { grads: clipped, norm: n };
}
