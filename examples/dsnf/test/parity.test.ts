// Parity with the PyTorch twin (bench/torch/dsnf.py): weights exported from @skelflow
// (fixtures/dsnf_inputs.json, written by fixtures/make_inputs.ts), expected outputs computed by
// PyTorch 1.13 (fixtures/dsnf_golden.json): eval NLL and z, the AWAM objective (mass, weights,
// loss) with the twin's directions, one Adamax training step on AWAM, and the input-space mass.
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { Adamax, trainStep } from '@skelflow/core';
import { createDsnf, type Dsnf } from '@skelflow/dsnf';
import { forEachBackend } from '@skelflow/testing';

interface T { shape: number[]; data: number[] }
const inputs = JSON.parse(fs.readFileSync(new URL('./fixtures/dsnf_inputs.json', import.meta.url), 'utf8')) as {
  config: { segLen: number; K: number; seed: number; hyperbolicDim: number; curvature: number; B: number; epsilon: number; alpha: number; rhoE: number; rhoH: number; lr: number; clipNorm: number };
  state: Record<string, T>;
  x: T;
  directions: Record<'euclid' | 'tangent' | 'input', T>;
};
const golden = JSON.parse(fs.readFileSync(new URL('./fixtures/dsnf_golden.json', import.meta.url), 'utf8')) as {
  eval: { nll: number[]; z: number[] };
  awam: { loss: number; nll: number[]; mass: number[][]; weights: number[][] };
  step: { loss: number; state: Record<string, number[]> };
  mass: { loss: number; mass: number[][] };
};
const cfg = inputs.config;
const tensor = (t: T) => tf.tensor(t.data, t.shape);

function load(): Dsnf {
  const m = createDsnf({ segLen: cfg.segLen, K: cfg.K, seed: cfg.seed, hyperbolicDim: cfg.hyperbolicDim, curvature: cfg.curvature });
  const state = new Map(Object.entries(inputs.state).map(([k, v]) => [k, tensor(v)] as const));
  m.loadStateDict(state);
  tf.dispose([...state.values()]);
  return m;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

forEachBackend('DSNF parity with the PyTorch twin', () => {
  it('eval mode: NLL and z within 1e-4', () => {
    const m = load().eval();
    const x = tensor(inputs.x);
    const nll = m.nll(x);
    const z = m.encode(x);
    expect(maxDiff(nll.dataSync(), golden.eval.nll)).toBeLessThan(1e-4);
    expect(maxDiff(z.dataSync(), golden.eval.z)).toBeLessThan(1e-4);
    tf.dispose([x, nll, z]);
    m.dispose();
  });

  it('AWAM objective (train mode, the twin’s directions): loss within 1e-4, mass and weights within float32 difference noise', () => {
    const m = load().train();
    const x = tensor(inputs.x);
    const dirs = [tensor(inputs.directions.euclid), tensor(inputs.directions.tangent)];
    const r = m.objective(x, undefined, new Rng(0), { loss: 'awam', alpha: cfg.alpha, rhoE: cfg.rhoE, rhoH: cfg.rhoH, epsilon: cfg.epsilon, stacked: false, directionsFor: (s) => tf.clone(dirs[s]!) });
    expect(Math.abs(r.loss.dataSync()[0]! - golden.awam.loss)).toBeLessThan(1e-4);
    // AM is a float32 central difference: its last digits are NLL rounding (see docs/dsnf.md).
    expect(maxDiff(r.mass.flat(), golden.awam.mass.flat())).toBeLessThan(3e-3);
    expect(maxDiff(r.weights.flat(), golden.awam.weights.flat())).toBeLessThan(3e-3);
    // The stacked objective (one pass over 5 copies of the batch, what training uses) differs from
    // separate passes only through BatchNorm's batch statistics: in separate passes, perturbing every
    // sample moves them to first order (a cross-sample term the per-sample gradient does not have);
    // stacked, the ± copies cancel. Without batch statistics (eval mode) the two agree.
    const ev = load().eval();
    const opts = { loss: 'awam' as const, alpha: cfg.alpha, rhoE: cfg.rhoE, rhoH: cfg.rhoH, epsilon: cfg.epsilon, directionsFor: (s: number) => tf.clone(dirs[s]!) };
    const sep = ev.objective(x, undefined, new Rng(0), { ...opts, stacked: false });
    const st = ev.objective(x, undefined, new Rng(0), { ...opts, stacked: true });
    expect(Math.abs(st.loss.dataSync()[0]! - sep.loss.dataSync()[0]!)).toBeLessThan(1e-4);
    expect(maxDiff(st.mass.flat(), sep.mass.flat())).toBeLessThan(3e-3);
    ev.dispose();
    tf.dispose([sep.loss]);
    tf.dispose([x, r.loss, st.loss, ...dirs]);
    m.dispose();
  });

  it('one Adamax step on AWAM (clip 100): every parameter within 1e-5 (noise-level gradients: both within lr)', () => {
    const m = load().train();
    const x = tensor(inputs.x);
    const dirs = [tensor(inputs.directions.euclid), tensor(inputs.directions.tangent)];
    const objective = () => m.objective(x, undefined, new Rng(0), { loss: 'awam', alpha: cfg.alpha, rhoE: cfg.rhoE, rhoH: cfg.rhoH, epsilon: cfg.epsilon, stacked: false, directionsFor: (s) => tf.clone(dirs[s]!) }).loss;
    const params = m.parameters();
    // Our gradients, to tell the noise-level ones apart: parameters in front of a BatchNorm that it
    // normalises away have an exactly zero gradient in exact arithmetic, so their sign — and Adamax's
    // ±lr first step — is rounding noise in both implementations (as in STG-NF's parity test).
    const { value, grads } = tf.variableGrads(objective, params);
    const gmax = Math.max(...params.map((p) => Math.max(...Array.from(grads[p.name]!.dataSync()).map(Math.abs))));
    const gradOf = new Map(m.namedParameters().map(([n, p]) => [n, Array.from(grads[p.name]!.dataSync())]));
    tf.dispose([value, ...Object.values(grads)]);
    m.dispose();
    const fresh = load().train();
    const ps = fresh.parameters();
    const opt = new Adamax(ps, { lr: cfg.lr });
    const { loss } = trainStep(ps, () => fresh.objective(x, undefined, new Rng(0), { loss: 'awam', alpha: cfg.alpha, rhoE: cfg.rhoE, rhoH: cfg.rhoH, epsilon: cfg.epsilon, stacked: false, directionsFor: (s) => tf.clone(dirs[s]!) }).loss, opt, cfg.clipNorm);
    expect(Math.abs(loss - golden.step.loss)).toBeLessThan(1e-4);
    const state = fresh.stateDict();
    let worst = 0;
    let where = '';
    const flipped = new Set<string>();
    for (const [name, want] of Object.entries(golden.step.state)) {
      const got = state.get(name)!.dataSync();
      const before = inputs.state[name]!.data;
      const g = gradOf.get(name);
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i]! - want[i]!);
        if (d > 1e-5 && g && Math.abs(g[i]!) < 1e-4 * gmax) {
          // A noise-level gradient whose sign differs: both updates stay within lr of the start.
          expect(Math.abs(got[i]! - before[i]!)).toBeLessThanOrEqual(cfg.lr * 1.0001);
          flipped.add(name);
        } else if (d > worst) [worst, where] = [d, `${name}[${i}]`];
      }
    }
    console.log(`[dsnf parity] step: max |Δ| = ${worst.toExponential(2)} at ${where}; sign flips of noise-level gradients in ${[...flipped].join(', ') || 'none'}`);
    // Only parameters whose exact gradient is zero or nearly so may flip: the biases before a
    // BatchNorm, the one-input-channel 1×1 weights before one (BatchNorm is invariant to their scale,
    // their only direction), and a curvature that barely matters near the origin of the ball.
    for (const n of flipped) expect(n).toMatch(/euclid\.(gcn|tcnConv|resConv)\.bias$|euclid\.(gcn|resConv)\.weight$|ball\.rawC$/);
    expect(worst, `worst at ${where}`).toBeLessThan(1e-5);
    opt.dispose();
    tf.dispose([x, ...dirs]);
    fresh.dispose();
  });

  it('input-space approximate mass (constant weights): loss within 1e-4', () => {
    const m = load().train();
    const x = tensor(inputs.x);
    const d = tensor(inputs.directions.input);
    const r = m.objective(x, undefined, new Rng(0), { loss: 'mass', alpha: cfg.alpha, epsilon: cfg.epsilon, stacked: false, directionsFor: () => tf.clone(d) });
    expect(Math.abs(r.loss.dataSync()[0]! - golden.mass.loss)).toBeLessThan(1e-4);
    expect(maxDiff(r.mass.flat(), golden.mass.mass.flat())).toBeLessThan(3e-3);
    tf.dispose([x, d, r.loss]);
    m.dispose();
  });
});
