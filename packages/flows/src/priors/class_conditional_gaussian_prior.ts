import * as tf from '@tensorflow/tfjs-core';
import { Module, normalTensor } from '@skelflow/core';
import { Rng, ShapeError } from '@skelflow/base';
import type { FusedPlanContext } from '@skelflow/fused';
import { classConditionalGaussianPriorKernel, type ClassConditionalGaussianPriorPlan } from '../kernels/prior_kernels.js';
import type { Prior, PriorInputs } from '../bijector.js';
import { sampleVector } from '../tensor_utils.js';
import { checkEvent, checkVarianceEps, diagonalGaussianLogDensity } from './gaussian_log_density.js';

/** Options of {@link ClassConditionalGaussianPrior}. */
export interface ClassConditionalGaussianPriorOptions {
  /** Distance R of the component means from the origin (STG-NF's `--R`, default 3). */
  radius?: number;
  /** Added to the variance in the log-density's denominator; default 0, STG-NF uses 1e-6. */
  varianceEps?: number;
}

/**
 * A class-conditional Gaussian: each sample's latent is scored under the one component its label
 * selects (it is not a mixture — nothing is summed over components). STG-NF's supervised prior: normal samples (label +1) follow N(+R·1, I), abnormal
 * samples (label −1) N(−R·1, I). Training on both pushes abnormal poses away from the normal mode;
 * test data are scored under the normal component (labels omitted → all +1, as STG-NF's test loop
 * passes `label=torch.ones(B)`). The component mean is computed as R·label, so a label 0 gives
 * STG-NF's fallback N(0, I).
 *
 * Members: buffer `radius` (scalar R; saved, so a checkpoint records the prior it was trained with).
 *
 * References: Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection" (STG-NF),
 * ICCV 2023 (§3.3, `prior_h_normal` / `prior_h_abnormal`).
 *
 * @param eventShape - shape of one sample without the batch axis, e.g. `[2, 24, 18]`.
 * @param options - {@link ClassConditionalGaussianPriorOptions}.
 * @example
 * ```ts
 * const prior = new ClassConditionalGaussianPrior([2, 24, 18], { radius: 3, varianceEps: 1e-6 });
 * const lp = prior.logProb(z, { labels: tf.tensor1d([1, -1, 1]) }); // [3] nats
 * const normal = prior.sample(8, 0); // 8 samples of the normal component
 * ```
 */
export class ClassConditionalGaussianPrior extends Module implements Prior {
  readonly eventShape: readonly number[];
  readonly varianceEps: number;
  readonly radius: tf.Variable;

  constructor(eventShape: number[], options: ClassConditionalGaussianPriorOptions = {}) {
    super();
    this.eventShape = [...eventShape];
    this.varianceEps = options.varianceEps ?? 0;
    checkVarianceEps(this.varianceEps, 'ClassConditionalGaussianPrior');
    this.radius = this.addBuffer('radius', tf.scalar(options.radius ?? 3));
  }

  /** log N(z; R·label, I) summed over the event, `[B]` nats; `labels` `[B]` in {+1, −1}, default +1. */
  logProb(z: tf.Tensor, { labels }: PriorInputs = {}): tf.Tensor {
    checkEvent(z, this.eventShape, 'ClassConditionalGaussianPrior');
    return tf.tidy(() => {
      const mean = this.componentMean(z.shape[0]!, labels, z);
      return diagonalGaussianLogDensity(z, mean, tf.zeros([]), this.varianceEps);
    });
  }

  /** `n` samples `[n, ...eventShape]` of the components picked by `labels` (default normal). */
  sample(n: number, seed: number | string, { labels }: PriorInputs = {}): tf.Tensor {
    return tf.tidy(() => {
      const eps = normalTensor(new Rng(seed), [n, ...this.eventShape]);
      return tf.add(eps, this.componentMean(n, labels, eps));
    });
  }

  private componentMean(batch: number, labels: tf.Tensor | undefined, like: tf.Tensor): tf.Tensor {
    if (labels === undefined) return this.radius;
    if (labels.rank !== 1 || labels.shape[0] !== batch) {
      throw new ShapeError(`labels must be [${batch}], got [${labels.shape}]`, { source: 'ClassConditionalGaussianPrior' });
    }
    return tf.mul(sampleVector(tf.cast(labels, 'float32'), like), this.radius);
  }

  /** The fused engine's description of this prior (runs on {@link classConditionalGaussianPriorKernel}). */
  fusedPlan(ctx: FusedPlanContext): ClassConditionalGaussianPriorPlan {
    return { kind: classConditionalGaussianPriorKernel.kind as 'class-gaussian', radius: ctx.buffer(this.radius), varianceEps: this.varianceEps };
  }

}
