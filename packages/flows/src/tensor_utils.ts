import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';

/** Throws unless `x` is `[B, C, ...]` (with C = `channels` when given). */
export function checkChannelsFirst(x: tf.Tensor, source: string, channels?: number): void {
  if (x.rank < 2) throw new ShapeError(`expected [B, C, ...], got [${x.shape}]`, { source });
  if (channels !== undefined && x.shape[1] !== channels) {
    throw new ShapeError(`expected ${channels} channels on axis 1, got [${x.shape}]`, { source });
  }
}

/** Number of positions per channel: the product of the dims after the channel axis (1 if none). */
export function positionsPerChannel(x: tf.Tensor): number {
  return x.shape.slice(2).reduce((a, d) => a * d, 1);
}

/** Sums every axis but the batch axis: `[B, ...]` → `[B]`. */
export function sumPerSample(x: tf.Tensor): tf.Tensor {
  if (x.rank === 1) return x;
  return tf.sum(tf.reshape(x, [x.shape[0]!, -1]), 1);
}

/** A per-sample logDet `[B]` equal to the scalar `value` for every sample (differentiable in `value`). */
export function repeatPerSample(value: tf.Tensor, batch: number): tf.Tensor {
  return tf.mul(tf.ones([batch]), value);
}

/** `[B, C, ...rest]` → `[B, C']` slice of channels `[start, start + count)`. */
export function sliceChannels(x: tf.Tensor, start: number, count: number): tf.Tensor {
  const begin = x.shape.map((_, i) => (i === 1 ? start : 0));
  const size = x.shape.map((d, i) => (i === 1 ? count : d));
  return tf.slice(x, begin, size);
}

/** Reshapes a per-channel vector `[C]` to broadcast against `[B, C, ...rest]`. */
export function channelVector(v: tf.Tensor, like: tf.Tensor): tf.Tensor {
  return tf.reshape(v, [1, v.size, ...like.shape.slice(2).map(() => 1)]);
}

/** Reshapes a per-sample vector `[B]` to broadcast against `[B, ...]`. */
export function sampleVector(v: tf.Tensor, like: tf.Tensor): tf.Tensor {
  return tf.reshape(v, [v.size, ...like.shape.slice(1).map(() => 1)]);
}

/**
 * Splits the channels of `[B, C, ...]` into the conditioning part `x[:, :c1]` and the transformed
 * part `x[:, c1:]` (STG-NF's and Glow's `split_feature(·, "split")` when c1 = C/2).
 */
export function splitChannels(x: tf.Tensor, c1: number): [tf.Tensor, tf.Tensor] {
  const c = x.shape[1]!;
  return [sliceChannels(x, 0, c1), sliceChannels(x, c1, c - c1)];
}

/** Throws unless `x` is a batch of vectors `[B, dim]`. `location` names the argument in the error. */
export function checkVectors(x: tf.Tensor, source: string, dim: number, location = 'input'): void {
  if (x.rank !== 2 || x.shape[1] !== dim) {
    throw new ShapeError(`expected vectors [B, ${dim}], got [${x.shape}]`, { source, location });
  }
}
