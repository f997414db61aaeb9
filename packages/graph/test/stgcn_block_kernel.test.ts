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
import { STGCNBlock } from '../src/index.js';

// The kernel contract on the uniform-adjacency ST-GCN conditioner kernel (stgcn_block_kernel.ts)
// through the generic layer-by-layer engine: no fast path is registered in this test file, so
// even the STG-NF-shaped configuration runs on the generic kernels.

interface Variant {
  name: string;
  channels: number;
  split?: number;
  coupling: AffineCouplingOptions;
  permutation: 'reverse' | 'shuffle';
  residual: 'conv' | 'identity' | 'none';
  finalActivation: 'relu' | 'none';
  partitions: number[];
  prior: 'gmm' | 'diagonal';
  temporalKernel: number;
}

const T = 8;
const V = 5;

function buildFlow(v: Variant, seed: number): NormalizingFlow {
  const rng = new Rng(seed);
  const adjacency = v.partitions.map((a) => Array.from({ length: V }, () => Array.from({ length: V }, () => a / V)));
  const c1 = v.split ?? Math.floor(v.channels / 2);
  const steps: BijectorModule[] = [];
  for (let k = 0; k < 3; k++) {
    const net = new STGCNBlock(c1, 2 * (v.channels - c1), adjacency, {
      temporalKernel: v.temporalKernel,
      residual: k === 0 && v.residual === 'conv' ? 'none' : v.residual,
      finalActivation: v.finalActivation,
      rng: rng.fork(),
    });
    steps.push(
      new Chain([
        new ActNorm(v.channels),
        v.permutation === 'reverse' ? new ReverseChannels() : new ShuffleChannels(v.channels, rng.fork().seed),
        new AffineCoupling(net, { ...(v.split ? { split: v.split } : {}), ...v.coupling }),
      ]),
    );
  }
  const event = [v.channels, T, V];
  let prior: PriorModule;
  if (v.prior === 'gmm') prior = new GmmPrior(event, { radius: 1.5, varianceEps: 1e-6 });
  else {
    // The prior clones its statistics.
    const [mean, logStd] = [tf.scalar(0.3), tf.tidy(() => tf.mul(rng.normalTensor(event), 0.1))];
    prior = new DiagonalGaussianPrior(event, { mean, logStd, varianceEps: 1e-6 });
    tf.dispose([mean, logStd]);
  }
  return new NormalizingFlow(new Chain(steps), prior);
}

const VARIANTS: Variant[] = [
  { name: 'STG-NF layout (generic kernels)', channels: 2, coupling: {}, permutation: 'reverse', residual: 'conv', finalActivation: 'relu', partitions: [1], prior: 'gmm', temporalKernel: 3 },
  {
    name: 'half layout, exp scale, scale then shift, shuffle, 2 partitions, 2 → 4 channels (general temporal conv), diagonal prior',
    channels: 4,
    coupling: { paramLayout: 'half', scaleFn: 'exp', order: 'scaleThenShift' },
    permutation: 'shuffle',
    residual: 'conv',
    finalActivation: 'none',
    partitions: [1, 0.5],
    prior: 'diagonal',
    temporalKernel: 5,
  },
  {
    name: 'soft-clamp scale, identity residual (3 channels, split 2)',
    channels: 3,
    split: 2,
    coupling: { scaleFn: 'softclamp', softclampBound: 1.5 },
    permutation: 'shuffle',
    residual: 'identity',
    finalActivation: 'relu',
    partitions: [2],
    prior: 'gmm',
    temporalKernel: 3,
  },
];

describeKernelContract(
  'STGCNBlock (uniform adjacency) kernel',
  VARIANTS.map((v) => ({
    name: v.name,
    eventShape: [v.channels, T, V],
    build: (seed: number) => buildFlow(v, seed),
    ...(v.prior === 'gmm' ? { labels: [1, -1, 1, 1, -1, 1] } : {}),
    fastPath: null,
  })),
  { workers: true },
);
