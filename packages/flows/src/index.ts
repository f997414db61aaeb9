export {
  type Bijector,
  type BijectorModule,
  type Conditioner,
  type ConditionerModule,
  type ForwardResult,
  type InverseResult,
  type Prior,
  type PriorInputs,
  type PriorModule,
} from './bijector.js';
export { Chain } from './chain.js';
export { ActNorm, type ActNormOptions } from './actnorm.js';
export { ReverseChannels } from './reverse_channels.js';
export { ShuffleChannels } from './shuffle_channels.js';
export { InvertibleConv1x1 } from './invertible_conv1x1.js';
export { InvertibleConv1x1LU } from './invertible_conv1x1_lu.js';
export type { CouplingOptions } from './coupling_utils.js';
export { AdditiveCoupling } from './additive_coupling.js';
export { AffineCoupling, type AffineCouplingOptions, type AffineOrder, type AffineParamLayout, type AffineScaleFn } from './affine_coupling.js';
export { DiagonalGaussianPrior, type DiagonalGaussianPriorOptions } from './priors/diagonal_gaussian_prior.js';
export { ClassConditionalGaussianPrior, type ClassConditionalGaussianPriorOptions } from './priors/class_conditional_gaussian_prior.js';
export { type FlowForwardResult, type FlowInputs, NormalizingFlow } from './flow.js';
export { actnormKernel, actnormInit, type ActNormPlan } from './kernels/actnorm_kernel.js';
export { permuteKernel, permutation, type PermutePlan } from './kernels/permute_kernel.js';
export { affineCouplingKernel, type AffineCouplingPlan } from './kernels/affine_coupling_kernel.js';
export { awamLoss, type AwamOptions, type AwamResult, massWeights, type MassSpace } from './objectives/awam_loss.js';
export { ContextMlpConditioner, type ContextMlpOptions } from './conditioners/context_mlp.js';
export { contextMlpKernel, type ContextMlpPlan } from './kernels/context_mlp_kernel.js';
export { classConditionalGaussianPriorKernel, diagonalPriorKernel, type ClassConditionalGaussianPriorPlan, type DiagonalPriorPlan } from './kernels/prior_kernels.js';
export { InvertibleLinearLU } from './invertible_linear_lu.js';
export { ConcatContextMlp, type ConcatContextMlpOptions } from './conditioners/concat_context_mlp.js';
export { ConditionalAffineCoupling, type ConditionalAffineCouplingOptions } from './conditional_affine_coupling.js';
export {
  ConditionalGlow,
  type ConditionalGlowOptions,
  type GlowForwardResult,
  type GlowInverseResult,
  type GlowMixing,
} from './conditional_glow.js';
