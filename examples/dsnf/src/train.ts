import * as tf from '@tensorflow/tfjs-core';
import { trainLoop, type BatchProgress } from '@skelflow/core';
import { InputError, Rng, WeightsError, type RngState, type TrainingState } from '@skelflow/base';
import { segmentBatcher, stgNfRecipeLoopOptions } from '@skelflow/stg-nf';
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
  /**
   * Called before the first step, after every epoch and when stopping on request, with the state to
   * continue from (the mass-direction stream included, as `extra.mass`); the model's variables hold
   * the weights at that point. Awaited.
   */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint's state (the model must hold the checkpoint's weights). */
  resume?: TrainingState;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
}

/**
 * Trains DSNF with STG-NF's recipe (Adamax, lr 5e-4 × 0.99 per epoch, clip 100, shuffled batches
 * of 256, 8 epochs; the model card §3.4) on the chosen objective (default AWAM). Every parameter —
 * including the gates, the curvatures (softplus raw values) and the hyperbolic weights — is
 * Euclidean, so the optimiser is the ordinary one (HGCN's choice; no Riemannian optimiser needed).
 * The loop is `@skelflow/core`'s `trainLoop` (checkpoints, resume, stop requests, the divergence
 * rule over every parameter and buffer); the mass terms' direction stream is part of the checkpoint.
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
  const seed = options.seed ?? 0;
  // The mass terms' random directions: a stream of its own, saved in every checkpoint.
  let massRng = new Rng(`${seed}/mass`);
  const engine = options.engine ?? 'auto';
  const loss = options.loss ?? 'awam';
  const fused = engine !== 'tfjs' && loss === 'nll' ? model.fused() : null;
  if (engine === 'fused' && !fused) {
    const why = loss === 'nll' ? model.fusedUnavailableReason : `the '${loss}' objective needs the tensor path`;
    throw new InputError(`this model has no fused training: ${why}`, { source: 'trainDsnf', location: 'engine' });
  }
  const batches = segmentBatcher(data, labels, model.config, batchSize);
  model.train();
  return trainLoop({
    source: 'trainDsnf',
    n,
    batchSize,
    seed,
    ...stgNfRecipeLoopOptions(options),
    params: model.parameters(),
    named: model.stateDict(),
    streams: model.namedRandomStreams(),
    extra: {
      save: () => ({ mass: massRng.state() }),
      restore: (saved) => {
        if (!saved.mass) throw new WeightsError('training state has no mass-direction stream (extra.mass)', { source: 'training state', location: 'extra.mass' });
        massRng = new Rng(`${seed}/mass`, saved.mass as RngState);
      },
    },
    loss: (idx) => {
      const { x, y } = batches.tensors(idx);
      try {
        return model.objective(x, y, massRng, options).loss;
      } finally {
        tf.dispose([x, y ?? []]);
      }
    },
    fused: batches.fusedTraining(fused),
  });
}
