import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalTensor, type Module } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import type { Bijector } from '@skelflow/flows';
import { disposeResult, maxAbsDiff, values } from './tensors.js';

/** A bijector under test with the input shape and optional context it expects. */
export interface BijectorCase {
  name: string;
  channels: number;
  contextDim: number;
  make: () => Module & Bijector;
}

/** Shape of the inputs {@link bijectorContract} feeds: `[batch, channels, ...rest]`. */
export interface BijectorContractOptions {
  /** Batch size; default 2. */
  batch?: number;
  /** Axes after the channel axis; default `[3, 2]` (T, V). */
  rest?: number[];
}

/** log|det A| by Gaussian elimination with partial pivoting in float64 (independent of flows' linalg). */
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
    const rows = row.arraySync() as number[][];
    row.dispose();
    for (let s = 0; s < b; s++) jac[s]!.push(rows[s]!);
  }
  return jac;
}

/**
 * The bijector contract, one `describe` per case (`"<name>: bijector properties"`) with four
 * tests: inverse ∘ forward and forward ∘ inverse are the identity; forward logDet = −inverse
 * logDet; logDet = log|det J| of the autodiff Jacobian in both directions; no tensor leaks over
 * repeated calls. Call it inside a backend block ({@link forEachBackend}).
 *
 * @example
 * ```ts
 * forEachBackend('@skelflow/flows', () => {
 *   bijectorContract([{ name: 'ActNorm', channels: 3, contextDim: 0, make: () => new ActNorm(3) }]);
 * });
 * ```
 */
export function bijectorContract(cases: BijectorCase[], options: BijectorContractOptions = {}): void {
  const batch = options.batch ?? 2;
  const rest = options.rest ?? [3, 2];
  const inputFor = (c: BijectorCase, seed: number): { x: tf.Tensor; context: tf.Tensor | undefined } => {
    const rng = new Rng(seed);
    return {
      x: normalTensor(rng, [batch, c.channels, ...rest]),
      context: c.contextDim > 0 ? normalTensor(rng, [batch, c.contextDim]) : undefined,
    };
  };

  describe.each(cases)('$name: bijector properties', (c) => {
    it('inverse(forward(x)) ≈ x and forward(inverse(y)) ≈ y', () => {
      const b = c.make();
      const { x, context } = inputFor(c, 1);
      const f = b.forward(x, context);
      const back = b.inverse(f.y, context);
      expect(maxAbsDiff(back.x, x)).toBeLessThan(1e-4);
      const again = b.forward(back.x, context);
      expect(maxAbsDiff(again.y, f.y)).toBeLessThan(1e-4);
      expect(f.y.shape).toEqual(x.shape);
      expect(f.logDet.shape).toEqual([batch]);
      expect(back.logDet.shape).toEqual([batch]);
      [f, back, again].forEach(disposeResult);
      tf.dispose([x, context ?? []]);
      b.dispose();
    });

    it('forward logDet = −inverse logDet', () => {
      const b = c.make();
      const { x, context } = inputFor(c, 2);
      const f = b.forward(x, context);
      const inv = b.inverse(f.y, context);
      const fl = values(f.logDet);
      const il = values(inv.logDet);
      fl.forEach((v, i) => expect(v + il[i]!).toBeCloseTo(0, 4));
      [f, inv].forEach(disposeResult);
      tf.dispose([x, context ?? []]);
      b.dispose();
    });

    it('forward logDet = log|det J| of the autodiff Jacobian', () => {
      const b = c.make();
      const { x, context } = inputFor(c, 3);
      const jac = perSampleJacobians((xx) => b.forward(xx, context).y, x);
      const f = b.forward(x, context);
      const logDet = values(f.logDet);
      jac.forEach((j, s) => expect(Math.abs(logAbsDetJs(j) - logDet[s]!)).toBeLessThan(1e-3));
      // Also the inverse direction, from the latent side.
      const ijac = perSampleJacobians((yy) => b.inverse(yy, context).x, f.y);
      const inv = b.inverse(f.y, context);
      const invLogDet = values(inv.logDet);
      ijac.forEach((j, s) => expect(Math.abs(logAbsDetJs(j) - invLogDet[s]!)).toBeLessThan(1e-3));
      [f, inv].forEach(disposeResult);
      tf.dispose([x, context ?? []]);
      b.dispose();
    });

    it('leaks no tensors over repeated forward/inverse calls', () => {
      const b = c.make();
      const { x, context } = inputFor(c, 4);
      disposeResult(b.forward(x, context)); // warm-up (kernel setup, lazy init)
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const f = b.forward(x, context);
        const inv = b.inverse(f.y, context);
        disposeResult(f);
        disposeResult(inv);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, context ?? []]);
      b.dispose();
    });
  });
}
