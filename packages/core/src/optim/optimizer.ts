import type * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '@skelflow/base';

/**
 * A first-order optimiser over a fixed list of variables, with PyTorch's update rules (so released
 * PyTorch training runs reproduce step for step; tfjs's built-in `adamax` differs in details).
 * `lr` is mutable so schedules can set it between steps.
 */
export interface Optimizer {
  lr: number;
  /** Applies one update given gradients in the same order as the variables. Disposes nothing given. */
  step(grads: tf.Tensor[]): void;
  /** Frees the optimiser's state tensors. */
  dispose(): void;
  /** A copy of the state a resumed run needs to continue bit for bit (moments, step count). */
  getState?(): OptimizerState;
  /** Restores what {@link Optimizer.getState} returned (same variables, same order). */
  setState?(state: OptimizerState): void;
}

/**
 * An optimiser's state as plain numbers: the step count and named flat slots (e.g. Adamax's
 * `m` and `u`, all variables concatenated in order), exact (float32 values held as float64).
 */
export interface OptimizerState {
  t: number;
  slots: Record<string, Float64Array>;
}

/** Checks that a restored slot has the length this optimiser needs. */
export function checkSlot(state: OptimizerState, name: string, size: number): Float64Array {
  const s = state.slots[name];
  if (!s || s.length !== size) throw new WeightsError(`optimiser state '${name}' has ${s?.length ?? 0} values, this optimiser needs ${size}`, { source: 'optimiser state', location: name });
  return s;
}
