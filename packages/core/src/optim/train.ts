import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';
import { clipGradNorm } from './clip.js';
import type { LrSchedule } from './schedule.js';
import { SkelflowError } from '@skelflow/base';

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

/** Throws before an update when the loss is not finite (diverged training or bad input). */
export function checkFiniteLoss(loss: number): void {
  if (!Number.isFinite(loss)) throw new SkelflowError(`loss is ${loss}; training diverged or the input holds non-finite values`);
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
export interface FitOptions<B> {
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
}

/**
 * The epoch loop shared by every trainer: per epoch set the lr, step over the batches, report
 * progress, yield to the event loop every 8 batches (so progress output and timers run), and
 * return the mean loss of every epoch.
 */
export async function runEpochs<B>(options: EpochLoopOptions<B>): Promise<number[]> {
  const history: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const lr = options.lrFor(epoch);
    const batches = options.batches(epoch);
    let sum = 0;
    for (let i = 0; i < batches.length; i++) {
      const r = options.step(batches[i]!);
      sum += r.loss;
      options.onBatch?.({ epoch, batch: i, batches: batches.length, loss: r.loss, gradNorm: r.gradNorm, lr });
      if (i % 8 === 7) await new Promise((res) => setTimeout(res, 0));
    }
    const mean = batches.length ? sum / batches.length : NaN;
    history.push(mean);
    options.onEpoch?.(epoch, mean);
  }
  return history;
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
  });
}
