import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeIntoModule, encodeModule, normalTensor } from '@skelflow/core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { ActNorm, ConcatContextMlp, ConditionalAffineCoupling, ConditionalGlow, InvertibleLinearLU, type ConditionalGlowOptions } from '../src/index.js';
import { bijectorContract, disposeResult, expectThrows, forEachBackend, logAbsDetJs, maxAbsDiff, perturbParameters, values, type BijectorCase } from '@skelflow/testing';

// The conditional Glow on vectors (NFlowAD's flow, model-cards.md §4.2/§4.7.4): every bijector
// and the whole flow on [B, D] with a fixed context, against independent oracles (autodiff
// Jacobians, JavaScript matrix products and determinants, hand cases of Glow's equations).

const D = 6;
const K = 4;
const LOG_2PI = Math.log(2 * Math.PI);

/** A Glow whose every parameter is moved off its (partly zero, identity-like) initial value, ActNorms marked initialised. */
function trainedGlow(options: Partial<ConditionalGlowOptions> = {}, std = 0.3): ConditionalGlow {
  const glow = new ConditionalGlow({ dim: D, contextDim: K, steps: 3, hidden: 16, seed: 7, ...options });
  perturbParameters(glow, 'moved', std);
  for (const [, m] of glow.transform.namedChildren()) if (m instanceof ActNorm) m.markInitialized();
  return glow;
}

function actNorm(dim: number): ActNorm {
  const a = new ActNorm(dim);
  perturbParameters(a, 'an');
  a.markInitialized();
  return a;
}

function lu(dim: number): InvertibleLinearLU {
  const l = new InvertibleLinearLU(dim, 'lu');
  perturbParameters(l, 'lu-moved', 0.2);
  return l;
}

function coupling(dim: number, contextDim: number): ConditionalAffineCoupling {
  const c = new ConditionalAffineCoupling(dim, contextDim, { hidden: 8, seed: 3 });
  perturbParameters(c, 'coupling-moved', 0.4);
  return c;
}

const CASES: BijectorCase[] = [
  { name: 'ActNorm on vectors', channels: D, contextDim: 0, make: () => actNorm(D) },
  { name: 'InvertibleLinearLU', channels: D, contextDim: 0, make: () => lu(D) },
  { name: 'ConditionalAffineCoupling (even D)', channels: D, contextDim: K, make: () => coupling(D, K) },
  { name: 'ConditionalAffineCoupling (odd D = 5)', channels: 5, contextDim: K, make: () => coupling(5, K) },
  { name: 'ConditionalAffineCoupling (no context)', channels: D, contextDim: 0, make: () => coupling(D, 0) },
  { name: 'ConditionalGlow transform (LU mixing)', channels: D, contextDim: K, make: () => trainedGlow().transform },
  { name: 'ConditionalGlow transform (reverse mixing)', channels: D, contextDim: K, make: () => trainedGlow({ mixing: 'reverse' }).transform },
];

/** Row-major JS matrix product. */
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

function rows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

forEachBackend('conditional Glow on vectors', () => {
  bijectorContract(CASES, { batch: 3, rest: [] });

  describe('ConditionalGlow with a fixed context', () => {
    it('inverts within 1e-5 and the log-dets of both directions cancel', () => {
      // Moderately moved weights: large random ones make the sigmoid scales tiny, and the inverse
      // (a division by them) then amplifies float32 rounding beyond 1e-5 absolute.
      const glow = trainedGlow({}, 0.15);
      const rng = new Rng('inv');
      const h = normalTensor(rng, [5, D]);
      const c = normalTensor(rng, [5, K]);
      const f = glow.forward(h, c);
      const back = glow.inverse(f.z, c);
      expect(maxAbsDiff(back.h, h)).toBeLessThan(1e-5);
      const sum = values(tf.add(f.logDet, back.logDet));
      for (const v of sum) expect(Math.abs(v)).toBeLessThan(1e-4);
      expect(f.z.shape).toEqual([5, D]);
      expect(f.logDet.shape).toEqual([5]);
      tf.dispose([h, c]);
      [f, back].forEach(disposeResult);
      glow.dispose();
    });

    it('log-det = log|det J| of a central finite-difference Jacobian (d = 6, no autodiff)', () => {
      const glow = trainedGlow({}, 0.15);
      glow.eval();
      const rng = new Rng('fd');
      const h = normalTensor(rng, [2, D]);
      const c = normalTensor(rng, [2, K]);
      const eps = 3e-3; // truncation O(ε²) vs float32 rounding O(1e-7/ε)
      const hs = rows(h);
      // All 2·D perturbed copies of each sample in one batch (the same context row for each).
      const pert: number[][] = [];
      const ctx: number[][] = [];
      const cs = rows(c);
      hs.forEach((row, b) => {
        for (let j = 0; j < D; j++) {
          for (const sgn of [1, -1]) {
            pert.push(row.map((v, k) => (k === j ? v + sgn * eps : v)));
            ctx.push(cs[b]!);
          }
        }
      });
      const zs = tf.tidy(() => rows(glow.forward(tf.tensor2d(pert), tf.tensor2d(ctx)).z));
      const logDet = tf.tidy(() => values(glow.forward(h, c).logDet));
      hs.forEach((_, b) => {
        // Column j of J: (f(h + ε e_j) − f(h − ε e_j)) / 2ε; log|det J| = log|det Jᵀ|.
        const jt = Array.from({ length: D }, (_, j) => zs[b * 2 * D + 2 * j]!.map((v, i) => (v - zs[b * 2 * D + 2 * j + 1]![i]!) / (2 * eps)));
        expect(Math.abs(logAbsDetJs(jt) - logDet[b]!)).toBeLessThan(2e-3);
      });
      tf.dispose([h, c]);
      glow.dispose();
    });

    it('log p(h | c) = log N(z; 0, I) + log-det, in nats; bits per dim divide by D·ln 2', () => {
      const glow = trainedGlow();
      const rng = new Rng('lp');
      const h = normalTensor(rng, [4, D]);
      const c = normalTensor(rng, [4, K]);
      const { z, logDet } = glow.forward(h, c);
      const zs = rows(z);
      const ld = values(logDet);
      const lp = values(glow.logProb(h, { context: c }));
      const bpd = values(glow.nllBitsPerDim(h, { context: c }));
      zs.forEach((row, i) => {
        const expected = -0.5 * row.reduce((s, v) => s + v * v, 0) - 0.5 * D * LOG_2PI + ld[i]!;
        expect(lp[i]).toBeCloseTo(expected, 4);
        expect(bpd[i]).toBeCloseTo(-expected / (D * Math.LN2), 4);
      });
      tf.dispose([h, c, z, logDet]);
      glow.dispose();
    });

    it('changing the context changes log p for every sample (and the same context gives the same value)', () => {
      const glow = trainedGlow();
      const rng = new Rng('ctx');
      const h = normalTensor(rng, [4, D]);
      const c1 = normalTensor(rng, [4, K]);
      const c2 = normalTensor(rng, [4, K]);
      const a = values(glow.logProb(h, { context: c1 }));
      const again = values(glow.logProb(h, { context: c1 }));
      const b = values(glow.logProb(h, { context: c2 }));
      expect(again).toEqual(a);
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeGreaterThan(1e-3));
      tf.dispose([h, c1, c2]);
      glow.dispose();
    });

    it('every parameter gets a finite, non-zero gradient of the mean NLL (train mode, on this backend)', () => {
      const glow = trainedGlow();
      glow.train();
      const rng = new Rng('grad');
      const h = normalTensor(rng, [8, D]);
      const c = normalTensor(rng, [8, K]);
      const named = glow.namedParameters();
      expect(named.length).toBe(3 * (2 + 3 + 6)); // per step: ActNorm 2, LU 3, MLP 3 linears × 2
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(glow.logProb(h, { context: c }))) as tf.Scalar, named.map(([, v]) => v));
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      for (const [name, v] of named) {
        const g = values(grads[v.name]!);
        expect(g.every(Number.isFinite), name).toBe(true);
        expect(Math.max(...g.map(Math.abs)), name).toBeGreaterThan(0);
      }
      tf.dispose([h, c, value, ...Object.values(grads)]);
      glow.dispose();
    });

    it('leaks no tensors over forward, inverse, logProb, sample and a gradient', () => {
      const glow = trainedGlow();
      const rng = new Rng('leak');
      const h = normalTensor(rng, [3, D]);
      const c = normalTensor(rng, [3, K]);
      const round = (): void => {
        const f = glow.forward(h, c);
        disposeResult(glow.inverse(f.z, c));
        disposeResult(f);
        tf.dispose([glow.logProb(h, { context: c }), glow.sample(3, 's', { context: c })]);
        const { value, grads } = tf.variableGrads(() => tf.mean(glow.logProb(h, { context: c })) as tf.Scalar);
        tf.dispose([value, ...Object.values(grads)]);
      };
      round();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) round();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([h, c]);
      glow.dispose();
    });

    it('samples [n, D] deterministically per seed, and forward(sample) recovers the prior draw', () => {
      const glow = trainedGlow({}, 0.15);
      const c = normalTensor(new Rng('sc'), [3, K]);
      const a = glow.sample(3, 'seed', { context: c });
      const b = glow.sample(3, 'seed', { context: c });
      expect(a.shape).toEqual([3, D]);
      expect(values(a)).toEqual(values(b));
      const eps = normalTensor(new Rng('seed'), [3, D]); // the prior's draw (DiagonalGaussianPrior: N(0, I) from Rng(seed))
      const { z, logDet } = glow.forward(a, c);
      expect(maxAbsDiff(z, eps)).toBeLessThan(1e-4);
      tf.dispose([a, b, c, eps, z, logDet]);
      glow.dispose();
    });

    it('saves and loads through encodeModule / decodeIntoModule into a flow built from its config', async () => {
      const glow = trainedGlow();
      const rng = new Rng('io');
      const h = normalTensor(rng, [4, D]);
      const c = normalTensor(rng, [4, K]);
      const { modelJson, weights } = await encodeModule(glow, glow.config);
      const other = new ConditionalGlow({ ...(modelJson.config as unknown as ConditionalGlowOptions), seed: 'another' });
      decodeIntoModule(other, modelJson, weights);
      expect(values(other.logProb(h, { context: c }))).toEqual(values(glow.logProb(h, { context: c })));
      other.train();
      // The loaded ActNorm flags stay set: training on a new batch does not re-initialise.
      const before = values(other.transform.namedParameters()[0]![1]);
      disposeResult(other.forward(h, c));
      expect(values(other.transform.namedParameters()[0]![1])).toEqual(before);
      tf.dispose([h, c]);
      glow.dispose();
      other.dispose();
    });
  });

  describe('ActNorm on vectors: data-dependent initialisation', () => {
    it('the first train-mode batch comes out with zero mean and unit population variance per dimension', () => {
      const a = new ActNorm(D);
      const rng = new Rng('an-init');
      const x = tf.tidy(() => tf.add(tf.mul(normalTensor(rng, [64, D]), tf.tensor1d([0.1, 1, 3, 10, 0.5, 2])), tf.tensor1d([5, -2, 0, 1, 30, -7])));
      const { y, logDet } = a.forward(x);
      const ys = rows(y);
      for (let j = 0; j < D; j++) {
        const col = ys.map((r) => r[j]!);
        const mean = col.reduce((s, v) => s + v, 0) / col.length;
        const variance = col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length;
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(Math.abs(variance - 1)).toBeLessThan(1e-4);
      }
      expect(a.isInitialized).toBe(true);
      // Second batch: no re-initialisation.
      const logs = values(a.logs);
      const x2 = tf.mul(x, 3);
      disposeResult(a.forward(x2));
      expect(values(a.logs)).toEqual(logs);
      tf.dispose([x, x2, y, logDet]);
      a.dispose();
    });

    it('in a fresh ConditionalGlow, the first train-mode forward initialises every ActNorm on the data it sees', () => {
      const glow = new ConditionalGlow({ dim: D, contextDim: K, steps: 2, hidden: 8, seed: 1 });
      glow.train();
      const rng = new Rng('glow-init');
      const h = tf.tidy(() => tf.add(tf.mul(normalTensor(rng, [32, D]), 4), 3));
      const c = normalTensor(rng, [32, K]);
      const first = glow.transform.namedChildren()[0]![1] as ActNorm;
      const { y } = first.forward(h); // what the glow's first step will produce after init
      disposeResult(glow.forward(h, c));
      const an = glow.transform.namedChildren().filter(([, m]) => m instanceof ActNorm).map(([, m]) => m as ActNorm);
      expect(an.map((m) => m.isInitialized)).toEqual([true, true]);
      y.dispose();
      const out = an[0]!.forward(h).y;
      const ys = rows(out);
      for (let j = 0; j < D; j++) {
        const col = ys.map((r) => r[j]!);
        expect(Math.abs(col.reduce((s, v) => s + v, 0) / col.length)).toBeLessThan(1e-5);
      }
      tf.dispose([h, c, out]);
      glow.dispose();
    });
  });

  describe('InvertibleLinearLU', () => {
    it('W reconstructed from P, L, U, s in JavaScript equals the matrix used, and y = W·x', () => {
      const l = lu(D);
      const n = D;
      const p = rows(l.p);
      const lo = rows(l.lower);
      const up = rows(l.upper);
      const logS = values(l.logS);
      const sign = values(l.signS);
      const L = lo.map((r, i) => r.map((v, j) => (j < i ? v : i === j ? 1 : 0)));
      const U = up.map((r, i) => r.map((v, j) => (j > i ? v : i === j ? sign[i]! * Math.exp(logS[i]!) : 0)));
      const W = matmul(p, matmul(L, U));
      const used = l.weight();
      expect(maxAbsDiff(used, tf.tensor2d(W))).toBeLessThan(1e-5);
      // P is a permutation matrix, signS ±1.
      expect(p.every((r) => r.filter((v) => v === 1).length === 1 && r.every((v) => v === 0 || v === 1))).toBe(true);
      expect(sign.every((s) => s === 1 || s === -1)).toBe(true);
      const x = normalTensor(new Rng('x'), [3, n]);
      const { y, logDet } = l.forward(x);
      const expected = rows(x).map((xr) => W.map((wr) => wr.reduce((s, v, k) => s + v * xr[k]!, 0)));
      expect(maxAbsDiff(y, tf.tensor2d(expected))).toBeLessThan(1e-5);
      // log-det = Σ log s = log|det W| by Gaussian elimination in float64.
      const sumLogS = logS.reduce((s, v) => s + v, 0);
      for (const v of values(logDet)) expect(v).toBeCloseTo(sumLogS, 5);
      expect(logAbsDetJs(W)).toBeCloseTo(sumLogS, 4);
      tf.dispose([used, x, y, logDet]);
      l.dispose();
    });

    it('hand 3×3 case: log-det equals log|det W| by cofactor expansion', () => {
      const l = new InvertibleLinearLU(3, 'hand');
      tf.tidy(() => {
        l.lower.assign(tf.tensor2d([[9, 9, 9], [2, 9, 9], [1, -3, 9]])); // only the strict lower triangle counts
        l.upper.assign(tf.tensor2d([[9, 1, -1], [9, 9, 2], [9, 9, 9]])); // only the strict upper triangle counts
        l.logS.assign(tf.tensor1d([Math.log(2), Math.log(0.5), Math.log(3)]));
      });
      const w = rows(l.weight());
      const det = w[0]![0]! * (w[1]![1]! * w[2]![2]! - w[1]![2]! * w[2]![1]!) - w[0]![1]! * (w[1]![0]! * w[2]![2]! - w[1]![2]! * w[2]![0]!) + w[0]![2]! * (w[1]![0]! * w[2]![1]! - w[1]![1]! * w[2]![0]!);
      expect(Math.abs(det)).toBeCloseTo(3, 4); // |det P|·1·|2·0.5·3|
      const x = tf.ones([2, 3]);
      const r = l.forward(x);
      for (const v of values(r.logDet)) expect(v).toBeCloseTo(Math.log(Math.abs(det)), 5);
      tf.dispose([x]);
      disposeResult(r);
      l.dispose();
    });

    it('starts orthogonal (W·Wᵀ = I, log-det 0) and is seeded', () => {
      const a = new InvertibleLinearLU(5, 3);
      const b = new InvertibleLinearLU(5, 3);
      const c = new InvertibleLinearLU(5, 4);
      const w = a.weight();
      expect(maxAbsDiff(tf.matMul(w, w, false, true), tf.eye(5))).toBeLessThan(1e-5);
      expect(Math.abs(values(tf.sum(a.logS))[0]!)).toBeLessThan(1e-5);
      expect(values(b.weight())).toEqual(values(w));
      expect(maxAbsDiff(c.weight(), w)).toBeGreaterThan(1e-2);
      [a, b, c].forEach((m) => m.dispose());
    });
  });

  describe('ConditionalAffineCoupling', () => {
    it('hand case: h_b′ = (h_b + shift)·(sigmoid(raw + 2) + 1e-6), h_a unchanged, log-det = Σ log scale', () => {
      const cpl = new ConditionalAffineCoupling(5, 2, { hidden: 4, hiddenLayers: 1, seed: 0 });
      const net = cpl.net as ConcatContextMlp;
      // Zero last weight (Glow's init) + a chosen last bias: the conditioner outputs the bias for any input.
      const shift = [0.5, -1, 2];
      const raw = [0, 1, -3];
      tf.tidy(() => net.mlp.linears[1]!.bias!.assign(tf.tensor1d([...shift, ...raw])));
      const h = [[1, 2, 3, 4, 5], [-1, 0, 0.5, -2, 7]];
      const { y, logDet } = cpl.forward(tf.tensor2d(h), tf.tensor2d([[1, 1], [0, 2]]));
      const sig = (v: number): number => 1 / (1 + Math.exp(-v));
      const scale = raw.map((r) => sig(r + 2) + 1e-6);
      const ys = rows(y);
      h.forEach((row, b) => {
        expect(ys[b]!.slice(0, 2)).toEqual(row.slice(0, 2));
        row.slice(2).forEach((v, i) => expect(ys[b]![2 + i]).toBeCloseTo((v + shift[i]!) * scale[i]!, 5));
      });
      for (const v of values(logDet)) expect(v).toBeCloseTo(scale.reduce((s, v2) => s + Math.log(v2), 0), 5);
      tf.dispose([y, logDet]);
      cpl.dispose();
    });

    it('a new coupling ignores h_a and c (zero-initialised output layer): scale sigmoid(2), no shift', () => {
      const cpl = new ConditionalAffineCoupling(D, K, { hidden: 8, seed: 0 });
      const rng = new Rng('zero');
      const h = normalTensor(rng, [2, D]);
      const c = normalTensor(rng, [2, K]);
      const { y, logDet } = cpl.forward(h, c);
      const s = 1 / (1 + Math.exp(-2)) + 1e-6;
      const expected = rows(h).map((r) => r.map((v, j) => (j < 3 ? v : v * s)));
      expect(maxAbsDiff(y, tf.tensor2d(expected))).toBeLessThan(1e-6);
      for (const v of values(logDet)) expect(v).toBeCloseTo(3 * Math.log(s), 5);
      tf.dispose([h, c, y, logDet]);
      cpl.dispose();
    });
  });

  describe('bad input', () => {
    it('names the argument: wrong h, missing or wrong context, bad options', () => {
      const glow = new ConditionalGlow({ dim: D, contextDim: K, steps: 1, hidden: 4 });
      glow.eval();
      const h = tf.zeros([2, D]);
      const c = tf.zeros([2, K]);
      expectThrows(() => glow.forward(tf.zeros([2, D + 1]), c), ShapeError, /\[B, 6\]/);
      expectThrows(() => glow.forward(tf.zeros([2, D, 1]), c), ShapeError);
      expectThrows(() => glow.logProb(h), InputError, /context/);
      expect(expectThrows(() => glow.inverse(h, tf.zeros([3, K])), ShapeError).location).toBe('context');
      expectThrows(() => glow.sample(2, 's', { context: tf.zeros([1, K]) }), ShapeError);
      expectThrows(() => new ConditionalGlow({ dim: 1, contextDim: 0, steps: 1 }), InputError, /dim/);
      expectThrows(() => new ConditionalGlow({ dim: 4, contextDim: 0, steps: 0 }), InputError, /steps/);
      expectThrows(() => new ConditionalGlow({ dim: 4, contextDim: 0, steps: 1, mixing: 'shuffle' as never }), InputError, /mixing/);
      expectThrows(() => new InvertibleLinearLU(3, 0).forward(tf.zeros([2, 4])), ShapeError);
      tf.dispose([h, c]);
      glow.dispose();
    });
  });
});
