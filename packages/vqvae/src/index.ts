/**
 * `@skelflow/vqvae` — vector quantisation (VQ-VAE) for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { type QuantizerOutput, stopGradient, VectorQuantizer, VectorQuantizerEma, type VectorQuantizerEmaOptions, type VectorQuantizerOptions } from './vector_quantizer.js';
export { MotionVqVae, type MotionVqVaeConfig, type MotionVqVaeOutput, type ResolvedMotionVqVaeConfig, resolveMotionVqVaeConfig } from './motion_vqvae.js';
export { trainMotionVqVae, type TrainMotionVqVaeOptions, type VqEpochStats } from './train_motion_vqvae.js';
