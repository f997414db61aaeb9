import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';
import { clipGradNorm } from './clip.js';
import type { LrSchedule } from './schedule.js';
import { SkelflowError } from '../errors.js';

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
  if (!Number.isFinite(loss)) {
    tf.dispose(list);
    throw new SkelflowError(`loss is ${loss}; training diverged or the input holds non-finite values`);
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

/**
 * A plain training loop: per epoch set the lr from the schedule, step over the batches, report.
 * Returns the mean loss of every epoch.
 *
 * @example
 * ```ts
 * const history = await fit({ params, optimizer: new Adamax(params, { lr: 5e-4 }), epochs: 8,
 *   batches: (e) => makeBatches(e), loss: (b) => tf.mean(model.nll(b)), clipNorm: 100,
 *   schedule: exponentialDecay(5e-4, 0.99) });
 * ```
 */
export async function fit<B>(options: FitOptions<B>): Promise<number[]> {
  const history: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    if (options.schedule) options.optimizer.lr = options.schedule(epoch);
    const batches = options.batches(epoch);
    let sum = 0;
    for (let i = 0; i < batches.length; i++) {
      const r = trainStep(options.params, () => options.loss(batches[i]!), options.optimizer, options.clipNorm);
      sum += r.loss;
      options.onBatch?.({ epoch, batch: i, batches: batches.length, loss: r.loss, gradNorm: r.gradNorm, lr: options.optimizer.lr });
      // Yield to the event loop so progress output and timers run during long epochs.
      if (i % 8 === 7) await new Promise((res) => setTimeout(res, 0));
    }
    const mean = batches.length ? sum / batches.length : NaN;
    history.push(mean);
    options.onEpoch?.(epoch, mean);
  }
  return history;
}
