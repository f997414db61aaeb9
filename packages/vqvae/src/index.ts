/**
 * `@skelflow/vqvae` — vector quantisation (VQ-VAE) for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { type QuantizerOutput, stopGradient, VectorQuantizer, VectorQuantizerEma, type VectorQuantizerEmaOptions, type VectorQuantizerOptions } from './vector_quantizer.js';
