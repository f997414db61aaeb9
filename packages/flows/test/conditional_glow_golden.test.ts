import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Adam } from '@skelflow/core';
import { ActNorm, ConditionalGlow, type ConditionalGlowOptions } from '../src/index.js';
import { forEachBackend } from '@skelflow/testing';

// @skelflow's ConditionalGlow against its PyTorch twin (bench/torch/nflowad.py, float64): z,
// log-det and log p for a batch with context, the ActNorm data-dependent initialisation, and one
// Adam step (lr 1e-3) on the mean NLL. Regenerate with: node --import tsx bench/torch/nflowad_flow_fixture.ts

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  config: ConditionalGlowOptions;
  h: Arr;
  context: Arr;
  state: Record<string, Arr>;
  parameters: string[];
  expected: {
    z: Arr;
    logDet: number[];
    logProb: number[];
    init: { z: Arr; logDet: number[]; actnorm: Record<string, { bias: number[]; logs: number[] }> };
    step: { loss: number; grads: Record<string, Arr>; after: Record<string, Arr> };
  };
}
interface Fixture {
  adamLr: number;
  cases: Record<string, Case>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/conditional_glow_golden.json'), 'utf8')) as Fixture;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`${what}[${i}]: got ${actual[i]}, PyTorch ${e} (tolerance ${tol})`);
  }
}

function build(c: Case, clearActNorm = false): { glow: ConditionalGlow; h: tf.Tensor; context: tf.Tensor } {
  // A different seed: every number must come from the loaded state.
  const glow = new ConditionalGlow({ ...c.config, seed: 'not-the-fixture' });
  const state = Object.fromEntries(Object.entries(c.state).map(([n, a]) => [n, tf.tensor(a.data, a.shape, 'float32')]));
  glow.loadStateDict(state, { source: 'conditional_glow_golden.json' });
  tf.dispose(Object.values(state));
  if (clearActNorm) for (const [, m] of glow.transform.namedChildren()) if (m instanceof ActNorm) tf.tidy(() => m.initialized.assign(tf.scalar(0)));
  return { glow, h: tf.tensor(c.h.data, c.h.shape), context: tf.tensor(c.context.data, c.context.shape) };
}

forEachBackend('ConditionalGlow vs its PyTorch twin', () => {
  describe.each(Object.keys(fx.cases))('%s mixing', (name) => {
    const c = fx.cases[name]!;

    it('z, log-det and log p(h | c) match (1e-4)', () => {
      const { glow, h, context } = build(c);
      glow.eval();
      const { z, logDet } = glow.forward(h, context);
      close(z.dataSync(), c.expected.z.data, 1e-4, 'z');
      close(logDet.dataSync(), c.expected.logDet, 1e-4, 'log-det');
      const lp = glow.logProb(h, { context });
      close(lp.dataSync(), c.expected.logProb, 1e-4, 'log p');
      tf.dispose([h, context, z, logDet, lp]);
      glow.dispose();
    });

    it('the ActNorm data-dependent initialisation on the first train-mode batch matches (1e-4)', () => {
      const { glow, h, context } = build(c, true);
      glow.train();
      const { z, logDet } = glow.forward(h, context);
      close(z.dataSync(), c.expected.init.z.data, 1e-4, 'z after init');
      close(logDet.dataSync(), c.expected.init.logDet, 1e-4, 'log-det after init');
      const state = glow.stateDict();
      for (const [prefix, { bias, logs }] of Object.entries(c.expected.init.actnorm)) {
        close(state.get(`${prefix}.bias`)!.dataSync(), bias, 1e-4, `${prefix}.bias`);
        close(state.get(`${prefix}.logs`)!.dataSync(), logs, 1e-4, `${prefix}.logs`);
      }
      tf.dispose([h, context, z, logDet]);
      glow.dispose();
    });

    it('one Adam step (lr 1e-3) on the mean NLL: loss, every gradient (1e-4) and every parameter after it (1e-5)', () => {
      const { glow, h, context } = build(c);
      glow.train();
      const named = glow.namedParameters();
      expect(named.map(([n]) => n)).toEqual(c.parameters);
      const vars = named.map(([, v]) => v);
      const opt = new Adam(vars, { lr: fx.adamLr });
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(glow.logProb(h, { context }))) as tf.Scalar, vars);
      close(value.dataSync(), [c.expected.step.loss], 1e-5, 'loss');
      for (const [n, v] of named) close(grads[v.name]!.dataSync(), c.expected.step.grads[n]!.data, 1e-4, `grad ${n}`);
      opt.step(vars.map((v) => grads[v.name]!));
      for (const [n, v] of named) close(v.dataSync(), c.expected.step.after[n]!.data, 1e-5, `${n} after the step`);
      tf.dispose([h, context, value, ...Object.values(grads)]);
      opt.dispose();
      glow.dispose();
    });
  });
});
