export { ACTIVATIONS, applyActivation, type Activation } from './activation.js';
export { BatchNorm, type BatchNormOptions } from './batch_norm.js';
export { batchNormPlan, bnAffine, bnBackward, bnForward, type BatchNormPlan, type FlatOffsets } from './batch_norm_kernel.js';
export { addChannelBias, channelMatMul } from './channel_matmul.js';
export { Conv1d, conv1d, type Conv1dGeometry, type Conv1dOptions, conv1dOutputLength } from './conv1d.js';
export { Dropout } from './dropout.js';
export { LayerNorm, type LayerNormOptions } from './layer_norm.js';
export { Linear, type LinearOptions } from './linear.js';
export { Mlp, type MlpOptions } from './mlp.js';
export { PointwiseConv, TemporalConv, temporalConv, type TemporalConvMethod, type TemporalConvOptions } from './temporal_conv.js';
export { MASKED_SCORE, attentionBias, causalMask } from './attention_mask.js';
export { MultiHeadAttention, type AttentionCallOptions, type AttentionResult, type MultiHeadAttentionOptions } from './multi_head_attention.js';
export { TransformerBlock, type TransformerBlockOptions, type TransformerCallOptions } from './transformer_block.js';
export { TransformerEncoder, type TransformerEncoderOptions } from './transformer_encoder.js';
export { sinusoidalPositions } from './sinusoidal_positions.js';
export { LearnedPositions, type LearnedPositionsOptions } from './learned_positions.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export {
  AutoregressiveTokenModel,
  drawToken,
  type AutoregressiveTokenModelOptions,
  type HiddenAlignment,
  type TokenSampleOptions,
} from './autoregressive_token_model.js';
export { DepthwiseConv3d, depthwiseConv3d, type DepthwiseConv3dOptions } from './depthwise_conv3d.js';
export { LargeKernelAttention3d, Lsta, type LargeKernelAttention3dOptions, type LstaOperator } from './lsta.js';
export { MemoryModule, l2NormalizeRows, memoryAddress, memoryUpdate, separatenessLoss, separatenessTerms, type MemoryModuleOptions } from './memory.js';
export { cosineDistance, cosineDistillationLoss } from './cosine_distillation.js';
export { applyPatchMask, complementMask, drawPatchMask } from './patch_mask.js';
export { CubeVitEncoder, patchifyCubes, unpatchifyCubes, type CubeSize, type CubeVitCallOptions, type CubeVitEncoderOptions } from './cube_vit_encoder.js';
export { MaskedAutoencoder, jointMask, maskedMse, type MaskedAutoencoderOptions } from './masked_autoencoder.js';
