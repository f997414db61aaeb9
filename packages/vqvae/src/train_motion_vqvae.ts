import * as tf from '@tensorflow/tfjs-core';
import { InputError, WeightsError, type TrainingState } from '@skelflow/base';
import { trainLoop, type BatchProgress, type TrainerExtraState } from '@skelflow/core';
import type { MotionVqVae } from './motion_vqvae.js';

/** What {@link trainMotionVqVae} reports after every epoch (the codebook-collapse check of the card). */
export interface VqEpochStats {
  epoch: number;
  /** Mean total loss over the epoch's batches. */
  loss: number;
  /** Mean reconstruction MSE. */
  recon: number;
  /** `exp(−Σ p log p)` of the token usage over the whole epoch: K when uniform, 1 when collapsed. */
  perplexity: number;
  /** Codes chosen at least once during the epoch. */
  activeCodes: number;
}

/** Options of {@link trainMotionVqVae}. */
export interface TrainMotionVqVaeOptions {
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (T2M-GPT 2e-4 at batch 256 for 300k iterations). */
  lr?: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Global gradient-norm clip; default none. */
  clipNorm?: number;
  onBatch?: (p: { epoch: number; batch: number; batches: number; loss: number }) => void;
  onEpoch?: (s: VqEpochStats) => void;
  /** Called before the first step, after every epoch and when stopping on request, with the state to continue from. Awaited. */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint's state (the model must hold the checkpoint's weights). */
  resume?: TrainingState;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
  /** The model's path inside a larger model (e.g. `tokenizer`): prefixes the tensor and stream names of errors and checkpoints. */
  prefix?: string;
  /** The stage written into checkpoints (a trainer running several loops, e.g. MSG-Flow's `tokenizer`). */
  stage?: string;
  /** The calling trainer's own state, kept in checkpoints beside the tokenizer's statistics. */
  extra?: TrainerExtraState;
}

/**
 * Trains a {@link MotionVqVae} on sequences `[N, frames, Cin]` (flattened) with Adam: shuffled batches,
 * the codebook initialised from the first batch and updated by EMA inside every forward pass, the
 * encoder and decoder by the gradient of recon + λ_v·velocity + β_c·commitment. Reports the epoch's
 * perplexity and active-code count (codebook collapse check). Leaves the model in eval mode. The
 * loop is `@skelflow/core`'s `trainLoop`: checkpoints (the epoch's token usage and the codebook's
 * reset stream included), resume and stop requests, the divergence rule over every parameter and
 * buffer.
 *
 * @returns the per-epoch statistics.
 * @example
 * ```ts
 * const stats = await trainMotionVqVae(vq, sequences, 24, { epochs: 20, batchSize: 256, lr: 1e-3 });
 * ```
 */
export async function trainMotionVqVae(model: MotionVqVae, data: Float32Array, frames: number, options: TrainMotionVqVaeOptions = {}): Promise<VqEpochStats[]> {
  const cin = model.config.inChannels;
  const perSeq = frames * cin;
  const n = data.length / perSeq;
  if (!(Number.isInteger(frames) && frames > 0) || !Number.isInteger(n) || n === 0) {
    throw new InputError(`training data of length ${data.length} does not hold whole [${frames}, ${cin}] sequences`, { source: 'trainMotionVqVae' });
  }
  if (frames % 2 ** model.config.downT !== 0) {
    throw new InputError(`${frames} frames do not divide by 2^downT = ${2 ** model.config.downT}`, { source: 'trainMotionVqVae', location: 'frames' });
  }
  const batchSize = options.batchSize ?? 256;
  const pre = options.prefix ? `${options.prefix}.` : '';
  const k = model.config.numCodes;
  const t = frames;
  // The epoch's token usage and reconstruction sum (kept in checkpoints: a resume mid-epoch
  // reports the same statistics) and the finished epochs' statistics.
  let usage = new Float64Array(k);
  let reconSum = 0;
  let out: VqEpochStats[] = [];
  const buf = new Float32Array(batchSize * perSeq);
  model.train();
  try {
    await trainLoop({
      source: 'trainMotionVqVae',
      n,
      batchSize,
      seed: options.seed ?? 0,
      epochs: options.epochs ?? 20,
      lr: options.lr ?? 2e-4,
      optimizer: 'adam',
      ...(options.clipNorm !== undefined ? { clipNorm: options.clipNorm } : {}),
      params: model.parameters(),
      named: [...model.stateDict()].map(([k, v]) => [pre + k, v] as const),
      streams: model.namedRandomStreams(pre),
      ...(options.stage !== undefined ? { stage: options.stage } : {}),
      extra: {
        save: () => ({ ...(options.extra?.save() ?? {}), vq: { usage: Array.from(usage), reconSum, stats: out.map((s) => ({ ...s })) } }),
        restore: (saved) => {
          const vq = saved.vq as { usage: number[]; reconSum: number; stats: VqEpochStats[] } | undefined;
          if (!vq || !Array.isArray(vq.usage) || vq.usage.length !== k || !Array.isArray(vq.stats)) {
            throw new WeightsError(`training state has no tokenizer statistics for ${k} codes (extra.vq)`, { source: 'training state', location: 'extra.vq' });
          }
          usage = Float64Array.from(vq.usage);
          reconSum = vq.reconSum;
          out = vq.stats.map((st) => ({ ...st }));
          options.extra?.restore(saved);
        },
      },
      loss: (idx) => {
        idx.forEach((r, i) => buf.set(data.subarray(r * perSeq, (r + 1) * perSeq), i * perSeq));
        const x = tf.tensor3d(buf.subarray(0, idx.length * perSeq), [idx.length, t, cin]);
        const o = model.forward(x);
        for (const v of o.indices.dataSync()) usage[v]! += 1;
        reconSum += o.reconLoss.dataSync()[0]!;
        return o.loss;
      },
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(options.onBatch ? { onBatch: (p: BatchProgress) => options.onBatch!({ epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss }) } : {}),
      onEpoch: (epoch, meanLoss) => {
        const total = usage.reduce((a, b) => a + b, 0);
        let h = 0;
        let active = 0;
        for (const u of usage) {
          if (u > 0) {
            active++;
            const p = u / total;
            h -= p * Math.log(p);
          }
        }
        const batches = Math.ceil(n / batchSize);
        const stats = { epoch, loss: meanLoss, recon: reconSum / batches, perplexity: Math.exp(h), activeCodes: active };
        out.push(stats);
        usage = new Float64Array(k);
        reconSum = 0;
        options.onEpoch?.(stats);
      },
    });
  } finally {
    model.eval();
  }
  return out;
}
