import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Added to the variance before the square root; PyTorch's default 1e-5. */
  eps?: number;
  /** Weight of the newest batch in the running statistics; PyTorch's default 0.1. */
  momentum?: number;
  /** Learnable scale and shift (γ, β). Default true. */
  affine?: boolean;
}

/**
 * Batch normalisation over the channel axis 1 of `[B, C, ...]` tensors, with PyTorch's exact
 * semantics so that released PyTorch weights and training steps reproduce: in train mode the batch
 * is normalised with the *biased* batch variance while `runningVar` is updated with the *unbiased*
 * one; in eval mode the running statistics are used. Running statistics are buffers.
 *
 * References: Ioffe & Szegedy, "Batch Normalization", ICML 2015; PyTorch `nn.BatchNorm2d`.
 *
 * @param channels - number of channels C.
 * @param options - {@link BatchNormOptions}.
 * @example
 * ```ts
 * const bn = new BatchNorm(2);
 * const y = bn.call(tf.randomNormal([8, 2, 24, 18])); // train mode: batch statistics
 * bn.eval();
 * const z = bn.call(tf.randomNormal([1, 2, 24, 18])); // running statistics
 * ```
 */
export class BatchNorm extends Module {
  readonly channels: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  /** Batches seen in train mode; kept for checkpoint round trips (PyTorch's `num_batches_tracked`). */
  readonly numBatchesTracked: tf.Variable;

  constructor(channels: number, options: BatchNormOptions = {}) {
    super();
    this.channels = channels;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.weight = affine ? this.addParameter('weight', tf.ones([channels])) : null;
    this.bias = affine ? this.addParameter('bias', tf.zeros([channels])) : null;
    this.runningMean = this.addBuffer('runningMean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('runningVar', tf.ones([channels]));
    this.numBatchesTracked = this.addBuffer('numBatchesTracked', tf.scalar(0));
  }

  /**
   * Normalises `x` `[B, C, ...]`; in train mode also updates the running statistics.
   * `replicas` says that `x` stands for a tensor `replicas` times larger whose extra entries are
   * copies (a signal constant along an axis that was kept at size 1): batch statistics are the
   * same, and only the unbiased correction of `runningVar` needs the true count.
   */
  call(x: tf.Tensor, options: { replicas?: number } = {}): tf.Tensor {
    if (x.rank < 2 || x.shape[1] !== this.channels) {
      throw new ShapeError(`expected [B, ${this.channels}, ...], got [${x.shape}]`, { source: 'BatchNorm' });
    }
    return tf.tidy(() => {
      const bshape = [1, this.channels, ...x.shape.slice(2).map(() => 1)];
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (this.training) {
        mean = stagedMean(x);
        variance = stagedMean(tf.square(tf.sub(x, mean)));
        const n = (x.size / this.channels) * (options.replicas ?? 1);
        const mom = this.momentum;
        // Running statistics are state, not part of the differentiated graph.
        const bm = tf.reshape(mean, [this.channels]);
        const bv = tf.reshape(variance, [this.channels]);
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - mom), tf.mul(bm, mom)));
        const unbiased = n > 1 ? tf.mul(bv, n / (n - 1)) : bv;
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - mom), tf.mul(unbiased, mom)));
        this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, 1));
      } else {
        mean = tf.reshape(this.runningMean, bshape);
        variance = tf.reshape(this.runningVar, bshape);
      }
      // PyTorch's CPU kernel folds the statistics into one scale and shift per channel,
      // y = x·α + β with α = γ/√(σ² + ε), β = b − μ·α; the same rounding keeps parity with
      // released weights tight where x ≈ μ (cancellation).
      let alpha = tf.rsqrt(tf.add(variance, this.eps));
      if (this.weight) alpha = tf.mul(alpha, tf.reshape(this.weight, bshape));
      let beta = tf.neg(tf.mul(mean, alpha));
      if (this.bias) beta = tf.add(beta, tf.reshape(this.bias, bshape));
      return tf.add(tf.mul(x, alpha), beta);
    });
  }
}

/**
 * Mean over every axis but 1, reduced one axis at a time from the last. Backends that accumulate
 * in float32 (wasm) lose ~n·2⁻²⁴ relative accuracy summing n values in one pass; reducing T·V and
 * then B separately keeps batch statistics as accurate as PyTorch's double-accumulated ones, which
 * matters because BatchNorm divides by small standard deviations.
 */
function stagedMean(x: tf.Tensor): tf.Tensor {
  let m = x;
  for (let axis = x.rank - 1; axis >= 2; axis--) m = tf.mean(m, axis, true);
  return tf.mean(m, 0, true);
}
