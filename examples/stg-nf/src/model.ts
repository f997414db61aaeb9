import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { ActNorm, AffineCoupling, Chain, ClassConditionalGaussianPrior, InvertibleConv1x1, InvertibleConv1x1LU, NormalizingFlow, ReverseChannels, ShuffleChannels, type BijectorModule } from '@skelflow/flows';
import { FusedFlow, registerFastPath } from '@skelflow/fused';
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
  }

  override dispose(): void {
    this.fusedFlow?.dispose();
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
    return tf.tidy(() => {
      const r = this.flow.transform.forward(x);
      r.logDet.dispose();
      return r.y;
    });
  }

  /**
   * The flow compiled to typed-array kernels ({@link FusedFlow}), with the current weights pulled
   * in, or `null` if this configuration has none (e.g. a non-uniform adjacency or an invertible
   * 1×1 convolution). Compiled once; every call re-reads the weights.
   */
  fused(): FusedFlow | null {
    if (this.fusedFlow === undefined) {
      // Idempotent (replaces by name); referencing the fast path here also keeps its module, and
      // so its registration, in any bundle that compiles the model.
      registerFastPath(stgNfFastPath);
      const f = FusedFlow.tryCreate(this.flow, [this.config.channels, this.config.segLen, this.config.joints]);
      this.fusedFlow = f instanceof FusedFlow ? f : null;
      this.fusedReason = f instanceof FusedFlow ? '' : f.reason;
      return this.fusedFlow;
    }
    this.fusedFlow?.pull();
    return this.fusedFlow;
  }

  /** Why {@link StgNf.fused} is `null` ('' when it is not). */
  get fusedUnavailableReason(): string {
    this.fused();
    return this.fusedReason;
  }

  private fusedFlow: FusedFlow | null | undefined = undefined;
  private fusedReason = '';

  /**
   * Normality scores (−NLL, higher = more normal) of segments given as a flat float32 array
   * `[N, C, T, V]`, computed in eval mode. By default on the fused typed-array engine (and its
   * worker threads for large inputs) when the model has one; `engine: 'tfjs'` uses tensors, in
   * batches of `batchSize`. The two agree to float32 rounding. The train/eval mode is restored after.
   */
  scoreSegments(data: Float32Array, options: ScoreSegmentsOptions = {}): Float32Array {
    const { channels, segLen, joints } = this.config;
    const per = channels * segLen * joints;
    if (data.length % per !== 0) {
      throw new ShapeError(`segment data of length ${data.length} is not a multiple of ${channels}·${segLen}·${joints}`, { source: 'StgNf.scoreSegments' });
    }
    const n = data.length / per;
    const out = new Float32Array(n);
    const engine = options.engine ?? 'auto';
    if (engine !== 'tfjs' && n > 0) {
      const fused = this.fused();
      if (fused) {
        const step = options.onProgress ? Math.max(1, options.batchSize ?? 8192) : n;
        for (let s = 0; s < n; s += step) {
          const e = Math.min(n, s + step);
          const nll = fused.nllBitsPerDim(data.subarray(s * per, e * per), options.threads === undefined ? {} : { threads: options.threads });
          for (let i = 0; i < nll.length; i++) out[s + i] = -nll[i]!;
          options.onProgress?.(e, n);
        }
        return out;
      }
      if (engine === 'fused') {
        throw new InputError(`this model has no fused engine: ${this.fusedReason}`, { source: 'StgNf.scoreSegments', location: 'engine' });
      }
    }
    const batch = options.batchSize ?? 1024;
    const wasTraining = this.training;
    this.eval();
    try {
      for (let s = 0; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        const nll = tf.tidy(() => this.nll(tf.tensor4d(data.subarray(s * per, e * per), [e - s, channels, segLen, joints])));
        const v = nll.dataSync();
        nll.dispose();
        for (let i = 0; i < v.length; i++) out[s + i] = -v[i]!;
        options.onProgress?.(e, n);
      }
    } finally {
      this.train(wasTraining);
    }
    return out;
  }
}

/** Options of {@link StgNf.scoreSegments}. */
export interface ScoreSegmentsOptions {
  /** Segments per tensor batch (tfjs engine) or per progress report (fused engine). */
  batchSize?: number;
  /** `'auto'` (default): the fused engine when the model has one, else tensors. */
  engine?: 'auto' | 'fused' | 'tfjs';
  /** Worker threads of the fused engine besides the caller; default: cores − 1 (Node). */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

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
