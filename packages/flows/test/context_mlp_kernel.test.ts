import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { initBackend, normalTensor } from '@skelflow/core';
import { FusedFlow } from '@skelflow/fused';
import { describeKernelContract } from '@skelflow/testing';
import { describe, expect, it } from 'vitest';
import { ActNorm, AffineCoupling, Chain, ContextMlpConditioner, DiagonalGaussianPrior, ClassConditionalGaussianPrior, NormalizingFlow, ReverseChannels, ShuffleChannels, type BijectorModule, type PriorModule } from '../src/index.js';

// A conditional flow on the fused engine: affine couplings whose MLP conditioner takes a
// per-sample context, on vectors (NFlowAD-style, events [D]) and on pose segments ([C, T, V], a
// per-segment context broadcast over frames and joints), against tfjs autodiff.

interface Config {
  channels: number;
  rest: number[];
  context: number;
  prior: 'gmm' | 'diagonal';
  scaleFn?: 'sigmoid2' | 'exp' | 'softclamp';
}

function conditionalFlow(cfg: Config, seed: number): NormalizingFlow {
  const rng = new Rng(seed);
  const C = cfg.channels;
  const c1 = Math.floor(C / 2);
  const steps: BijectorModule[] = [];
  for (let k = 0; k < 3; k++) {
    const net = new ContextMlpConditioner(c1, 2 * (C - c1), { hidden: 8, contextSize: cfg.context, rng: rng.fork() });
    steps.push(
      new Chain([
        new ActNorm(C),
        k % 2 === 0 ? new ReverseChannels() : new ShuffleChannels(C, rng.fork().seed),
        new AffineCoupling(net, cfg.scaleFn ? { scaleFn: cfg.scaleFn, softclampBound: 2 } : {}),
      ]),
    );
  }
  const event = [C, ...cfg.rest];
  let prior: PriorModule;
  if (cfg.prior === 'gmm') prior = new ClassConditionalGaussianPrior(event, { radius: 1.5, varianceEps: 1e-6 });
  else {
    // The prior clones its statistics.
    const [mean, logStd] = [tf.scalar(0.2), tf.tidy(() => tf.mul(normalTensor(rng, event), 0.1))];
    prior = new DiagonalGaussianPrior(event, { mean, logStd, varianceEps: 1e-6 });
    tf.dispose([mean, logStd]);
  }
  return new NormalizingFlow(new Chain(steps), prior);
}

const VECTORS: Config = { channels: 5, rest: [], context: 3, prior: 'diagonal', scaleFn: 'exp' };
const SEGMENTS: Config = { channels: 2, rest: [6, 4], context: 2, prior: 'gmm' };

describeKernelContract(
  'ContextMlpConditioner (conditional coupling)',
  [
    { name: 'vectors [5], context [3], exp scale, diagonal prior', eventShape: [5], contextShape: [3], build: (s) => conditionalFlow(VECTORS, s), fastPath: null },
    {
      name: 'segments [2, 6, 4], context [2], sigmoid2 scale, labelled GMM prior',
      eventShape: [2, 6, 4],
      contextShape: [2],
      labels: [1, -1, 1, 1, -1, 1],
      build: (s) => conditionalFlow(SEGMENTS, s),
      // Two channels, but an MLP conditioner with a context: STG-NF's fast path must not claim it.
      fastPath: null,
    },
    { name: 'without context, soft-clamp scale', eventShape: [4, 3], build: (s) => conditionalFlow({ channels: 4, rest: [3], context: 0, prior: 'gmm', scaleFn: 'softclamp' }, s), fastPath: null },
  ],
  { workers: true },
);

describe('conditional fused flows', () => {
  it('the context decides the score, and is required and checked', async () => {
    await initBackend('cpu');
    const flow = conditionalFlow(VECTORS, 3);
    flow.eval();
    const f = FusedFlow.tryCreate(flow, [5], { contextShape: [3] }) as FusedFlow;
    expect(f).toBeInstanceOf(FusedFlow);
    const x = Float32Array.from({ length: 10 }, (_, i) => Math.sin(i));
    const a = f.logProb(x, { context: new Float32Array(6), threads: 0 });
    const b = f.logProb(x, { context: Float32Array.from([1, 2, 3, 1, 2, 3]), threads: 0 });
    expect(Math.abs(a[0]! - b[0]!)).toBeGreaterThan(1e-3);
    expect(() => f.logProb(x, { threads: 0 })).toThrow(/conditional/);
    expect(() => f.logProb(x, { context: new Float32Array(5), threads: 0 })).toThrow(/context of length 5/);
    f.dispose();
    // Compiled without the context the conditioner needs: the reason names it.
    const r = FusedFlow.tryCreate(flow, [5]);
    expect((r as { reason: string }).reason).toMatch(/transform\.0\.2\.net: the conditioner takes 3 context values/);
    flow.dispose();
  });
});
