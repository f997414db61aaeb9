// The hand values of the DSNF model card (../shared/docs/model-cards.md §3.7, items 1–8), random
// triples (symmetry, triangle inequality), and float32 stress: inputs of norm up to 1e3 and points
// within 1e-7 of the boundary give finite values and finite gradients on every operation and layer.
// Every expected number is computed by hand (closed forms: tanh, artanh) — none by this package.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { HgcnLayer, HyperbolicActivation, HyperbolicLinear, meanAdjacency, PoincareBall, hyperbolicAggregate } from '@skelflow/hyperbolic';

const BACKENDS = ['cpu', 'wasm'] as const;
const vec = (t: tf.Tensor) => Array.from(t.dataSync());
function close(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]!) <= tol)) throw new Error(`index ${i}: got ${a}, expected ${expected[i]} (tol ${tol})`);
  });
}
function allFinite(ts: tf.Tensor[]): void {
  for (const t of ts) for (const v of t.dataSync()) if (!Number.isFinite(v)) throw new Error(`non-finite ${v} in [${t.shape}]`);
}

describe.each(BACKENDS)('model-card hand values on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });
  const ball = new PoincareBall(1);
  const x = [0.5, 0];
  const y = [0, 0.5];

  it('1–2. Möbius addition (0.5,0) ⊕ (0,0.5), left cancellation and identities', () => {
    tf.tidy(() => {
      const tx = tf.tensor2d([x]);
      const ty = tf.tensor2d([y]);
      // (1 + 0 + 0.25)·x + (1 − 0.25)·y over 1 + 0 + 1/16: (0.625, 0.375)/1.0625.
      close(vec(ball.mobiusAdd(tx, ty)), [0.625 / 1.0625, 0.375 / 1.0625], 1e-6);
      close(vec(ball.mobiusAdd(ty, tx)), [0.375 / 1.0625, 0.625 / 1.0625], 1e-6);
      close([tf.norm(ball.mobiusAdd(tx, ty)).dataSync()[0]!], [0.685994], 1e-6);
      close(vec(ball.mobiusAdd(tf.neg(tx), ball.mobiusAdd(tx, ty))), y, 1e-6);
      close(vec(ball.mobiusAdd(tx, tf.zeros([1, 2]))), x, 0);
      close(vec(ball.mobiusAdd(tf.zeros([1, 2]), tx)), x, 0);
      close(vec(ball.mobiusAdd(tf.neg(tx), tx)), [0, 0], 1e-7);
    });
  });

  it('3. Euclidean limit: c = 1e-6 gives x + y', () => {
    const flat = new PoincareBall(1e-6);
    tf.tidy(() => close(vec(flat.mobiusAdd(tf.tensor2d([[0.3, 0.1]]), tf.tensor2d([[0.2, -0.4]]))), [0.5, -0.3], 1e-6));
    flat.dispose();
  });

  it('4. expmap0 / logmap0 and d(0, expmap0(u)) = 2‖u‖ for every c', () => {
    tf.tidy(() => {
      close(vec(ball.expmap0(tf.tensor2d([[1, 0]]))), [Math.tanh(1), 0], 1e-6);
      close(vec(ball.logmap0(tf.tensor2d([[Math.tanh(1), 0]]))), [1, 0], 1e-5);
      const half = new PoincareBall(0.5);
      const p = half.expmap0(tf.tensor2d([[1, 0]]));
      close(vec(p), [Math.tanh(Math.SQRT1_2) / Math.SQRT1_2, 0], 1e-6); // 0.861057
      close(vec(p), [0.861057, 0], 1e-6);
      close(vec(half.dist(tf.zeros([1, 2]), p)), [2], 1e-5);
      half.dispose();
      const u = tf.tensor2d([[0.3, -0.2]]);
      const at = tf.tensor2d([[0.1, 0.4]]);
      close(vec(ball.logmap(at, ball.expmap(at, u))), [0.3, -0.2], 1e-5);
    });
  });

  it('5. distances: 2·artanh(0.5), d(x, y) = d(y, x) = 1.680700, d(x, x) = 0', () => {
    tf.tidy(() => {
      const tx = tf.tensor2d([x]);
      const ty = tf.tensor2d([y]);
      close(vec(ball.dist(tf.zeros([1, 2]), tx)), [2 * Math.atanh(0.5)], 1e-6);
      close(vec(ball.dist(tx, ty)), [1.6807], 1e-5);
      close(vec(ball.dist(ty, tx)), [1.6807], 1e-5);
      close(vec(ball.dist(tx, tx)), [0], 1e-6);
    });
  });

  it('6. Möbius matvec: (2I) ⊗ (0.5, 0) = (0.8, 0), I ⊗ x = x, (MM′) ⊗ x = M ⊗ (M′ ⊗ x), M x = 0 → 0 with finite gradient', () => {
    tf.tidy(() => {
      const tx = tf.tensor2d([x]);
      const r = ball.mobiusMatvec(tf.tensor2d([[2, 0], [0, 2]]), tx);
      close(vec(r), [0.8, 0], 1e-6); // tanh(2·artanh 0.5) = 0.8
      close(vec(ball.dist(tf.zeros([1, 2]), r)), [2 * 1.0986123], 1e-5);
      close(vec(ball.mobiusMatvec(tf.eye(2), tf.tensor2d([[0.3, -0.6]]))), [0.3, -0.6], 1e-6);
      const m = tf.tensor2d([[0.7, -0.2], [0.4, 1.1]]);
      const m2 = tf.tensor2d([[1.3, 0.5], [-0.3, 0.8]]);
      const p = tf.tensor2d([[0.2, 0.35]]);
      close(vec(ball.mobiusMatvec(tf.matMul(m, m2), p)), vec(ball.mobiusMatvec(m, ball.mobiusMatvec(m2, p))), 1e-5);
      const kill = tf.tensor2d([[1, -1], [2, -2]]); // kills (1, 1)
      const q = tf.tensor2d([[0.3, 0.3]]);
      close(vec(ball.mobiusMatvec(kill, q)), [0, 0], 0);
      allFinite([tf.grad((t: tf.Tensor) => tf.sum(ball.mobiusMatvec(kill, t)))(q), tf.grad((mm: tf.Tensor) => tf.sum(ball.mobiusMatvec(mm, q)))(kill)]);
    });
  });

  it('7. conformal factor λ = 2/(1 − 0.25) = 8/3 at ‖x‖ = 0.5', () => {
    tf.tidy(() => close(vec(ball.lambda(tf.tensor2d([[0.3, 0.4]]))), [8 / 3], 1e-6));
  });

  it('8. HGCN layers: identity linear, A = I aggregation, outputs inside (1 − ε)/√c', () => {
    tf.tidy(() => {
      const lin = new HyperbolicLinear(2, 2, { ball });
      lin.weight.assign(tf.eye(2));
      const p = tf.tensor2d([[0.2, -0.5], [0.6, 0.1]]);
      close(vec(lin.call(p)), vec(p), 1e-6);
      close(vec(hyperbolicAggregate(tf.reshape(p, [1, 2, 2]), tf.eye(2), ball)), vec(p), 1e-6);
      lin.dispose();
      for (const c of [1, 0.3, 4]) {
        const b = new PoincareBall(c);
        const layer = new HgcnLayer(3, 5, meanAdjacency(4, [[0, 1], [1, 2], [2, 3]]), { ball: b, rng: new Rng(c * 10) });
        const far = b.proj(b.expmap0(tf.mul(tf.randomNormal([6, 4, 3], 0, 1, 'float32', 1), 50)));
        const norms = vec(tf.norm(layer.call(far), 'euclidean', -1));
        for (const n of norms) expect(n).toBeLessThanOrEqual((1 - 4e-3) / Math.sqrt(c) + 1e-6);
        layer.dispose();
        b.dispose();
      }
    });
  });

  it('meanAdjacency is D⁻¹(A + I)', () => {
    expect(meanAdjacency(3, [[0, 1], [1, 2]])).toEqual([
      [0.5, 0.5, 0],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 0.5, 0.5],
    ]);
  });

  it('random triples: symmetry and the triangle inequality', () => {
    const rng = new Rng(12);
    for (const c of [1, 0.5, 3]) {
      const b = new PoincareBall(c);
      const pts = Array.from({ length: 3 }, () =>
        Array.from({ length: 64 }, () => {
          const v = [rng.normal(), rng.normal(), rng.normal()];
          const n = Math.hypot(...v);
          const r = (0.95 * rng.uniform()) / Math.sqrt(c);
          return v.map((a) => (a * r) / n);
        }),
      );
      tf.tidy(() => {
        const [p, q, s] = pts.map((a) => tf.tensor2d(a));
        const dpq = vec(b.dist(p!, q!));
        const dqp = vec(b.dist(q!, p!));
        const dqs = vec(b.dist(q!, s!));
        const dps = vec(b.dist(p!, s!));
        dpq.forEach((d, i) => {
          expect(Math.abs(d - dqp[i]!)).toBeLessThan(1e-4 * (1 + d));
          expect(dps[i]!).toBeLessThanOrEqual(d + dqs[i]! + 1e-4);
        });
      });
      b.dispose();
    }
  });

  it('float32 stress: norms up to 1e3 and points within 1e-7 of the boundary stay finite, with finite gradients', () => {
    const learn = new PoincareBall({ c: 1, learnable: true });
    const layer = new HgcnLayer(3, 4, meanAdjacency(3, [[0, 1], [1, 2]]), { ball: learn, rng: new Rng(2) });
    const act = new HyperbolicActivation(learn, 'tanh');
    const huge = tf.tensor3d([[[1e3, 0, 0], [0, -1e3, 0], [577, 577, 577]]]);
    // 1 − 1e-7 rounds to 1 − 2⁻²³·k in float32: as close to the boundary as float32 allows.
    const edge = tf.tensor3d([[[1 - 1e-7, 0, 0], [0, 0, -(1 - 1e-7)], [0.57735, 0.57735, 0.57735]]]);
    for (const input of [huge, edge]) {
      const vals = tf.tidy(() => [
        learn.expmap0(input),
        learn.proj(learn.expmap0(input)),
        learn.logmap0(input),
        learn.logmap0(learn.proj(input)),
        learn.dist(learn.proj(input), tf.zerosLike(input)),
        learn.mobiusAdd(learn.proj(input), learn.proj(tf.neg(input))),
        learn.mobiusMatvec(tf.eye(3), learn.proj(input)),
        learn.lambda(learn.proj(input)),
        layer.call(learn.proj(input)),
        act.call(learn.proj(input)),
      ]);
      allFinite(vals);
      tf.dispose(vals);
      const loss = () =>
        tf.tidy(() => {
          const p = learn.proj(learn.expmap0(input));
          const h = layer.call(act.call(p));
          return tf.add(tf.sum(learn.logmap0(h)), tf.sum(learn.dist(h, tf.zerosLike(h)))) as tf.Scalar;
        });
      const { value, grads } = tf.variableGrads(loss, [...layer.parameters(), ...learn.parameters()]);
      allFinite([value, ...Object.values(grads)]);
      const gIn = tf.grad((t: tf.Tensor) => tf.sum(learn.logmap0(layer.call(learn.proj(t)))))(input);
      allFinite([gIn]);
      tf.dispose([value, gIn, ...Object.values(grads)]);
    }
    tf.dispose([huge, edge]);
    layer.dispose();
    learn.dispose();
  });

  it('HgcnLayer trains (loss decreases) and leaks no tensors', () => {
    const layer = new HgcnLayer(2, 3, meanAdjacency(3, [[0, 1], [1, 2]]), { learnableC: true, rng: new Rng(4) });
    const x = tf.tidy(() => layer.ball.proj(layer.ball.expmap0(tf.tensor3d([[[0.3, -0.1], [0.2, 0.5], [-0.4, 0.1]]]))));
    const target = tf.tensor3d([[[0.1, 0.2, 0.1], [0.3, 0.1, 0], [0.1, 0.1, 0.2]]]);
    const loss = () => tf.tidy(() => tf.sum(layer.ball.dist(layer.call(x), target)) as tf.Scalar);
    const opt = tf.train.sgd(0.05);
    const first = loss().dataSync()[0]!;
    for (let i = 0; i < 20; i++) opt.minimize(loss, false, layer.parameters());
    const again = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.minimize(loss, false, layer.parameters());
    expect(tf.memory().numTensors).toBe(again);
    expect(loss().dataSync()[0]!).toBeLessThan(first);
    opt.dispose();
    tf.dispose([x, target]);
    layer.dispose();
  });
});
