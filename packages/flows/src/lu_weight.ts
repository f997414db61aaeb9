import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { luDecompose, randomOrthogonal } from './linalg.js';

/**
 * Initial values of Glow's LU parametrisation W = P · L · (U + diag(sign_s · exp(log_s))), taken
 * from the LU factors (partial pivoting) of a random orthogonal matrix (QR of a seeded standard
 * normal matrix), so W starts orthogonal and log|det W| = Σ log_s starts at 0. Shared by
 * {@link InvertibleConv1x1LU} (pose tensors) and {@link InvertibleLinearLU} (vectors).
 */
export interface LuInit {
  /** Strict lower triangle of L (row-major `[n, n]`, zeros elsewhere). */
  lower: Float32Array;
  /** Strict upper triangle of U (row-major `[n, n]`, zeros elsewhere). */
  upper: Float32Array;
  logS: Float32Array;
  signS: Float32Array;
  /** The permutation matrix P (row-major `[n, n]`). */
  p: Float32Array;
  /** 1 strictly below the diagonal, 0 elsewhere: masks `lower` (its transpose masks `upper`). */
  strictlyLowerMask: Float32Array;
}

/** {@link LuInit} of a seeded random orthogonal n×n matrix. */
export function luInitFromOrthogonal(n: number, seed: number | string): LuInit {
  const lu = luDecompose(randomOrthogonal(n, new Rng(seed)));
  const lower = new Float32Array(n * n);
  const upper = new Float32Array(n * n);
  const logS = new Float32Array(n);
  const signS = new Float32Array(n);
  const p = new Float32Array(n * n);
  const strictlyLowerMask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = lu.packed[i * n + j]!;
      if (j < i) {
        lower[i * n + j] = v;
        strictlyLowerMask[i * n + j] = 1;
      } else if (j > i) upper[i * n + j] = v;
    }
    const s = lu.packed[i * n + i]!;
    logS[i] = Math.log(Math.abs(s));
    signS[i] = s < 0 ? -1 : 1;
    // Rows were permuted as (P_r · W)[i] = W[perm[i]], so W = P_rᵀ · L · U.
    p[lu.perm[i]! * n + i] = 1;
  }
  return { lower, upper, logS, signS, p, strictlyLowerMask };
}

/** The parameters and buffers {@link luWeight} assembles W from. */
export interface LuFactorsTensors {
  p: tf.Tensor;
  lower: tf.Tensor;
  upper: tf.Tensor;
  logS: tf.Tensor;
  signS: tf.Tensor;
}

/**
 * W = P · (lower ⊙ M + I) · (upper ⊙ Mᵀ + diag(sign_s · exp(log_s))) `[n, n]`, differentiable in
 * `lower`, `upper` and `logS`. The triangles are cut with a constant mask M and the diagonal is a
 * broadcasting multiply with the identity: only matMul and elementwise ops, so it trains on wasm
 * (no gather, no band-part kernel).
 */
export function luWeight(f: LuFactorsTensors, strictlyLowerMask: Float32Array): tf.Tensor {
  return tf.tidy(() => {
    const n = f.logS.size;
    const lowerMask = tf.tensor2d(strictlyLowerMask, [n, n]);
    const eye = tf.eye(n);
    const l = tf.add(tf.mul(f.lower, lowerMask), eye);
    const diag = tf.mul(eye, tf.reshape(tf.mul(f.signS, tf.exp(f.logS)), [1, n]));
    const u = tf.add(tf.mul(f.upper, tf.transpose(lowerMask)), diag);
    return tf.matMul(f.p, tf.matMul(l, u));
  });
}
