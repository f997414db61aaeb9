import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, WeightsError, type TrainingState } from '@skelflow/base';
import { prefixedNames, stageLoopOptions, trainLoop, type BatchProgress, type StageRun, type TrainerExtraState } from '@skelflow/core';
import { jointMask } from '@skelflow/nn';
import type { Nflowad } from './model.js';
import { datasetStats } from './normalise.js';
import { explainParts, fitScoreStats, fitThresholds, type NflowadScoreStats, type NflowadThresholds } from './score.js';

/** NFlowAD's two stages, in order. */
export type NflowadStage = 'mae' | 'flow';

/** Progress of {@link trainNflowad}: the stage and its batch. */
export interface NflowadProgress {
  stage: NflowadStage;
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

/**
 * Options of {@link trainNflowad}. Defaults: the paper's optimiser (Adam, lr 1e-4, ExponentialLR,
 * card §4.4) with the card's γ 0.99 per epoch, and small-scale epochs.
 */
export interface TrainNflowadOptions {
  /** Segments per batch in both stages (the flow sees batch·T frames). Default 256. */
  batchSize?: number;
  /** Seed of the batch orders and the masks. */
  seed?: number;
  /** Stage 1 epochs and Adam learning rate. */
  maeEpochs?: number;
  maeLr?: number;
  /** Stage 2 epochs and Adam learning rate. */
  flowEpochs?: number;
  flowLr?: number;
  /** Per-epoch learning-rate decay γ of both stages. Default 0.99. */
  lrDecay?: number;
  /** Gradient-norm clip of both stages. Default 100. */
  clipNorm?: number;
  /**
   * Normal validation segments held out from training (whole clips): the score statistics and the
   * thresholds are fitted on them. Without, the training segments are used (and the thresholds
   * are optimistic).
   */
  validation?: Float32Array;
  onProgress?: (p: NflowadProgress) => void;
  /**
   * Called before the first step of each stage, after every epoch and when stopping on request,
   * with the state to continue from (its `stage`; the finished MAE stage's history in `extra`);
   * the model's variables hold both stages' weights at that point. Awaited.
   */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint's state: its stage, after the earlier stage (whose weights the model holds). */
  resume?: TrainingState;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
}

/** How {@link trainNflowad} runs one stage's loop (core's {@link StageRun}). */
export type NflowadStageRun = StageRun;

/** What {@link trainNflowad} returns: per-epoch losses of both stages and the calibration. */
export interface NflowadHistory {
  mae: number[];
  flow: number[];
  scoreStats: NflowadScoreStats;
  thresholds: NflowadThresholds;
  /** Segments the calibration used, and whether they were a held-out validation split. */
  calibration: { segments: number; heldOut: boolean };
}

function gather(data: Float32Array, idx: readonly number[], per: number, buf: Float32Array): Float32Array {
  idx.forEach((r, i) => buf.set(data.subarray(r * per, (r + 1) * per), i * per));
  return buf.subarray(0, idx.length * per);
}

/** Sets the dataset standardisation statistics (`normalise: 'dataset'`) from the training segments; a no-op for the other modes. */
export function fitInputStats(model: Nflowad, data: Float32Array): void {
  if (model.config.normalise !== 'dataset') return;
  const { channels, segLen, joints } = model.config;
  const { mean, std } = datasetStats(data, model.segmentCount(data, 'fitInputStats'), channels, segLen, joints);
  tf.tidy(() => {
    model.inputMean.assign(tf.tensor1d(mean));
    model.inputStd.assign(tf.tensor1d(std));
  });
}

/**
 * Stage 1: trains the masked autoencoder on (normalised) segments: per batch a fresh seeded
 * per-(frame, joint) Bernoulli(ρ) mask, masked joints zero-filled, MSE on the masked entries;
 * Adam with lr·γ^epoch. Leaves the autoencoder in eval mode.
 */
export async function trainMae(model: Nflowad, data: Float32Array, options: TrainNflowadOptions = {}, run: NflowadStageRun = {}): Promise<number[]> {
  const n = model.segmentCount(data, 'trainMae');
  const x = model.normalise(data);
  const { channels, segLen, joints } = model.config;
  const per = model.segmentSize;
  const batchSize = options.batchSize ?? 256;
  const seed = options.seed ?? 0;
  // The masks' stream is the trainer's own: it goes into checkpoints beside the modules' streams.
  const masks = new Rng(`${seed}/mae-mask`);
  const buf = new Float32Array(batchSize * per);
  const onProgress = options.onProgress;
  model.mae.train();
  try {
    return await trainLoop({
      source: 'trainMae',
      n,
      batchSize,
      seed: `${seed}/mae-order`,
      epochs: options.maeEpochs ?? 30,
      lr: options.maeLr ?? 1e-4,
      lrDecay: options.lrDecay ?? 0.99,
      clipNorm: options.clipNorm ?? 100,
      optimizer: 'adam',
      params: model.mae.parameters(),
      named: prefixedNames('mae', model.mae.stateDict()),
      streams: [['mae-mask', masks], ...prefixedNames('mae', model.mae.namedRandomStreams())],
      stage: 'mae',
      ...stageLoopOptions(options, run),
      loss: (idx) =>
        tf.tidy(() => {
          const b = idx.length;
          const xb = tf.tensor4d(gather(x, idx, per, buf), [b, channels, segLen, joints]);
          const mask = tf.tensor3d(jointMask(masks, b, segLen, joints, model.mae.maskRatio), [b, segLen, joints]);
          return model.mae.maskedLoss(xb, mask);
        }),
      ...(onProgress ? { onBatch: (p: BatchProgress) => onProgress({ stage: 'mae', epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) } : {}),
    });
  } finally {
    model.mae.eval();
  }
}

/** The frozen encoder's embeddings h `[N, T, d]` of segments (eval mode: no dropout, no mask). */
export function frozenEmbeddings(model: Nflowad, data: Float32Array, batch = 256): Float32Array {
  const n = model.segmentCount(data, 'frozenEmbeddings');
  const x = model.normalise(data);
  const { channels, segLen, joints, dModel } = model.config;
  const per = model.segmentSize;
  const out = new Float32Array(n * segLen * dModel);
  const was = model.mae.training;
  model.mae.eval();
  try {
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const h = tf.tidy(() => model.mae.encode(tf.tensor4d(x.subarray(s * per, e * per), [e - s, channels, segLen, joints])));
      out.set(h.dataSync(), s * segLen * dModel);
      h.dispose();
    }
  } finally {
    model.mae.train(was);
  }
  return out;
}

/**
 * Stage 2: trains the conditional Glow on the frozen encoder's per-frame embeddings h_t with
 * c = mean_t h_t (per batch of segments: B·T rows, c repeated per frame), NLL = −mean log p(h_t | c),
 * Adam with lr·γ^epoch. The embeddings are computed once; only the flow's parameters are given to
 * the optimiser, so the encoder stays bit-identical. Leaves the flow in eval mode.
 */
export async function trainFlowStage(model: Nflowad, data: Float32Array, options: TrainNflowadOptions = {}, run: NflowadStageRun = {}): Promise<number[]> {
  const n = model.segmentCount(data, 'trainFlowStage');
  const { segLen, dModel } = model.config;
  const h = frozenEmbeddings(model, data);
  const per = segLen * dModel;
  const batchSize = options.batchSize ?? 256;
  const buf = new Float32Array(batchSize * per);
  const onProgress = options.onProgress;
  model.flow.train();
  try {
    return await trainLoop({
      source: 'trainFlowStage',
      n,
      batchSize,
      seed: `${options.seed ?? 0}/flow-order`,
      epochs: options.flowEpochs ?? 30,
      lr: options.flowLr ?? 1e-4,
      lrDecay: options.lrDecay ?? 0.99,
      clipNorm: options.clipNorm ?? 100,
      optimizer: 'adam',
      params: model.flow.parameters(),
      named: prefixedNames('flow', model.flow.stateDict()),
      streams: prefixedNames('flow', model.flow.namedRandomStreams()),
      stage: 'flow',
      ...stageLoopOptions(options, run),
      loss: (idx) =>
        tf.tidy(() => {
          const hb = tf.tensor3d(gather(h, idx, per, buf), [idx.length, segLen, dModel]);
          return tf.neg(tf.mean(model.frameLogProb(hb))) as tf.Scalar;
        }),
      ...(onProgress ? { onBatch: (p: BatchProgress) => onProgress({ stage: 'flow', epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) } : {}),
    });
  } finally {
    model.flow.eval();
  }
}

/**
 * Fits the score standardisation (mean and std of MSE_t and log p_t) and then the thresholds (the
 * `config.percentile`-th percentile of S_{j,t}, S_t, S_seq) on normal segments, and stores both.
 */
export function calibrate(model: Nflowad, normal: Float32Array): { scoreStats: NflowadScoreStats; thresholds: NflowadThresholds } {
  if (model.segmentCount(normal, 'calibrate') === 0) throw new InputError('no normal segment to calibrate the scores on', { source: 'calibrate' });
  const { alpha, beta, joints, segLen, percentile, clipFraction } = model.config;
  const parts = model.frameParts(normal);
  const scoreStats = fitScoreStats(parts);
  const thresholds = fitThresholds(explainParts(parts, joints, alpha, beta, scoreStats), segLen, percentile, clipFraction);
  tf.tidy(() => {
    model.scoreStats.assign(tf.tensor1d(Array.from(scoreStats)));
    model.thresholdValues.assign(tf.tensor1d([thresholds.joint, thresholds.frame, thresholds.sequence]));
  });
  return { scoreStats, thresholds };
}

/**
 * Trains NFlowAD in its two stages — the masked autoencoder ({@link trainMae}), then the
 * conditional Glow on the frozen encoder ({@link trainFlowStage}) — and calibrates the score on the
 * normal validation split ({@link calibrate}). The model ends in eval mode.
 *
 * @param data - training segments `[N, C, T, V]` (normal only).
 * @example
 * ```ts
 * const history = await trainNflowad(model, segments, { validation, maeEpochs: 30, flowEpochs: 30 });
 * ```
 */
export async function trainNflowad(model: Nflowad, data: Float32Array, options: TrainNflowadOptions = {}): Promise<NflowadHistory> {
  if (model.segmentCount(data, 'trainNflowad') === 0) {
    const { channels, segLen, joints } = model.config;
    throw new InputError(`training data must hold at least one [${channels}, ${segLen}, ${joints}] segment`, { source: 'trainNflowad' });
  }
  const resume = options.resume;
  if (resume && resume.stage !== 'mae' && resume.stage !== 'flow') {
    throw new WeightsError(`training state stage '${resume.stage ?? 'none'}' is not one of mae, flow`, { source: 'training state', location: 'stage' });
  }
  // The finished MAE stage's history travels in every flow-stage checkpoint.
  let completed: { mae?: number[] } = {};
  const extra: TrainerExtraState = { save: () => ({ completed }), restore: () => undefined };
  const run = (stage: NflowadStage): NflowadStageRun => ({ ...(resume && resume.stage === stage ? { resume } : {}), extra });
  // A resumed run's model already holds the statistics (buffers saved with its weights).
  if (!resume) fitInputStats(model, data);
  const mae = resume?.stage === 'flow' ? completedMae(resume) : await trainMae(model, data, options, run('mae'));
  completed = { mae };
  const flow = await trainFlowStage(model, data, options, run('flow'));
  const heldOut = options.validation !== undefined && options.validation.length > 0;
  const normal = heldOut ? options.validation! : data;
  const { scoreStats, thresholds } = calibrate(model, normal);
  model.eval();
  return { mae, flow, scoreStats, thresholds, calibration: { segments: model.segmentCount(normal, 'calibrate'), heldOut } };
}

/** The MAE stage's history a flow-stage checkpoint carries (`extra.completed.mae`). */
function completedMae(state: TrainingState): number[] {
  const c = (state.extra?.completed ?? {}) as { mae?: unknown };
  if (!Array.isArray(c.mae)) {
    throw new WeightsError("training state in stage 'flow' lacks the autoencoder stage's history (extra.completed.mae)", { source: 'training state', location: 'extra.completed' });
  }
  return c.mae as number[];
}
