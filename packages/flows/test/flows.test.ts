import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalTensor } from '@skelflow/core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { ActNorm, AdditiveCoupling, AffineCoupling, Chain, DiagonalGaussianPrior, ClassConditionalGaussianPrior, InvertibleConv1x1, InvertibleConv1x1LU, NormalizingFlow, ReverseChannels, ShuffleChannels, type AffineCouplingOptions } from '../src/index.js';
import { invert, logAbsDet, matrixFromTensor, matrixInverse, randomOrthogonal, slogdet } from '../src/linalg.js';
import { ConstantConditioner, TestConditioner } from './helpers.js';
import { bijectorContract, disposeResult, forEachBackend, logAbsDetJs, maxAbsDiff, perturbParameters, values, type BijectorCase } from '@skelflow/testing';

const REST = [3, 2];
const BATCH = 2;
const CONTEXT_DIM = 3;
const LOG_2PI = Math.log(2 * Math.PI);

function affine(channels: number, contextDim: number, options: AffineCouplingOptions = {}, seed = 1): AffineCoupling {
  const c1 = options.split ?? Math.floor(channels / 2);
  return new AffineCoupling(new TestConditioner(c1, 2 * (channels - c1), seed, contextDim), options);
}

function additive(channels: number, contextDim: number, seed = 2): AdditiveCoupling {
  const c1 = Math.floor(channels / 2);
  return new AdditiveCoupling(new TestConditioner(c1, channels - c1, seed, contextDim));
}

/** ActNorm with non-trivial, already initialised parameters (so eval/train mode do not matter). */
function actNorm(channels: number, seed: number): ActNorm {
  const a = new ActNorm(channels);
  perturbParameters(a, seed);
  a.markInitialized();
  return a;
}

const CASES: BijectorCase[] = [
  { name: 'ActNorm', channels: 3, contextDim: 0, make: () => actNorm(3, 10) },
  { name: 'ReverseChannels', channels: 3, contextDim: 0, make: () => new ReverseChannels() },
  { name: 'ShuffleChannels', channels: 4, contextDim: 0, make: () => new ShuffleChannels(4, 11) },
  {
    name: 'InvertibleConv1x1',
    channels: 4,
    contextDim: 0,
    make: () => {
      const c = new InvertibleConv1x1(4, 12);
      perturbParameters(c, 13); // orthogonal init has log|det| 0: make it non-trivial
      return c;
    },
  },
  {
    name: 'InvertibleConv1x1LU',
    channels: 3,
    contextDim: 0,
    make: () => {
      const c = new InvertibleConv1x1LU(3, 14);
      perturbParameters(c, 15);
      return c;
    },
  },
  { name: 'AdditiveCoupling', channels: 2, contextDim: 0, make: () => additive(2, 0) },
  { name: 'AdditiveCoupling + context', channels: 4, contextDim: CONTEXT_DIM, make: () => additive(4, CONTEXT_DIM) },
  { name: 'AffineCoupling (STG-NF defaults)', channels: 2, contextDim: 0, make: () => affine(2, 0) },
  { name: 'AffineCoupling + context', channels: 4, contextDim: CONTEXT_DIM, make: () => affine(4, CONTEXT_DIM) },
  {
    name: 'AffineCoupling half/exp/scaleThenShift + context',
    channels: 4,
    contextDim: CONTEXT_DIM,
    make: () => affine(4, CONTEXT_DIM, { paramLayout: 'half', scaleFn: 'exp', order: 'scaleThenShift' }),
  },
  {
    name: 'AffineCoupling softclamp, split 1 of 3',
    channels: 3,
    contextDim: 0,
    make: () => affine(3, 0, { scaleFn: 'softclamp', softclampBound: 1.5, split: 1 }),
  },
  {
    name: 'Chain (Glow steps) + context',
    channels: 4,
    contextDim: CONTEXT_DIM,
    make: () =>
      new Chain([
        actNorm(4, 20),
        (() => {
          const c = new InvertibleConv1x1LU(4, 21);
          perturbParameters(c, 22);
          return c;
        })(),
        affine(4, CONTEXT_DIM, {}, 23),
        new ReverseChannels(),
        new ShuffleChannels(4, 24),
        (() => {
          const c = new InvertibleConv1x1(4, 25);
          perturbParameters(c, 26);
          return c;
        })(),
        additive(4, CONTEXT_DIM, 27),
      ]),
  },
  { name: 'Chain (empty)', channels: 2, contextDim: 0, make: () => new Chain([]) },
];

forEachBackend('@skelflow/flows', () => {
  // The shared bijector contract (@skelflow/testing): invertibility, logDet symmetry, logDet =
  // log|det J| of the autodiff Jacobian, no leaks — on inputs [BATCH, C, ...REST].
  bijectorContract(CASES, { batch: BATCH, rest: REST });

  describe('Chain', () => {
    it('composes in order, sums logDets and registers children 0, 1, …', () => {
      const a = actNorm(2, 30);
      const r = new ReverseChannels();
      const chain = new Chain([a, r]);
      const x = normalTensor(new Rng(31), [BATCH, 2, ...REST]);
      const viaChain = chain.forward(x);
      const s1 = a.forward(x);
      const s2 = r.forward(s1.y);
      expect(maxAbsDiff(viaChain.y, s2.y)).toBeLessThan(1e-6);
      const expected = tf.add(s1.logDet, s2.logDet);
      expect(maxAbsDiff(viaChain.logDet, expected)).toBeLessThan(1e-5);
      expect([...chain.stateDict().keys()].sort()).toEqual(['0.bias', '0.initialized', '0.logs']);
      [viaChain, s1, s2].forEach(disposeResult);
      tf.dispose([x, expected]);
      chain.dispose();
    });

    it('passes the context to every step', () => {
      const chain = new Chain([affine(2, CONTEXT_DIM, {}, 32), new ReverseChannels(), affine(2, CONTEXT_DIM, {}, 33)]);
      const rng = new Rng(34);
      const x = normalTensor(rng, [BATCH, 2, ...REST]);
      const c1 = normalTensor(rng, [BATCH, CONTEXT_DIM]);
      const c2 = normalTensor(rng, [BATCH, CONTEXT_DIM]);
      const y1 = chain.forward(x, c1);
      const y2 = chain.forward(x, c2);
      // Both couplings see the context: each of the two channels depends on it.
      for (let ch = 0; ch < 2; ch++) {
        const a = tf.slice(y1.y, [0, ch], [-1, 1]);
        const b = tf.slice(y2.y, [0, ch], [-1, 1]);
        expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
        tf.dispose([a, b]);
      }
      [y1, y2].forEach(disposeResult);
      tf.dispose([x, c1, c2]);
      chain.dispose();
    });
  });

  describe('ActNorm', () => {
    it('applies y = (x + bias)·exp(logs) with logDet = Σ logs · prod(rest)', () => {
      const a = new ActNorm(2);
      a.markInitialized();
      a.bias.assign(tf.tensor1d([1, -2]));
      a.logs.assign(tf.tensor1d([0.5, -0.25]));
      const x = normalTensor(new Rng(40), [BATCH, 2, ...REST]);
      const { y, logDet } = a.forward(x);
      const xv = x.arraySync() as number[][][][];
      const yv = y.arraySync() as number[][][][];
      const bias = [1, -2];
      const logs = [0.5, -0.25];
      for (let b = 0; b < BATCH; b++)
        for (let ch = 0; ch < 2; ch++)
          for (let t = 0; t < 3; t++)
            for (let v = 0; v < 2; v++)
              expect(yv[b]![ch]![t]![v]!).toBeCloseTo((xv[b]![ch]![t]![v]! + bias[ch]!) * Math.exp(logs[ch]!), 5);
      values(logDet).forEach((l) => expect(l).toBeCloseTo((0.5 - 0.25) * 6, 5));
      tf.dispose([x, y, logDet]);
      a.dispose();
    });

    it('initialises from the first training batch: per-channel mean 0 and population std 1', () => {
      const a = new ActNorm(3);
      expect(a.isInitialized).toBe(false);
      const rng = new Rng(41);
      const x = tf.tidy(() => tf.add(tf.mul(normalTensor(rng, [8, 3, 5, 4]), tf.reshape(tf.tensor1d([0.5, 2, 7]), [1, 3, 1, 1])), tf.reshape(tf.tensor1d([3, -1, 10]), [1, 3, 1, 1])));
      const { y, logDet } = a.forward(x);
      const m = tf.moments(y, [0, 2, 3]);
      values(m.mean).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-4));
      values(m.variance).forEach((v) => expect(Math.sqrt(v)).toBeCloseTo(1, 4));
      expect(a.isInitialized).toBe(true);
      const state = a.stateDict();
      expect(values(state.get('initialized')!)).toEqual([1]);
      // STG-NF: logs = log(1 / (sqrt(mean((x − mean)²)) + 1e-6)), bias = −mean.
      const xs = x.arraySync() as number[][][][];
      for (let ch = 0; ch < 3; ch++) {
        const flat = xs.flatMap((b) => b[ch]!.flat());
        const mean = flat.reduce((s, v) => s + v, 0) / flat.length;
        const std = Math.sqrt(flat.reduce((s, v) => s + (v - mean) ** 2, 0) / flat.length);
        expect(values(a.bias)[ch]!).toBeCloseTo(-mean, 4);
        expect(values(a.logs)[ch]!).toBeCloseTo(Math.log(1 / (std + 1e-6)), 4);
      }
      // A second batch does not re-initialise.
      const logsBefore = values(a.logs);
      const x2 = normalTensor(new Rng(42), [8, 3, 5, 4]);
      disposeResult(a.forward(x2));
      expect(values(a.logs)).toEqual(logsBefore);
      tf.dispose([x, y, logDet, m.mean, m.variance, x2]);
      a.dispose();
    });

    it('does not initialise in eval mode, after markInitialized, or after loading an initialised state', () => {
      const x = normalTensor(new Rng(43), [4, 2, ...REST]);
      const evalMode = new ActNorm(2).eval();
      disposeResult(evalMode.forward(x));
      expect(evalMode.isInitialized).toBe(false);
      expect(values(evalMode.logs)).toEqual([0, 0]);

      const marked = new ActNorm(2);
      marked.markInitialized();
      disposeResult(marked.forward(x));
      expect(values(marked.logs)).toEqual([0, 0]);

      const trained = new ActNorm(2);
      disposeResult(trained.forward(x));
      const loaded = new ActNorm(2);
      loaded.loadStateDict(trained.stateDict());
      expect(loaded.isInitialized).toBe(true);
      const logs = values(loaded.logs);
      const other = normalTensor(new Rng(44), [4, 2, ...REST]);
      disposeResult(loaded.forward(other));
      expect(values(loaded.logs)).toEqual(logs);
      tf.dispose([x, other]);
      [evalMode, marked, trained, loaded].forEach((m) => m.dispose());
    });

    it('honours the scale option (STG-NF actnorm_scale)', () => {
      const a = new ActNorm(2, { scale: 2 });
      const x = normalTensor(new Rng(45), [16, 2, ...REST]);
      const { y, logDet } = a.forward(x);
      const m = tf.moments(y, [0, 2, 3]);
      values(m.variance).forEach((v) => expect(Math.sqrt(v)).toBeCloseTo(2, 3));
      tf.dispose([x, y, logDet, m.mean, m.variance]);
      a.dispose();
    });

    it('rejects a wrong channel count', () => {
      const a = new ActNorm(3);
      const x = tf.zeros([1, 2, 4]);
      expect(() => a.forward(x)).toThrow(ShapeError);
      x.dispose();
      a.dispose();
    });
  });

  describe('permutations', () => {
    it('ReverseChannels reverses axis 1', () => {
      const r = new ReverseChannels();
      const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2]);
      const { y, logDet } = r.forward(x);
      expect(values(y)).toEqual([5, 6, 3, 4, 1, 2]);
      expect(values(logDet)).toEqual([0]);
      tf.dispose([x, y, logDet]);
    });

    it('ShuffleChannels applies its saved, seeded permutation: y[:, i] = x[:, p[i]]', () => {
      const s = new ShuffleChannels(5, 'abc');
      const same = new ShuffleChannels(5, 'abc');
      const p = values(s.permutation);
      expect(values(same.permutation)).toEqual(p);
      expect([...p].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(s.stateDict().has('permutation')).toBe(true);
      const x = tf.tensor3d([10, 11, 12, 13, 14], [1, 5, 1]);
      const { y, logDet } = s.forward(x);
      expect(values(y)).toEqual(p.map((i) => 10 + i));
      expect(values(logDet)).toEqual([0]);
      // Loading another permutation changes the map (it is state, not a constant).
      const other = new ShuffleChannels(5, 'xyz');
      other.loadStateDict(s.stateDict());
      const y2 = other.forward(x);
      expect(values(y2.y)).toEqual(values(y));
      tf.dispose([x, y, logDet]);
      disposeResult(y2);
      [s, same, other].forEach((m) => m.dispose());
    });

    it('InvertibleConv1x1 starts orthogonal and is deterministic in its seed', () => {
      const a = new InvertibleConv1x1(5, 7);
      const b = new InvertibleConv1x1(5, 7);
      const c = new InvertibleConv1x1(5, 8);
      expect(values(a.weight)).toEqual(values(b.weight));
      expect(maxAbsDiff(a.weight, c.weight)).toBeGreaterThan(1e-3);
      const wtw = tf.matMul(a.weight, a.weight, true, false);
      const eye = tf.eye(5);
      expect(maxAbsDiff(wtw, eye)).toBeLessThan(1e-5);
      tf.dispose([wtw, eye]);
      [a, b, c].forEach((m) => m.dispose());
    });

    it('InvertibleConv1x1LU starts at the same orthogonal W and keeps log|det W| = Σ logS', () => {
      const plain = new InvertibleConv1x1(4, 9);
      const lu = new InvertibleConv1x1LU(4, 9);
      const w = lu.weight();
      expect(maxAbsDiff(w, plain.weight)).toBeLessThan(1e-5);
      perturbParameters(lu, 10);
      const w2 = lu.weight();
      const expected = slogdet(matrixFromTensor(w2)).logAbsDet;
      expect(values(tf.sum(lu.logS))[0]!).toBeCloseTo(expected, 4);
      expect([...lu.stateDict().keys()].sort()).toEqual(['logS', 'lower', 'p', 'signS', 'upper']);
      expect(lu.namedBuffers().map(([n]) => n).sort()).toEqual(['p', 'signS']);
      tf.dispose([w, w2]);
      plain.dispose();
      lu.dispose();
    });
  });

  describe('linear algebra with gradients', () => {
    it('slogdet and invert agree with an independent float64 elimination', () => {
      const rng = new Rng(50);
      const n = 5;
      const a = { n, data: Float64Array.from({ length: n * n }, () => rng.normal()) };
      const rows = Array.from({ length: n }, (_, i) => Array.from(a.data.slice(i * n, i * n + n)));
      expect(slogdet(a).logAbsDet).toBeCloseTo(logAbsDetJs(rows), 10);
      const inv = invert(a);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += a.data[i * n + k]! * inv.data[k * n + j]!;
          expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
        }
      const q = randomOrthogonal(4, new Rng(51));
      expect(Math.abs(slogdet(q).logAbsDet)).toBeLessThan(1e-12);
    });

    it('logAbsDet and matrixInverse have gradients matching finite differences', () => {
      const w0 = tf.tidy(() => tf.add(tf.eye(3), normalTensor(new Rng(52), [3, 3], 0, 0.4)));
      const probe = normalTensor(new Rng(53), [3, 3]);
      const fns: [string, (w: tf.Tensor) => tf.Tensor][] = [
        ['logAbsDet', (w) => logAbsDet(w)],
        ['matrixInverse', (w) => tf.sum(tf.mul(matrixInverse(w), probe))],
      ];
      for (const [, fn] of fns) {
        const g = tf.grad(fn)(w0);
        const gv = values(g);
        const base = w0.arraySync() as number[][];
        const h = 1e-2;
        for (let k = 0; k < 9; k++) {
          const plus = base.map((r) => [...r]);
          const minus = base.map((r) => [...r]);
          plus[Math.floor(k / 3)]![k % 3]! += h;
          minus[Math.floor(k / 3)]![k % 3]! -= h;
          const fd = tf.tidy(() => (values(fn(tf.tensor2d(plus)))[0]! - values(fn(tf.tensor2d(minus)))[0]!) / (2 * h));
          expect(gv[k]!).toBeCloseTo(fd, 2);
        }
        g.dispose();
      }
      tf.dispose([w0, probe]);
    });
  });

  describe('couplings', () => {
    it('AffineCoupling defaults reproduce STG-NF: cross layout, sigmoid(s + 2) + 1e-6, (x2 + shift)·scale', () => {
      // x: [1, 2, 1, 3]; C1 = 1, so h has 2 channels: shift = h[:, 0], raw scale = h[:, 1].
      const h = tf.tensor4d([0.1, -0.2, 0.3, 1.0, -1.5, 0.0], [1, 2, 1, 3]);
      const coupling = new AffineCoupling(new ConstantConditioner(h));
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 1, 3]);
      const { y, logDet } = coupling.forward(x);
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      const shift = [0.1, -0.2, 0.3];
      const scale = [1.0, -1.5, 0.0].map((s) => sig(s + 2) + 1e-6);
      const yv = values(y);
      expect(yv.slice(0, 3)).toEqual([1, 2, 3]);
      [4, 5, 6].forEach((x2, i) => expect(yv[3 + i]!).toBeCloseTo((x2 + shift[i]!) * scale[i]!, 5));
      expect(values(logDet)[0]!).toBeCloseTo(scale.reduce((s, v) => s + Math.log(v), 0), 5);
      tf.dispose([h, x, y, logDet]);
      coupling.dispose();
    });

    it('AffineCoupling cross layout interleaves shift and scale channels (2 transformed channels)', () => {
      // C = 3, split 1 → C2 = 2; h channels [shift0, scale0, shift1, scale1].
      const h = tf.tensor3d([0.5, 0.1, -0.5, 0.2], [1, 4, 1]);
      const coupling = new AffineCoupling(new ConstantConditioner(h), { split: 1, scaleFn: 'exp' });
      const x = tf.tensor3d([7, 1, 2], [1, 3, 1]);
      const { y, logDet } = coupling.forward(x);
      const yv = values(y);
      expect(yv[0]).toBe(7);
      expect(yv[1]!).toBeCloseTo((1 + 0.5) * Math.exp(0.1), 5);
      expect(yv[2]!).toBeCloseTo((2 - 0.5) * Math.exp(0.2), 5);
      expect(values(logDet)[0]!).toBeCloseTo(0.3, 5);
      tf.dispose([h, x, y, logDet]);
      coupling.dispose();
    });

    it('AffineCoupling half layout, scaleThenShift and softclamp follow their formulas', () => {
      const h = tf.tensor3d([0.5, -0.5, 3.0, -0.2], [1, 4, 1]); // half: shift [0.5, -0.5], raw [3, -0.2]
      const x = tf.tensor3d([9, 8, 1, 2], [1, 4, 1]);
      const c = 1.5;
      const coupling = new AffineCoupling(new ConstantConditioner(h), {
        paramLayout: 'half',
        order: 'scaleThenShift',
        scaleFn: 'softclamp',
        softclampBound: c,
      });
      const { y, logDet } = coupling.forward(x);
      const ls = [3.0, -0.2].map((s) => c * Math.tanh(s / c));
      const yv = values(y);
      expect(yv.slice(0, 2)).toEqual([9, 8]);
      expect(yv[2]!).toBeCloseTo(1 * Math.exp(ls[0]!) + 0.5, 5);
      expect(yv[3]!).toBeCloseTo(2 * Math.exp(ls[1]!) - 0.5, 5);
      expect(values(logDet)[0]!).toBeCloseTo(ls[0]! + ls[1]!, 5);
      tf.dispose([h, x, y, logDet]);
      coupling.dispose();
    });

    it('AdditiveCoupling adds the conditioner output to the second part', () => {
      const h = tf.tensor3d([0.25, -1], [1, 2, 1]);
      const coupling = new AdditiveCoupling(new ConstantConditioner(h), { split: 2 });
      const x = tf.tensor3d([1, 2, 3, 4], [1, 4, 1]);
      const { y, logDet } = coupling.forward(x);
      expect(values(y)).toEqual([1, 2, 3.25, 3]);
      expect(values(logDet)).toEqual([0]);
      tf.dispose([h, x, y, logDet]);
      coupling.dispose();
    });

    it('registers the conditioner as `net` and validates split and conditioner shapes', () => {
      const coupling = affine(4, 0);
      expect([...coupling.stateDict().keys()].sort()).toEqual(['net.bias', 'net.weight']);
      const x = tf.zeros([1, 4, 2]);
      const wrongNet = new AffineCoupling(new TestConditioner(2, 3, 0)); // needs 4 outputs
      expect(() => wrongNet.forward(x)).toThrow(ShapeError);
      const badSplit = new AffineCoupling(new TestConditioner(4, 0, 0), { split: 4 });
      expect(() => badSplit.forward(x)).toThrow(InputError);
      expect(() => new AffineCoupling(new TestConditioner(2, 4, 0), { scaleFn: 'nope' as 'exp' })).toThrow(InputError);
      x.dispose();
      [coupling, wrongNet, badSplit].forEach((m) => m.dispose());
    });
  });

  describe('priors', () => {
    it('DiagonalGaussianPrior matches the STG-NF gaussian_p formula (with and without varianceEps)', () => {
      const event = [2, 3];
      const mean = tf.tensor2d([[0.5], [-1]]); // [2, 1] broadcasts over the 3 positions
      const logStd = tf.tensor1d([0.2, -0.1, 0.3]); // [3]
      const z = normalTensor(new Rng(60), [BATCH, ...event]);
      for (const eps of [0, 1e-6]) {
        const prior = new DiagonalGaussianPrior(event, { mean, logStd, varianceEps: eps });
        const lp = values(prior.logProb(z));
        const zv = z.arraySync() as number[][][];
        for (let b = 0; b < BATCH; b++) {
          let s = 0;
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 3; j++) {
              const m = [0.5, -1][i]!;
              const ls = [0.2, -0.1, 0.3][j]!;
              s += -0.5 * (2 * ls + (zv[b]![i]![j]! - m) ** 2 / (Math.exp(2 * ls) + eps) + LOG_2PI);
            }
          expect(lp[b]!).toBeCloseTo(s, 4);
        }
        prior.dispose();
      }
      // The prior copied the tensors: the caller's are still alive.
      expect(mean.isDisposed).toBe(false);
      tf.dispose([mean, logStd, z]);
    });

    it('DiagonalGaussianPrior keeps μ, log σ as buffers, or as parameters when learnable', () => {
      const fixed = new DiagonalGaussianPrior([2]);
      const learnable = new DiagonalGaussianPrior([2], { learnable: true });
      expect(fixed.namedBuffers().map(([n]) => n)).toEqual(['mean', 'logStd']);
      expect(fixed.parameters()).toHaveLength(0);
      expect(learnable.namedParameters().map(([n]) => n)).toEqual(['mean', 'logStd']);
      const bad = tf.zeros([3]);
      expect(() => new DiagonalGaussianPrior([2], { mean: bad })).toThrow(ShapeError);
      bad.dispose();
      const z = tf.zeros([1, 3]);
      expect(() => fixed.logProb(z)).toThrow(ShapeError);
      z.dispose();
      fixed.dispose();
      learnable.dispose();
    });

    it('ClassConditionalGaussianPrior matches a direct formula: N(+R, I) for label +1, N(−R, I) for −1, +1 by default', () => {
      const event = [2, 3, 2];
      const radius = 3;
      const z = normalTensor(new Rng(61), [3, ...event], 1, 2);
      const labels = tf.tensor1d([1, -1, 1]);
      const prior = new ClassConditionalGaussianPrior(event, { radius, varianceEps: 1e-6 });
      const withLabels = values(prior.logProb(z, { labels }));
      const unlabelled = values(prior.logProb(z));
      const zv = values(z);
      const d = 12;
      const labelArr = [1, -1, 1];
      for (let b = 0; b < 3; b++) {
        let pos = 0;
        let lab = 0;
        for (let i = 0; i < d; i++) {
          const v = zv[b * d + i]!;
          pos += -0.5 * ((v - radius) ** 2 / (1 + 1e-6) + LOG_2PI);
          lab += -0.5 * ((v - radius * labelArr[b]!) ** 2 / (1 + 1e-6) + LOG_2PI);
        }
        expect(withLabels[b]!).toBeCloseTo(lab, 3);
        expect(unlabelled[b]!).toBeCloseTo(pos, 3);
      }
      expect(values(prior.radius)).toEqual([3]);
      tf.dispose([z, labels]);
      prior.dispose();
    });

    it('samples deterministically from the seed, from the chosen component', () => {
      const prior = new ClassConditionalGaussianPrior([2, 50], { radius: 4 });
      const a = prior.sample(3, 'seed');
      const b = prior.sample(3, 'seed');
      const c = prior.sample(3, 'other');
      expect(values(a)).toEqual(values(b));
      expect(maxAbsDiff(a, c)).toBeGreaterThan(0.1);
      const labels = tf.tensor1d([1, -1, 1]);
      const s = prior.sample(3, 1, { labels });
      const means = values(tf.mean(s, [1, 2]));
      expect(means[0]!).toBeCloseTo(4, 0);
      expect(means[1]!).toBeCloseTo(-4, 0);
      const gauss = new DiagonalGaussianPrior([2, 50], { mean: tf.scalar(2), logStd: tf.scalar(Math.log(0.5)) });
      const g1 = gauss.sample(2, 5);
      const g2 = gauss.sample(2, 5);
      expect(values(g1)).toEqual(values(g2));
      const m = tf.moments(g1);
      expect(values(m.mean)[0]!).toBeCloseTo(2, 1);
      expect(Math.sqrt(values(m.variance)[0]!)).toBeCloseTo(0.5, 1);
      tf.dispose([a, b, c, labels, s, g1, g2, m.mean, m.variance]);
      prior.dispose();
      gauss.dispose();
    });
  });

  describe('NormalizingFlow', () => {
    function stgNfLike(seed: number, contextDim = 0): NormalizingFlow {
      const steps = [];
      for (let k = 0; k < 3; k++) {
        steps.push(new ActNorm(2), new ReverseChannels(), affine(2, contextDim, {}, seed + k));
      }
      return new NormalizingFlow(new Chain(steps), new ClassConditionalGaussianPrior([2, ...REST], { radius: 3, varianceEps: 1e-6 }));
    }

    it('logProb = log p(z) + logDet, and bits/dim = −logProb / (ln 2 · C·T·V)', () => {
      const flow = stgNfLike(70);
      const x = normalTensor(new Rng(71), [4, 2, ...REST]);
      const r = flow.forwardWithLogProb(x);
      const logPz = flow.prior.logProb(r.z);
      expect(maxAbsDiff(r.logPz, logPz)).toBeLessThan(1e-4);
      const sum = tf.add(r.logPz, r.logDet);
      expect(maxAbsDiff(r.logProb, sum)).toBeLessThan(1e-4);
      const lp = values(flow.logProb(x));
      const bpd = values(flow.nllBitsPerDim(x));
      lp.forEach((v, i) => expect(bpd[i]!).toBeCloseTo(-v / (Math.LN2 * 12), 5));
      // Labels reach the prior: abnormal labels change the density.
      const labels = tf.tensor1d([1, -1, 1, -1]);
      const lpl = values(flow.logProb(x, { labels }));
      expect(lpl[0]!).toBeCloseTo(lp[0]!, 4);
      expect(Math.abs(lpl[1]! - lp[1]!)).toBeGreaterThan(1e-2);
      expect([...flow.stateDict().keys()]).toContain('transform.0.initialized');
      expect([...flow.stateDict().keys()]).toContain('prior.radius');
      disposeResult(r);
      tf.dispose([x, logPz, sum, labels]);
      flow.dispose();
    });

    it('encode gives the latent alone: channel reversal reverses the channels, without leaks', () => {
      const flow = new NormalizingFlow(new ReverseChannels(), new ClassConditionalGaussianPrior([2, ...REST], { radius: 3, varianceEps: 1e-6 }));
      const x = normalTensor(new Rng(76), [3, 2, ...REST]);
      const reversed = tf.tidy(() => tf.concat([tf.slice(x, [0, 1], [-1, 1]), tf.slice(x, [0, 0], [-1, 1])], 1));
      const want = values(reversed);
      reversed.dispose();
      const before = tf.memory().numTensors;
      const z = flow.encode(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(z.shape).toEqual(x.shape);
      expect(values(z)).toEqual(want);
      tf.dispose([x, z]);
      flow.dispose();
    });

    it('samples deterministically given a seed, and the samples invert back to the prior draw', () => {
      const flow = stgNfLike(72, CONTEXT_DIM);
      const x = normalTensor(new Rng(73), [4, 2, ...REST]);
      const context = normalTensor(new Rng(74), [3, CONTEXT_DIM]);
      const c4 = normalTensor(new Rng(75), [4, CONTEXT_DIM]);
      disposeResult(flow.forwardWithLogProb(x, { context: c4 })); // data-dependent ActNorm init
      flow.eval();
      const a = flow.sample(3, 'seed', { context });
      const b = flow.sample(3, 'seed', { context });
      expect(values(a)).toEqual(values(b));
      expect(a.shape).toEqual([3, 2, ...REST]);
      const z = flow.prior.sample(3, 'seed');
      const back = flow.transform.forward(a, context);
      expect(maxAbsDiff(back.y, z)).toBeLessThan(1e-4);
      tf.dispose([x, context, c4, a, b, z]);
      disposeResult(back);
      flow.dispose();
    });

    it('leaks no tensors in logProb, nllBitsPerDim, forwardWithLogProb or sample', () => {
      const flow = stgNfLike(76);
      const x = normalTensor(new Rng(77), [4, 2, ...REST]);
      disposeResult(flow.forwardWithLogProb(x));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) {
        tf.dispose([flow.logProb(x), flow.nllBitsPerDim(x), flow.sample(2, i)]);
        disposeResult(flow.forwardWithLogProb(x));
      }
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      flow.dispose();
    });

    it('gradients of the NLL reach every parameter, finite and non-zero', () => {
      const c = 4;
      const lu = new InvertibleConv1x1LU(c, 80);
      const steps = [
        new ActNorm(c),
        new InvertibleConv1x1(c, 81),
        affine(c, CONTEXT_DIM, {}, 82),
        new ShuffleChannels(c, 83),
        lu,
        affine(c, CONTEXT_DIM, { paramLayout: 'half', scaleFn: 'softclamp', order: 'scaleThenShift' }, 84),
        new ReverseChannels(),
        additive(c, CONTEXT_DIM, 85),
      ];
      const flow = new NormalizingFlow(new Chain(steps), new DiagonalGaussianPrior([c, ...REST], { learnable: true }));
      const rng = new Rng(86);
      const x = normalTensor(rng, [6, c, ...REST]);
      const context = normalTensor(rng, [6, CONTEXT_DIM]);
      disposeResult(flow.forwardWithLogProb(x, { context })); // ActNorm init
      const params = flow.namedParameters();
      const { value, grads } = tf.variableGrads(
        () => tf.mean(flow.nllBitsPerDim(x, { context })) as tf.Scalar,
        params.map(([, v]) => v),
      );
      expect(Number.isFinite(values(value)[0]!)).toBe(true);
      for (const [name, v] of params) {
        const g = grads[v.name];
        expect(g, name).toBeDefined();
        const gv = values(g!);
        expect(gv.every(Number.isFinite), name).toBe(true);
        expect(Math.max(...gv.map(Math.abs)), name).toBeGreaterThan(0);
      }
      tf.dispose([value, x, context, ...Object.values(grads)]);
      flow.dispose();
    });
  });
});
