// The AWAM objective: hand cases of its weights (non-negative, mean ρ, constants), the exact loss
// and gradient on a quadratic (where central differences are exact and d = 1 makes the estimator
// exact too), the estimator's convergence to the autodiff gradient norm on a non-linear NLL, the
// restored buffers, and no leaks. Expected values are closed forms, not this code's output.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { InputError, Rng } from '@skelflow/base';
import { awamLoss, massWeights } from '@skelflow/flows';
import { forEachBackend } from '@skelflow/testing';

it('massWeights: ρ·B·softmax(AM/τ) by hand, ≥ 0, mean ρ; constant ρ when not adaptive', () => {
  const w = massWeights([1, 1 + Math.log(3)], 1, true);
  expect(w[0]).toBeCloseTo(0.5, 12);
  expect(w[1]).toBeCloseTo(1.5, 12);
  const rng = new Rng(3);
  for (const [rho, tau] of [[1.5, 1], [0.5, 0.3], [2, 7]] as const) {
    const am = Array.from({ length: 33 }, () => 50 * rng.uniform());
    const ws = massWeights(am, rho, true, tau);
    ws.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
    expect(ws.reduce((p, q) => p + q, 0) / ws.length).toBeCloseTo(rho, 10);
    // larger mass, larger weight
    const order = am.map((_, i) => i).sort((a, b) => am[a]! - am[b]!);
    for (let i = 1; i < order.length; i++) expect(ws[order[i]!]!).toBeGreaterThanOrEqual(ws[order[i - 1]!]!);
  }
  expect(massWeights([3, 9, 0.1], 0.5, false)).toEqual([0.5, 0.5, 0.5]);
});

forEachBackend('awamLoss', () => {
  it('quadratic, d = 1: exact AM = |2θx_b|, the loss by hand, and a gradient in which the weights are constants', () => {
    const xs = [0.5, -1.2, 2.0, 0.1];
    const x = tf.tensor2d(xs, [4, 1]);
    const theta = tf.variable(tf.scalar(0.7));
    const nllOf = (p: (tf.Tensor | null)[]) => tf.tidy(() => tf.squeeze(tf.mul(theta, tf.square(p[0] ? tf.add(x, p[0]) : x)), [1]));
    const alpha = 0.3;
    const rho = 1.5;
    let result: ReturnType<typeof awamLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      result = awamLoss(nllOf, [{ name: 'x', shape: [4, 1], emphasis: rho }], new Rng(1), { alpha });
      return result.loss;
    }, [theta]);
    const am = xs.map((v) => Math.abs(2 * 0.7 * v));
    const w = massWeights(am, rho, true, 1);
    result!.mass.forEach((row, i) => expect(row[0]).toBeCloseTo(am[i]!, 2));
    result!.weights.forEach((row, i) => expect(row[0]).toBeCloseTo(w[i]!, 2));
    const meanX2 = xs.reduce((p, v) => p + v * v, 0) / 4;
    const loss = 0.7 * meanX2 + (alpha / 4) * am.reduce((p, a, i) => p + w[i]! * a, 0);
    expect(value.dataSync()[0]).toBeCloseTo(loss, 3);
    // ∂/∂θ with w constant: mean x² + α/B Σ w_b · 2|x_b|.
    const dTheta = meanX2 + (alpha / 4) * xs.reduce((p, v, i) => p + w[i]! * 2 * Math.abs(v), 0);
    expect(grads[theta.name]!.dataSync()[0]).toBeCloseTo(dTheta, 2);
    // Plain NLL with α = 0: mean NLL and its gradient only.
    const plain = tf.variableGrads(() => awamLoss(nllOf, [{ name: 'x', shape: [4, 1], emphasis: rho }], new Rng(1), { alpha: 0 }).loss, [theta]);
    expect(plain.value.dataSync()[0]).toBeCloseTo(0.7 * meanX2, 5);
    expect(plain.grads[theta.name]!.dataSync()[0]).toBeCloseTo(meanX2, 5);
    tf.dispose([x, theta, value, plain.value, ...Object.values(grads), ...Object.values(plain.grads)]);
  });

  it('the random-direction estimator converges to the autodiff ‖∇_a NLL_b‖ (J = 400), and its central differences to ∇·u', () => {
    const rng = new Rng(7);
    const a = tf.tensor2d(Array.from({ length: 3 * 6 }, () => rng.normal()), [3, 6]);
    const m = tf.tensor2d(Array.from({ length: 36 }, () => rng.normal() / 2), [6, 6]);
    // A non-linear per-sample NLL: Σ log cosh(M a) + ‖a‖²/2.
    const f = (t: tf.Tensor) => tf.add(tf.sum(tf.log(tf.cosh(tf.matMul(t, m))), 1), tf.mul(tf.sum(tf.square(t), 1), 0.5));
    const nllOf = (p: (tf.Tensor | null)[]) => tf.tidy(() => f(p[0] ? tf.add(a, p[0]) : a));
    const exact = tf.tidy(() => tf.norm(tf.grad((t: tf.Tensor) => tf.sum(f(t)))(a), 'euclidean', 1)).dataSync();
    const r = awamLoss(nllOf, [{ name: 'a', shape: [3, 6], emphasis: 1 }], new Rng(2), { directions: 400, adaptive: false });
    r.mass.forEach((row, i) => expect(Math.abs(row[0]! - exact[i]!) / exact[i]!).toBeLessThan(0.15));
    r.loss.dispose();
    // One direction: (NLL(a + εu) − NLL(a − εu))/2ε against ∇·u from autodiff.
    const u = tf.tensor2d(Array.from({ length: 18 }, () => rng.normal()), [3, 6]);
    const fd = tf.tidy(() => tf.div(tf.sub(nllOf([tf.mul(u, 1e-2)]), nllOf([tf.mul(u, -1e-2)])), 2e-2)).dataSync();
    const dot = tf.tidy(() => tf.sum(tf.mul(tf.grad((t: tf.Tensor) => tf.sum(f(t)))(a), u), 1)).dataSync();
    fd.forEach((v, i) => expect(Math.abs(v - dot[i]!)).toBeLessThan(1e-3 * (1 + Math.abs(dot[i]!))));
    tf.dispose([a, m, u]);
  });

  it('two spaces with emphasis: S = 2 normalisation, buffers restored after the perturbed passes, no leaks', () => {
    const x = tf.tensor2d([[0.3, -0.2], [1.0, 0.4], [-0.7, 0.9]]);
    const stat = tf.variable(tf.scalar(5), false);
    const nllOf = (p: (tf.Tensor | null)[]) =>
      tf.tidy(() => {
        stat.assign(tf.add(stat, 1)); // a "running statistic" every pass moves
        const e = p[0] ? tf.add(x, p[0]) : x;
        const h = p[1] ? tf.add(x, p[1]) : x;
        return tf.add(tf.sum(tf.square(e), 1), tf.mul(tf.sum(tf.square(h), 1), 3));
      });
    const spaces = [{ name: 'E', shape: [3, 2], emphasis: 0.5 }, { name: 'H', shape: [3, 2], emphasis: 1.5 }];
    awamLoss(nllOf, spaces, new Rng(1), { buffers: [stat] }).loss.dispose();
    expect(stat.dataSync()[0]).toBe(6); // only the clean pass counted
    const before = tf.memory().numTensors;
    const r = awamLoss(nllOf, spaces, new Rng(1), { buffers: [stat], alpha: 0.2 });
    r.weights.forEach((row) => row.forEach((w) => expect(w).toBeGreaterThanOrEqual(0)));
    expect(r.weights.reduce((p, row) => p + row[0]!, 0) / 3).toBeCloseTo(0.5, 5);
    expect(r.weights.reduce((p, row) => p + row[1]!, 0) / 3).toBeCloseTo(1.5, 5);
    const loss = r.nll + (0.2 / (2 * 3)) * r.mass.reduce((p, row, b) => p + row[0]! * r.weights[b]![0]! + row[1]! * r.weights[b]![1]!, 0);
    expect(r.loss.dataSync()[0]).toBeCloseTo(loss, 4);
    r.loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => awamLoss(nllOf, spaces, new Rng(1), { directions: 0 })).toThrow(InputError);
    tf.dispose([x, stat]);
  });
});
