import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultInit, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** Options of {@link Linear}. */
export interface LinearOptions extends InitOptions {
  /** Learnable bias; default true (PyTorch's default). */
  bias?: boolean;
}

/**
 * A fully connected layer on the last axis, `y = x Wᵀ + b`, for inputs `[..., in]` (any number of
 * leading axes, including none). One 2-D matMul, so it trains on wasm and cpu.
 *
 * PyTorch twin `nn.Linear(in, out, bias)`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[out, in]` | U(±1/√in) (`kaiming_uniform_(a=√5)`) |
 * | `bias` | `bias` | `[out]` | U(±1/√in) |
 *
 * Values are drawn from the seeded {@link Rng} (weight first, then bias), so they are the same on
 * every backend but not PyTorch's numbers; released PyTorch weights load with `loadStateDict`.
 *
 * @param inFeatures - size of the input's last axis.
 * @param outFeatures - size of the output's last axis.
 * @param options - {@link LinearOptions}.
 * @example
 * ```ts
 * const fc = new Linear(4, 3, { seed: 0 });
 * fc.call(tf.ones([2, 5, 4])); // [2, 5, 3]
 * ```
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [what, n] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'Linear' });
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = resolveRng(options);
    this.weight = this.addParameter('weight', defaultInit(rng, [outFeatures, inFeatures], inFeatures));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [outFeatures], inFeatures)) : null;
  }

  /** `[..., in]` → `[..., out]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`expected [..., ${this.inFeatures}], got [${x.shape}]`, { source: 'Linear' });
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const rows = lead.reduce((a, d) => a * d, 1);
      let y = tf.matMul(tf.reshape(x, [rows, this.inFeatures]), this.weight, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, [...lead, this.outFeatures]);
    });
  }
}
