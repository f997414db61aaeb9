import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import type { BijectorModule, PriorModule } from './bijector.js';
import { checkChannelsFirst } from './tensor_utils.js';

/** Conditioning inputs of {@link NormalizingFlow}'s methods. */
export interface FlowInputs {
  /** Passed to every bijector (conditional flows). */
  context?: tf.Tensor;
  /** Passed to the prior (`[B]`; for {@link ClassConditionalGaussianPrior}: +1 normal, −1 abnormal). */
  labels?: tf.Tensor;
}

/** Everything a forward pass yields, all per sample `[B]` except the latent `z`. */
export interface FlowForwardResult {
  z: tf.Tensor;
  /** log|det ∂z/∂x|. */
  logDet: tf.Tensor;
  /** log p_Z(z). */
  logPz: tf.Tensor;
  /** log p_X(x) = logPz + logDet, nats. */
  logProb: tf.Tensor;
}

/**
 * A normalizing flow: a bijector `transform` (data → latent, usually a {@link Chain}) and a base
 * distribution `prior` over the latent. The density of the data follows from the change of
 * variables, log p(x) = log p_Z(f(x)) + log|det ∂f/∂x|; sampling inverts the transform. Children
 * are registered as `transform` and `prior`.
 *
 * For anomaly detection (STG-NF) the score of a pose sequence is its negative log-likelihood:
 * {@link NormalizingFlow.nllBitsPerDim} reproduces STG-NF's `nll`, −log p(x) / (ln 2 · C·T·V).
 *
 * References: Dinh et al., "Density estimation using Real NVP", ICLR 2017; Kingma & Dhariwal,
 * "Glow", NeurIPS 2018; Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection"
 * (STG-NF), ICCV 2023.
 *
 * @param transform - the bijector, data → latent.
 * @param prior - the base distribution over latents.
 * @example
 * ```ts
 * const flow = new NormalizingFlow(new Chain(steps), new ClassConditionalGaussianPrior([2, 24, 18], { radius: 3 }));
 * const nll = flow.nllBitsPerDim(poses); // [B]; higher = more anomalous
 * const fakes = flow.sample(4, 'seed'); // [4, 2, 24, 18]
 * ```
 */
export class NormalizingFlow extends Module {
  readonly transform: BijectorModule;
  readonly prior: PriorModule;

  constructor(transform: BijectorModule, prior: PriorModule) {
    super();
    this.transform = this.addModule('transform', transform);
    this.prior = this.addModule('prior', prior);
  }

  /** The latent, log-determinant, prior log-density and data log-density of `x` in one pass. */
  forwardWithLogProb(x: tf.Tensor, inputs: FlowInputs = {}): FlowForwardResult {
    checkChannelsFirst(x, 'NormalizingFlow');
    return tf.tidy(() => {
      const { y: z, logDet } = this.transform.forward(x, inputs.context);
      const logPz = this.prior.logProb(z, inputs);
      return { z, logDet, logPz, logProb: tf.add(logPz, logDet) };
    });
  }

  /** The latent z = f(x) alone, shaped as `x` (the log-determinant is computed and freed). */
  encode(x: tf.Tensor, inputs: FlowInputs = {}): tf.Tensor {
    checkChannelsFirst(x, 'NormalizingFlow');
    return tf.tidy(() => {
      const r = this.transform.forward(x, inputs.context);
      r.logDet.dispose();
      return r.y;
    });
  }

  /** log p(x) in nats, `[B]`. */
  logProb(x: tf.Tensor, inputs: FlowInputs = {}): tf.Tensor {
    return tf.tidy(() => this.forwardWithLogProb(x, inputs).logProb);
  }

  /** −log p(x) / (ln 2 · D) with D the number of elements of one sample, `[B]` bits per dim. */
  nllBitsPerDim(x: tf.Tensor, inputs: FlowInputs = {}): tf.Tensor {
    const dims = x.shape.slice(1).reduce((a, d) => a * d, 1);
    return tf.tidy(() => tf.div(tf.neg(this.logProb(x, inputs)), Math.LN2 * dims));
  }

  /** `n` samples of the data distribution: prior samples from `seed`, mapped through the inverse. */
  sample(n: number, seed: number | string, inputs: FlowInputs = {}): tf.Tensor {
    return tf.tidy(() => {
      const z = this.prior.sample(n, seed, inputs);
      return this.transform.inverse(z, inputs.context).x;
    });
  }
}
