export {
  type Adjacency,
  type AdjacencyOptions,
  buildAdjacency,
  hopDistance,
  normalizeDigraph,
  type PartitionStrategy,
  SkeletonGraph,
} from './adjacency/graph.js';
export { type AdjacencyInput, GraphConv, type GraphConvOptions } from './layers/graph_conv.js';
export { type ResidualKind, StgcnBlock, type StgcnBlockOptions } from './layers/stgcn_block.js';
export { DualSpaceGCN, type DualSpaceGate, type DualSpaceGcnOptions, type DualSpaceProbe } from './layers/dual_space_gcn.js';
export { stgcnKeyFromTorch, stgcnStateFromTorch } from './layers/torch_state.js';
export {
  stgcnUniformKernel,
  prepareStgcnEval,
  tcnBranchForward,
  tcnBranchBackward,
  temporalConv2,
  type StgcnEval,
  type StgcnUniformPlan,
} from './layers/stgcn_block_kernel.js';
export { type Coco17TensorOptions, coco17ToOpenPose18Tensor } from './coco17_to_openpose18_tensor.js';
