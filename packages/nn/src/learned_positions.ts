import * as tf from '@tensorflow/tfjs-core';
import { Module, normalTensor, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** Options of {@link LearnedPositions}. */
export interface LearnedPositionsOptions extends InitOptions {
  /** Standard deviation of the N(0, σ²) initialisation; default 0.02 (GPT-2's, as T2M-GPT initialises it). */
  std?: number;
}

/**
 * A learned absolute position embedding (GPT, Radford et al. 2018): a `[maxLength, D]` table whose
 * first T rows are added to `[B, T, D]` embeddings. Read by a slice, so it trains on wasm and cpu.
 *
 * PyTorch twin: an `nn.Parameter(torch.zeros(max_length, D))` (T2M-GPT's `pos_embedding` holds
 * `[1, block_size, D]`; drop the leading 1), or `nn.Embedding(max_length, D)` indexed by
 * `arange(T)`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[maxLength, D]` | N(0, 0.02²) |
 *
 * @param maxLength - the longest sequence it can encode.
 * @param dim - D.
 * @example
 * ```ts
 * const pos = new LearnedPositions(13, 64, { seed: 0 });
 * pos.call(embeddings); // embeddings [B, T ≤ 13, 64] + rows 0…T−1
 * ```
 */
export class LearnedPositions extends Module {
  readonly maxLength: number;
  readonly dim: number;
  readonly weight: tf.Variable;

  constructor(maxLength: number, dim: number, options: LearnedPositionsOptions = {}) {
    super();
    for (const [what, n] of [['maxLength', maxLength], ['dim', dim]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'LearnedPositions' });
    }
    this.maxLength = maxLength;
    this.dim = dim;
    this.weight = this.addParameter('weight', normalTensor(resolveRng(options), [maxLength, dim], 0, options.std ?? 0.02));
  }

  /** The first `t` rows of the table, `[t, D]`. */
  table(t: number): tf.Tensor {
    if (!Number.isInteger(t) || t < 1 || t > this.maxLength) {
      throw new ShapeError(`sequence length must be in 1…${this.maxLength}, got ${t}`, { source: 'LearnedPositions' });
    }
    return t === this.maxLength ? tf.clone(this.weight) : tf.slice(this.weight, [0, 0], [t, this.dim]);
  }

  /** `x` `[B, T, D]` plus the positions of its T steps. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new ShapeError(`expected [B, T, ${this.dim}], got [${x.shape}]`, { source: 'LearnedPositions' });
    return tf.tidy(() => tf.add(x, this.table(x.shape[1]!)));
  }
}
