import { describeKernelContract, uniformStgcnFlow, type UniformStgcnVariant } from '@skelflow/testing';
import { createStgNf, stgNfFastPath } from '../src/index.js';

// The kernel contract on STG-NF's fast path (fused_fast_path.ts) from its home: every case must be
// claimed by the 'stg-nf' fast path, so its train forward/backward and its one-segment scoring loop
// are what is compared with tfjs autodiff.

const T = 8;
const V = 5;

const VARIANTS: UniformStgcnVariant[] = [
  { name: 'STG-NF (reverse, conv residual, labelled GMM prior)', channels: 2, coupling: {}, permutation: 'reverse', residual: 'conv', finalActivation: 'relu', partitions: [1], prior: 'gmm' },
  {
    name: 'shuffle, scale then shift, no residual, diagonal prior, 5-tap',
    channels: 2,
    coupling: { order: 'scaleThenShift' },
    permutation: 'shuffle',
    residual: 'none',
    finalActivation: 'relu',
    partitions: [1],
    prior: 'diagonal',
    temporalKernel: 5,
  },
];

// Registered by the package when it loads: the contract must run on it.
void stgNfFastPath;

describeKernelContract(
  'STG-NF fast path',
  [
    ...VARIANTS.map((v) => ({
      name: v.name,
      eventShape: [2, T, V],
      build: (seed: number) => uniformStgcnFlow(v, seed, T, V),
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
