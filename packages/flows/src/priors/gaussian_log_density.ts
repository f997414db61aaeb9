import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { sumPerSample } from '../tensor_utils.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Σ over non-batch dims of log N(z; mean, exp(logStd)²), written as STG-NF's `gaussian_p`:
 * −½·(2·logStd + (z − mean)² / (exp(2·logStd) + varianceEps) + log 2π). `varianceEps` > 0
 * guards the division but makes the density slightly improper; 0 gives the exact Gaussian.
 */
export function diagonalGaussianLogDensity(z: tf.Tensor, mean: tf.Tensor, logStd: tf.Tensor, varianceEps: number): tf.Tensor {
  return tf.tidy(() => {
    const variance = tf.exp(tf.mul(logStd, 2));
    const mahalanobis = tf.div(tf.square(tf.sub(z, mean)), varianceEps === 0 ? variance : tf.add(variance, varianceEps));
    const p = tf.mul(tf.add(tf.add(tf.mul(logStd, 2), mahalanobis), LOG_2PI), -0.5);
    return sumPerSample(p); // p has z's shape: z is part of every term's broadcast
  });
}

/** Throws unless `z` is `[B, ...eventShape]`. */
export function checkEvent(z: tf.Tensor, eventShape: readonly number[], source: string): void {
  if (z.rank !== eventShape.length + 1 || eventShape.some((d, i) => z.shape[i + 1] !== d)) {
    throw new ShapeError(`expected [B, ${eventShape.join(', ')}], got [${z.shape}]`, { source });
  }
}

/** Throws unless `t` broadcasts to `eventShape` (numpy rules, aligned on the right). */
export function checkBroadcastable(t: tf.Tensor, eventShape: readonly number[], source: string, what: string): void {
  const offset = eventShape.length - t.rank;
  const ok = offset >= 0 && t.shape.every((d, i) => d === 1 || d === eventShape[i + offset]);
  if (!ok) throw new ShapeError(`${what} [${t.shape}] does not broadcast to the event shape [${eventShape}]`, { source });
}

export function checkVarianceEps(eps: number, source: string): void {
  if (!(eps >= 0)) throw new InputError(`varianceEps must be ≥ 0, got ${eps}`, { source });
}
