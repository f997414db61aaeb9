import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';

/**
 * What a masked attention score becomes before the softmax. A finite stand-in for PyTorch's −∞:
 * `exp(s − 1e9 − max)` is exactly 0 in float32, so masked keys get weight 0 and no gradient, as
 * with −∞; but a query whose keys are *all* masked attends uniformly to them instead of producing
 * NaN (PyTorch's result), so a fully padded row cannot poison a batch.
 */
export const MASKED_SCORE = -1e9;

/**
 * The causal (look-ahead) mask of a length-`t` sequence: `[t, t]` float32 with 1 where query `i`
 * may attend to key `j` (j ≤ i) and 0 above the diagonal — `torch.tril(torch.ones(t, t))`, the mask
 * of GPT (Radford et al. 2018) and T2M-GPT's `CausalCrossConditionalSelfAttention`.
 *
 * @example
 * ```ts
 * causalMask(3).arraySync(); // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * ```
 */
export function causalMask(t: number): tf.Tensor2D {
  if (!Number.isInteger(t) || t < 1) throw new ShapeError(`sequence length must be a positive integer, got ${t}`, { source: 'causalMask' });
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) m[i * t + j] = 1;
  return tf.tensor2d(m, [t, t]);
}

/**
 * The additive score bias of {@link MultiHeadAttention}, broadcastable to the scores
 * `[B, H, Tq, Tk]`: 0 where attention is allowed, {@link MASKED_SCORE} where it is not. `null` when
 * nothing is masked. A constant of the graph (no gradient flows into masks).
 *
 * @param tq - query length.
 * @param tk - key length.
 * @param causal - mask keys after the query (`j > i`; needs `tq = tk`).
 * @param keyPaddingMask - `[B, Tk]`, nonzero/true = padded key (ignored) — PyTorch's `key_padding_mask`.
 * @param batch - B, to check the padding mask against.
 */
export function attentionBias(tq: number, tk: number, causal: boolean, keyPaddingMask: tf.Tensor | undefined, batch: number): tf.Tensor | null {
  if (causal && tq !== tk) {
    throw new ShapeError(`a causal mask needs as many queries as keys, got ${tq} and ${tk}`, { source: 'MultiHeadAttention', location: 'causal' });
  }
  if (keyPaddingMask && (keyPaddingMask.rank !== 2 || keyPaddingMask.shape[0] !== batch || keyPaddingMask.shape[1] !== tk)) {
    throw new ShapeError(`keyPaddingMask must be [${batch}, ${tk}], got [${keyPaddingMask.shape}]`, { source: 'MultiHeadAttention', location: 'keyPaddingMask' });
  }
  if (!causal && !keyPaddingMask) return null;
  return tf.tidy(() => {
    let bias: tf.Tensor | null = null;
    if (causal) {
      const m = new Float32Array(tq * tk);
      for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) m[i * tk + j] = MASKED_SCORE;
      bias = tf.tensor4d(m, [1, 1, tq, tk]);
    }
    if (keyPaddingMask) {
      const padded = tf.cast(tf.notEqual(keyPaddingMask, 0), 'float32');
      const pad = tf.reshape(tf.mul(padded, MASKED_SCORE), [batch, 1, 1, tk]);
      // Both masks on one key: keep MASKED_SCORE (not 2×), so the bias stays a fixed constant.
      bias = bias ? tf.minimum(bias, pad) : pad;
    }
    return bias!;
  });
}
