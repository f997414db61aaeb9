// hgcnChainTangent (the HGCN stack as one operation with a hand-written float64 gradient) against
// its naive reference, the same composition op by op on tensors differentiated by tfjs: values and
// the gradients of the input, the curvature (learnable, via rawC), weights and biases, on cpu and
// wasm; inputs from the origin to far outside the ball (the clamps and proj's active branch); every
// activation; two stacked layers; a finite-difference check of the kernel in float64 terms; no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { HgcnLayer, hgcnChainTangent, hgcnChainTangentReference, meanAdjacency, PoincareBall, type TangentActivation } from '@skelflow/hyperbolic';
import { forEachBackend } from '@skelflow/testing';

const EDGES: [number, number][] = [[0, 1], [1, 2], [1, 3], [3, 4]];

function build(activation: TangentActivation, layers: number, c: number, bias = true) {
  const ball = new PoincareBall({ c, learnable: true });
  const adj = meanAdjacency(5, EDGES);
  const stack = Array.from({ length: layers }, (_, i) => new HgcnLayer(4, 4, adj, { ball, activation, bias, rng: new Rng(10 + i) }));
  // Non-zero biases so the Möbius addition is exercised.
  stack.forEach((l, i) => tf.tidy(() => l.lin.bias?.assign(tf.mul(normalTensor(new Rng(20 + i), [4]), 0.3))));
  return { ball, stack, dispose: () => (ball.dispose(), stack.forEach((l) => l.dispose())) };
}

/** Value and gradients (input, rawC, each weight and bias) of Σ u ⊙ r for a fixed r. */
function run(f: typeof hgcnChainTangent, x: tf.Tensor, ball: PoincareBall, stack: HgcnLayer[], r: tf.Tensor) {
  const vars = [ball.rawC!, ...stack.flatMap((l) => [l.lin.weight, ...(l.lin.bias ? [l.lin.bias] : [])])];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x, ball, stack), r)) as tf.Scalar, vars);
  const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi, ball, stack), r)))(x);
  const u = f(x, ball, stack);
  const out = {
    u: Array.from(u.dataSync()),
    value: value.dataSync()[0]!,
    gx: Array.from(gx.dataSync()),
    gv: vars.map((v) => Array.from(grads[v.name]!.dataSync())),
  };
  tf.dispose([value, gx, u, ...Object.values(grads)]);
  return out;
}

function close(a: number[], b: number[], tol: number) {
  const scale = Math.max(1, ...b.map(Math.abs));
  const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  expect(err / scale).toBeLessThan(tol);
}

forEachBackend('hgcnChainTangent', () => {
  for (const [activation, layers, c, scale] of [
    ['relu', 1, 1, 0.5],
    ['relu', 1, 0.7, 30], // far outside the ball: proj's active branch and the tanh clamp
    ['tanh', 2, 1.3, 1],
    ['leakyRelu', 1, 1, 3],
    ['identity', 2, 0.5, 0.1],
  ] as const) {
    it(`equals its tensor reference, values and gradients (${activation}, ${layers} layer(s), c = ${c}, |x| ~ ${scale})`, () => {
      const { ball, stack, dispose } = build(activation, layers, c);
      const x = tf.tidy(() => tf.mul(normalTensor(new Rng(3), [3, 5, 4]), scale));
      const r = normalTensor(new Rng(4), [3, 5, 4]);
      const ours = run(hgcnChainTangent, x, ball, stack, r);
      const ref = run(hgcnChainTangentReference, x, ball, stack, r);
      close(ours.u, ref.u, 2e-5);
      close(ours.gx, ref.gx, 2e-4);
      ours.gv.forEach((g, i) => close(g, ref.gv[i]!, 2e-4));
      expect(ours.gx.every(Number.isFinite)).toBe(true);
      tf.dispose([x, r]);
      dispose();
    });
  }

  it('a zero input row and a row on the boundary give finite values and gradients; no bias works', () => {
    const { ball, stack, dispose } = build('relu', 1, 1, false);
    const x = tf.tidy(() => tf.concat([tf.zeros([1, 5, 4]), tf.fill([1, 5, 4], 1e3)], 0));
    const r = tf.ones([2, 5, 4]);
    const ours = run(hgcnChainTangent, x, ball, stack, r);
    const ref = run(hgcnChainTangentReference, x, ball, stack, r);
    expect([...ours.u, ...ours.gx, ...ours.gv.flat()].every(Number.isFinite)).toBe(true);
    close(ours.u, ref.u, 2e-5);
    close(ours.gx, ref.gx, 2e-4);
    ours.gv.forEach((g, i) => close(g, ref.gv[i]!, 2e-4));
    tf.dispose([x, r]);
    dispose();
  });

  it('matches central finite differences of its own forward (input and curvature)', () => {
    const { ball, stack, dispose } = build('tanh', 1, 0.8);
    const x = tf.tidy(() => tf.mul(normalTensor(new Rng(8), [2, 5, 4]), 0.7));
    const r = normalTensor(new Rng(9), [2, 5, 4]);
    const ours = run(hgcnChainTangent, x, ball, stack, r);
    const f = (xi: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(hgcnChainTangent(xi, ball, stack), r)).dataSync()[0]!);
    const h = 1e-2;
    const xd = x.dataSync();
    for (const i of [0, 7, 19, 33]) {
      const plus = Float32Array.from(xd);
      const minus = Float32Array.from(xd);
      plus[i]! += h;
      minus[i]! -= h;
      const fd = (f(tf.tensor(plus, x.shape)) - f(tf.tensor(minus, x.shape))) / (2 * h);
      expect(Math.abs(fd - ours.gx[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
    const raw = ball.rawC!.dataSync()[0]!;
    const at = (v: number) => (ball.rawC!.assign(tf.scalar(v)), f(x));
    const fdC = (at(raw + h) - at(raw - h)) / (2 * h);
    ball.rawC!.assign(tf.scalar(raw));
    expect(Math.abs(fdC - ours.gv[0]![0]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fdC)));
    tf.dispose([x, r]);
    dispose();
  });

  it('leaks no tensor and checks its layers', () => {
    const { ball, stack, dispose } = build('relu', 1, 1);
    const x = normalTensor(new Rng(1), [2, 5, 4]);
    const r = normalTensor(new Rng(2), [2, 5, 4]);
    run(hgcnChainTangent, x, ball, stack, r);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run(hgcnChainTangent, x, ball, stack, r);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => hgcnChainTangent(tf.zeros([2, 4, 4]), ball, stack)).toThrow(ShapeError);
    expect(() => hgcnChainTangent(x, new PoincareBall(1), stack)).toThrow(ShapeError);
    tf.dispose([x, r]);
    dispose();
  });
});
