/**
 * `@skelflow/vqvae` — vector quantisation (VQ-VAE) for TensorFlow.js.
 *
 * @packageDocumentation
 */
export * from './vector_quantizer.js';
