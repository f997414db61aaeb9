import { describeKernelContract } from '@skelflow/fused/testing';
import { uniformStgcnFlow, type UniformStgcnVariant } from './uniform_stgcn_flows.js';

// The kernel contract on the uniform-adjacency ST-GCN conditioner kernel (stgcn_block_kernel.ts)
// through the generic layer-by-layer engine: no fast path is registered in this test file, so
// even the STG-NF-shaped configuration runs on the generic kernels.

const T = 8;
const V = 5;

const VARIANTS: UniformStgcnVariant[] = [
  { name: 'STG-NF layout (generic kernels)', channels: 2, coupling: {}, permutation: 'reverse', residual: 'conv', finalActivation: 'relu', partitions: [1], prior: 'gmm' },
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
  },
];

describeKernelContract(
  'STGCNBlock (uniform adjacency) kernel',
  VARIANTS.map((v) => ({
    name: v.name,
    eventShape: [v.channels, T, V],
    build: (seed: number) => uniformStgcnFlow(v, seed, T, V),
    ...(v.prior === 'gmm' ? { labels: [1, -1, 1, 1, -1, 1] } : {}),
    fastPath: null,
  })),
  { workers: true },
);
