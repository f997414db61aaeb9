export * from './compile.js';
export * from './fused_flow.js';
export * from './optim.js';
export { createFusedKernels, type FusedKernels, type Scratch } from './kernels.js';
