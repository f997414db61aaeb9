import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';

/**
 * Cosine distance per row, `1 − a·b / (‖a‖‖b‖)`, in [0, 2]: 0 for parallel rows, 2 for
 * anti-parallel ones. Norms are `sqrt(Σx² + 1e-12)`, so a zero row gives distance 1 and a finite
 * gradient. MGNet's `sim` (S_app) and, averaged, its L_app.
 *
 * References: Yang et al., MGNet (ACM MM 2024) Eq. 10 (L_app) and the S_app score; card §5.3.
 *
 * @param a `[N, D]`
 * @param b `[N, D]`
 * @returns `[N]`
 */
export function cosineDistance(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new ShapeError(`expected two [N, D] tensors of one shape, got [${a.shape}] and [${b.shape}]`, { source: 'cosineDistance' });
  }
  return tf.tidy(() => {
    const na = tf.sqrt(tf.add(tf.sum(tf.square(a), 1), 1e-12));
    const nb = tf.sqrt(tf.add(tf.sum(tf.square(b), 1), 1e-12));
    return tf.sub(1, tf.div(tf.sum(tf.mul(a, b), 1), tf.mul(na, nb)));
  });
}

/**
 * MGNet's appearance-level distillation loss `L_app = mean_n (1 − cos(f_m,n, f_u,n))`, in [0, 2]
 * (see {@link cosineDistance}).
 *
 * @param student `[N, D]` (the mask encoder's f_m)
 * @param target `[N, D]` (f_u; pass a constant or `tf.stopGradient`-free target: the loss
 *   differentiates in both arguments, MGNet freezes the target's encoder instead)
 * @returns a scalar
 *
 * @example
 * ```ts
 * cosineDistillationLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[-1, 0]])); // 2
 * ```
 */
export function cosineDistillationLoss(student: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mean(cosineDistance(student, target)));
}
