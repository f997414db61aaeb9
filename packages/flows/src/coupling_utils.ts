import type * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import type { ConditionerModule } from './bijector.js';

/** Options shared by the couplings. */
export interface CouplingOptions {
  /**
   * Number of leading channels C1 that condition the transform of the remaining C − C1 channels
   * (`x1 = x[:, :C1]`, `x2 = x[:, C1:]`). Default ⌊C/2⌋, as STG-NF's `split_feature(·, "split")`.
   */
  split?: number;
}

/** C1 for an input with `channels` channels; throws unless both parts are non-empty. */
export function conditioningChannels(channels: number, split: number | undefined, source: string): number {
  const c1 = split ?? Math.floor(channels / 2);
  if (!Number.isInteger(c1) || c1 < 1 || c1 >= channels) {
    throw new InputError(`split must leave both parts non-empty: got ${c1} of ${channels} channels`, { source });
  }
  return c1;
}

/** Runs the conditioner and checks it returned `[B, outChannels, ...rest of x1]`. */
export function conditionerOutput(
  net: ConditionerModule,
  x1: tf.Tensor,
  context: tf.Tensor | undefined,
  outChannels: number,
  source: string,
): tf.Tensor {
  const h = net.call(x1, context);
  const expected = [x1.shape[0]!, outChannels, ...x1.shape.slice(2)];
  if (h.rank !== expected.length || h.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`conditioner must return [${expected}], got [${h.shape}]`, { source });
  }
  return h;
}
