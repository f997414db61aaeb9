import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { HyperbolicLinear, PoincareBall, hyperbolicActivation, hyperbolicAggregate } from '@skelflow/hyperbolic';

const BACKENDS = ['cpu', 'wasm'] as const;

// ---- float64 reference formulas, written directly from Ganea et al. / HGCN (no clamps) ----------
type V = number[];
const dotJ = (a: V, b: V) => a.reduce((s, ai, i) => s + ai * b[i]!, 0);
const normJ = (a: V) => Math.sqrt(dotJ(a, a));
const scaleJ = (a: V, s: number) => a.map((v) => v * s);
const negJ = (a: V) => a.map((v) => -v);
function maddJ(x: V, y: V, c: number): V {
  const xy = dotJ(x, y);
  const x2 = dotJ(x, x);
  const y2 = dotJ(y, y);
  const den = 1 + 2 * c * xy + c * c * x2 * y2;
  return x.map((xi, i) => ((1 + 2 * c * xy + c * y2) * xi + (1 - c * x2) * y[i]!) / den);
}
const lambdaJ = (x: V, c: number) => 2 / (1 - c * dotJ(x, x));
function expmap0J(u: V, c: number): V {
  const n = normJ(u);
  return n === 0 ? u.slice() : scaleJ(u, Math.tanh(Math.sqrt(c) * n) / (Math.sqrt(c) * n));
}
function logmap0J(y: V, c: number): V {
  const n = normJ(y);
  return n === 0 ? y.slice() : scaleJ(y, Math.atanh(Math.sqrt(c) * n) / (Math.sqrt(c) * n));
}
function expmapJ(x: V, u: V, c: number): V {
  const n = normJ(u);
  const sc = Math.sqrt(c);
  return maddJ(x, scaleJ(u, Math.tanh((sc * lambdaJ(x, c) * n) / 2) / (sc * n)), c);
}
function logmapJ(x: V, y: V, c: number): V {
  const w = maddJ(negJ(x), y, c);
  const n = normJ(w);
  const sc = Math.sqrt(c);
  return scaleJ(w, ((2 / (sc * lambdaJ(x, c))) * Math.atanh(sc * n)) / n);
}
function matvecJ(m: V[], x: V, c: number): V {
  const mx = m.map((row) => dotJ(row, x));
  const nmx = normJ(mx);
  const nx = normJ(x);
  if (nmx === 0) return mx.map(() => 0);
  const sc = Math.sqrt(c);
  return scaleJ(mx, Math.tanh((nmx / nx) * Math.atanh(sc * nx)) / (sc * nmx));
}
const distJ = (x: V, y: V, c: number) => (2 / Math.sqrt(c)) * Math.atanh(Math.sqrt(c) * normJ(maddJ(negJ(x), y, c)));
function projJ(x: V, c: number, eps = 4e-3): V {
  const n = normJ(x);
  const max = (1 - eps) / Math.sqrt(c);
  return n > max ? scaleJ(x, max / n) : x.slice();
}

/** `count` random points of dimension d with norm `radius·(0.2..1)/√c`, reproducible. */
function pointsJ(seed: number, count: number, d: number, c: number, radius: number): V[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const v = Array.from({ length: d }, () => rng.normal());
    return scaleJ(v, (radius * (0.2 + 0.8 * rng.uniform())) / (Math.sqrt(c) * normJ(v)));
  });
}

const rows = (t: tf.Tensor) => t.arraySync() as number[][];
function expectRowsClose(actual: number[][], expected: number[][], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    expect(row.length).toBe(expected[i]!.length);
    row.forEach((v, j) => {
      const e = expected[i]![j]!;
      if (Math.abs(v - e) > tol * (1 + Math.abs(e))) {
        throw new Error(`row ${i} col ${j}: got ${v}, expected ${e} (tol ${tol})`);
      }
    });
  });
}
function expectAllFinite(ts: tf.Tensor[]): void {
  for (const t of ts) {
    const d = t.dataSync();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) throw new Error(`non-finite gradient ${d[i]} at ${i} of [${t.shape}]`);
  }
}

describe.each(BACKENDS)('hyperbolic on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  describe.each([1, 0.7, 2.5])('PoincareBall with c = %s', (c) => {
    const ball = new PoincareBall({ c });
    const xs = pointsJ(1, 6, 4, c, 0.8);
    const ys = pointsJ(2, 6, 4, c, 0.8);
    const us = pointsJ(3, 6, 4, 1, 1.5); // tangent vectors, ‖u‖ in [0.3, 1.5]

    it('matches the float64 formulas', () => {
      const x = tf.tensor2d(xs);
      const y = tf.tensor2d(ys);
      const u = tf.tensor2d(us);
      const m = pointsJ(4, 3, 4, 1, 2); // a 3×4 matrix
      expectRowsClose(rows(ball.mobiusAdd(x, y)), xs.map((a, i) => maddJ(a, ys[i]!, c)), 2e-5);
      expectRowsClose(rows(ball.expmap0(u)), us.map((a) => expmap0J(a, c)), 2e-5);
      expectRowsClose(rows(ball.logmap0(x)), xs.map((a) => logmap0J(a, c)), 2e-5);
      expectRowsClose(rows(ball.expmap(x, u)), xs.map((a, i) => expmapJ(a, us[i]!, c)), 2e-5);
      expectRowsClose(rows(ball.logmap(x, y)), xs.map((a, i) => logmapJ(a, ys[i]!, c)), 1e-4);
      expectRowsClose(rows(ball.mobiusMatvec(tf.tensor2d(m), x)), xs.map((a) => matvecJ(m, a, c)), 2e-5);
      expectRowsClose([Array.from(ball.dist(x, y).dataSync())], [xs.map((a, i) => distJ(a, ys[i]!, c))], 1e-4);
      expectRowsClose([Array.from(ball.lambda(x).dataSync())], [xs.map((a) => lambdaJ(a, c))], 2e-5);
      expect(ball.lambda(x, true).shape).toEqual([6, 1]);
      expect(ball.dist(x, y, true).shape).toEqual([6, 1]);
      tf.dispose([x, y, u]);
    });

    it('left-cancellation (−x) ⊕ (x ⊕ y) = y, but ⊕ is not commutative', () => {
      const x = tf.tensor2d(xs);
      const y = tf.tensor2d(ys);
      expectRowsClose(rows(ball.mobiusAdd(tf.neg(x), ball.mobiusAdd(x, y))), ys, 1e-5);
      const xy = rows(ball.mobiusAdd(x, y));
      const yx = rows(ball.mobiusAdd(y, x));
      expect(Math.max(...xy.flat().map((v, i) => Math.abs(v - yx.flat()[i]!)))).toBeGreaterThan(1e-3);
      tf.dispose([x, y]);
    });

    it('logmap0 ∘ expmap0 = id and expmap_x ∘ logmap_x = id', () => {
      const u = tf.tensor2d(us);
      expectRowsClose(rows(ball.logmap0(ball.expmap0(u))), us, 1e-4);
      const x = tf.tensor2d(xs);
      const y = tf.tensor2d(ys);
      expectRowsClose(rows(ball.expmap(x, ball.logmap(x, y))), ys, 1e-4);
      expectRowsClose(rows(ball.logmap(x, ball.expmap(x, u))), us, 2e-3);
      tf.dispose([u, x, y]);
    });

    it('dist: symmetric, d(0, expmap0(u)) = 2‖u‖, d(x, y) = λ_x ‖logmap_x(y)‖', () => {
      const x = tf.tensor2d(xs);
      const y = tf.tensor2d(ys);
      const u = tf.tensor2d(us);
      expectRowsClose([Array.from(ball.dist(x, y).dataSync())], [Array.from(ball.dist(y, x).dataSync())], 1e-4);
      // ‖expmap0(u)‖ = tanh(√c‖u‖)/√c, so d(0, ·) = (2/√c)·artanh(tanh(√c‖u‖)) = 2‖u‖ for every c.
      const d0 = Array.from(ball.dist(tf.zerosLike(u), ball.expmap0(u)).dataSync());
      expectRowsClose([d0], [us.map((a) => 2 * normJ(a))], 1e-4);
      const viaLog = tf.mul(ball.lambda(x), tf.norm(ball.logmap(x, y), 'euclidean', -1));
      expectRowsClose([Array.from(viaLog.dataSync())], [Array.from(ball.dist(x, y).dataSync())], 1e-4);
      expect(Array.from(ball.dist(x, x).dataSync()).every((d) => Math.abs(d) < 1e-3)).toBe(true);
      tf.dispose([x, y, u, viaLog]);
    });

    it('proj keeps every point inside the ball and leaves inner points alone', () => {
      const max = (1 - 4e-3) / Math.sqrt(c);
      const far = [
        [10, 0, 0, 0],
        [1e3, -1e3, 5, 0],
        [0, 0, 0, 1 / Math.sqrt(c)],
        [0.1, 0.2, -0.1, 0],
      ];
      const p = rows(ball.proj(tf.tensor2d(far)));
      p.forEach((row, i) => {
        expect(normJ(row)).toBeLessThanOrEqual(max * (1 + 1e-6));
        expectRowsClose([row], [projJ(far[i]!, c)], 1e-6);
      });
      expect(p[3]).toEqual(Array.from(new Float32Array(far[3]!)));
      // float32 tanh saturates: expmap0 of a long vector lands on the boundary, proj pulls it back.
      const onEdge = ball.expmap0(tf.tensor2d([[40, 0, 0, 0]]));
      expect(Math.sqrt(c) * normJ(rows(onEdge)[0]!)).toBeGreaterThan(0.99999);
      expect(normJ(rows(ball.proj(onEdge))[0]!)).toBeLessThanOrEqual(max * (1 + 1e-6));
      expect(Number.isFinite(ball.dist(tf.zeros([1, 4]), ball.proj(onEdge)).dataSync()[0]!)).toBe(true);
      // Without proj, √c‖y‖ rounds to 1 in float32: the artanh clamp (1 − 1e-7, not HGCN's 1 − 1e-15,
      // which is 1.0 in float32) keeps logmap0 and dist finite: 2·artanh(1 − 2⁻²³)/√c ≈ 16.6/√c.
      const dEdge = ball.dist(tf.zeros([1, 4]), onEdge).dataSync()[0]!;
      expect(dEdge).toBeGreaterThan(15 / Math.sqrt(c));
      expect(dEdge).toBeLessThan(17 / Math.sqrt(c));
      expectAllFinite([ball.logmap0(onEdge), ball.logmap(tf.zeros([1, 4]), onEdge)]);
    });

    it('the artanh clamp does not cap distances between projected points', () => {
      // x at the projection radius and −x: the geodesic passes through 0, so d(x, −x) = 2 d(0, x)
      // = 4 artanh(0.996)/√c ≈ 12.42/√c. A 1 − 1e-5 clamp would cap it at 2 artanh(1 − 1e-5)/√c ≈ 12.21/√c.
      const x = ball.proj(tf.tensor2d([[3, -4, 1, 2]]));
      const d0 = ball.dist(tf.zerosLike(x), x).dataSync()[0]!;
      const dxx = ball.dist(x, tf.neg(x)).dataSync()[0]!;
      expect(d0).toBeCloseTo((2 * Math.atanh(0.996)) / Math.sqrt(c), 3);
      expect(Math.abs(dxx - (4 * Math.atanh(0.996)) / Math.sqrt(c))).toBeLessThan(0.05 / Math.sqrt(c));
      tf.dispose(x);
    });

    it('gradients are finite at the origin and at the boundary', () => {
      const zero = tf.zeros([2, 4]);
      const edge = tf.tensor2d([
        [0.999999 / Math.sqrt(c), 0, 0, 0],
        [0, 50, 0, 0], // outside: only proj makes it valid
      ]);
      const mZero = tf.zeros([3, 4]);
      const m = tf.tensor2d(pointsJ(5, 3, 4, 1, 1));
      const s = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(f(t));
      const grads: tf.Tensor[] = [];
      for (const p of [zero, edge, ball.proj(edge)]) {
        grads.push(
          tf.grad(s((t) => ball.expmap0(t)))(p),
          tf.grad(s((t) => ball.logmap0(ball.proj(t))))(p),
          tf.grad(s((t) => ball.proj(t)))(p),
          tf.grad(s((t) => ball.lambda(ball.proj(t))))(p),
          tf.grad(s((t) => ball.mobiusMatvec(m, ball.proj(t))))(p),
          tf.grad(s((t) => ball.mobiusMatvec(mZero, ball.proj(t))))(p),
          tf.grad(s((t) => ball.dist(ball.proj(t), ball.proj(t))))(p), // w = 0
          tf.grad(s((t) => ball.dist(tf.zerosLike(t), ball.proj(t))))(p),
          tf.grad(s((t) => ball.logmap(ball.proj(t), tf.zerosLike(t))))(p),
          tf.grad(s((t) => ball.expmap(ball.proj(t), t)))(p),
          tf.grad(s((t) => ball.mobiusAdd(ball.proj(t), ball.proj(tf.neg(t)))))(p),
        );
      }
      const gm = tf.grad((mm: tf.Tensor) => tf.sum(ball.mobiusMatvec(mm, zero)))(m);
      grads.push(gm);
      expectAllFinite(grads);
      // expmap0 is the identity to first order at 0: ∂Σexpmap0(u)/∂u = 1 there.
      expect(Array.from(grads[0]!.dataSync())).toEqual(new Array(8).fill(1));
      tf.dispose([zero, edge, mZero, m, ...grads]);
    });
  });

  it('learnable curvature: softplus parameterisation, gradient reaches rawC', () => {
    const ball = new PoincareBall({ c: 0.5, learnable: true });
    expect(ball.c).toBeCloseTo(0.5, 6);
    expect(ball.namedParameters().map(([n]) => n)).toEqual(['rawC']);
    expect(ball.rawC!.dataSync()[0]).toBeCloseTo(Math.log(Math.expm1(0.5)), 6);
    const x = tf.tensor2d(pointsJ(6, 4, 3, 0.5, 0.7));
    const y = tf.tensor2d(pointsJ(7, 4, 3, 0.5, 0.7));
    const { value, grads } = tf.variableGrads(() => tf.sum(ball.dist(x, y)) as tf.Scalar, ball.parameters());
    // d/dc of (2/√c) artanh(√c‖(−x)⊕_c y‖) by central differences in float64, times dc/draw = σ(raw).
    const f = (cc: number) => pointsJ(6, 4, 3, 0.5, 0.7).reduce((s, a, i) => s + distJ(a, pointsJ(7, 4, 3, 0.5, 0.7)[i]!, cc), 0);
    const h = 1e-5;
    const dfdc = (f(0.5 + h) - f(0.5 - h)) / (2 * h);
    const sig = 1 / (1 + Math.exp(-ball.rawC!.dataSync()[0]!));
    expect(grads[ball.rawC!.name]!.dataSync()[0]).toBeCloseTo(dfdc * sig, 2);
    expect(value.dataSync()[0]).toBeCloseTo(f(0.5), 3);
    tf.dispose([x, y, value, ...Object.values(grads)]);
    ball.dispose();
    expect(() => new PoincareBall({ c: 0 })).toThrow(InputError);
    expect(() => new PoincareBall(-1)).toThrow(InputError);
    expect(() => new PoincareBall(1).mobiusAdd(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(ShapeError);
  });

  it('HyperbolicLinear = proj(proj(W ⊗ x) ⊕ proj(expmap0(b))) and trains on this backend', () => {
    const c = 0.8;
    const lin = new HyperbolicLinear(4, 3, { c, learnableC: true, rng: new Rng(11) });
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias', 'ball.rawC']);
    const bias = [0.3, -0.2, 0.5];
    lin.bias!.assign(tf.tensor1d(bias));
    const w = rows(lin.weight);
    const xs = pointsJ(8, 5, 4, c, 0.9);
    const x = tf.tensor2d(xs);
    const y = lin.call(x);
    const hb = projJ(expmap0J(bias, c), c);
    const expected = xs.map((a) => projJ(maddJ(projJ(matvecJ(w, a, c), c), hb, c), c));
    expectRowsClose(rows(y), expected, 1e-4);
    rows(y).forEach((r) => expect(Math.sqrt(c) * normJ(r)).toBeLessThanOrEqual(1 - 4e-3 + 1e-6));
    // leading axes are kept
    const x3 = tf.reshape(x, [5, 1, 4]);
    expect(lin.call(x3).shape).toEqual([5, 1, 3]);
    const { value, grads } = tf.variableGrads(() => tf.sum(lin.ball.dist(lin.call(x), tf.zeros([5, 3]))) as tf.Scalar, lin.parameters());
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    expectAllFinite(Object.values(grads));
    for (const g of Object.values(grads)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    // a shared ball is not registered by the layer
    const shared = new PoincareBall({ c: 1, learnable: true });
    expect(new HyperbolicLinear(2, 2, { ball: shared, bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(() => lin.call(tf.zeros([2, 5]))).toThrow(ShapeError);
    tf.dispose([x, x3, y, value, ...Object.values(grads)]);
    lin.dispose();
    shared.dispose();
  });

  it('hyperbolicAggregate = proj(expmap0(A · logmap0(x))), shared and batched adjacency', () => {
    const c = 1.3;
    const ball = new PoincareBall(c);
    const a = [
      [0.5, 0.5, 0],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 0.5, 0.5],
    ];
    const batch = [0, 1].map((b) => pointsJ(20 + b, 3, 2, c, 0.95));
    const ref = (xs: V[], adj: V[]) => {
      const t = xs.map((p) => logmap0J(p, c));
      return adj.map((row) => projJ(expmap0J(t[0]!.map((_, k) => row.reduce((s, aij, j) => s + aij * t[j]![k]!, 0)), c), c));
    };
    const x = tf.tensor3d(batch);
    const shared = hyperbolicAggregate(x, tf.tensor2d(a), ball).arraySync() as number[][][];
    batch.forEach((xs, b) => expectRowsClose(shared[b]!, ref(xs, a), 1e-4));
    const a2 = [a, [[1, 0, 0], [0, 0, 1], [0, 1, 0]]];
    const batched = hyperbolicAggregate(x, tf.tensor3d(a2), c).arraySync() as number[][][];
    batch.forEach((xs, b) => expectRowsClose(batched[b]!, ref(xs, a2[b]!), 1e-4));
    // rank-4 input [B, T, V, D] with a shared [V, V]
    const x4 = tf.stack([x, tf.reverse(x, 0)], 1);
    const out4 = hyperbolicAggregate(x4, tf.tensor2d(a), ball).arraySync() as number[][][][];
    expectRowsClose(out4[0]![1]!, ref(batch[1]!, a), 1e-4);
    expectRowsClose(out4[1]![0]!, ref(batch[1]!, a), 1e-4);
    // identity adjacency leaves points (already inside the ball) in place
    expectRowsClose((hyperbolicAggregate(x, tf.eye(3), ball).arraySync() as number[][][])[0]!, batch[0]!, 1e-4);
    const g = tf.grad((t: tf.Tensor) => tf.sum(hyperbolicAggregate(t, tf.tensor2d(a), ball)))(x);
    expectAllFinite([g]);
    expect(() => hyperbolicAggregate(x, tf.eye(4), ball)).toThrow(ShapeError);
    const act = hyperbolicActivation(x, tf.relu, ball, new PoincareBall(0.5)).arraySync() as number[][][];
    expectRowsClose(act[0]!, batch[0]!.map((p) => projJ(expmap0J(logmap0J(p, c).map((v) => Math.max(v, 0)), 0.5), 0.5)), 1e-4);
  });

  it('leaks no tensors over repeated calls', () => {
    const ball = new PoincareBall({ c: 0.9, learnable: true });
    const lin = new HyperbolicLinear(4, 4, { ball, rng: new Rng(3) });
    const x = tf.tensor2d(pointsJ(9, 5, 4, 0.9, 0.9));
    const adj = tf.fill([5, 5], 0.2);
    const step = () => {
      const outs = [
        ball.mobiusAdd(x, x), ball.expmap0(x), ball.logmap0(x), ball.expmap(x, x), ball.logmap(x, x),
        ball.mobiusMatvec(lin.weight, x), ball.dist(x, x), ball.proj(x), ball.lambda(x),
        lin.call(x), hyperbolicAggregate(x, adj, ball),
      ];
      const { value, grads } = tf.variableGrads(() => tf.sum(lin.call(hyperbolicAggregate(x, adj, ball))) as tf.Scalar, [...lin.parameters(), ...ball.parameters()]);
      tf.dispose([...outs, value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, adj]);
    lin.dispose();
    ball.dispose();
  });
});
