import * as tf from '@tensorflow/tfjs-core';
import { Adamax, checkFiniteLoss, clipGradNormInPlace, exponentialDecay, fit, FusedAdamax, runEpochs, type BatchProgress } from '@skelflow/core';
import { InputError, Rng } from '@skelflow/base';
import type { Dsnf, DsnfObjectiveOptions } from './model.js';

/** Options of {@link trainDsnf}: STG-NF's recipe plus the objective. */
export interface TrainDsnfOptions extends DsnfObjectiveOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Per-epoch multiplicative lr decay; default 0.99. */
  lrDecay?: number;
  /** Global gradient-norm clip; default 100. */
  clipNorm?: number;
  /** Seed of the batch order and of the approximate-mass directions. */
  seed?: number;
  /**
   * `'auto'` (default): the fused engine when the model has one (zero gate) and the loss is plain
   * NLL — it has first-order kernels only, and the mass terms need the perturbed passes — else tensors.
   */
  engine?: 'auto' | 'fused' | 'tfjs';
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Trains DSNF with STG-NF's recipe (Adamax, lr 5e-4 × 0.99 per epoch, clip 100, shuffled batches
 * of 256, 8 epochs; the model card §3.4) on the chosen objective (default AWAM). Every parameter —
 * including the gates, the curvatures (softplus raw values) and the hyperbolic weights — is
 * Euclidean, so the optimiser is the ordinary one (HGCN's choice; no Riemannian optimiser needed).
 *
 * @param model - the model (put in train mode here).
 * @param data - float32 `[N, 2, T, 18]`, normalised (and augmented).
 * @param labels - optional `[N]` of +1 / −1 (supervised prior).
 * @returns the mean objective of every epoch.
 * @example
 * ```ts
 * await trainDsnf(model, segments, undefined, { epochs: 8, loss: 'awam', seed: 1 });
 * ```
 */
export async function trainDsnf(model: Dsnf, data: Float32Array, labels: Int8Array | undefined, options: TrainDsnfOptions = {}): Promise<number[]> {
  const { channels, segLen, joints } = model.config;
  const per = channels * segLen * joints;
  const n = data.length / per;
  if (!Number.isInteger(n) || n === 0) throw new InputError(`training data must hold at least one [${channels}, ${segLen}, ${joints}] segment`, { source: 'trainDsnf' });
  if (labels && labels.length !== n) throw new InputError(`${labels.length} labels for ${n} segments`, { source: 'trainDsnf', location: 'labels' });
  const batchSize = options.batchSize ?? 256;
  const lr = options.lr ?? 5e-4;
  const seed = options.seed ?? 0;
  const rng = new Rng(seed);
  const massRng = new Rng(`${seed}/mass`);
  const engine = options.engine ?? 'auto';
  const loss = options.loss ?? 'awam';
  const epochs = options.epochs ?? 8;
  const clipNorm = options.clipNorm ?? 100;
  const schedule = exponentialDecay(lr, options.lrDecay ?? 0.99);
  const batches = () => {
    const order = rng.permutation(n);
    const out: number[][] = [];
    for (let s = 0; s < n; s += batchSize) out.push(order.slice(s, s + batchSize));
    return out;
  };
  if (engine !== 'tfjs') {
    const fused = loss === 'nll' ? model.fused() : null;
    if (engine === 'fused' && !fused) {
      const why = loss === 'nll' ? model.fusedUnavailableReason : `the '${loss}' objective needs the tensor path`;
      throw new InputError(`this model has no fused training: ${why}`, { source: 'trainDsnf', location: 'engine' });
    }
    if (fused) {
      const optimizer = new FusedAdamax(fused.params.length, { lr });
      const batchBuf = new Float64Array(batchSize * per);
      const labelBuf = new Float64Array(batchSize);
      model.train();
      try {
        return await runEpochs<number[]>({
          epochs,
          batches,
          lrFor: (epoch) => (optimizer.lr = schedule(epoch)),
          step: (idx) => {
            const b = idx.length;
            for (let k = 0; k < b; k++) {
              batchBuf.set(data.subarray(idx[k]! * per, (idx[k]! + 1) * per), k * per);
              if (labels) labelBuf[k] = labels[idx[k]!]!;
            }
            const value = fused.lossAndGrad(batchBuf.subarray(0, b * per), labels ? labelBuf.subarray(0, b) : undefined);
            checkFiniteLoss(value);
            const gradNorm = clipGradNormInPlace(fused.grads, clipNorm);
            optimizer.step(fused.params, fused.grads);
            return { loss: value, gradNorm };
          },
          ...(options.onBatch ? { onBatch: options.onBatch } : {}),
          onEpoch: (epoch, mean) => {
            fused.push();
            options.onEpoch?.(epoch, mean);
          },
        });
      } finally {
        fused.push();
      }
    }
  }
  const params = model.parameters();
  const optimizer = new Adamax(params, { lr });
  model.train();
  const batchBuf = new Float32Array(batchSize * per);
  const labelBuf = new Float32Array(batchSize);
  try {
    return await fit<number[]>({
      params,
      optimizer,
      epochs,
      clipNorm,
      schedule,
      batches,
      loss: (idx) => {
        const b = idx.length;
        for (let i = 0; i < b; i++) {
          batchBuf.set(data.subarray(idx[i]! * per, (idx[i]! + 1) * per), i * per);
          if (labels) labelBuf[i] = labels[idx[i]!]!;
        }
        const x = tf.tensor4d(batchBuf.subarray(0, b * per), [b, channels, segLen, joints]);
        const y = labels ? tf.tensor1d(labelBuf.subarray(0, b)) : undefined;
        try {
          return model.objective(x, y, massRng, options).loss;
        } finally {
          tf.dispose([x, y ?? []]);
        }
      },
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    });
  } finally {
    optimizer.dispose();
  }
}
