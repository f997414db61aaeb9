import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng } from '@skelflow/base';
import { Adam, checkFiniteLoss, clipGradNorm } from '@skelflow/core';
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
}

/**
 * Trains a {@link MotionVqVae} on sequences `[N, frames, Cin]` (flattened) with Adam: shuffled batches,
 * the codebook initialised from the first batch and updated by EMA inside every forward pass, the
 * encoder and decoder by the gradient of recon + λ_v·velocity + β_c·commitment. Reports the epoch's
 * perplexity and active-code count (codebook collapse check). Leaves the model in eval mode.
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
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 256;
  const rng = new Rng(options.seed ?? 0);
  const params = model.parameters();
  const opt = new Adam(params, { lr: options.lr ?? 2e-4 });
  const k = model.config.numCodes;
  const t = frames;
  const out: VqEpochStats[] = [];
  model.train();
  const buf = new Float32Array(batchSize * perSeq);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(n);
      const usage = new Float64Array(k);
      let lossSum = 0;
      let reconSum = 0;
      let batches = 0;
      const nb = Math.ceil(n / batchSize);
      for (let s = 0; s < n; s += batchSize) {
        const idx = order.slice(s, s + batchSize);
        idx.forEach((r, i) => buf.set(data.subarray(r * perSeq, (r + 1) * perSeq), i * perSeq));
        const x = tf.tensor3d(buf.subarray(0, idx.length * perSeq), [idx.length, t, cin]);
        let tokens: tf.Tensor | null = null;
        let recon: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const o = model.forward(x);
          tokens = tf.keep(o.indices);
          recon = tf.keep(o.reconLoss);
          return o.loss;
        }, params);
        const loss = value.dataSync()[0]!;
        checkFiniteLoss(loss);
        const list = params.map((p) => grads[p.name]!);
        if (options.clipNorm !== undefined) {
          const clipped = clipGradNorm(list, options.clipNorm);
          opt.step(clipped.grads);
          tf.dispose(clipped.grads);
        } else opt.step(list);
        for (const v of (tokens as unknown as tf.Tensor).dataSync()) usage[v]! += 1;
        reconSum += (recon as unknown as tf.Tensor).dataSync()[0]!;
        tf.dispose([x, value, ...list, tokens as unknown as tf.Tensor, recon as unknown as tf.Tensor]);
        lossSum += loss;
        options.onBatch?.({ epoch, batch: batches, batches: nb, loss });
        batches++;
        if (batches % 8 === 0) await new Promise((res) => setTimeout(res, 0));
      }
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
      const stats = { epoch, loss: lossSum / batches, recon: reconSum / batches, perplexity: Math.exp(h), activeCodes: active };
      out.push(stats);
      options.onEpoch?.(stats);
    }
  } finally {
    opt.dispose();
    model.eval();
  }
  return out;
}
