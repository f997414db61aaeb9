export * from './batch_norm.js';
export * from './batch_norm_plan.js';
export * from './channel_matmul.js';
export * from './temporal_conv.js';
