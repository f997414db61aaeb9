import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalTensor } from '@skelflow/core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { expectInputError, expectThrows, forEachBackend, values } from '@skelflow/testing';
import { ACTIVATIONS, BatchNorm, Dropout, LayerNorm, Linear, Mlp, PointwiseConv, TemporalConv, applyActivation } from '../src/index.js';
import { activationRef } from './reference.js';

// Hand cases from the layers' equations and PyTorch's initialisation; the shared layer contract
// (contract.test.ts) covers shapes, gradients, leaks, modes, save/load and backend agreement.

/** Checks PyTorch's U(±1/√fanIn): every value inside the bound, the extremes near it, moments of a uniform. */
function expectUniformBound(v: number[], fanIn: number, what: string): void {
  const bound = 1 / Math.sqrt(fanIn);
  const max = Math.max(...v.map(Math.abs));
  expect(max, what).toBeLessThanOrEqual(bound * (1 + 1e-6));
  if (v.length >= 200) {
    expect(max, what).toBeGreaterThan(0.98 * bound);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean), what).toBeLessThan((4 * bound) / Math.sqrt(3 * v.length));
    expect(variance / (bound * bound / 3), what).toBeGreaterThan(0.9);
    expect(variance / (bound * bound / 3), what).toBeLessThan(1.1);
  }
}

forEachBackend('@skelflow/nn hand cases', () => {
  describe('Linear', () => {
    it('computes x Wᵀ + b on a hand matrix, for any number of leading axes', () => {
      const fc = new Linear(3, 2, { seed: 0 });
      fc.loadStateDict({ weight: tf.tensor2d([[1, 2, 3], [-1, 0, 2]]), bias: tf.tensor1d([0.5, -1]) });
      const x = tf.tensor2d([[1, 0, -1], [2, 1, 0]]);
      expect(values(fc.call(x))).toEqual([-1.5, -4, 4.5, -3]);
      const x3 = tf.reshape(x, [2, 1, 3]);
      const y3 = fc.call(x3);
      expect(y3.shape).toEqual([2, 1, 2]);
      expect(values(y3)).toEqual([-1.5, -4, 4.5, -3]);
      const y1 = fc.call(tf.tensor1d([1, 0, -1]));
      expect(y1.shape).toEqual([2]);
      expect(values(y1)).toEqual([-1.5, -4]);
      expectThrows(() => fc.call(tf.zeros([2, 4])), ShapeError, /\[\.\.\., 3\]/);
      expectThrows(() => new Linear(0, 2), ShapeError, /inFeatures/);
      fc.dispose();
    });

    it("initialises like PyTorch's nn.Linear: weight and bias U(±1/√in), seeded", () => {
      const a = new Linear(64, 128, { seed: 3 });
      const b = new Linear(64, 128, { seed: 3 });
      const c = new Linear(64, 128, { seed: 4 });
      expectUniformBound(values(a.weight), 64, 'weight');
      expectUniformBound(values(a.bias!), 64, 'bias');
      expect(values(b.weight)).toEqual(values(a.weight));
      expect(values(c.weight)).not.toEqual(values(a.weight));
      expect(new Linear(3, 2, { bias: false, seed: 0 }).namedParameters().map(([n]) => n)).toEqual(['weight']);
      [a, b, c].forEach((m) => m.dispose());
    });
  });

  describe('LayerNorm', () => {
    it('normalises a known vector with the biased variance: [1, 2, 3, 4] → (x − 2.5)/√(1.25 + ε)·γ + β', () => {
      const ln = new LayerNorm(4);
      ln.loadStateDict({ weight: tf.tensor1d([1, 2, 1, 1]), bias: tf.tensor1d([0, 0, 1, 0]) });
      const y = values(ln.call(tf.tensor2d([[1, 2, 3, 4]])));
      const s = Math.sqrt(1.25 + 1e-5); // the unbiased variance would be 5/3
      const expected = [(1 - 2.5) / s, (2 * (2 - 2.5)) / s, (3 - 2.5) / s + 1, (4 - 2.5) / s];
      y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
      // Two normalised axes: the same four numbers as a 2×2 block.
      const ln2 = new LayerNorm([2, 2], { elementwiseAffine: false });
      const y2 = values(ln2.call(tf.tensor3d([[[1, 2], [3, 4]]])));
      [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => expect(y2[i]!).toBeCloseTo(d / s, 6));
      expect(ln2.namedParameters()).toEqual([]);
      expectThrows(() => ln.call(tf.zeros([2, 3])), ShapeError, /4/);
      [ln, ln2].forEach((m) => m.dispose());
    });

    it("initialises like PyTorch's nn.LayerNorm: weight ones, bias zeros, eps 1e-5", () => {
      const ln = new LayerNorm([2, 3]);
      expect(values(ln.weight!)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(values(ln.bias!)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(ln.eps).toBe(1e-5);
      expect(new LayerNorm(3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
      ln.dispose();
    });
  });

  describe('Dropout', () => {
    it('keeps a fraction 1 − p (binomially) scaled by 1/(1 − p), and is the identity in eval mode', () => {
      const p = 0.3;
      const n = 100_000;
      const drop = new Dropout(p, { seed: 5 });
      const x = tf.ones([200, 500]);
      const y = values(drop.call(x));
      const scale = Math.fround(1 / (1 - p));
      expect(y.every((v) => v === 0 || v === scale)).toBe(true);
      const kept = y.filter((v) => v !== 0).length / n;
      expect(Math.abs(kept - (1 - p))).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
      // E[y] = x.
      expect(y.reduce((s, v) => s + v, 0) / n).toBeCloseTo(1, 1);
      drop.eval();
      const xs = normalTensor(new Rng(6), [3, 4]);
      expect(values(drop.call(xs))).toEqual(values(xs));
      drop.dispose();
    });

    it('draws masks from its seed: same seed same masks, a new mask per call; gradient = mask/(1 − p)', () => {
      const a = new Dropout(0.5, { seed: 'm' });
      const b = new Dropout(0.5, { seed: 'm' });
      const x = tf.ones([64]);
      const a1 = values(a.call(x));
      const a2 = values(a.call(x));
      expect(values(b.call(x))).toEqual(a1);
      expect(values(b.call(x))).toEqual(a2);
      expect(a2).not.toEqual(a1);
      const xv = tf.variable(tf.ones([64]));
      let seen: number[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const y = a.call(xv);
        seen = values(y);
        return tf.sum(y) as tf.Scalar;
      }, [xv]);
      expect(values(grads[xv.name]!)).toEqual(seen); // x = 1: the output is the scaled mask
      tf.dispose([value, xv, x, ...Object.values(grads)]);
      [a, b].forEach((m) => m.dispose());
    });

    it('p = 0 is the identity and p = 1 zeroes everything in train mode; p outside [0, 1] is an input error', () => {
      const x = normalTensor(new Rng(7), [5]);
      expect(values(new Dropout(0).call(x))).toEqual(values(x));
      expect(values(new Dropout(1, { seed: 1 }).call(x)).every((v) => v === 0)).toBe(true); // ±0, as x·0 in PyTorch
      for (const p of [-0.1, 1.5, Number.NaN]) expectInputError(() => new Dropout(p), /probability/);
    });
  });

  describe('MLP', () => {
    it('names its Linears by nn.Sequential index and loads such a state dict', () => {
      const plain = new Mlp([3, 4, 2], { seed: 0 });
      expect(plain.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
      const withDrop = new Mlp([3, 4, 4, 2], { seed: 0, dropout: 0.1 });
      expect(withDrop.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '6.weight', '6.bias']);
      expect(withDrop.namedChildren().map(([n]) => n)).toEqual(['0', '2', '3', '5', '6']);
      // Hand weights: relu(x W0ᵀ + b0) W2ᵀ + b2.
      plain.loadStateDict({
        '0.weight': tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]),
        '0.bias': tf.tensor1d([0, 0, 0, -1]),
        '2.weight': tf.tensor2d([[1, 1, 1, 1], [1, -1, 0, 2]]),
        '2.bias': tf.tensor1d([0, 0.5]),
      });
      // x = [1, −2, 0.5]: hidden relu([1, −2, 0.5, −1.5]) = [1, 0, 0.5, 0]; out [1.5, 1 + 0.5].
      expect(values(plain.call(tf.tensor2d([[1, -2, 0.5]])))).toEqual([1.5, 1.5]);
      [plain, withDrop].forEach((m) => m.dispose());
    });

    it("initialises each Linear like PyTorch's (U(±1/√fanIn)) and validates its options", () => {
      const m = new Mlp([16, 300, 4], { seed: 1 });
      expectUniformBound(values(m.linears[0]!.weight), 16, '0.weight');
      expectUniformBound(values(m.linears[1]!.weight), 300, '2.weight');
      expectUniformBound(values(m.linears[1]!.bias!), 300, '2.bias');
      expectInputError(() => new Mlp([3]), /\[in, …, out\]/);
      expectInputError(() => new Mlp([3, 2], { activation: 'swish' as 'relu' }), /unknown activation 'swish'/);
      m.dispose();
    });

    it('applies the activation between Linears and the final activation after the last', () => {
      const m = new Mlp([1, 1, 1], { activation: 'relu', finalActivation: 'sigmoid', bias: false });
      m.loadStateDict({ '0.weight': tf.tensor2d([[2]]), '2.weight': tf.tensor2d([[-1]]) });
      const y = values(m.call(tf.tensor2d([[-1], [1.5]])));
      expect(y[0]!).toBeCloseTo(0.5, 6); // relu(−2) = 0 → sigmoid(0)
      expect(y[1]!).toBeCloseTo(1 / (1 + Math.exp(3)), 6);
      m.dispose();
    });
  });

  it('every activation follows its formula', () => {
    const xs = [-3, -1, -0.25, 0, 0.5, 2];
    for (const a of ACTIVATIONS) {
      const y = values(applyActivation(tf.tensor1d(xs), a, 0.2));
      xs.forEach((x, i) => expect(y[i]!, `${a}(${x})`).toBeCloseTo(activationRef(x, a, 0.2), 6));
    }
    expectThrows(() => applyActivation(tf.zeros([1]), 'nope' as 'relu'), InputError, /unknown activation/);
  });

  it('BatchNorm, PointwiseConv and TemporalConv initialise as PyTorch does', () => {
    const bn = new BatchNorm(3);
    expect(values(bn.weight!)).toEqual([1, 1, 1]);
    expect(values(bn.bias!)).toEqual([0, 0, 0]);
    expect(values(bn.runningMean)).toEqual([0, 0, 0]);
    expect(values(bn.runningVar)).toEqual([1, 1, 1]);
    expect([bn.eps, bn.momentum]).toEqual([1e-5, 0.1]);
    const pw = new PointwiseConv(16, 32, { seed: 2 });
    expectUniformBound(values(pw.weight), 16, 'PointwiseConv.weight');
    expectUniformBound(values(pw.bias!), 16, 'PointwiseConv.bias');
    const tc = new TemporalConv(4, 8, 9, { seed: 2 });
    expectUniformBound(values(tc.weight), 4 * 9, 'TemporalConv.weight');
    expectUniformBound(values(tc.bias!), 4 * 9, 'TemporalConv.bias');
    [bn, pw, tc].forEach((m) => m.dispose());
  });
});
