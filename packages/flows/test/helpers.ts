import * as tf from '@tensorflow/tfjs-core';
import { channelMatMul } from '@skelflow/nn';
import { Module, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { Bijector, Conditioner } from '../src/index.js';

/** Backends every property is checked on (cpu: reference kernels; wasm: the Node default). */
export const BACKENDS = ['cpu', 'wasm'] as const;

/**
 * A small conditioner for couplings: `tanh(W·x1 + b + Wc·context)` with a 1×1 channel mixing and a
 * per-sample context projection broadcast over the positions. Built only from ops with gradient
 * kernels on wasm (batched matMul, 2-D matMul, tanh).
 */
export class TestConditioner extends Module implements Conditioner {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly contextWeight: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, seed: number | string, contextDim = 0) {
    super();
    const rng = new Rng(seed);
    this.weight = this.addParameter('weight', normalTensor(rng, [outChannels, inChannels], 0, 0.8));
    this.bias = this.addParameter('bias', normalTensor(rng, [outChannels], 0, 0.3));
    this.contextWeight = contextDim > 0 ? this.addParameter('contextWeight', normalTensor(rng, [outChannels, contextDim], 0, 0.8)) : null;
  }

  call(x1: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ones = x1.shape.slice(2).map(() => 1);
      let h = tf.add(channelMatMul(x1, this.weight), tf.reshape(this.bias, [1, this.bias.size, ...ones]));
      if (this.contextWeight && context) {
        const c = tf.matMul(context, this.contextWeight, false, true); // [B, out]
        h = tf.add(h, tf.reshape(c, [c.shape[0]!, c.shape[1]!, ...ones]));
      }
      return tf.tanh(h);
    });
  }
}

/** A conditioner that returns a fixed tensor, to check the couplings' formulas against JS. */
export class ConstantConditioner extends Module implements Conditioner {
  constructor(private readonly value: tf.Tensor) {
    super();
  }
  call(): tf.Tensor {
    return tf.clone(this.value);
  }
}

/** Adds N(0, std²) noise to every parameter so that no test passes thanks to an identity init. */
export function perturbParameters(m: Module, seed: number | string, std = 0.3): void {
  const rng = new Rng(seed);
  for (const [, v] of m.namedParameters()) {
    tf.tidy(() => v.assign(tf.add(v, normalTensor(rng, v.shape, 0, std))));
  }
}

/** log|det A| by Gaussian elimination with partial pivoting in float64 (independent of src/linalg). */
export function logAbsDetJs(a: number[][]): number {
  const n = a.length;
  const m = a.map((r) => [...r]);
  let s = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
    [m[k], m[p]] = [m[p]!, m[k]!];
    const d = m[k]![k]!;
    if (d === 0) return -Infinity;
    s += Math.log(Math.abs(d));
    for (let i = k + 1; i < n; i++) {
      const f = m[i]![k]! / d;
      for (let j = k; j < n; j++) m[i]![j]! -= f * m[k]![j]!;
    }
  }
  return s;
}

/**
 * Per-sample Jacobians of a map `[B, ...]` → `[B, ...]` of equal per-sample size D, row by row
 * with `tf.grad` (samples are independent, so one gradient of Σ_b y[b, i] gives row i of each).
 * Returns `B` matrices D×D.
 */
export function perSampleJacobians(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): number[][][] {
  const b = x.shape[0]!;
  const d = x.size / b;
  const jac: number[][][] = Array.from({ length: b }, () => []);
  for (let i = 0; i < d; i++) {
    const row = tf.tidy(() => {
      const pick = tf.oneHot(tf.tensor1d([i], 'int32'), d); // [1, D]
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.reshape(f(xx), [b, d]), pick)))(x);
      return tf.reshape(g, [b, d]);
    });
    const values = row.arraySync() as number[][];
    row.dispose();
    for (let s = 0; s < b; s++) jac[s]!.push(values[s]!);
  }
  return jac;
}

/** Reads a tensor as a flat JS array (and leaves it alive). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Largest absolute elementwise difference of two tensors of equal shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch [${a.shape}] vs [${b.shape}]`);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** Disposes everything a forward or inverse result holds. */
export function disposeResult(r: object): void {
  for (const v of Object.values(r)) if (v instanceof tf.Tensor) v.dispose();
}

/** A bijector under test with the input shape and optional context it expects. */
export interface BijectorCase {
  name: string;
  channels: number;
  contextDim: number;
  make: () => Module & Bijector;
}
