import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, type Rng } from '@skelflow/base';

/**
 * Inverted dropout: in train mode each element is zeroed with probability `p` and the survivors
 * are scaled by `1/(1 − p)`, so the expectation is unchanged; in eval mode the layer is the
 * identity. Masks are drawn from the seeded {@link Rng} on the JavaScript side (one uniform per
 * element, kept when `u ≥ p`), so a seed gives the same masks, call after call, on every backend;
 * the mask is a constant of the graph and the gradient is `mask / (1 − p)`. `p = 1` zeroes
 * everything (PyTorch's convention).
 *
 * PyTorch twin `nn.Dropout(p)` (no parameters; PyTorch's masks come from its own generator).
 *
 * Reference: Srivastava et al., "Dropout", JMLR 2014.
 *
 * @param p - drop probability in [0, 1]; PyTorch's default 0.5.
 * @param options - `seed` or `rng` of the mask stream (consumed one uniform per element per call).
 * @example
 * ```ts
 * const drop = new Dropout(0.1, { seed: 0 });
 * drop.call(x); // train mode: ~10% zeros, the rest × 1/0.9
 * drop.eval().call(x); // x unchanged
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(p = 0.5, options: InitOptions = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new InputError(`dropout probability must be in [0, 1], got ${p}`, { source: 'Dropout' });
    this.p = p;
    this.rng = this.addRandomStream('rng', resolveRng(options));
  }

  /** `x` of any shape; the output has the shape of `x`. */
  call(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return tf.clone(x);
    return tf.tidy(() => tf.mul(x, this.mask(x.shape)));
  }

  /** Draws the next mask, already scaled: entries `0` or `1/(1 − p)`. */
  private mask(shape: number[]): tf.Tensor {
    const n = shape.reduce((a, d) => a * d, 1);
    const m = new Float32Array(n);
    const keep = this.p < 1 ? 1 / (1 - this.p) : 0;
    for (let i = 0; i < n; i++) m[i] = this.rng.uniform() >= this.p ? keep : 0;
    return tf.tensor(m, shape, 'float32');
  }
}
