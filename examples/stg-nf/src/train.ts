import * as tf from '@tensorflow/tfjs-core';
import { Adamax, InputError, Rng, exponentialDecay, fit, type BatchProgress } from '@skelflow/core';
import type { StgNf } from './model.js';

/** Options of {@link trainStgNf}; defaults are the original's. */
export interface TrainStgNfOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Per-epoch multiplicative lr decay (the original's `exp_decay` 0.99). */
  lrDecay?: number;
  /** Global gradient-norm clip (the original's 100). */
  clipNorm?: number;
  /** Seed of the batch shuffling. */
  seed?: number;
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Trains STG-NF on normalised segments with the original's recipe: Adamax (PyTorch semantics),
 * lr 5e-4 decayed by 0.99 per epoch, gradient-norm clip 100, shuffled batches of 256, 8 epochs.
 * `labels` (+1 normal, −1 abnormal) enable the supervised mode: abnormal segments are pushed to
 * the prior's N(−R, I) component. ActNorm initialises itself from the first batch.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`models/training.py`).
 *
 * @param model - the model (put in train mode here).
 * @param data - float32 `[N, C, T, V]`, already normalised (and augmented).
 * @param labels - optional `[N]` of +1 / −1.
 * @returns the mean loss of every epoch.
 * @example
 * ```ts
 * const history = await trainStgNf(model, segments, undefined, { epochs: 2, seed: 1 });
 * ```
 */
export async function trainStgNf(
  model: StgNf,
  data: Float32Array,
  labels: Int8Array | undefined,
  options: TrainStgNfOptions = {},
): Promise<number[]> {
  const { channels, segLen, joints } = model.config;
  const per = channels * segLen * joints;
  const n = data.length / per;
  if (!Number.isInteger(n) || n === 0) {
    throw new InputError(`training data must hold at least one [${channels}, ${segLen}, ${joints}] segment`, { source: 'trainStgNf' });
  }
  if (labels && labels.length !== n) {
    throw new InputError(`${labels.length} labels for ${n} segments`, { source: 'trainStgNf', location: 'labels' });
  }
  const batchSize = options.batchSize ?? 256;
  const lr = options.lr ?? 5e-4;
  const rng = new Rng(options.seed ?? 0);
  const params = model.parameters();
  const optimizer = new Adamax(params, { lr });
  model.train();
  const batchBuf = new Float32Array(batchSize * per);
  const labelBuf = new Float32Array(batchSize);
  try {
    return await fit<number[]>({
      params,
      optimizer,
      epochs: options.epochs ?? 8,
      clipNorm: options.clipNorm ?? 100,
      schedule: exponentialDecay(lr, options.lrDecay ?? 0.99),
      batches: () => {
        const order = rng.permutation(n);
        const out: number[][] = [];
        for (let s = 0; s < n; s += batchSize) out.push(order.slice(s, s + batchSize));
        return out;
      },
      loss: (idx) => {
        const b = idx.length;
        for (let i = 0; i < b; i++) {
          batchBuf.set(data.subarray(idx[i]! * per, (idx[i]! + 1) * per), i * per);
          if (labels) labelBuf[i] = labels[idx[i]!]!;
        }
        const x = tf.tensor4d(batchBuf.subarray(0, b * per), [b, channels, segLen, joints]);
        const y = labels ? tf.tensor1d(labelBuf.subarray(0, b)) : undefined;
        return model.loss(x, y);
      },
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    });
  } finally {
    optimizer.dispose();
  }
}
