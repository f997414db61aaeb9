import * as tf from '@tensorflow/tfjs-core';
import { Adamax, checkFiniteLoss, checkSoundState, exponentialDecay, fit, runEpochs, type BatchProgress, FusedAdamax, clipGradNormInPlace, type LoopPosition, unsoundTensor, DIVERGENCE_RULE } from '@skelflow/core';
import { InputError, Rng, WeightsError, type RngState } from '@skelflow/base';
import { type FusedFlow } from '@skelflow/fused';
import type { TrainingState } from '@skelflow/model';
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
  const resume = options.resume;
  const rng = new Rng(options.seed ?? 0, resume ? (resume.rng as RngState) : undefined);
  const engine = options.engine ?? 'auto';
  if (engine !== 'tfjs') {
    const fused = model.fused();
    if (fused && resume && resume.engine !== 'fused') {
      throw new InputError(`the checkpoint was written by the ${resume.engine} engine; resume with engine ${resume.engine}`, { source: 'trainStgNf', location: 'engine' });
    }
    if (fused) return trainFused(model, fused, data, labels, n, per, rng, { ...options, batchSize, lr });
    if (engine === 'fused') {
      throw new InputError(`this model has no fused engine: ${model.fusedUnavailableReason}`, { source: 'trainStgNf', location: 'engine' });
    }
  }
  if (resume && resume.engine !== 'tfjs') {
    throw new InputError(`the checkpoint was written by the ${resume.engine} engine; resume with engine ${resume.engine}`, { source: 'trainStgNf', location: 'engine' });
  }
  const params = model.parameters();
  const optimizer = new Adamax(params, { lr });
  if (resume) optimizer.setState({ t: resume.t, slots: { m: stateArray(resume, 'm'), u: stateArray(resume, 'u') } });
  model.train();
  const batchBuf = new Float32Array(batchSize * per);
  const labelBuf = new Float32Array(batchSize);
  const named = model.stateDict();
  let epochRng = rng.state();
  const onCheckpoint = options.onCheckpoint;
  try {
    return await fit<number[]>({
      params,
      optimizer,
      epochs: options.epochs ?? 8,
      clipNorm: options.clipNorm ?? 100,
      schedule: exponentialDecay(lr, options.lrDecay ?? 0.99),
      batches: () => {
        epochRng = rng.state();
        return epochBatches(rng, n, batchSize);
      },
      ...(resume ? { start: positionOf(resume) } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      checkState: (at) => checkSoundState([...named].map(([k, v]) => [k, v.dataSync()] as const), at),
      ...(onCheckpoint
        ? {
            onCheckpoint: async (pos: LoopPosition) => {
              const st = optimizer.getState();
              await onCheckpoint({ ...pos, rng: pos.batch === 0 ? rng.state() : epochRng, engine: 'tfjs', t: st.t, arrays: { m: st.slots.m!, u: st.slots.u! } });
            },
          }
        : {}),
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

/** The loop position of a checkpoint's state. */
function positionOf(s: TrainingState): LoopPosition {
  return { epoch: s.epoch, batch: s.batch, lossSum: s.lossSum, history: [...s.history], recent: [...s.recent] };
}

/** A named array of a checkpoint's state, checked for presence (and length). */
function stateArray(s: TrainingState, name: string, size?: number): Float64Array {
  const a = s.arrays[name];
  if (!a || (size !== undefined && a.length !== size)) {
    throw new WeightsError(`training state '${name}' has ${a?.length ?? 0} values, this model needs ${size ?? 'some'}`, { source: 'training state', location: name });
  }
  return a;
}

/** The batches of one epoch: the same seeded order on both engines. */
function epochBatches(rng: Rng, n: number, batchSize: number): number[][] {
  const order = rng.permutation(n);
  const out: number[][] = [];
  for (let s = 0; s < n; s += batchSize) out.push(order.slice(s, s + batchSize));
  return out;
}

async function trainFused(
  model: StgNf,
  fused: FusedFlow,
  data: Float32Array,
  labels: Int8Array | undefined,
  n: number,
  per: number,
  rng: Rng,
  options: TrainStgNfOptions & { batchSize: number; lr: number },
): Promise<number[]> {
  const { batchSize, lr } = options;
  const clipNorm = options.clipNorm ?? 100;
  const schedule = exponentialDecay(lr, options.lrDecay ?? 0.99);
  const optimizer = new FusedAdamax(fused.params.length, { lr });
  const resume = options.resume;
  if (resume) {
    // The checkpoint's exact float64 engine state (its weights file holds them rounded to float32).
    fused.params.set(stateArray(resume, 'params', fused.params.length));
    fused.buffers.set(stateArray(resume, 'buffers', fused.buffers.length));
    optimizer.setState({ t: resume.t, slots: { m: stateArray(resume, 'm'), u: stateArray(resume, 'u') } });
  }
  const batchBuf = new Float64Array(batchSize * per);
  const labelBuf = new Float64Array(batchSize);
  model.train();
  let epochRng = rng.state();
  const onCheckpoint = options.onCheckpoint;
  const names = new Map([...model.stateDict()].map(([k, v]) => [v, k]));
  try {
    return await runEpochs<number[]>({
      epochs: options.epochs ?? 8,
      batches: () => {
        epochRng = rng.state();
        return epochBatches(rng, n, batchSize);
      },
      ...(resume ? { start: positionOf(resume) } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      checkState: (at) => {
        for (const [flat, list] of [[fused.params, fused.layout.params], [fused.buffers, fused.layout.buffers]] as const) {
          if (unsoundTensor([['', flat]], DIVERGENCE_RULE.maxAbs) === null) continue;
          // Something is large or non-finite: name the tensor (counters may legitimately be large).
          for (const v of list) checkSoundState([[names.get(v.variable) ?? v.variable.name, flat.subarray(v.offset, v.offset + v.size)]], at);
        }
      },
      ...(onCheckpoint
        ? {
            onCheckpoint: async (pos: LoopPosition) => {
              // The variables get the current weights; the engine keeps its unrounded buffers (a
              // mid-epoch push would round them, which the uninterrupted run does not do).
              const exact = { params: fused.params.slice(), buffers: fused.buffers.slice() };
              fused.push();
              const st = optimizer.getState();
              try {
                await onCheckpoint({ ...pos, rng: pos.batch === 0 ? rng.state() : epochRng, engine: 'fused', t: st.t, arrays: { ...exact, m: st.slots.m!, u: st.slots.u! } });
              } finally {
                fused.params.set(exact.params);
                fused.buffers.set(exact.buffers);
              }
            },
          }
        : {}),
      lrFor: (epoch) => (optimizer.lr = schedule(epoch)),
      step: (idx) => {
        const b = idx.length;
        for (let k = 0; k < b; k++) {
          batchBuf.set(data.subarray(idx[k]! * per, (idx[k]! + 1) * per), k * per);
          if (labels) labelBuf[k] = labels[idx[k]!]!;
        }
        const loss = fused.lossAndGrad(batchBuf.subarray(0, b * per), labels ? labelBuf.subarray(0, b) : undefined);
        checkFiniteLoss(loss); // before the update; the loop names epoch and batch
        const gradNorm = clipGradNormInPlace(fused.grads, clipNorm);
        optimizer.step(fused.params, fused.grads);
        return { loss, gradNorm };
      },
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      // The module's variables follow the fused copy after every epoch.
      onEpoch: (epoch, mean) => {
        fused.push();
        options.onEpoch?.(epoch, mean);
      },
    });
  } finally {
    fused.push();
  }
}
