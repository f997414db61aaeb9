import * as tf from '@tensorflow/tfjs-core';
import { Module, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { FusedPlanContext } from '@skelflow/fused';
import { diagonalPriorKernel, type DiagonalPriorPlan } from '../kernels/prior_kernels.js';
import type { Prior } from '../bijector.js';
import { checkBroadcastable, checkEvent, checkVarianceEps, diagonalGaussianLogDensity } from './gaussian_log_density.js';

/** Options of {@link DiagonalGaussianPrior}. */
export interface DiagonalGaussianPriorOptions {
  /** μ, broadcastable to the event shape; default 0. Copied: the caller keeps ownership. */
  mean?: tf.Tensor;
  /** log σ, broadcastable to the event shape; default 0. Copied: the caller keeps ownership. */
  logStd?: tf.Tensor;
  /** Train μ and log σ (parameters) instead of keeping them fixed (buffers). Default false. */
  learnable?: boolean;
  /**
   * Added to the variance in the denominator of the log-density. Default 0 (exact Gaussian);
   * STG-NF's `gaussian_p` uses 1e-6.
   */
  varianceEps?: number;
}

/**
 * A Gaussian base distribution with diagonal covariance, N(μ, diag σ²), over events of a fixed
 * shape (`[C, T, V]` for STG-NF). `logProb` sums the log-density over all non-batch dims → `[B]`.
 * μ and log σ are stored as `mean` and `logStd` — buffers by default so that they are saved but
 * not trained, parameters with `learnable: true`.
 *
 * References: Dinh et al., "Density estimation using Real NVP", ICLR 2017 (Gaussian base);
 * Kingma & Dhariwal, "Glow", NeurIPS 2018 (learned prior); Hirschorn & Avidan, STG-NF, ICCV 2023
 * (`gaussian_likelihood`, whose variance guard `varianceEps` reproduces).
 *
 * @param eventShape - shape of one sample without the batch axis, e.g. `[2, 24, 18]`.
 * @param options - {@link DiagonalGaussianPriorOptions}.
 * @example
 * ```ts
 * const prior = new DiagonalGaussianPrior([2, 24, 18]);
 * const lp = prior.logProb(z); // [B] nats
 * const samples = prior.sample(4, 'seed'); // [4, 2, 24, 18]
 * ```
 */
export class DiagonalGaussianPrior extends Module implements Prior {
  readonly eventShape: readonly number[];
  readonly varianceEps: number;
  readonly mean: tf.Variable;
  readonly logStd: tf.Variable;

  constructor(eventShape: number[], options: DiagonalGaussianPriorOptions = {}) {
    super();
    this.eventShape = [...eventShape];
    this.varianceEps = options.varianceEps ?? 0;
    checkVarianceEps(this.varianceEps, 'DiagonalGaussianPrior');
    const mean = options.mean ? tf.clone(options.mean) : tf.scalar(0);
    const logStd = options.logStd ? tf.clone(options.logStd) : tf.scalar(0);
    checkBroadcastable(mean, this.eventShape, 'DiagonalGaussianPrior', 'mean');
    checkBroadcastable(logStd, this.eventShape, 'DiagonalGaussianPrior', 'logStd');
    const register = options.learnable ? this.addParameter.bind(this) : this.addBuffer.bind(this);
    this.mean = register('mean', mean);
    this.logStd = register('logStd', logStd);
  }

  /** log N(z; μ, σ²) summed over the event, `[B]` nats. */
  logProb(z: tf.Tensor): tf.Tensor {
    checkEvent(z, this.eventShape, 'DiagonalGaussianPrior');
    return tf.tidy(() => diagonalGaussianLogDensity(z, this.mean, this.logStd, this.varianceEps));
  }

  /** `n` samples `[n, ...eventShape]` = μ + σ·ε with ε drawn from `new Rng(seed)`. */
  sample(n: number, seed: number | string): tf.Tensor {
    return tf.tidy(() => {
      const eps = normalTensor(new Rng(seed), [n, ...this.eventShape]);
      return tf.add(this.mean, tf.mul(tf.exp(this.logStd), eps));
    });
  }

  /**
   * The fused engine's description of this prior (runs on {@link diagonalPriorKernel}), or `null`
   * when it is learnable (the kernel has no gradient for μ, σ) or μ/σ are neither scalars nor full events.
   */
  fusedPlan(ctx: FusedPlanContext): DiagonalPriorPlan | null {
    if (this.namedParameters().length > 0) return null;
    const event = ctx.eventShape.reduce((a, d) => a * d, 1);
    const okSize = (v: tf.Variable): boolean => v.size === 1 || v.size === event;
    if (!okSize(this.mean) || !okSize(this.logStd)) return null;
    return {
      kind: diagonalPriorKernel.kind as 'diagonal',
      mean: ctx.buffer(this.mean),
      meanSize: this.mean.size,
      logStd: ctx.buffer(this.logStd),
      logStdSize: this.logStd.size,
      varianceEps: this.varianceEps,
    };
  }

}
