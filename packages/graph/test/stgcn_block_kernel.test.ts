import { describeKernelContract, BRANCH_VARIANTS, CONTEXT_VARIANTS, uniformStgcnFlow } from '@skelflow/testing';

// The kernel contract on the uniform-adjacency ST-GCN conditioner kernel (stgcn_block_kernel.ts)
// through the generic layer-by-layer engine: no fast path is registered in this test file, so
// even the STG-NF-shaped configuration runs on the generic kernels.

const T = 8;
const V = 5;


describeKernelContract(
  'StgcnBlock (uniform adjacency) kernel',
  BRANCH_VARIANTS.map((v) => ({
    name: v.name,
    eventShape: [v.channels, T, V],
    build: (seed: number) => uniformStgcnFlow(v, seed, T, V),
    ...(v.prior === 'gmm' ? { labels: [1, -1, 1, 1, -1, 1] } : {}),
    fastPath: null,
  })),
  { workers: true },
);

// MSG-Flow's conditional blocks: a [Cc, T, 1] context projected into the graph-conv output and
// the residual, against tfjs autodiff (values, z, log-det, parameter gradients incl. the context
// projections, buffers after a step).
describeKernelContract(
  'StgcnBlock (uniform adjacency) kernel with a per-frame context',
  CONTEXT_VARIANTS.map((v) => ({
    name: v.name,
    eventShape: [v.channels, T, V],
    contextShape: [v.contextChannels!, T, 1],
    build: (seed: number) => uniformStgcnFlow(v, seed, T, V),
    ...(v.prior === 'gmm' ? { labels: [1, -1, 1, 1, -1, 1] } : {}),
    fastPath: null,
  })),
  { workers: true },
);
