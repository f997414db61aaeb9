import { InputError } from '@skelflow/base';
import type { AnomalyModel, TrainProgress } from './contract.js';

/** What {@link trainFamilyModel} hands a family's trainer. */
export interface FamilyTrainingRun<M extends AnomalyModel> {
  /** The model to train: the one given, or a new one. */
  model: M;
  /** Segments in the training data. */
  nSegments: number;
  /** Batches per epoch, ⌈nSegments / batchSize⌉. */
  batches: number;
}

/** What {@link trainFamilyModel} returns: a family's `TrainResult` with the trainer's history. */
export interface FamilyTrainingResult<M extends AnomalyModel, H> {
  model: M;
  history: H;
  nSegments: number;
}

/**
 * The plumbing every segment family's `train` shares: the model given, or a new one from `build`;
 * the training data checked to hold a whole, non-zero number of `model.input` segments (else an
 * {@link InputError} naming `source`); the batches per epoch; and, when the trainer throws, the
 * new model disposed (a model the caller gave is left to the caller).
 *
 * @param given - The model to keep training, or `null` to build one.
 * @param build - Builds a new model from the family's config.
 * @param segments - The flat float32 `[N, C, T, V]` training segments.
 * @param batchSize - Segments per batch.
 * @param source - Named in errors, e.g. `'stgNfFamily.train'`.
 * @param run - The family's trainer; returns its history.
 * @example
 * ```ts
 * return trainFamilyModel(target instanceof M ? target : null, () => new M(build(config)), data.segments, config.batchSize, 'mFamily.train',
 *   ({ model, batches }) => trainM(model.net, data.segments, { onBatch: epochBatchProgress(options.onProgress, batches, config.epochs * batches) }));
 * ```
 */
export async function trainFamilyModel<M extends AnomalyModel, H>(
  given: M | null,
  build: () => M,
  segments: Float32Array,
  batchSize: number,
  source: string,
  run: (r: FamilyTrainingRun<M>) => Promise<H>,
): Promise<FamilyTrainingResult<M, H>> {
  const model = given ?? build();
  const { channels, segLen, joints } = model.input;
  const nSegments = segments.length / (channels * segLen * joints);
  try {
    if (!Number.isInteger(nSegments) || nSegments === 0) {
      throw new InputError(`training data must hold at least one [${channels}, ${segLen}, ${joints}] segment`, { source });
    }
    const history = await run({ model, nSegments, batches: Math.ceil(nSegments / batchSize) });
    return { model, history, nSegments };
  } catch (e) {
    if (!given) model.dispose();
    throw e;
  }
}

/** One batch of an epoch loop, as the trainers report it. */
export interface EpochBatch {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  loss: number;
}

/**
 * A trainer's per-batch callback reporting `onProgress` with `done` counted over the whole run
 * (`offset` batches already done before this loop), or `undefined` when there is no `onProgress`.
 *
 * @example
 * ```ts
 * const onBatch = epochBatchProgress(options.onProgress, batches, epochs * batches);
 * onBatch?.({ epoch: 1, batch: 0, loss: 0.5 }); // reports { done: batches + 1, total, epoch: 1, loss: 0.5 }
 * ```
 */
export function epochBatchProgress(onProgress: ((p: TrainProgress) => void) | undefined, batches: number, total: number, offset = 0): ((p: EpochBatch) => void) | undefined {
  if (!onProgress) return undefined;
  return (p) => onProgress({ done: offset + p.epoch * batches + p.batch + 1, total, epoch: p.epoch, loss: p.loss });
}
