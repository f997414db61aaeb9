export { ACTIVATIONS, applyActivation, type Activation } from './activation.js';
export { BatchNorm, type BatchNormOptions } from './batch_norm.js';
export { batchNormPlan, bnAffine, bnBackward, bnForward, type BatchNormPlan, type FlatOffsets } from './batch_norm_kernel.js';
export { addChannelBias, channelMatMul } from './channel_matmul.js';
export { Dropout } from './dropout.js';
export { LayerNorm, type LayerNormOptions } from './layer_norm.js';
export { Linear, type LinearOptions } from './linear.js';
export { Mlp, type MlpOptions } from './mlp.js';
export { PointwiseConv, TemporalConv, temporalConv, type TemporalConvMethod, type TemporalConvOptions } from './temporal_conv.js';
