export * from './graph_conv.js';
export * from './stgcn_block.js';
export * from './torch_state.js';
