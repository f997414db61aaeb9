import * as tf from '@tensorflow/tfjs-core';
import { InputError, WeightsError, type TrainingState } from '@skelflow/base';
import { prefixedNames, stageLoopOptions, trainLoop, type BatchProgress, type StageRun, type TrainerExtraState } from '@skelflow/core';
import { symmetricEigen } from '@skelflow/linalg';
import { trainMotionVqVae, type VqEpochStats } from '@skelflow/vqvae';
import type { MsgFlow } from './model.js';

/** The three stages, in order. */
export type MsgFlowStage = 'tokenizer' | 'prior' | 'flow';

/** Progress of {@link trainMsgFlow}: the stage and its batch. */
export interface MsgFlowProgress {
  stage: MsgFlowStage;
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

/** Options of {@link trainMsgFlow}; defaults are the card's small-scale schedule (§2.4). */
export interface TrainMsgFlowOptions {
  /** Segments per batch in every stage. Default 256. */
  batchSize?: number;
  /** Seed of the batch orders. */
  seed?: number;
  /** Tokenizer epochs (card 20–40) and Adam learning rate. */
  vqEpochs?: number;
  vqLr?: number;
  /** Prior epochs (card 20) and Adam learning rate. */
  priorEpochs?: number;
  priorLr?: number;
  /** Flow epochs (STG-NF 8), Adamax learning rate (5e-4, ×0.99 per epoch), clip 100. */
  flowEpochs?: number;
  flowLr?: number;
  /** Flow training engine; `'auto'`: fused when the flow has one. */
  engine?: 'auto' | 'fused' | 'tfjs';
  onProgress?: (p: MsgFlowProgress) => void;
  /** Tokenizer statistics after every epoch (perplexity, active codes). */
  onVqEpoch?: (s: VqEpochStats) => void;
  /**
   * Called before the first step of every stage, after every epoch and when stopping on request,
   * with the state to continue from (its `stage`, and the finished stages' histories in `extra`);
   * the model's variables hold the weights of every stage at that point. Awaited.
   */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint's state: its stage, after the earlier stages (whose weights the model holds). */
  resume?: TrainingState;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
}

/** How {@link trainMsgFlow} runs one stage's loop (core's {@link StageRun}). */
export type MsgFlowStageRun = StageRun;

/** What {@link trainMsgFlow} returns: every stage's per-epoch history. */
export interface MsgFlowHistory {
  tokenizer: VqEpochStats[];
  prior: number[];
  flow: number[];
}

function segmentsCount(model: MsgFlow, data: Float32Array, source: string): number {
  const n = data.length / model.segmentSize;
  if (!Number.isInteger(n) || n === 0) {
    throw new InputError(`training data must hold at least one [2, ${model.config.segLen}, ${model.config.joints}] segment`, { source });
  }
  return n;
}

/** Maps `fn` over batches of segments `[N, 2, T, V]` as tensors, in eval mode. */
function forBatches(model: MsgFlow, data: Float32Array, batch: number, fn: (x: tf.Tensor, start: number) => void): void {
  const per = model.segmentSize;
  const n = data.length / per;
  const { segLen, joints } = model.config;
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const x = tf.tensor4d(data.subarray(s * per, e * per), [e - s, 2, segLen, joints]);
    try {
      fn(x, s);
    } finally {
      x.dispose();
    }
  }
}

/**
 * Stage A: trains the tokenizer on the segments' frame sequences (T2M-GPT's VQ-VAE recipe; the
 * codebook from the first batch, EMA with dead-code reset), reporting perplexity and active codes.
 * Leaves it in eval mode: later stages never change it.
 */
export async function trainTokenizer(model: MsgFlow, data: Float32Array, options: TrainMsgFlowOptions = {}, run: MsgFlowStageRun = {}): Promise<VqEpochStats[]> {
  const n = segmentsCount(model, data, 'trainTokenizer');
  const { segLen, joints } = model.config;
  const seqs = new Float32Array(n * segLen * 2 * joints);
  forBatches(model, data, 1024, (x, s) => {
    const q = model.sequences(x);
    seqs.set(q.dataSync(), s * segLen * 2 * joints);
    q.dispose();
  });
  const onProgress = options.onProgress;
  const stats = await trainMotionVqVae(model.tokenizer, seqs, segLen, {
    epochs: options.vqEpochs ?? 30,
    batchSize: options.batchSize ?? 256,
    lr: options.vqLr ?? 1e-3,
    seed: options.seed ?? 0,
    stage: 'tokenizer',
    prefix: 'tokenizer',
    ...stageLoopOptions(options, run),
    ...(onProgress ? { onBatch: (p: { epoch: number; batch: number; batches: number; loss: number }) => onProgress({ stage: 'tokenizer', ...p }) } : {}),
    ...(options.onVqEpoch ? { onEpoch: options.onVqEpoch } : {}),
  });
  model.tokenizer.eval();
  return stats;
}

/** Tokens int32 `[N, L]` of every segment (frozen tokenizer). */
export function segmentTokens(model: MsgFlow, data: Float32Array): Int32Array {
  const L = model.tokensPerSegment;
  const out = new Int32Array((data.length / model.segmentSize) * L);
  forBatches(model, data, 1024, (x, s) => {
    const t = model.tokens(x);
    out.set(t.dataSync() as Int32Array, s * L);
    t.dispose();
  });
  return out;
}

/**
 * Stage B: trains the causal token prior on the frozen tokenizer's tokens (teacher forcing, mean
 * NLL per token, Adam), then fits the context projection: the whitened first Cc principal axes of
 * the prior's hidden states over the training tokens. Leaves the prior in eval mode.
 */
export async function trainPrior(model: MsgFlow, data: Float32Array, options: TrainMsgFlowOptions = {}, run: MsgFlowStageRun = {}): Promise<number[]> {
  const n = segmentsCount(model, data, 'trainPrior');
  model.tokenizer.eval();
  const L = model.tokensPerSegment;
  const tokens = segmentTokens(model, data);
  const batchSize = options.batchSize ?? 256;
  const buf = new Int32Array(batchSize * L);
  model.prior.train();
  const onProgress = options.onProgress;
  try {
    const history = await trainLoop({
      source: 'trainPrior',
      n,
      batchSize,
      seed: options.seed ?? 0,
      epochs: options.priorEpochs ?? 20,
      lr: options.priorLr ?? 1e-3,
      optimizer: 'adam',
      params: model.prior.parameters(),
      named: prefixedNames('prior', model.prior.stateDict()),
      streams: prefixedNames('prior', model.prior.namedRandomStreams()),
      stage: 'prior',
      ...stageLoopOptions(options, run),
      loss: (idx) => {
        idx.forEach((r, i) => buf.set(tokens.subarray(r * L, (r + 1) * L), i * L));
        const t = tf.tensor2d(buf.subarray(0, idx.length * L), [idx.length, L], 'int32');
        const l = model.prior.loss(t);
        t.dispose();
        return l;
      },
      ...(onProgress ? { onBatch: (p: BatchProgress) => onProgress({ stage: 'prior', epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) } : {}),
    });
    model.prior.eval();
    fitContextProjection(model, tokens, n);
    return history;
  } finally {
    model.prior.eval();
  }
}

/** `contextMean`, `contextBasis` from the hidden states of `tokens` `[n, L]`: PCA, whitened (λ floored at 1e-6). */
export function fitContextProjection(model: MsgFlow, tokens: Int32Array, n: number): void {
  const L = model.tokensPerSegment;
  const D = model.config.dModel;
  const cc = model.config.contextChannels;
  const mean = new Float64Array(D);
  const cov = new Float64Array(D * D);
  let rows = 0;
  const all: Float32Array[] = [];
  for (let s = 0; s < n; s += 1024) {
    const e = Math.min(n, s + 1024);
    const t = tf.tensor2d(tokens.subarray(s * L, e * L), [e - s, L], 'int32');
    const h = model.hiddenStates(t);
    const v = h.dataSync() as Float32Array;
    tf.dispose([t, h]);
    all.push(v);
    for (let i = 0; i < v.length; i += D) {
      for (let j = 0; j < D; j++) mean[j] = mean[j]! + v[i + j]!;
      rows++;
    }
  }
  for (let j = 0; j < D; j++) mean[j] = mean[j]! / rows;
  const c = new Float64Array(D);
  for (const v of all) {
    for (let i = 0; i < v.length; i += D) {
      for (let j = 0; j < D; j++) c[j] = v[i + j]! - mean[j]!;
      for (let a = 0; a < D; a++) {
        const ca = c[a]!;
        for (let b = a; b < D; b++) cov[a * D + b] = cov[a * D + b]! + ca * c[b]!;
      }
    }
  }
  for (let a = 0; a < D; a++) {
    for (let b = a; b < D; b++) {
      const val = cov[a * D + b]! / Math.max(1, rows - 1);
      cov[a * D + b] = val;
      cov[b * D + a] = val;
    }
  }
  const { values, vectors } = symmetricEigen(cov, D);
  const basis = new Float32Array(cc * D);
  for (let k = 0; k < cc; k++) {
    const scale = 1 / Math.sqrt(Math.max(values[k]!, 1e-6));
    for (let j = 0; j < D; j++) basis[k * D + j] = vectors[k * D + j]! * scale;
  }
  tf.tidy(() => {
    model.contextMean.assign(tf.tensor1d(Float32Array.from(mean)));
    model.contextBasis.assign(tf.tensor2d(basis, [cc, D]));
  });
}

/** Flow contexts `[N, Cc·T]` and S_sem `[N]` of every segment from the frozen stages A and B. */
export function frozenContexts(model: MsgFlow, data: Float32Array): { context: Float32Array; sem: Float64Array } {
  const n = data.length / model.segmentSize;
  const K = model.config.contextChannels * model.config.segLen;
  const context = new Float32Array(n * K);
  const sem = new Float64Array(n);
  forBatches(model, data, 1024, (x, s) => {
    const fz = model.frozenStages(x);
    context.set(fz.context.dataSync(), s * K);
    sem.set(fz.sem.dataSync(), s);
    tf.dispose([fz.tokens, fz.sem, fz.context]);
  });
  return { context, sem };
}

/**
 * Stage C: trains the conditional flow on the segments with the frozen stages' contexts (computed
 * once: tokenizer and prior are not touched), STG-NF's recipe (Adamax, lr ×0.99 per epoch, clip
 * 100), on the fused engine when the flow has one. Then fits the score statistics.
 */
export async function trainFlow(model: MsgFlow, data: Float32Array, options: TrainMsgFlowOptions = {}, run: MsgFlowStageRun = {}): Promise<number[]> {
  const n = segmentsCount(model, data, 'trainFlow');
  model.tokenizer.eval();
  model.prior.eval();
  const { context } = frozenContexts(model, data);
  const per = model.segmentSize;
  const K = model.config.contextChannels * model.config.segLen;
  const batchSize = options.batchSize ?? 256;
  const engine = options.engine ?? 'auto';
  const onProgress = options.onProgress;
  const fused = engine === 'tfjs' ? null : model.fused();
  if (engine === 'fused' && !fused) throw new InputError(`this model has no fused engine: ${model.fusedUnavailableReason}`, { source: 'trainFlow', location: 'engine' });
  const { segLen, joints, contextChannels } = model.config;
  const xb = new Float32Array(batchSize * per);
  const cb = new Float32Array(batchSize * K);
  const xf = new Float64Array(batchSize * per);
  const cf = new Float64Array(batchSize * K);
  model.flow.train();
  const history = await trainLoop({
    source: 'trainFlow',
    n,
    batchSize,
    seed: options.seed ?? 0,
    epochs: options.flowEpochs ?? 8,
    lr: options.flowLr ?? 5e-4,
    lrDecay: 0.99,
    clipNorm: 100,
    params: model.flow.parameters(),
    named: prefixedNames('flow', model.flow.stateDict()),
    streams: prefixedNames('flow', model.flow.namedRandomStreams()),
    stage: 'flow',
    ...stageLoopOptions(options, run),
    loss: (idx) => {
      const b = idx.length;
      idx.forEach((r, i) => {
        xb.set(data.subarray(r * per, (r + 1) * per), i * per);
        cb.set(context.subarray(r * K, (r + 1) * K), i * K);
      });
      return tf.tidy(() => {
        const x = tf.tensor4d(xb.subarray(0, b * per), [b, 2, segLen, joints]);
        const c = tf.tensor4d(cb.subarray(0, b * K), [b, contextChannels, segLen, 1]);
        return tf.mean(model.detailNll(x, c)) as tf.Scalar;
      });
    },
    fused: fused
      ? {
          engine: fused,
          lossAndGrad: (idx) => {
            const b = idx.length;
            for (let i = 0; i < b; i++) {
              const r = idx[i]!;
              for (let j = 0; j < per; j++) xf[i * per + j] = data[r * per + j]!;
              for (let j = 0; j < K; j++) cf[i * K + j] = context[r * K + j]!;
            }
            return fused.lossAndGrad(xf.subarray(0, b * per), undefined, cf.subarray(0, b * K));
          },
        }
      : null,
    ...(onProgress ? { onBatch: (p: BatchProgress) => onProgress({ stage: 'flow', epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) } : {}),
  });
  model.flow.eval();
  return history;
}

/** Mean and standard deviation of S_sem and S_det over the (training) segments → `scoreStats` (card §2.3, property 9). */
export function fitScoreStats(model: MsgFlow, data: Float32Array, options: { engine?: 'auto' | 'fused' | 'tfjs' } = {}): [number, number, number, number] {
  const parts = model.scoreParts(data, options.engine ? { engine: options.engine } : {});
  const ms = (v: Float64Array): [number, number] => {
    let m = 0;
    for (const x of v) m += x;
    m /= v.length;
    let s = 0;
    for (const x of v) s += (x - m) ** 2;
    s = Math.sqrt(s / v.length);
    return [m, s > 1e-12 ? s : 1];
  };
  const stats = [...ms(parts.sem), ...ms(parts.det)] as [number, number, number, number];
  tf.tidy(() => model.scoreStats.assign(tf.tensor1d(stats)));
  return stats;
}

/**
 * Trains MSG-Flow in its three stages with frozen hand-offs — tokenizer ({@link trainTokenizer}),
 * token prior ({@link trainPrior}, then the context projection), conditional flow
 * ({@link trainFlow}) — and fits the score standardisation on the same segments. The model ends
 * in eval mode.
 *
 * @param data - normalised training segments `[N, 2, T, V]` (normal only).
 * @example
 * ```ts
 * const history = await trainMsgFlow(model, segments, { vqEpochs: 30, priorEpochs: 20, flowEpochs: 8 });
 * ```
 */
export async function trainMsgFlow(model: MsgFlow, data: Float32Array, options: TrainMsgFlowOptions = {}): Promise<MsgFlowHistory> {
  segmentsCount(model, data, 'trainMsgFlow');
  const resume = options.resume;
  const from = resume ? STAGES.indexOf(resume.stage as MsgFlowStage) : 0;
  if (from < 0) throw new WeightsError(`training state stage '${resume!.stage}' is not one of ${STAGES.join(', ')}`, { source: 'training state', location: 'stage' });
  // The finished stages' histories travel in every later checkpoint.
  let completed: Partial<Pick<MsgFlowHistory, 'tokenizer' | 'prior'>> = resume ? completedStages(resume, from) : {};
  const extra: TrainerExtraState = { save: () => ({ completed }), restore: () => undefined };
  const run = (stage: MsgFlowStage): MsgFlowStageRun => ({ ...(resume && resume.stage === stage ? { resume } : {}), extra });
  const tokenizer = from <= 0 ? await trainTokenizer(model, data, options, run('tokenizer')) : completed.tokenizer!;
  completed = { ...completed, tokenizer };
  const prior = from <= 1 ? await trainPrior(model, data, options, run('prior')) : completed.prior!;
  completed = { tokenizer, prior };
  const flow = await trainFlow(model, data, options, run('flow'));
  fitScoreStats(model, data, options.engine ? { engine: options.engine } : {});
  model.eval();
  return { tokenizer, prior, flow };
}

const STAGES: readonly MsgFlowStage[] = ['tokenizer', 'prior', 'flow'];

/** The histories of the stages before `from` that a checkpoint carries (`extra.completed`). */
function completedStages(state: TrainingState, from: number): Partial<Pick<MsgFlowHistory, 'tokenizer' | 'prior'>> {
  const c = (state.extra?.completed ?? {}) as Partial<Pick<MsgFlowHistory, 'tokenizer' | 'prior'>>;
  if ((from > 0 && !Array.isArray(c.tokenizer)) || (from > 1 && !Array.isArray(c.prior))) {
    throw new WeightsError(`training state in stage '${state.stage}' lacks the earlier stages' histories (extra.completed)`, { source: 'training state', location: 'extra.completed' });
  }
  return c;
}
