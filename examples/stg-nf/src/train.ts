import { trainLoop, type BatchProgress } from '@skelflow/core';
import { InputError, type TrainingState } from '@skelflow/base';
import type { StgNf } from './model.js';
import { segmentBatcher } from './segment_batcher.js';
import { stgNfRecipeLoopOptions } from './train_recipe.js';

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
  /**
   * `'auto'` (default): the fused typed-array engine with its hand-written backward pass when the
   * model has one (same updates as the tensor path up to float32 rounding), else tensors.
   */
  engine?: 'auto' | 'fused' | 'tfjs';
  /**
   * Called before the first step, after every epoch and when stopping on request, with the state to
   * continue from; the model's variables hold the weights at that point. Awaited.
   */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Continue from a checkpoint's state (the model must hold the checkpoint's weights). */
  resume?: TrainingState;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
}

/**
 * Trains STG-NF on normalised segments with the original's recipe: Adamax (PyTorch semantics),
 * lr 5e-4 decayed by 0.99 per epoch, gradient-norm clip 100, shuffled batches of 256, 8 epochs.
 * `labels` (+1 normal, −1 abnormal) enable the supervised mode: abnormal segments are pushed to
 * the prior's N(−R, I) component. ActNorm initialises itself from the first batch. The loop is
 * `@skelflow/core`'s `trainLoop` (checkpoints, resume, stop requests, the divergence rule); this
 * function supplies the batch's loss on tensors and on the fused engine.
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
  const engine = options.engine ?? 'auto';
  const fused = engine === 'tfjs' ? null : model.fused();
  if (engine === 'fused' && !fused) {
    throw new InputError(`this model has no fused engine: ${model.fusedUnavailableReason}`, { source: 'trainStgNf', location: 'engine' });
  }
  const batches = segmentBatcher(data, labels, model.config, batchSize);
  model.train();
  return trainLoop({
    source: 'trainStgNf',
    n,
    batchSize,
    seed: options.seed ?? 0,
    ...stgNfRecipeLoopOptions(options),
    params: model.parameters(),
    named: model.stateDict(),
    streams: model.namedRandomStreams(),
    loss: (idx) => {
      const { x, y } = batches.tensors(idx);
      return model.loss(x, y);
    },
    fused: batches.fusedTraining(fused),
  });
}
