import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';

/**
 * The fixed sinusoidal position encoding of Vaswani et al. ("Attention Is All You Need", NeurIPS
 * 2017, §3.5): `PE[p, 2i] = sin(p / 10000^(2i/D))`, `PE[p, 2i+1] = cos(p / 10000^(2i/D))`, for
 * positions `p = 0…T−1`. Computed in float64, returned as float32 `[T, D]` (an odd D ends with a sine
 * column). Add it to the `[B, T, D]` embeddings; it has no parameters.
 *
 * @example
 * ```ts
 * sinusoidalPositions(2, 4).arraySync(); // [[0, 1, 0, 1], [sin 1, cos 1, sin 0.01, cos 0.01]]
 * ```
 */
export function sinusoidalPositions(t: number, d: number): tf.Tensor2D {
  for (const [what, n] of [['T', t], ['D', d]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'sinusoidalPositions' });
  }
  const pe = new Float32Array(t * d);
  for (let p = 0; p < t; p++) {
    for (let c = 0; c < d; c++) {
      const i2 = c - (c % 2); // 2i
      const angle = p / Math.pow(10000, i2 / d);
      pe[p * d + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tf.tensor2d(pe, [t, d]);
}
