import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { FusedFlow } from '@skelflow/fused';
import { describeKernelContract, perturbParameters } from '@skelflow/testing';
import { describe, expect, it } from 'vitest';
import { ActNorm, ConditionalGlow, type ConditionalGlowOptions } from '../src/index.js';

// The conditional Glow on the fused engine (kernels linear-lu and concat-mlp, with ActNorm,
// the 'half'-layout sigmoid coupling and the diagonal prior) against tfjs autodiff.

function glow(options: Partial<ConditionalGlowOptions>, seed: number, initialised: boolean): ConditionalGlow {
  const g = new ConditionalGlow({ dim: 6, contextDim: 4, steps: 2, hidden: 8, seed, ...options });
  // Off the zero-initialised output layers (which would hide the conditioner's gradients).
  perturbParameters(g, `kernel/${seed}`, 0.3);
  if (initialised) for (const [, m] of g.transform.namedChildren()) if (m instanceof ActNorm) m.markInitialized();
  return g;
}

describeKernelContract('ConditionalGlow (linear-lu, concat-mlp)', [
  { name: 'LU mixing, 2 hidden layers, ActNorm data init in the step', eventShape: [6], contextShape: [4], build: (s) => glow({}, s, false), fastPath: null },
  { name: 'LU mixing, odd D = 5, 1 hidden layer, initialised', eventShape: [5], contextShape: [4], build: (s) => glow({ dim: 5, hiddenLayers: 1 }, s, true), fastPath: null },
  { name: 'reverse mixing, no hidden layer', eventShape: [6], contextShape: [4], build: (s) => glow({ mixing: 'reverse', hiddenLayers: 0 }, s, true), fastPath: null },
  { name: 'unconditional (contextDim 0)', eventShape: [6], build: (s) => glow({ contextDim: 0 }, s, true), fastPath: null },
]);

describe('ConditionalGlow on the fused engine', () => {
  it('compiles with its context shape and refuses pose-shaped events or a wrong context size', async () => {
    await initBackend('cpu');
    const g = glow({}, 1, true);
    const wrong = FusedFlow.tryCreate(g, [6], { contextShape: [3] });
    expect(wrong).not.toBeInstanceOf(FusedFlow);
    expect((wrong as { reason: string }).reason).toMatch(/context/);
    const pose = FusedFlow.tryCreate(g, [6, 1, 1], { contextShape: [4] });
    expect((pose as { reason: string }).reason).toMatch(/vectors/);
    const scored = FusedFlow.tryCreate(g, [6], { contextShape: [4] });
    if (!(scored instanceof FusedFlow)) throw new Error(scored.reason);
    const rng = new Rng('fused-score');
    const x = normalTensor(rng, [5, 6]);
    const c = normalTensor(rng, [5, 4]);
    g.eval();
    const expected = Array.from(g.logProb(x, { context: c }).dataSync());
    const got = scored.logProb(Float32Array.from(x.dataSync()), { context: Float32Array.from(c.dataSync()), threads: 0 });
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-3));
    // New weights (as after an optimiser step): the kernel's cached W must follow them.
    perturbParameters(g, 'moved again', 0.2);
    scored.pull();
    const expected2 = Array.from(g.logProb(x, { context: c }).dataSync());
    const got2 = scored.logProb(Float32Array.from(x.dataSync()), { context: Float32Array.from(c.dataSync()), threads: 0 });
    got2.forEach((v, i) => {
      expect(Math.abs(v - expected2[i]!)).toBeLessThan(1e-3);
      expect(Math.abs(v - got[i]!)).toBeGreaterThan(1e-2);
    });
    tf.dispose([x, c]);
    g.dispose();
  });
});
