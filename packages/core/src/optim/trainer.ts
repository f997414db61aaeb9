import type * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, WeightsError, type RngState, type TrainingState } from '@skelflow/base';
import { Adam, Adamax } from './adamax.js';
import { FusedAdamax } from './adamax_flat.js';
import { clipGradNormInPlace } from './clip_flat.js';
import { checkSoundState, DIVERGENCE_RULE, type DivergenceRule, unsoundTensor } from './health.js';
import type { Optimizer } from './optimizer.js';
import { exponentialDecay } from './schedule.js';
import { checkFiniteLoss, fit, runEpochs, type BatchProgress, type LoopPosition } from './train.js';

/** A variable of a flat engine and where it lives in the engine's vectors (`@skelflow/fused`'s `FusedVariable`). */
export interface FlatSlot {
  variable: tf.Variable;
  offset: number;
  size: number;
}

/**
 * A typed-array training engine, as {@link trainLoop} needs it (`@skelflow/fused`'s `FusedFlow`
 * fits): flat float64 parameters, buffers and gradients, where every variable lives in them, and
 * `push` to copy the flat values back into the variables.
 */
export interface FlatTrainingEngine {
  readonly params: Float64Array;
  readonly buffers: Float64Array;
  readonly grads: Float64Array;
  readonly layout: { readonly params: readonly FlatSlot[]; readonly buffers: readonly FlatSlot[] };
  push(): void;
}

/** The fused path of {@link trainLoop}: the engine and the loss of a batch with its gradient. */
export interface FusedTraining {
  engine: FlatTrainingEngine;
  /** The loss of the segments `idx`; leaves its gradient in `engine.grads`. */
  lossAndGrad: (idx: number[]) => number;
}

/** Plain-JSON state a model's trainer keeps beside the loop's (see {@link TrainingState.extra}). */
export interface TrainerExtraState {
  /** The state now (called at every checkpoint). */
  save: () => Record<string, unknown>;
  /** Continue from a checkpoint's (called once, before the first step of a resumed run). */
  restore: (saved: Record<string, unknown>) => void;
}

/** How a multi-stage trainer runs one stage's {@link trainLoop}: the checkpoint to continue from (when it is in this stage) and the trainer's own state. */
export interface StageRun {
  resume?: TrainingState;
  /** Kept in every checkpoint of the stage (e.g. the finished stages' histories). */
  extra?: TrainerExtraState;
}

/** The {@link trainLoop} options a stage takes from the caller's hooks and its {@link StageRun}. */
export function stageLoopOptions(
  hooks: Pick<TrainLoopOptions, 'onCheckpoint' | 'shouldStop'>,
  run: StageRun,
): Pick<TrainLoopOptions, 'resume' | 'extra' | 'onCheckpoint' | 'shouldStop'> {
  return {
    ...(run.resume ? { resume: run.resume } : {}),
    ...(run.extra ? { extra: run.extra } : {}),
    ...(hooks.onCheckpoint ? { onCheckpoint: hooks.onCheckpoint } : {}),
    ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
  };
}

/** `[name, value]` pairs of a sub-module named from the model's root (`prior.…`), for {@link TrainLoopOptions.named} and `streams`. */
export function prefixedNames<T>(prefix: string, named: Iterable<readonly [string, T]>): [string, T][] {
  return [...named].map(([k, v]) => [`${prefix}.${k}`, v]);
}

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions {
  /** Named in errors, e.g. `'trainStgNf'`. */
  source: string;
  /** Training samples (segments); batches hold indices into them. */
  n: number;
  batchSize: number;
  /** Seed of the batch order (`new Rng(seed)`, one permutation per epoch, the same on both engines). */
  seed: number | string;
  epochs: number;
  /** Learning rate of the first epoch. */
  lr: number;
  /** Per-epoch multiplicative lr decay (PyTorch `ExponentialLR`); default 1 (constant). */
  lrDecay?: number;
  /** Global gradient-norm clip (PyTorch `clip_grad_norm_`); default none. */
  clipNorm?: number;
  /** Tensor-path optimiser (PyTorch semantics); default `'adamax'`. The fused path is Adamax only. */
  optimizer?: 'adamax' | 'adam';
  /** The trained variables (tensor path). */
  params: tf.Variable[];
  /**
   * Every parameter and buffer of the model by name (e.g. `Module.stateDict()`): the divergence
   * rule checks them all after every step and names the first unsound one.
   */
  named: ReadonlyMap<string, tf.Variable> | Iterable<readonly [string, tf.Variable]>;
  /** Scalar loss of the segments `idx` (tensor path; `tf.variableGrads` frees its intermediates). */
  loss: (idx: number[]) => tf.Scalar;
  /** Train on this typed-array engine instead of tensors (its variables follow after every epoch). */
  fused?: FusedTraining | null;
  /**
   * The random streams the model's modules draw from while training (`Module.namedRandomStreams()`,
   * e.g. dropout masks): saved in every checkpoint and restored on resume.
   */
  streams?: Iterable<readonly [string, Rng]>;
  /** The stage written into every checkpoint; a resume must be in the same stage. */
  stage?: string;
  /** State of the model's trainer kept in checkpoints (e.g. a random stream its loss draws from). */
  extra?: TrainerExtraState;
  /** Continue from a checkpoint's state (the variables must hold the checkpoint's weights). */
  resume?: TrainingState;
  /**
   * Called before the first step of a fresh run, after every epoch and when stopping on request,
   * with the state to continue from; the variables hold the weights at that point. Awaited.
   */
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  /** Asked after every batch; non-null (e.g. `'SIGINT'`) checkpoints and stops (`TrainingInterruptedError`). */
  shouldStop?: () => string | null;
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** The divergence rule's settings (default {@link DIVERGENCE_RULE}). */
  rule?: Partial<DivergenceRule>;
}

/**
 * The training loop every iterative `@skelflow` model trains with (STG-NF, DSNF, each stage of
 * MSG-Flow). It owns what must be the same in every trainer for checkpoints to mean one thing:
 *
 * - the batch order: one seeded permutation per epoch (`new Rng(seed)`), identical on both engines;
 * - the optimiser (Adamax or Adam with PyTorch semantics, on tensors, or {@link FusedAdamax} on a
 *   flat engine), the per-epoch lr decay and the global gradient-norm clip;
 * - the divergence rule ({@link DIVERGENCE_RULE}) over the loss and every parameter **and buffer**
 *   after every step, naming the first unsound tensor;
 * - checkpoints ({@link TrainingState}: loop position, batch-order stream at the epoch's start,
 *   optimiser moments, the fused engine's exact float64 vectors, the stage and the trainer's extra
 *   state) before the first step, after every epoch and on a stop request, and the resume from one,
 *   which ends bit-identical to the uninterrupted run; a checkpoint of one engine resumes on it only.
 *
 * The model's trainer supplies only what is its own: the loss of a batch of indices (and the fused
 * loss with gradient), its named variables and any extra state.
 *
 * @returns the mean loss of every epoch.
 * @example
 * ```ts
 * const history = await trainLoop({ source: 'trainM', n, batchSize: 256, seed: 1, epochs: 8, lr: 5e-4, lrDecay: 0.99,
 *   clipNorm: 100, params: model.parameters(), named: model.stateDict(), loss: (idx) => model.loss(batchOf(idx)) });
 * ```
 */
export async function trainLoop(options: TrainLoopOptions): Promise<number[]> {
  const { source, resume } = options;
  const fused = options.fused ?? null;
  const engine = fused ? 'fused' : 'tfjs';
  if (resume && resume.engine !== engine) {
    throw new InputError(`the checkpoint was written by the ${resume.engine} engine; resume with engine ${resume.engine}`, { source, location: 'engine' });
  }
  if (resume && (resume.stage ?? null) !== (options.stage ?? null)) {
    throw new WeightsError(`the checkpoint is in stage '${resume.stage ?? 'none'}', this loop runs stage '${options.stage ?? 'none'}'`, { source: 'training state', location: 'stage' });
  }
  const streams = [...(options.streams ?? [])];
  if (resume) {
    for (const [name, r] of streams) {
      const saved = resume.streams?.[name];
      if (!saved) throw new WeightsError(`training state has no position for the random stream '${name}'`, { source: 'training state', location: `streams.${name}` });
      r.restore(saved as RngState);
    }
  }
  if (resume && options.extra) {
    if (!resume.extra) throw new WeightsError('training state has no trainer state (extra)', { source: 'training state', location: 'extra' });
    options.extra.restore(resume.extra);
  }
  const rng = new Rng(options.seed, resume ? (resume.rng as RngState) : undefined);
  // The batch-order stream at the start of the current epoch (a mid-epoch checkpoint redraws it).
  let epochRng = rng.state();
  const batches = (): number[][] => {
    epochRng = rng.state();
    return epochBatches(rng, options.n, options.batchSize);
  };
  const schedule = exponentialDecay(options.lr, options.lrDecay ?? 1);
  const start = resume ? positionOf(resume) : undefined;
  const common = {
    epochs: options.epochs,
    batches,
    ...(start ? { start } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.rule ? { rule: options.rule } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  };
  /** The state at `pos` with the engine's own parts. */
  const stateAt = (pos: LoopPosition, t: number, arrays: Record<string, Float64Array>): TrainingState => ({
    ...pos,
    rng: pos.batch === 0 ? rng.state() : epochRng,
    engine,
    t,
    arrays,
    ...(options.stage !== undefined ? { stage: options.stage } : {}),
    ...(streams.length ? { streams: Object.fromEntries(streams.map(([k, r]) => [k, r.state()])) } : {}),
    ...(options.extra ? { extra: options.extra.save() } : {}),
  });
  const maxAbs = { ...DIVERGENCE_RULE, ...options.rule }.maxAbs;
  const onCheckpoint = options.onCheckpoint;

  if (!fused) {
    const params = options.params;
    const optimizer: Optimizer = options.optimizer === 'adam' ? new Adam(params, { lr: options.lr }) : new Adamax(params, { lr: options.lr });
    if (resume) optimizer.setState!({ t: resume.t, slots: slotsOf(resume, optimizer) });
    const named = [...options.named];
    try {
      return await fit<number[]>({
        ...common,
        params,
        optimizer,
        ...(options.clipNorm !== undefined ? { clipNorm: options.clipNorm } : {}),
        schedule,
        loss: options.loss,
        checkState: (at) => checkSoundState(named.map(([k, v]) => [k, v.dataSync()] as const), at, maxAbs),
        ...(onCheckpoint
          ? {
              onCheckpoint: async (pos: LoopPosition) => {
                const st = optimizer.getState!();
                await onCheckpoint(stateAt(pos, st.t, { ...st.slots }));
              },
            }
          : {}),
        ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      });
    } finally {
      optimizer.dispose();
    }
  }

  if (options.optimizer === 'adam') throw new InputError('the fused engine trains with Adamax only', { source, location: 'optimizer' });
  const flat = fused.engine;
  const optimizer = new FusedAdamax(flat.params.length, { lr: options.lr });
  if (resume) {
    // The checkpoint's exact float64 engine state (its weights file holds them rounded to float32).
    flat.params.set(stateArray(resume, 'params', flat.params.length));
    flat.buffers.set(stateArray(resume, 'buffers', flat.buffers.length));
    optimizer.setState({ t: resume.t, slots: { m: stateArray(resume, 'm'), u: stateArray(resume, 'u') } });
  }
  const names = new Map([...options.named].map(([k, v]) => [v, k]));
  const clipNorm = options.clipNorm ?? Infinity;
  try {
    return await runEpochs<number[]>({
      ...common,
      checkState: (at) => {
        for (const [vec, list] of [[flat.params, flat.layout.params], [flat.buffers, flat.layout.buffers]] as const) {
          if (unsoundTensor([['', vec]], maxAbs) === null) continue;
          // Something is large or non-finite: name the tensor (counters may legitimately be large).
          for (const v of list) checkSoundState([[names.get(v.variable) ?? v.variable.name, vec.subarray(v.offset, v.offset + v.size)]], at, maxAbs);
        }
      },
      ...(onCheckpoint
        ? {
            onCheckpoint: async (pos: LoopPosition) => {
              // The variables get the current weights; the engine keeps its unrounded vectors (a
              // mid-epoch push would round them, which the uninterrupted run does not do).
              const exact = { params: flat.params.slice(), buffers: flat.buffers.slice() };
              flat.push();
              const st = optimizer.getState();
              try {
                await onCheckpoint(stateAt(pos, st.t, { ...exact, m: st.slots.m!, u: st.slots.u! }));
              } finally {
                flat.params.set(exact.params);
                flat.buffers.set(exact.buffers);
              }
            },
          }
        : {}),
      lrFor: (epoch) => (optimizer.lr = schedule(epoch)),
      step: (idx) => {
        const loss = fused.lossAndGrad(idx);
        checkFiniteLoss(loss); // before the update; the loop names epoch and batch
        const gradNorm = clipGradNormInPlace(flat.grads, clipNorm);
        optimizer.step(flat.params, flat.grads);
        return { loss, gradNorm };
      },
      // The variables follow the flat copy after every epoch.
      onEpoch: (epoch, mean) => {
        flat.push();
        options.onEpoch?.(epoch, mean);
      },
    });
  } finally {
    flat.push();
  }
}

/** The batches of one epoch: a seeded permutation cut into runs of `batchSize`. */
function epochBatches(rng: Rng, n: number, batchSize: number): number[][] {
  const order = rng.permutation(n);
  const out: number[][] = [];
  for (let s = 0; s < n; s += batchSize) out.push(order.slice(s, s + batchSize));
  return out;
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

/** The optimiser slots of a checkpoint's state (the names `optimizer.getState` uses). */
function slotsOf(s: TrainingState, optimizer: Optimizer): Record<string, Float64Array> {
  return Object.fromEntries(Object.keys(optimizer.getState!().slots).map((k) => [k, stateArray(s, k)]));
}
