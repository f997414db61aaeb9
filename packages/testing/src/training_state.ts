import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { TrainingDivergedError, TrainingInterruptedError, type TrainingState } from '@skelflow/base';

/** Every variable's values by name (copies), e.g. of `model.stateDict()`: what a checkpoint's weights file holds. */
export function snapshotVariables(named: Iterable<readonly [string, tf.Variable]>): Map<string, Float32Array> {
  return new Map([...named].map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
}

/** Assigns a {@link snapshotVariables} snapshot to the same-named variables (as loading a checkpoint's model does). */
export function restoreVariables(named: Iterable<readonly [string, tf.Variable]>, snapshot: ReadonlyMap<string, Float32Array>): void {
  for (const [k, v] of named) {
    const s = snapshot.get(k);
    if (!s) throw new Error(`snapshot has no variable '${k}'`);
    tf.tidy(() => v.assign(tf.tensor(s, v.shape, v.dtype)));
  }
}

/**
 * A training state as a checkpoint on disk returns it: the JSON part through `JSON.stringify` and
 * back, the arrays copied (so a resume cannot lean on objects the interrupted run still holds).
 */
export function checkpointRoundTrip(state: TrainingState): TrainingState {
  const { arrays, ...rest } = state;
  return { ...(JSON.parse(JSON.stringify(rest)) as Omit<TrainingState, 'arrays'>), arrays: Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.slice()])) };
}

/** A trainable model as {@link stoppedAndResumed} needs it. */
export interface ResumableModel {
  stateDict(): Map<string, tf.Variable>;
  dispose(): void;
}

/** The hooks {@link stoppedAndResumed} gives a training run: progress and stop on the first run, `resume` on the second. */
export interface ResumeHooks {
  onBatch?: () => void;
  shouldStop?: () => string | null;
  onCheckpoint?: (state: TrainingState) => Promise<void>;
  resume?: TrainingState;
}

/** How to build and train one model for {@link stoppedAndResumed} and {@link uninterruptedRun}. */
export interface ResumableTraining<M extends ResumableModel, R> {
  create: () => M;
  /** Trains `model` with the model's own options plus `hooks` (map `onBatch` to the trainer's per-batch callback). */
  train: (model: M, hooks: ResumeHooks) => Promise<R>;
}

/** Every weight of a model, by name, as plain numbers (for `toEqual` between runs). */
export type NamedWeights = (readonly [string, number[]])[];

const namedWeights = (m: ResumableModel): NamedWeights => [...m.stateDict()].map(([k, v]) => [k, Array.from(v.dataSync())] as const);

/** Trains a fresh model without interruption; its final weights and what training returned. */
export async function uninterruptedRun<M extends ResumableModel, R>(t: ResumableTraining<M, R>): Promise<{ weights: NamedWeights; result: R }> {
  const m = t.create();
  try {
    const result = await t.train(m, {});
    return { weights: namedWeights(m), result };
  } finally {
    m.dispose();
  }
}

/**
 * The resume check every trainer on `@skelflow/core`'s `trainLoop` runs: train a fresh model and
 * stop it (a stop request) after `stopAfter` batches; keep the checkpoint written then as a
 * checkpoint on disk returns it (weights rounded to the weights file's float32, the state through
 * JSON, see {@link checkpointRoundTrip}); optionally `tamper` with that state; then load it into a
 * second fresh model and resume. Returns the resumed run's final weights and result and the state it
 * resumed from, to compare with {@link uninterruptedRun}.
 */
export async function stoppedAndResumed<M extends ResumableModel, R>(
  t: ResumableTraining<M, R>,
  stopAfter: number,
  tamper?: (state: TrainingState) => void,
): Promise<{ weights: NamedWeights; result: R; state: TrainingState }> {
  const first = t.create();
  let batches = 0;
  let saved: { state: TrainingState; weights: Map<string, Float32Array> } | null = null;
  let stopped = false;
  try {
    await t.train(first, {
      onBatch: () => void batches++,
      shouldStop: () => (batches >= stopAfter ? 'SIGINT' : null),
      onCheckpoint: async (state) => {
        saved = { state: checkpointRoundTrip(state), weights: snapshotVariables(first.stateDict()) };
      },
    });
  } catch (e) {
    if (!(e instanceof TrainingInterruptedError)) throw e;
    stopped = true;
  } finally {
    first.dispose();
  }
  if (!stopped) throw new Error(`training finished before the stop request after ${stopAfter} batches`);
  const cp = saved as unknown as { state: TrainingState; weights: Map<string, Float32Array> };
  tamper?.(cp.state);
  const second = t.create();
  try {
    restoreVariables(second.stateDict(), cp.weights);
    const result = await t.train(second, { resume: cp.state });
    return { weights: namedWeights(second), result, state: cp.state };
  } finally {
    second.dispose();
  }
}

/**
 * Awaits a training run that must stop at its first step with `TrainingDivergedError` naming a
 * tensor (a parameter made huge, e.g. by lr 1e7); returns that tensor's name, checked against the
 * divergence rule's message and required to start with `prefix` and be one of `names`.
 */
export async function expectDivergenceNamingTensor(run: Promise<unknown>, names: ReadonlySet<string>, prefix = ''): Promise<string> {
  const e = await run.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TrainingDivergedError);
  const m = /^training diverged at epoch 1, batch 1: (\S+)\[\d+\] = \S+ \(not finite or above 1e\+6\)$/.exec((e as Error).message);
  expect(m, (e as Error).message).not.toBeNull();
  const name = m![1]!;
  expect(name.startsWith(prefix), `${name} starts with '${prefix}'`).toBe(true);
  expect(names.has(name), `${name} is one of the model's tensors`).toBe(true);
  return name;
}
