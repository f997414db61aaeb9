import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { ConditionalGlow } from '@skelflow/flows';
import { MaskedAutoencoder } from '@skelflow/nn';
import { resolveNflowadConfig, type NflowadConfig, type ResolvedNflowadConfig } from './config.js';
import { standardiseDataset, standardiseFrames } from './normalise.js';
import { explainParts, sequenceScores, type NflowadExplanation, type NflowadFrameParts, type NflowadScoreStats, type NflowadThresholds } from './score.js';

/** The thresholds of a model never calibrated: the largest float32 (nothing is flagged). */
export const UNCALIBRATED = 3.4028234663852886e38;

/** Options of NFlowAD's scoring methods. */
export interface NflowadScoreOptions {
  /** Segments per tensor batch (scores do not depend on it); default 256. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * NFlowAD (Choueb et al., "NFlowAD", Signal Processing: Image Communication; full text in
 * `../shared/seeds/003_…`, design choices in `../shared/docs/model-cards.md` §4) from blocks:
 *
 * - `mae`: a {@link MaskedAutoencoder} — per-frame linear embedding of vec(x_t) ∈ R^{C·V} (Eq. 1),
 *   learned positions, a pre-LN GELU Transformer encoder → h_{1:T} (Eq. 2), a linear head (or a
 *   small Transformer + linear, `decoderLayers`) → x̂. Stage 1 trains it on ρ-masked input.
 * - `flow`: a `ConditionalGlow` (`@skelflow/flows`: B × ActNorm → LU invertible linear →
 *   affine coupling whose MLP conditioner sees [h_a, c]; prior N(0, I)) on the frozen encoder's
 *   per-frame embeddings h_t, conditioned on the context c = mean_t h_t (Eq. 3–4). Stage 2.
 *
 * Scores (higher = more anomalous, card §4.3): err_{t,j} = ‖x̂_{t,j} − x_{t,j}‖²/C on the unmasked
 * input; MSE_t = mean_j err_{t,j}; S_t = α·z(MSE_t) − β·z(log p(h_t | c)) with z(·) standardised by
 * the mean and std of normal validation frames (`scoreStats`); S_{j,t} = α·(err_{t,j} − μ_mse)/σ_mse;
 * S_seq = mean_t S_t. {@link Nflowad.scoreSegments} returns the normality −S_seq. `thresholds` holds
 * the 97th percentiles of S_{j,t}, S_t and S_seq on the validation split.
 *
 * Input segments `[N, C, T, V]` are normalised inside the model as `config.normalise` says
 * (`inputMean`, `inputStd` hold the dataset statistics of `normalise: 'dataset'`).
 *
 * @example
 * ```ts
 * const model = new Nflowad({ channels: 3, joints: 18, seed: 1 });
 * await trainNflowad(model, train, { validation }); // [N, 3, 24, 18] each
 * const { frames, joints } = model.explainSegments(test);
 * ```
 */
export class Nflowad extends Module {
  readonly config: ResolvedNflowadConfig;
  readonly mae: MaskedAutoencoder;
  readonly flow: ConditionalGlow;
  /** `[4]` = μ_mse, σ_mse, μ_logp, σ_logp of normal validation frames. */
  readonly scoreStats: tf.Variable;
  /** `[3]` = τ_joint, τ_frame, τ_seq ({@link UNCALIBRATED} before calibration). */
  readonly thresholdValues: tf.Variable;
  /** `[C·V]` per (channel, joint) mean and std of the training frames (`normalise: 'dataset'`). */
  readonly inputMean: tf.Variable;
  readonly inputStd: tf.Variable;

  constructor(config: NflowadConfig = {}) {
    super();
    const c = resolveNflowadConfig(config);
    this.config = c;
    this.mae = this.addModule(
      'mae',
      new MaskedAutoencoder({
        channels: c.channels,
        joints: c.joints,
        maxLength: c.segLen,
        dModel: c.dModel,
        numHeads: c.heads,
        numLayers: c.layers,
        decoderLayers: c.decoderLayers,
        ...(c.feedforward > 0 ? { dimFeedforward: c.feedforward } : {}),
        dropout: c.dropout,
        maskRatio: c.maskRatio,
        seed: `${c.seed}/mae`,
      }),
    );
    this.flow = this.addModule('flow', new ConditionalGlow({ dim: c.dModel, contextDim: c.dModel, steps: c.flowSteps, hidden: c.flowHidden, seed: `${c.seed}/flow` }));
    this.scoreStats = this.addBuffer('scoreStats', tf.tensor1d([0, 1, 0, 1]));
    // Uncalibrated: the largest float32, so nothing is flagged (and the weights stay finite for saving).
    this.thresholdValues = this.addBuffer('thresholdValues', tf.tensor1d([UNCALIBRATED, UNCALIBRATED, UNCALIBRATED]));
    this.inputMean = this.addBuffer('inputMean', tf.zeros([c.channels * c.joints]));
    this.inputStd = this.addBuffer('inputStd', tf.ones([c.channels * c.joints]));
  }

  /** Values per segment, C·T·V. */
  get segmentSize(): number {
    return this.config.channels * this.config.segLen * this.config.joints;
  }

  /** Segments in `data`, or a {@link ShapeError} naming `source`. */
  segmentCount(data: Float32Array, source: string): number {
    const per = this.segmentSize;
    if (data.length % per !== 0) {
      const { channels, segLen, joints } = this.config;
      throw new ShapeError(`segment data of length ${data.length} is not a multiple of ${channels}·${segLen}·${joints}`, { source });
    }
    return data.length / per;
  }

  /** `data` `[N, C, T, V]` normalised as `config.normalise` says (a new array, or `data` itself for `none`). */
  normalise(data: Float32Array): Float32Array {
    const { channels, segLen, joints, normalise } = this.config;
    const n = this.segmentCount(data, 'Nflowad.normalise');
    if (normalise === 'frame') return standardiseFrames(data, n, channels, segLen, joints);
    if (normalise === 'dataset') return standardiseDataset(data, n, channels, segLen, joints, this.inputMean.dataSync(), this.inputStd.dataSync());
    return data;
  }

  /** The context c = mean_t h_t `[B, d]` of embeddings `[B, T, d]` (card §4.2 pooling: invariant to the order of the frames). */
  context(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mean(h, 1));
  }

  /** The flow's inputs of embeddings `[B, T, d]`: rows h_t `[B·T, d]` and their contexts (c repeated per frame) `[B·T, d]`. */
  flowRows(h: tf.Tensor): { rows: tf.Tensor; context: tf.Tensor } {
    const [b, t, d] = h.shape as [number, number, number];
    return tf.tidy(() => {
      const c = this.context(h);
      const context = tf.reshape(tf.mul(tf.reshape(c, [b, 1, d]), tf.ones([1, t, 1])), [b * t, d]);
      return { rows: tf.reshape(h, [b * t, d]), context };
    });
  }

  /** log p(h_t | c) `[B, T]` of embeddings `[B, T, d]`, in nats. */
  frameLogProb(h: tf.Tensor): tf.Tensor {
    const [b, t] = h.shape as [number, number, number];
    return tf.tidy(() => {
      const { rows, context } = this.flowRows(h);
      return tf.reshape(this.flow.logProb(rows, { context }), [b, t]);
    });
  }

  /** The standardisation statistics `[μ_mse, σ_mse, μ_logp, σ_logp]`. */
  get stats(): NflowadScoreStats {
    return Array.from(this.scoreStats.dataSync()) as unknown as NflowadScoreStats;
  }

  /** The decision thresholds ({@link UNCALIBRATED} before calibration). */
  get thresholds(): NflowadThresholds {
    const [joint, frame, sequence] = Array.from(this.thresholdValues.dataSync()) as [number, number, number];
    return { joint, frame, sequence, clipFraction: this.config.clipFraction };
  }

  /**
   * The raw terms of segments `[N, C, T, V]` (flattened, before the model's normalisation), in
   * eval mode: joint errors `[N, T, V]`, MSE_t and log p_t `[N, T]`.
   */
  frameParts(data: Float32Array, options: NflowadScoreOptions = {}): NflowadFrameParts {
    const { channels, segLen, joints } = this.config;
    const n = this.segmentCount(data, 'Nflowad.frameParts');
    const x = this.normalise(data);
    const per = this.segmentSize;
    const jointErrors = new Float64Array(n * segLen * joints);
    const mse = new Float64Array(n * segLen);
    const logProb = new Float64Array(n * segLen);
    const batch = options.batchSize ?? 256;
    const wasTraining = this.training;
    this.eval();
    try {
      for (let s = 0; s < n; s += batch) {
        const e = Math.min(n, s + batch);
        const [err, lp] = tf.tidy(() => {
          const xb = tf.tensor4d(x.subarray(s * per, e * per), [e - s, channels, segLen, joints]);
          const { h, reconstruction } = this.mae.call(xb);
          const perJoint = tf.div(tf.sum(tf.square(tf.sub(reconstruction, xb)), 1), channels); // [b, T, V]
          return [perJoint, this.frameLogProb(h)];
        });
        const ev = err.dataSync();
        const lv = lp.dataSync();
        tf.dispose([err, lp]);
        jointErrors.set(ev, s * segLen * joints);
        logProb.set(lv, s * segLen);
        for (let f = 0; f < (e - s) * segLen; f++) {
          let m = 0;
          for (let j = 0; j < joints; j++) m += ev[f * joints + j]!;
          mse[s * segLen + f] = m / joints;
        }
        options.onProgress?.(e, n);
      }
    } finally {
      this.train(wasTraining);
    }
    return { jointErrors, mse, logProb };
  }

  /** S_t `[N, T]` and S_{j,t} `[N, T, V]` (higher = more anomalous) of segments `[N, C, T, V]`. */
  explainSegments(data: Float32Array, options: NflowadScoreOptions = {}): NflowadExplanation {
    const { alpha, beta, joints } = this.config;
    return explainParts(this.frameParts(data, options), joints, alpha, beta, this.stats);
  }

  /** Normality −S_seq (higher = more normal) of segments `[N, C, T, V]`. */
  scoreSegments(data: Float32Array, options: NflowadScoreOptions = {}): Float64Array {
    const seq = sequenceScores(this.explainSegments(data, options).frames, this.config.segLen);
    for (let i = 0; i < seq.length; i++) seq[i] = -seq[i]!;
    return seq;
  }
}
