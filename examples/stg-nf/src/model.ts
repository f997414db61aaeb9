import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { ActNorm, AffineCoupling, Chain, ClassConditionalGaussianPrior, InvertibleConv1x1, InvertibleConv1x1LU, NormalizingFlow, ReverseChannels, ShuffleChannels, type BijectorModule } from '@skelflow/flows';
import { LazyFusedFlow, scoreFlowSegments, type FusedFlow, type ScoreFlowSegmentsOptions } from '@skelflow/fused';
import { StgcnBlock, buildAdjacency } from '@skelflow/graph';
import { stgNfFastPath } from './fused_fast_path.js';
import { resolveStgNfConfig, type ResolvedStgNfConfig, type StgNfConfig } from './config.js';

/**
 * STG-NF: a Glow-style normalizing flow over pose segments `[B, C=2, T, V=18]`. K steps of
 * ActNorm → permutation → affine coupling whose conditioner is an ST-GCN block (1 → 2 channels,
 * scale = sigmoid(s + 2) + 1e-6, shift added before scaling), and a two-component Gaussian prior
 * N(±R, I). The anomaly score of a segment is its NLL in bits per dimension; the normality score
 * is its negative, as in the original.
 *
 * State names: `flow.transform.<k>.0` (ActNorm), `.1` (permutation), `.2.net` (the ST-GCN block),
 * `flow.prior.radius`. {@link stgNfFromCheckpoint} maps the original's PyTorch names onto them.
 *
 * References: Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection", ICCV 2023
 * (github orhir/STG-NF); Kingma & Dhariwal, "Glow", NeurIPS 2018; Yan et al., ST-GCN, AAAI 2018.
 *
 * @param config - {@link StgNfConfig}; defaults are the original's (T = 24, K = 8, R = 3).
 * @example
 * ```ts
 * import { createStgNf } from '`@skelflow/stg-nf`';
 * const model = createStgNf({ segLen: 24, seed: 1 });
 * const nll = model.nll(tf.randomNormal([4, 2, 24, 18])); // [4] bits/dim
 * ```
 */
export class StgNf extends Module {
  readonly config: ResolvedStgNfConfig;
  readonly flow: NormalizingFlow;
  private readonly fusedFlow: LazyFusedFlow;

  constructor(config: StgNfConfig = {}) {
    super();
    const c = resolveStgNfConfig(config);
    this.config = c;
    if (c.channels < 2) throw new InputError('STG-NF needs at least 2 channels', { source: 'StgNf config', location: 'channels' });
    const rng = new Rng(c.seed);
    const adjacency = buildAdjacency('openpose18', { strategy: c.adjStrategy, maxHop: c.maxHops });
    const split = Math.floor(c.channels / 2);
    const steps: BijectorModule[] = [];
    for (let k = 0; k < c.K; k++) {
      const net = new StgcnBlock(split, 2 * (c.channels - split), adjacency, {
        temporalKernel: c.temporalKernel,
        // The original's first step has no residual branch; the others a 1×1 conv + BN.
        residual: k === 0 ? 'none' : 'conv',
        rng: rng.fork(),
      });
      steps.push(
        new Chain([
          new ActNorm(c.channels),
          makePermutation(c.permutation, c.channels, rng),
          new AffineCoupling(net, { split, paramLayout: 'cross', scaleFn: 'sigmoid2', order: 'shiftThenScale' }),
        ]),
      );
    }
    const prior = new ClassConditionalGaussianPrior([c.channels, c.segLen, c.joints], { radius: c.R, varianceEps: 1e-6 });
    this.flow = this.addModule('flow', new NormalizingFlow(new Chain(steps), prior));
    // Referencing the fast path here also keeps its module, and so its registration, in any
    // bundle that compiles the model.
    this.fusedFlow = new LazyFusedFlow(this.flow, [c.channels, c.segLen, c.joints], { fastPath: stgNfFastPath });
  }

  override dispose(): void {
    this.fusedFlow.dispose();
    super.dispose();
  }

  /** The ActNorm layers, in step order. */
  actNorms(): ActNorm[] {
    return (this.flow.transform as Chain).steps.map((s) => (s as Chain).steps[0] as ActNorm);
  }

  private check(x: tf.Tensor): void {
    const { channels, segLen, joints } = this.config;
    if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== segLen || x.shape[3] !== joints) {
      throw new ShapeError(`expected segments [B, ${channels}, ${segLen}, ${joints}], got [${x.shape}]`, { source: 'StgNf' });
    }
  }

  /**
   * Negative log-likelihood in bits per dimension, `[B]`. `labels` (`[B]`, +1 normal / −1
   * abnormal) select the prior component in supervised training; omitted = all normal, which is
   * how the original scores test data.
   */
  nll(x: tf.Tensor, labels?: tf.Tensor): tf.Tensor {
    this.check(x);
    return this.flow.nllBitsPerDim(x, labels ? { labels } : {});
  }

  /** Mean NLL over the batch (the training loss). */
  loss(x: tf.Tensor, labels?: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mean(this.nll(x, labels)) as tf.Scalar);
  }

  /** The latent `z` of `x` (`[B, C, T, V]`). */
  encode(x: tf.Tensor): tf.Tensor {
    this.check(x);
    return this.flow.encode(x);
  }

  /**
   * The flow compiled to typed-array kernels ({@link FusedFlow}), with the current weights pulled
   * in, or `null` if this configuration has none (e.g. a non-uniform adjacency or an invertible
   * 1×1 convolution). Compiled once; every call re-reads the weights.
   */
  fused(): FusedFlow | null {
    return this.fusedFlow.get();
  }

  /** Why {@link StgNf.fused} is `null` ('' when it is not). */
  get fusedUnavailableReason(): string {
    return this.fusedFlow.reason;
  }

  /**
   * Normality scores (−NLL, higher = more normal) of segments given as a flat float32 array
   * `[N, C, T, V]`, computed in eval mode. By default on the fused typed-array engine (and its
   * worker threads for large inputs) when the model has one; `engine: 'tfjs'` uses tensors, in
   * batches of `batchSize`. The two agree to float32 rounding. The train/eval mode is restored after.
   */
  scoreSegments(data: Float32Array, options: ScoreSegmentsOptions = {}): Float32Array {
    const { channels, segLen, joints } = this.config;
    return scoreFlowSegments(data, { source: 'StgNf.scoreSegments', segmentShape: [channels, segLen, joints], module: this, nll: (x) => this.nll(x), fused: this.fusedFlow }, options);
  }
}

/** Options of {@link StgNf.scoreSegments}. */
export type ScoreSegmentsOptions = ScoreFlowSegmentsOptions;

function makePermutation(kind: ResolvedStgNfConfig['permutation'], channels: number, rng: Rng): BijectorModule {
  switch (kind) {
    case 'reverse':
      return new ReverseChannels();
    case 'shuffle':
      return new ShuffleChannels(channels, rng.fork().seed);
    case 'invconv':
      return new InvertibleConv1x1(channels, rng.fork().seed);
    case 'invconvLU':
      return new InvertibleConv1x1LU(channels, rng.fork().seed);
  }
}

/**
 * Builds an STG-NF model with the original's defaults.
 *
 * @example
 * ```ts
 * const model = createStgNf({ segLen: 16, R: 10 }); // UBnormal supervised configuration
 * ```
 */
export function createStgNf(config: StgNfConfig = {}): StgNf {
  return new StgNf(config);
}
