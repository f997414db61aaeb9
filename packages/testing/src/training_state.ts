import * as tf from '@tensorflow/tfjs-core';
import type { TrainingState } from '@skelflow/base';

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
