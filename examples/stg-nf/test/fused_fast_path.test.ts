import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/core';
import {
  ActNorm,
  AffineCoupling,
  Chain,
  DiagonalGaussianPrior,
  GmmPrior,
  NormalizingFlow,
  ReverseChannels,
  ShuffleChannels,
  type AffineCouplingOptions,
  type BijectorModule,
  type PriorModule,
} from '@skelflow/flows';
import { describeKernelContract } from '@skelflow/fused/testing';
import { STGCNBlock } from '@skelflow/graph';
import { createStgNf, stgnfFastPath } from '../src/index.js';

// The kernel contract on STG-NF's fast path (fused_fast_path.ts) from its home: every case must be
// claimed by the 'stg-nf' fast path, so its train forward/backward and its one-segment scoring loop
// are what is compared with tfjs autodiff.

interface Variant {
  name: string;
  coupling: AffineCouplingOptions;
  permutation: 'reverse' | 'shuffle';
  residual: 'conv' | 'none';
  prior: 'gmm' | 'diagonal';
  kt: number;
}

const T = 8;
const V = 5;

function buildFlow(v: Variant, seed: number): NormalizingFlow {
  const rng = new Rng(seed);
  const adjacency = [Array.from({ length: V }, () => Array.from({ length: V }, () => 1 / V))];
  const steps: BijectorModule[] = [];
  for (let k = 0; k < 3; k++) {
    // STG-NF: no residual in the first step's conditioner, a 1×1 conv residual after.
    const net = new STGCNBlock(1, 2, adjacency, { temporalKernel: v.kt, residual: k === 0 ? 'none' : v.residual, finalActivation: 'relu', rng: rng.fork() });
    steps.push(
      new Chain([
        new ActNorm(2),
        v.permutation === 'reverse' ? new ReverseChannels() : new ShuffleChannels(2, rng.fork().seed),
        new AffineCoupling(net, v.coupling),
      ]),
    );
  }
  const event = [2, T, V];
  let prior: PriorModule;
  if (v.prior === 'gmm') prior = new GmmPrior(event, { radius: 1.5, varianceEps: 1e-6 });
  else {
    const [mean, logStd] = [tf.scalar(0.3), tf.tidy(() => tf.mul(rng.normalTensor(event), 0.1))];
    prior = new DiagonalGaussianPrior(event, { mean, logStd, varianceEps: 1e-6 });
    tf.dispose([mean, logStd]);
  }
  return new NormalizingFlow(new Chain(steps), prior);
}

const VARIANTS: Variant[] = [
  { name: 'STG-NF (reverse, conv residual, labelled GMM prior)', coupling: {}, permutation: 'reverse', residual: 'conv', prior: 'gmm', kt: 3 },
  { name: 'shuffle, scale then shift, no residual, diagonal prior, 5-tap', coupling: { order: 'scaleThenShift' }, permutation: 'shuffle', residual: 'none', prior: 'diagonal', kt: 5 },
];

// Registered by the package (and idempotent): the contract must run on the fast path.
void stgnfFastPath;

describeKernelContract(
  'STG-NF fast path',
  [
    ...VARIANTS.map((v) => ({
      name: v.name,
      eventShape: [2, T, V],
      build: (seed: number) => buildFlow(v, seed),
      ...(v.prior === 'gmm' ? { labels: [1, -1, 1, 1, -1, 1] } : {}),
      fastPath: 'stg-nf',
    })),
    {
      name: 'the STG-NF model itself (openpose18, 16 frames, 3 steps)',
      eventShape: [2, 16, 18],
      build: (seed: number) => createStgNf({ segLen: 16, seed, K: 3 }).flow,
      fastPath: 'stg-nf',
    },
  ],
  { workers: true },
);
