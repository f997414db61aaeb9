import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';
import { clipGradNorm } from './clip.js';
import type { LrSchedule } from './schedule.js';
import { TrainingDivergedError, TrainingInterruptedError, type TrainingPoint } from '@skelflow/base';
import { checkSoundState, DIVERGENCE_RULE, DivergenceGuard, type DivergenceRule } from './health.js';

/** What one optimisation step measured. */
export interface StepResult {
  /** The loss before the update. */
  loss: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
}

/**
 * One optimisation step: gradients of `lossFn` w.r.t. `params`, optional global-norm clipping
 * (PyTorch `clip_grad_norm_`), then `optimizer.step`. Every intermediate tensor is freed.
 *
 * @example
 * ```ts
 * const r = trainStep(model.parameters(), () => tf.mean(model.nll(batch)), opt, 100);
 * console.log(r.loss, r.gradNorm);
 * ```
 */
export function trainStep(
  params: tf.Variable[],
  lossFn: () => tf.Scalar,
  optimizer: Optimizer,
  clipNorm?: number,
): StepResult {
  const { value, grads } = tf.variableGrads(lossFn, params);
  const loss = value.dataSync()[0]!;
  value.dispose();
  const list = params.map((p) => grads[p.name]!);
  try {
    checkFiniteLoss(loss);
  } catch (e) {
    tf.dispose(list);
    throw e;
  }
  let gradNorm: number;
  let used: tf.Tensor[];
  if (clipNorm !== undefined) {
    const c = clipGradNorm(list, clipNorm);
    gradNorm = c.norm;
    used = c.grads;
    tf.dispose(list);
  } else {
    gradNorm = tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
    used = list;
  }
  optimizer.step(used);
  tf.dispose(used);
  return { loss, gradNorm };
}

/**
 * Throws before an update when the loss is not finite (diverged training or bad input): a
 * {@link TrainingDivergedError} whose position {@link runEpochs} fills in.
 */
export function checkFiniteLoss(loss: number): void {
  if (!Number.isFinite(loss)) throw new TrainingDivergedError(`loss is ${loss}; training diverged or the input holds non-finite values`, { epoch: NaN, batch: NaN });
}

/** Progress reported after every batch. */
export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  gradNorm: number;
  lr: number;
}

/** Options of {@link fit}. */
export interface FitOptions<B> extends Pick<EpochLoopOptions<B>, 'start' | 'onCheckpoint' | 'shouldStop' | 'checkState' | 'rule'> {
  params: tf.Variable[];
  optimizer: Optimizer;
  epochs: number;
  /** The batches of an epoch (shuffle inside with a seeded `Rng`). */
  batches: (epoch: number) => B[];
  /** Scalar loss of one batch. */
  loss: (batch: B) => tf.Scalar;
  clipNorm?: number;
  schedule?: LrSchedule;
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Where an epoch loop is: what a checkpoint saves and a resumed loop starts from. A loop started
 * at a position continues exactly as the loop that saved it would have.
 */
export interface LoopPosition {
  /** The epoch to run (0-based). */
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  /** Sum of the losses of those batches. */
  lossSum: number;
  /** Mean loss of every finished epoch. */
  history: number[];
  /** The divergence guard's window of recent losses. */
  recent: number[];
}

/** Options of {@link runEpochs}: the loop without any tensor code. */
export interface EpochLoopOptions<B> {
  epochs: number;
  /** The batches of an epoch (shuffle inside with a seeded `Rng`). */
  batches: (epoch: number) => B[];
  /** Sets the learning rate of an epoch and returns it (for progress reports). */
  lrFor: (epoch: number) => number;
  /** One optimisation step on a batch. */
  step: (batch: B) => StepResult;
  onBatch?: (p: BatchProgress) => void;
  onEpoch?: (epoch: number, meanLoss: number) => void;
  /** Continue from a saved position (default: the start). */
  start?: LoopPosition;
  /**
   * Saves a checkpoint at `at`: called before the first step of a fresh run, after every epoch
   * (after `onEpoch`) and when stopping on request. Awaited.
   */
  onCheckpoint?: (at: LoopPosition) => Promise<void>;
  /** Asked after every batch; a non-null answer (e.g. `'SIGINT'`) checkpoints and stops with TrainingInterruptedError. */
  shouldStop?: () => string | null;
  /** Called after every step: throws when a parameter or buffer is unsound (see {@link checkSoundState}). */
  checkState?: (at: TrainingPoint) => void;
  /** The divergence rule's settings (default {@link DIVERGENCE_RULE}). */
  rule?: Partial<DivergenceRule>;
}

/**
 * The epoch loop shared by every trainer: per epoch set the lr, step over the batches, report
 * progress, yield to the event loop after every batch (so progress output, timers and signal
 * handlers run), and return the mean loss of every epoch. Every step is checked by the divergence
 * rule ({@link DivergenceGuard}, and `checkState` for parameters and buffers): a divergent step
 * throws {@link TrainingDivergedError} naming epoch and batch, and the last checkpoint written
 * (by `onCheckpoint`) is the last good state.
 */
export async function runEpochs<B>(options: EpochLoopOptions<B>): Promise<number[]> {
  const start = options.start ?? { epoch: 0, batch: 0, lossSum: 0, history: [], recent: [] };
  const history = [...start.history];
  const guard = new DivergenceGuard(options.rule ?? {}, start.recent);
  if (!options.start) await options.onCheckpoint?.({ epoch: 0, batch: 0, lossSum: 0, history: [], recent: [] });
  for (let epoch = start.epoch; epoch < options.epochs; epoch++) {
    const lr = options.lrFor(epoch);
    const batches = options.batches(epoch);
    const first = epoch === start.epoch ? start.batch : 0;
    let sum = epoch === start.epoch ? start.lossSum : 0;
    for (let i = first; i < batches.length; i++) {
      const at = { epoch, batch: i };
      let r: StepResult;
      try {
        r = options.step(batches[i]!);
      } catch (e) {
        if (e instanceof TrainingDivergedError && Number.isNaN(e.at.epoch)) {
          throw new TrainingDivergedError(`training diverged at epoch ${epoch + 1}, batch ${i + 1}: ${e.reason}`, at);
        }
        throw e;
      }
      guard.check(r.loss, at);
      options.checkState?.(at);
      sum += r.loss;
      options.onBatch?.({ epoch, batch: i, batches: batches.length, loss: r.loss, gradNorm: r.gradNorm, lr });
      await yieldToEventLoop();
      const stop = i + 1 < batches.length ? options.shouldStop?.() : null;
      if (stop) {
        const pos = { epoch, batch: i + 1, lossSum: sum, history: [...history], recent: [...guard.recent] };
        await options.onCheckpoint?.(pos);
        throw interrupted(stop, pos);
      }
    }
    const mean = batches.length ? sum / batches.length : NaN;
    history.push(mean);
    options.onEpoch?.(epoch, mean);
    const pos = { epoch: epoch + 1, batch: 0, lossSum: 0, history: [...history], recent: [...guard.recent] };
    await options.onCheckpoint?.(pos);
    const stop = epoch + 1 < options.epochs ? options.shouldStop?.() : null;
    if (stop) throw interrupted(stop, pos);
  }
  return history;
}

/** setImmediate where there is one (Node: no 1 ms timer floor), else a zero timeout. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((res) => (typeof setImmediate === 'function' ? setImmediate(res) : setTimeout(res, 0)));
}

function interrupted(by: string, at: LoopPosition): TrainingInterruptedError {
  return new TrainingInterruptedError(`training interrupted by ${by} at epoch ${at.epoch + 1}, batch ${at.batch + 1}`, { epoch: at.epoch, batch: at.batch }, by);
}

/**
 * A plain training loop on tensors ({@link runEpochs} with {@link trainStep}): per epoch set the
 * lr from the schedule, step over the batches, report. Returns the mean loss of every epoch.
 *
 * @example
 * ```ts
 * const history = await fit({ params, optimizer: new Adamax(params, { lr: 5e-4 }), epochs: 8,
 *   batches: (e) => makeBatches(e), loss: (b) => tf.mean(model.nll(b)), clipNorm: 100,
 *   schedule: exponentialDecay(5e-4, 0.99) });
 * ```
 */
export async function fit<B>(options: FitOptions<B>): Promise<number[]> {
  const { optimizer, schedule } = options;
  return runEpochs<B>({
    epochs: options.epochs,
    batches: options.batches,
    lrFor: (epoch) => {
      if (schedule) optimizer.lr = schedule(epoch);
      return optimizer.lr;
    },
    step: (batch) => trainStep(options.params, () => options.loss(batch), optimizer, options.clipNorm),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    ...(options.start ? { start: options.start } : {}),
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.rule ? { rule: options.rule } : {}),
    // Default: every trained variable must stay sound (rule 3); pass checkState to cover buffers too.
    checkState:
      options.checkState ??
      ((at) => checkSoundState(options.params.map((p) => [p.name, p.dataSync()] as const), at, { ...DIVERGENCE_RULE, ...options.rule }.maxAbs)),
  });
}
