export * from './graph_conv.js';
export * from './stgcn_block.js';
export * from './torch_state.js';
export {
  stgcnUniformKernel,
  prepareStgcnEval,
  tcnBranchForward,
  tcnBranchBackward,
  temporalConv2,
  type StgcnEval,
  type StgcnUniformPlan,
} from './stgcn_block_kernel.js';
