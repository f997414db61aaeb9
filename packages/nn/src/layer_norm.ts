import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root; PyTorch's default 1e-5. */
  eps?: number;
  /** Learnable per-element scale and shift over the normalised axes; default true. */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, whether the shift is learnt too; default true (PyTorch ≥ 2.1's `bias`). */
  bias?: boolean;
}

/**
 * Layer normalisation over the last `normalizedShape.length` axes of `x`:
 * `y = (x − E[x]) / √(Var[x] + ε) · γ + β`, with the *biased* variance (divided by the number of
 * normalised elements), as PyTorch computes it. Same in train and eval mode (no running statistics).
 * Built from mean/sub/mul/rsqrt, so it trains on wasm and cpu.
 *
 * PyTorch twin `nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` (γ) | `weight` | `normalizedShape` | ones |
 * | `bias` (β) | `bias` | `normalizedShape` | zeros |
 *
 * Reference: Ba, Kiros & Hinton, "Layer Normalization", 2016.
 *
 * @param normalizedShape - the trailing shape to normalise over (a number for the last axis).
 * @param options - {@link LayerNormOptions}.
 * @example
 * ```ts
 * const ln = new LayerNorm(8);
 * ln.call(tf.randomNormal([4, 10, 8])); // each of the 40 rows has mean 0 and variance ≈ 1
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;

  constructor(normalizedShape: number | number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`normalizedShape must be positive integers, got [${shape}]`, { source: 'LayerNorm' });
    }
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.addParameter('weight', tf.ones(shape)) : null;
    this.bias = affine && (options.bias ?? true) ? this.addParameter('bias', tf.zeros(shape)) : null;
  }

  /** Normalises `x` `[..., ...normalizedShape]`; the output has the shape of `x`. */
  call(x: tf.Tensor): tf.Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`expected [..., ${this.normalizedShape}], got [${x.shape}]`, { source: 'LayerNorm' });
    }
    return tf.tidy(() => {
      const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
      const mean = tf.mean(x, axes, true);
      const centred = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centred), axes, true); // biased, as PyTorch
      let y = tf.mul(centred, tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight) y = tf.mul(y, this.weight);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }
}
