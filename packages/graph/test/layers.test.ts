import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm, PointwiseConv, TemporalConv, temporalConv } from '@skelflow/nn';
import { initBackend, normalTensor } from '@skelflow/core';
import { Rng, ShapeError, WeightsError } from '@skelflow/base';
import { SkeletonGraph, GraphConv, StgcnBlock, stgcnKeyFromTorch, stgcnStateFromTorch } from '../src/index.js';
import * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------------------------
// Independent oracles in plain JavaScript (float64 loops), shared by both backends.

type Arr = ArrayLike<number>;

function maxAbsDiff(a: Arr, b: Arr): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randn(rng: Rng, shape: number[]): tf.Tensor {
  return normalTensor(rng, shape);
}

/** y[b,o,t,v] = bias[o] + Σ_i Σ_k w[o,i,k] · x[b,i,t+k−p,v], zero outside [0, T). */
function naiveTemporalConv(x: Arr, xs: number[], w: Arr, ws: number[], bias: Arr | null): Float64Array {
  const [B, Ci, T, V] = xs as [number, number, number, number];
  const [Co, , K] = ws as [number, number, number];
  const p = (K - 1) / 2;
  const y = new Float64Array(B * Co * T * V);
  for (let b = 0; b < B; b++) for (let o = 0; o < Co; o++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < Ci; i++) for (let k = 0; k < K; k++) {
      const tt = t + k - p;
      if (tt < 0 || tt >= T) continue;
      s += w[(o * Ci + i) * K + k]! * x[((b * Ci + i) * T + tt) * V + v]!;
    }
    y[((b * Co + o) * T + t) * V + v] = s;
  }
  return y;
}

/** Gradients of L = Σ R ⊙ temporalConv(x, w, b) with respect to x, w and b. */
function naiveTemporalConvGrads(x: Arr, xs: number[], w: Arr, ws: number[], R: Arr) {
  const [B, Ci, T, V] = xs as [number, number, number, number];
  const [Co, , K] = ws as [number, number, number];
  const p = (K - 1) / 2;
  const dx = new Float64Array(B * Ci * T * V);
  const dw = new Float64Array(Co * Ci * K);
  const db = new Float64Array(Co);
  for (let b = 0; b < B; b++) for (let o = 0; o < Co; o++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    const r = R[((b * Co + o) * T + t) * V + v]!;
    db[o]! += r;
    for (let i = 0; i < Ci; i++) for (let k = 0; k < K; k++) {
      const tt = t + k - p;
      if (tt < 0 || tt >= T) continue;
      const xi = ((b * Ci + i) * T + tt) * V + v;
      dw[(o * Ci + i) * K + k]! += r * x[xi]!;
      dx[xi]! += r * w[(o * Ci + i) * K + k]!;
    }
  }
  return { dx, dw, db };
}

/** conv 1×1 (Cin → Cout·K, bias) then einsum('nkctv,kvw->nctw'), as ST-GCN's ConvTemporalGraphical. */
function naiveGraphConv(x: Arr, xs: number[], w: Arr, bias: Arr | null, A: Arr, K: number, Co: number): Float64Array {
  const [N, Ci, T, V] = xs as [number, number, number, number];
  const h = new Float64Array(N * K * Co * T * V);
  for (let n = 0; n < N; n++) for (let kc = 0; kc < K * Co; kc++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    let s = bias ? bias[kc]! : 0;
    for (let i = 0; i < Ci; i++) s += w[kc * Ci + i]! * x[((n * Ci + i) * T + t) * V + v]!;
    h[((n * K * Co + kc) * T + t) * V + v] = s;
  }
  const y = new Float64Array(N * Co * T * V);
  for (let n = 0; n < N; n++) for (let c = 0; c < Co; c++) for (let t = 0; t < T; t++) for (let wj = 0; wj < V; wj++) {
    let s = 0;
    for (let k = 0; k < K; k++) for (let v = 0; v < V; v++) {
      s += h[((n * K * Co + k * Co + c) * T + t) * V + v]! * A[(k * V + v) * V + wj]!;
    }
    y[((n * Co + c) * T + t) * V + wj] = s;
  }
  return y;
}

/** Σ R ⊙ f(...) as a scalar, for gradient checks against a fixed random cotangent R. */
const dot = (y: tf.Tensor, R: tf.Tensor) => tf.sum(tf.mul(y, R)) as tf.Scalar;

function gradsOf(m: { parameters(): tf.Variable[] }, f: () => tf.Scalar): Map<tf.Variable, Float32Array> {
  const { value, grads } = tf.variableGrads(f, m.parameters());
  const out = new Map<tf.Variable, Float32Array>();
  for (const v of m.parameters()) out.set(v, grads[v.name]!.dataSync() as Float32Array);
  value.dispose();
  tf.dispose(Object.values(grads));
  return out;
}

// Kept small so the JS oracles stay fast; STG-NF's own shape appears in the block tests.
const STGNF_A = () => new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop: 8 });

describe.each(['cpu', 'wasm'] as const)('graph layers on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  // -------------------------------------------------------------------------------------------
  describe('temporalConv / TemporalConv', () => {
    const cases: [string, number[], number][] = [
      ['Kt 3', [2, 3, 7, 5], 3],
      ['Kt 5, Cout ≠ Cin', [2, 2, 9, 4], 5],
      ['Kt 1', [2, 3, 4, 3], 1],
      ['T shorter than Kt', [1, 2, 3, 2], 9],
      ['STG-NF Kt 13', [2, 2, 24, 18], 13],
    ];

    it.each(cases.flatMap(([n, xs, kt]) => (['toeplitz', 'im2col', 'auto'] as const).map((m) => [`${n}, ${m}`, xs, kt, m] as const)))(
      'forward and gradients match a JS loop (%s)', (_, xs, kt, method) => {
      const rng = new Rng(`tc-${kt}-${xs}`);
      const cout = xs[1] === 2 && kt === 5 ? 4 : xs[1]!;
      const x = randn(rng, xs);
      const w = randn(rng, [cout, xs[1]!, kt]);
      const b = randn(rng, [cout]);
      const y = temporalConv(x, w, b, method);
      const xd = x.dataSync(), wd = w.dataSync(), bd = b.dataSync();
      expect(y.shape).toEqual([xs[0], cout, xs[2], xs[3]]);
      expect(maxAbsDiff(y.dataSync(), naiveTemporalConv(xd, xs, wd, [cout, xs[1]!, kt], bd))).toBeLessThan(1e-5);

      const R = randn(rng, y.shape);
      const [gx, gw, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => dot(temporalConv(a, c, d, method), R))([x, w, b]);
      const want = naiveTemporalConvGrads(xd, xs, wd, [cout, xs[1]!, kt], R.dataSync());
      expect(maxAbsDiff(gx!.dataSync(), want.dx)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gw!.dataSync(), want.dw)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gb!.dataSync(), want.db)).toBeLessThan(1e-4);
      tf.dispose([x, w, b, y, R, gx!, gw!, gb!]);
    });

    /** tf.conv2d with 'same' padding on NHWC, the reference formulation of Conv2d((Kt, 1)). */
    const conv2dOracle = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.tidy(() => {
      const [cout, cin, kt] = w.shape as [number, number, number];
      const filt = tf.reshape(tf.transpose(w, [2, 1, 0]), [kt, 1, cin, cout]);
      const y = tf.conv2d(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, filt as tf.Tensor4D, 1, 'same');
      return tf.add(tf.transpose(y, [0, 3, 1, 2]), tf.reshape(b, [1, cout, 1, 1]));
    });

    it.each(['toeplitz', 'im2col'] as const)('forward matches tf.conv2d (%s)', (method) => {
      const rng = new Rng('oracle-fwd');
      const x = randn(rng, [3, 2, 24, 18]);
      const w = randn(rng, [3, 2, 13]);
      const b = randn(rng, [3]);
      const [ours, ref] = [temporalConv(x, w, b, method), conv2dOracle(x, w, b)];
      expect(maxAbsDiff(ours.dataSync(), ref.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, w, b, ours, ref]);
    });

    // wasm has no Conv2DBackpropFilter kernel, so tf.conv2d's gradients can only serve as an
    // oracle on cpu. (On wasm, our gradients are checked against the JS loop above.)
    it.runIf(backend === 'cpu').each(['toeplitz', 'im2col'] as const)('input, weight and bias gradients match tf.conv2d (%s, cpu only)', (method) => {
      const rng = new Rng('oracle-grad');
      const x = randn(rng, [3, 2, 24, 18]);
      const w = randn(rng, [3, 2, 13]);
      const b = randn(rng, [3]);
      const R = randn(rng, [3, 3, 24, 18]);
      const ours = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => dot(temporalConv(a, c, d, method), R))([x, w, b]);
      const ref = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => dot(conv2dOracle(a, c, d), R))([x, w, b]);
      for (let i = 0; i < 3; i++) {
        const scale = Math.max(1, ...Array.from(ref[i]!.dataSync(), Math.abs));
        expect(maxAbsDiff(ours[i]!.dataSync(), ref[i]!.dataSync()) / scale).toBeLessThan(1e-5);
      }
      tf.dispose([x, w, b, R, ...ours, ...ref]);
    });

    it('both lowerings are leak-free in calls and under tf.variableGrads', () => {
      const layers = (['toeplitz', 'im2col'] as const).map((method) => new TemporalConv(3, 4, 5, { seed: 1, method }));
      const x = randn(new Rng('tc-leak'), [2, 3, 12, 6]);
      tf.dispose(layers.map((l) => l.call(x)));
      const start = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) for (const l of layers) tf.dispose(l.call(x));
      for (const l of layers) {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(l.call(x))) as tf.Scalar, l.parameters());
        tf.dispose([value, ...Object.values(grads)]);
      }
      expect(tf.memory().numTensors).toBe(start);
      x.dispose();
      layers.forEach((l) => l.dispose());
    });

    it('layer: PyTorch init, shapes, determinism, no bias option', () => {
      const a = new TemporalConv(2, 3, 13, { seed: 7 });
      const b = new TemporalConv(2, 3, 13, { rng: new Rng(7) });
      const c = new TemporalConv(2, 3, 13, { seed: 8 });
      expect(a.weight.shape).toEqual([3, 2, 13]);
      expect(a.bias!.shape).toEqual([3]);
      const bound = 1 / Math.sqrt(2 * 13);
      expect(Math.max(...Array.from(a.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...Array.from(a.bias!.dataSync(), Math.abs))).toBeLessThanOrEqual(bound);
      expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
      expect(Array.from(a.weight.dataSync())).not.toEqual(Array.from(c.weight.dataSync()));
      expect([...a.stateDict().keys()]).toEqual(['weight', 'bias']);
      const nb = new TemporalConv(2, 3, 3, { seed: 0, bias: false });
      expect([...nb.stateDict().keys()]).toEqual(['weight']);
      expect(() => new TemporalConv(2, 2, 4)).toThrow(ShapeError);
      const x = tf.ones([1, 3, 5, 2]);
      expect(() => a.call(x)).toThrow(ShapeError);
      tf.dispose(x);
      [a, b, c, nb].forEach((m) => m.dispose());
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('GraphConv', () => {
    it('general path (spatial, K = 3) matches a naive einsum loop', () => {
      const g = new SkeletonGraph('openpose18', { strategy: 'spatial', maxHop: 1 });
      const gc = new GraphConv(3, 4, g, { seed: 1 });
      expect(gc.kernelSize).toBe(3);
      expect(gc.usesFastPath).toBe(false);
      expect(gc.weight.shape).toEqual([12, 3]);
      expect(gc.bias!.shape).toEqual([12]);
      const x = randn(new Rng('gc-x'), [2, 3, 5, 18]);
      const y = gc.call(x);
      expect(y.shape).toEqual([2, 4, 5, 18]);
      const want = naiveGraphConv(x.dataSync(), x.shape, gc.weight.dataSync(), gc.bias!.dataSync(), g.data, 3, 4);
      expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      gc.dispose();
    });

    it('K = 1 general path and distance strategy match the einsum loop', () => {
      for (const [strategy, maxHop] of [['uniform', 2], ['distance', 2]] as const) {
        const g = new SkeletonGraph('coco17', { strategy, maxHop });
        const gc = new GraphConv(2, 3, g, { seed: 2 });
        const x = randn(new Rng(`gc-${strategy}`), [2, 2, 4, 17]);
        const y = gc.call(x);
        const want = naiveGraphConv(x.dataSync(), x.shape, gc.weight.dataSync(), gc.bias!.dataSync(), g.data, g.shape[0], 3);
        expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-5);
        tf.dispose([x, y]);
        gc.dispose();
      }
    });

    it('STG-NF\'s uniform A takes the fast path and matches the einsum loop', () => {
      const g = STGNF_A();
      const gc = new GraphConv(1, 2, g, { seed: 3 });
      expect(gc.usesFastPath).toBe(true);
      expect(gc.uniformWeights).toEqual([Math.fround(1 / 18)]);
      const x = randn(new Rng('gc-fast'), [4, 1, 24, 18]);
      const y = gc.call(x);
      const want = naiveGraphConv(x.dataSync(), x.shape, gc.weight.dataSync(), gc.bias!.dataSync(), g.data, 1, 2);
      expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      gc.dispose();
    });

    const constantCases: [string, () => { A: number[][][]; cin: number; cout: number; v: number }][] = [
      ['STG-NF ones/18', () => ({ A: STGNF_A().toArray(), cin: 1, cout: 2, v: 18 })],
      ['K = 2, constants 0.3 and −0.7', () => ({
        A: [0.3, -0.7].map((a) => Array.from({ length: 5 }, () => new Array<number>(5).fill(a))), cin: 3, cout: 2, v: 5,
      })],
    ];

    it.each(constantCases)('fast path == general path: values and gradients (%s)', (_, make) => {
      const { A, cin, cout, v } = make();
      const fast = new GraphConv(cin, cout, A, { seed: 4 });
      const slow = new GraphConv(cin, cout, A, { seed: 4, fastPath: false });
      expect(fast.usesFastPath).toBe(true);
      expect(slow.usesFastPath).toBe(false);
      const rng = new Rng('fast-vs-slow');
      const x = randn(rng, [3, cin, 6, v]);
      const R = randn(rng, [3, cout, 6, v]);
      const [yf, ys] = [fast.call(x), slow.call(x)];
      expect(maxAbsDiff(yf.dataSync(), ys.dataSync())).toBeLessThan(1e-5);
      const gf = gradsOf(fast, () => dot(fast.call(x), R));
      const gs = gradsOf(slow, () => dot(slow.call(x), R));
      expect(maxAbsDiff(gf.get(fast.weight)!, gs.get(slow.weight)!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gf.get(fast.bias!)!, gs.get(slow.bias!)!)).toBeLessThan(1e-4);
      const gxf = tf.grad((t: tf.Tensor) => dot(fast.call(t), R))(x);
      const gxs = tf.grad((t: tf.Tensor) => dot(slow.call(t), R))(x);
      expect(maxAbsDiff(gxf.dataSync(), gxs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, R, yf, ys, gxf, gxs]);
      fast.dispose();
      slow.dispose();
    });

    it('keeps A out of the state dict, accepts arrays and tensors, frees A on dispose', () => {
      const before = tf.memory().numTensors;
      const g = new SkeletonGraph('openpose18', { strategy: 'spatial', maxHop: 1 });
      const fromGraph = new GraphConv(2, 2, g, { seed: 5 });
      const fromArray = new GraphConv(2, 2, g.toArray(), { seed: 5 });
      const t = tf.tensor3d(g.data, [3, 18, 18]);
      const fromTensor = new GraphConv(2, 2, t, { seed: 5 });
      t.dispose();
      expect([...fromGraph.stateDict().keys()]).toEqual(['weight', 'bias']);
      expect(fromGraph.namedBuffers()).toEqual([]);
      expect(Array.from(fromArray.A.dataSync())).toEqual(Array.from(g.data));
      expect(Array.from(fromTensor.A.dataSync())).toEqual(Array.from(g.data));
      expect(() => new GraphConv(2, 2, [[[1, 2]]])).toThrow(ShapeError);
      const x = tf.ones([1, 2, 3, 17]);
      expect(() => fromGraph.call(x)).toThrow(ShapeError);
      x.dispose();
      [fromGraph, fromArray, fromTensor].forEach((m) => m.dispose());
      expect(tf.memory().numTensors).toBe(before);
    });

    it('survives being built inside tf.tidy', () => {
      let gc!: GraphConv;
      tf.tidy(() => {
        gc = new GraphConv(1, 2, STGNF_A(), { seed: 6 });
      });
      const x = tf.ones([1, 1, 2, 18]);
      const y = gc.call(x);
      expect(y.shape).toEqual([1, 2, 2, 18]);
      tf.dispose([x, y]);
      gc.dispose();
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('StgcnBlock', () => {
    const bnNames = (p: string) => ['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked'].map((n) => `${p}.${n}`);

    it('names members for checkpoint mapping; parameter counts match STG-NF', () => {
      const first = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'none', seed: 0 });
      const later = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'conv', seed: 0 });
      expect(first.namedParameters().map(([n]) => n)).toEqual([
        'gcn.weight', 'gcn.bias', 'tcnBn1.weight', 'tcnBn1.bias', 'tcnConv.weight', 'tcnConv.bias', 'tcnBn2.weight', 'tcnBn2.bias',
      ]);
      expect(new Set(later.stateDict().keys())).toEqual(new Set([
        'gcn.weight', 'gcn.bias', ...bnNames('tcnBn1'), 'tcnConv.weight', 'tcnConv.bias', ...bnNames('tcnBn2'),
        'resConv.weight', 'resConv.bias', ...bnNames('resBn'),
      ]));
      // STG-NF ShanghaiTech (Kt 13): 0.616K = 8·ActNorm(4) + step 0 (66) + 7 steps (74).
      expect(first.numParameters()).toBe(66);
      expect(later.numParameters()).toBe(74);
      expect(8 * 4 + 66 + 7 * 74).toBe(616);
      // UBnormal (Kt 9): 488.
      const u0 = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 9, residual: false, seed: 0 });
      const u1 = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 9, seed: 0 });
      expect(u1.residual).toBe('conv');
      expect(8 * 4 + u0.numParameters() + 7 * u1.numParameters()).toBe(488);
      // Same seed: the gcn and tcn weights do not depend on the residual kind.
      expect(Array.from(first.tcnConv.weight.dataSync())).toEqual(Array.from(later.tcnConv.weight.dataSync()));
      expect(Array.from(first.gcn.weight.dataSync())).toEqual(Array.from(later.gcn.weight.dataSync()));
      [first, later, u0, u1].forEach((m) => m.dispose());
    });

    it('picks the ST-GCN residual rule and validates it', () => {
      const a = new StgcnBlock(2, 2, STGNF_A(), { seed: 0, temporalKernel: 3 });
      expect(a.residual).toBe('identity');
      expect(a.resConv).toBeNull();
      expect(() => new StgcnBlock(1, 2, STGNF_A(), { residual: 'identity' })).toThrow(ShapeError);
      a.dispose();
    });

    it('is deterministic given a seed, with PyTorch-default init bounds', () => {
      const a = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'conv', seed: 42 });
      const b = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'conv', rng: new Rng(42) });
      for (const [n, v] of a.stateDict()) expect(Array.from(v.dataSync()), n).toEqual(Array.from(b.stateDict().get(n)!.dataSync()));
      const absMax = (t: tf.Tensor) => Math.max(...Array.from(t.dataSync(), Math.abs));
      expect(absMax(a.gcn.weight)).toBeLessThanOrEqual(1);
      expect(absMax(a.tcnConv.weight)).toBeLessThanOrEqual(1 / Math.sqrt(26));
      expect(absMax(a.resConv!.bias!)).toBeLessThanOrEqual(1);
      a.dispose();
      b.dispose();
    });

    it('train mode: output ≥ 0, BN statistics advance, every parameter gets a finite gradient', () => {
      const block = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'conv', seed: 9 });
      const rng = new Rng('train');
      const x = randn(rng, [8, 1, 24, 18]);
      const y = block.call(x);
      expect(y.shape).toEqual([8, 2, 24, 18]);
      expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(block.tcnBn1.numBatchesTracked.dataSync()[0]).toBe(1);
      expect(block.resBn!.numBatchesTracked.dataSync()[0]).toBe(1);
      const R = randn(rng, [8, 2, 24, 18]);
      const { value, grads } = tf.variableGrads(() => dot(block.call(x), R), block.parameters());
      const all = block.namedParameters().map(([name, v]) => {
        const g = grads[v.name];
        expect(g, name).toBeDefined();
        expect(g!.shape, name).toEqual(v.shape);
        return [name, Array.from(g!.dataSync())] as const;
      });
      const scale = Math.max(...all.flatMap(([, d]) => d.map(Math.abs)));
      // A bias right before a train-mode BatchNorm only shifts the channel mean, which BN removes:
      // its true gradient is exactly 0 (in PyTorch too), so only rounding noise may show.
      const cancelled = new Set(['gcn.bias', 'tcnConv.bias', 'resConv.bias']);
      for (const [name, d] of all) {
        expect(d.every(Number.isFinite), name).toBe(true);
        const m = Math.max(...d.map(Math.abs));
        if (cancelled.has(name)) expect(m / scale, name).toBeLessThan(1e-4);
        else expect(m, name).toBeGreaterThan(0);
      }
      tf.dispose([x, y, R, value, ...Object.values(grads)]);
      block.dispose();
    });

    it('finalActivation "none" skips the last ReLU', () => {
      const block = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 3, residual: 'conv', finalActivation: 'none', seed: 1 });
      const x = randn(new Rng('noact'), [4, 1, 6, 18]);
      const y = block.call(x);
      expect(tf.min(y).dataSync()[0]).toBeLessThan(0);
      tf.dispose([x, y]);
      block.dispose();
    });

    it('eval mode uses the running statistics (and leaves them alone)', () => {
      const block = new StgcnBlock(2, 3, new SkeletonGraph('openpose18', { strategy: 'spatial', maxHop: 1 }), {
        temporalKernel: 5, residual: 'conv', seed: 11,
      });
      const rng = new Rng('eval');
      for (let i = 0; i < 3; i++) tf.dispose(block.call(tf.tidy(() => tf.add(tf.mul(randn(rng, [6, 2, 8, 18]), 2), 1))));
      block.eval();
      const x = randn(rng, [4, 2, 8, 18]);
      const stats = () => block.namedBuffers().map(([, v]) => Array.from(v.dataSync()));
      const statsBefore = stats();
      const y = block.call(x);
      expect(stats()).toEqual(statsBefore);

      // The same composition with BatchNorm written out from its variables (PyTorch eval formula).
      const bnEval = (bn: BatchNorm, h: tf.Tensor) => tf.tidy(() => {
        const s = [1, bn.channels, 1, 1];
        const r = (t: tf.Tensor) => tf.reshape(t, s);
        return tf.add(tf.mul(tf.div(tf.sub(h, r(bn.runningMean)), tf.sqrt(tf.add(r(bn.runningVar), bn.eps))), r(bn.weight!)), r(bn.bias!));
      });
      const want = tf.tidy(() => {
        const h = bnEval(block.tcnBn2, block.tcnConv.call(tf.relu(bnEval(block.tcnBn1, block.gcn.call(x)))));
        return tf.relu(tf.add(h, bnEval(block.resBn!, block.resConv!.call(x))));
      });
      expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);

      // Per-sample in eval: a sub-batch gives the same rows; in train mode it would not.
      const x1 = tf.slice(x, [0, 0, 0, 0], [1, 2, 8, 18]);
      const y1 = block.call(x1);
      const y0 = tf.slice(y, [0, 0, 0, 0], [1, 3, 8, 18]);
      expect(maxAbsDiff(y1.dataSync(), y0.dataSync())).toBeLessThan(1e-5);
      block.train();
      const t1 = block.call(x1);
      expect(maxAbsDiff(t1.dataSync(), y0.dataSync())).toBeGreaterThan(1e-3);
      tf.dispose([x, y, want, x1, y1, y0, t1]);
      block.dispose();
    });

    it('fast and general graph paths give the same block output and gradients', () => {
      const fast = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 9, seed: 13 });
      const slow = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 9, seed: 13, fastPath: false });
      expect(fast.gcn.usesFastPath && !slow.gcn.usesFastPath).toBe(true);
      const rng = new Rng('block-paths');
      const x = randn(rng, [4, 1, 16, 18]);
      const R = randn(rng, [4, 2, 16, 18]);
      const compare = (tolerance: number, perParam: boolean) => {
        const gf = gradsOf(fast, () => dot(fast.call(x), R));
        const gs = gradsOf(slow, () => dot(slow.call(x), R));
        const global = Math.max(...[...gs.values()].flatMap((g) => Array.from(g, Math.abs)));
        fast.namedParameters().forEach(([n], i) => {
          const a = gf.get(fast.parameters()[i]!)!;
          const b = gs.get(slow.parameters()[i]!)!;
          const scale = perParam ? Math.max(1e-3, ...Array.from(b, Math.abs)) : global;
          expect(maxAbsDiff(a, b) / scale, n).toBeLessThan(tolerance);
        });
      };
      // Train mode: BatchNorm makes gcn.bias (exactly) and gcn.weight (up to eps) nearly
      // gradient-free, so those are pure rounding noise; compare on the block's overall scale.
      compare(2e-5, false);
      // Eval mode has no such cancellation: every gradient must agree on its own scale.
      fast.eval();
      slow.eval();
      compare(1e-4, true);
      const [yf, ys] = [fast.call(x), slow.call(x)];
      expect(maxAbsDiff(yf.dataSync(), ys.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, R, yf, ys]);
      fast.dispose();
      slow.dispose();
    });

    it('is leak-free across 20 train-mode calls and under tf.variableGrads', () => {
      const block = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 13, residual: 'conv', seed: 17 });
      const general = new StgcnBlock(2, 2, new SkeletonGraph('openpose18', { strategy: 'spatial', maxHop: 2 }), {
        temporalKernel: 5, seed: 17,
      });
      const x = randn(new Rng('leak'), [4, 1, 24, 18]);
      const x2 = randn(new Rng('leak2'), [4, 2, 24, 18]);
      // Warm-up: the first call may allocate backend-side constants.
      tf.dispose([block.call(x), general.call(x2)]);
      const start = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) {
        tf.dispose(block.call(x));
        tf.dispose(general.call(x2));
        expect(tf.memory().numTensors).toBe(start);
      }
      for (let i = 0; i < 5; i++) {
        for (const [m, inp] of [[block, x], [general, x2]] as const) {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.call(inp))) as tf.Scalar, m.parameters());
          tf.dispose([value, ...Object.values(grads)]);
        }
        expect(tf.memory().numTensors).toBe(start);
      }
      tf.dispose([x, x2]);
      const beforeDispose = tf.memory().numTensors;
      const owned = block.stateDict().size + general.stateDict().size + 2 /* A */ + 1 /* fast-path ones */;
      block.dispose();
      general.dispose();
      expect(tf.memory().numTensors).toBe(beforeDispose - owned);
    });

    it('rejects inputs of the wrong shape', () => {
      const block = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: 3, seed: 0 });
      const x = tf.ones([2, 2, 4, 18]);
      expect(() => block.call(x)).toThrow(ShapeError);
      x.dispose();
      block.dispose();
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('PyTorch st_gcn state dict mapping', () => {
    it('maps every key and loads strictly', () => {
      const kt = 13;
      const rng = new Rng('torch');
      const bn = (p: string) => ({
        [`${p}.weight`]: randn(rng, [2]), [`${p}.bias`]: randn(rng, [2]),
        [`${p}.running_mean`]: randn(rng, [2]), [`${p}.running_var`]: tf.abs(randn(rng, [2])),
        [`${p}.num_batches_tracked`]: tf.scalar(9080, 'int32'),
      });
      const prefix = 'flow.layers.1.coupling.block.';
      const torch: Record<string, tf.Tensor> = Object.fromEntries(Object.entries({
        'gcn.conv.weight': randn(rng, [2, 1, 1, 1]), 'gcn.conv.bias': randn(rng, [2]),
        ...bn('tcn.0'), 'tcn.2.weight': randn(rng, [2, 2, kt, 1]), 'tcn.2.bias': randn(rng, [2]), ...bn('tcn.3'),
        'residual.0.weight': randn(rng, [2, 1, 1, 1]), 'residual.0.bias': randn(rng, [2]), ...bn('residual.1'),
      }).map(([k, v]) => [prefix + k, v]));
      torch['flow.layers.1.actnorm.bias'] = tf.zeros([1, 2, 1, 1]);

      const mine = stgcnStateFromTorch(torch, prefix);
      const block = new StgcnBlock(1, 2, STGNF_A(), { temporalKernel: kt, residual: 'conv', seed: 0 });
      block.loadStateDict(mine);
      expect(Array.from(block.tcnConv.weight.dataSync())).toEqual(Array.from(torch[`${prefix}tcn.2.weight`]!.dataSync()));
      expect(Array.from(block.gcn.weight.dataSync())).toEqual(Array.from(torch[`${prefix}gcn.conv.weight`]!.dataSync()));
      expect(Array.from(block.resBn!.runningVar.dataSync())).toEqual(Array.from(torch[`${prefix}residual.1.running_var`]!.dataSync()));
      expect(block.tcnBn2.numBatchesTracked.dataSync()[0]).toBe(9080);
      expect(stgcnKeyFromTorch('tcn.3.running_mean')).toBe('tcnBn2.runningMean');
      expect(stgcnKeyFromTorch('tcn.1.weight')).toBeNull();
      expect(stgcnKeyFromTorch('gcn.conv.running_mean')).toBeNull();
      expect(() => stgcnStateFromTorch({ 'edge_importance.0': tf.scalar(1) })).toThrow(WeightsError);
      tf.dispose([...Object.values(torch), ...mine.values()]);
      block.dispose();
    });
  });

  it('PointwiseConv is a 1×1 conv with bias', () => {
    const pc = new PointwiseConv(3, 2, { seed: 3 });
    const x = randn(new Rng('pw'), [2, 3, 4, 5]);
    const y = pc.call(x);
    const w = pc.weight.dataSync(), b = pc.bias!.dataSync(), xd = x.dataSync(), yd = y.dataSync();
    for (let n = 0; n < 2; n++) for (let o = 0; o < 2; o++) for (let s = 0; s < 20; s++) {
      let acc = b[o]!;
      for (let i = 0; i < 3; i++) acc += w[o * 3 + i]! * xd[(n * 3 + i) * 20 + s]!;
      expect(yd[(n * 2 + o) * 20 + s]).toBeCloseTo(acc, 5);
    }
    tf.dispose([x, y]);
    pc.dispose();
  });
});
