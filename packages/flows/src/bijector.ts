import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@skelflow/core';

/** Result of a forward (data → latent) pass: the latent `y` and log|det ∂y/∂x| per sample, `[B]`. */
export interface ForwardResult {
  y: tf.Tensor;
  logDet: tf.Tensor;
}

/** Result of an inverse (latent → data) pass: the data `x` and log|det ∂x/∂y| per sample, `[B]`. */
export interface InverseResult {
  x: tf.Tensor;
  logDet: tf.Tensor;
}

/**
 * An invertible, differentiable map with a tractable Jacobian determinant. Direction is named as
 * in zuko/nflows: `forward` maps data to latent, `inverse` latent to data. `context` is an explicit,
 * optional conditioning tensor `[B, ...]` passed unchanged to every conditioner.
 *
 * Contract: `inverse(forward(x).y).x ≈ x` and `forward(x).logDet = −inverse(forward(x).y).logDet`;
 * `logDet` is always shaped `[B]`. Tensors returned are owned by the caller (no tidy leaks).
 */
export interface Bijector {
  forward(x: tf.Tensor, context?: tf.Tensor): ForwardResult;
  inverse(y: tf.Tensor, context?: tf.Tensor): InverseResult;
}

/**
 * A network that, given the conditioning half `x1` of a coupling (and an optional context),
 * produces the parameters of the transform of the other half. Shapes: `x1` `[B, C1, ...]` →
 * `[B, P, ...]` with P fixed by the coupling (2·C2 for affine, C2 for additive).
 */
export interface Conditioner {
  call(x1: tf.Tensor, context?: tf.Tensor): tf.Tensor;
}

/**
 * What a prior may be conditioned on, besides the latent: per-sample class `labels` `[B]` (STG-NF's
 * supervised mode) and a `context` `[B, ...]` (a conditional prior). A prior ignores what it does
 * not use.
 */
export interface PriorInputs {
  labels?: tf.Tensor;
  context?: tf.Tensor;
}

/** A base distribution over latents `[B, ...]`. */
export interface Prior {
  /** log p(z | labels, context) in nats per sample, `[B]`. */
  logProb(z: tf.Tensor, inputs?: PriorInputs): tf.Tensor;
  /** `n` samples of the event shape, drawn from a seeded stream. */
  sample(n: number, seed: number | string, inputs?: PriorInputs): tf.Tensor;
}

/** A bijector that is also a `Module`, so its weights are registered, saved and trained. */
export type BijectorModule = Module & Bijector;

/** A conditioner that is also a `Module`, so a coupling can register it as its child `net`. */
export type ConditionerModule = Module & Conditioner;

/** A prior that is also a `Module`, so its (possibly learnable) statistics are saved with the flow. */
export type PriorModule = Module & Prior;
