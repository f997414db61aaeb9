import * as tf from '@tensorflow/tfjs-core';
import { Module, normalTensor, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError } from '@skelflow/base';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions extends InitOptions {
  /** Standard deviation of the N(0, σ²) initialisation; default 1 (PyTorch's `nn.Embedding`). */
  std?: number;
}

/**
 * A lookup table of `num` learned vectors of size D: integer indices `[...]` → `[..., D]`.
 * Forward is a gather; its gradient is a segment sum (`UnsortedSegmentSum`), which tfjs-wasm lacks
 * and `@skelflow/core` registers in `initBackend('wasm')` — O(N·D), where the one-hot matMul
 * alternative would be O(N·num·D). So select the wasm backend through `initBackend` to train it.
 *
 * PyTorch twin `nn.Embedding(num, D)`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[num, D]` | N(0, 1) |
 *
 * @param num - number of entries (indices 0…num−1).
 * @param dim - D.
 * @example
 * ```ts
 * const emb = new Embedding(513, 64, { seed: 0 });
 * emb.call(tf.tensor2d([[512, 3, 7]], [1, 3], 'int32')); // [1, 3, 64]
 * ```
 */
export class Embedding extends Module {
  readonly num: number;
  readonly dim: number;
  readonly weight: tf.Variable;

  constructor(num: number, dim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [what, n] of [['num', num], ['dim', dim]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'Embedding' });
    }
    this.num = num;
    this.dim = dim;
    this.weight = this.addParameter('weight', normalTensor(resolveRng(options), [num, dim], 0, options.std ?? 1));
  }

  /**
   * Indices of any shape (int32, or float holding integers) → `[..., D]`. An index outside
   * 0…num−1 is an {@link InputError} (tfjs would silently return zeros).
   */
  call(indices: tf.Tensor): tf.Tensor {
    const ids = indices.dataSync();
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.num) {
        throw new InputError(`index ${v} is not an integer in 0…${this.num - 1}`, { source: 'Embedding', location: `entry ${i}` });
      }
    }
    return tf.tidy(() => {
      const flat = tf.reshape(indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32'), [indices.size]);
      return tf.reshape(tf.gather(this.weight, flat), [...indices.shape, this.dim]);
    });
  }
}
