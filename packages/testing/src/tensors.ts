import * as tf from '@tensorflow/tfjs-core';
import { normalTensor, type Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';

/** Reads a tensor as a flat JS array (and leaves it alive). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Largest absolute elementwise difference of two tensors of equal shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch [${a.shape}] vs [${b.shape}]`);
  return maxAbsDiffArrays(a.dataSync(), b.dataSync());
}

/** Largest absolute elementwise difference of two arrays of equal length. */
export function maxAbsDiffArrays(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest absolute entry (0 for an empty array). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Disposes everything a forward or inverse result holds. */
export function disposeResult(r: object): void {
  for (const v of Object.values(r)) if (v instanceof tf.Tensor) v.dispose();
}

/** Adds N(0, std²) noise to every parameter so that no test passes thanks to an identity init. */
export function perturbParameters(m: Module, seed: number | string, std = 0.3): void {
  const rng = new Rng(seed);
  for (const [, v] of m.namedParameters()) {
    tf.tidy(() => v.assign(tf.add(v, normalTensor(rng, v.shape, 0, std))));
  }
}
