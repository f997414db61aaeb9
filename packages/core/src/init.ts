import * as tf from '@tensorflow/tfjs-core';
import { Rng, defaultInitBound } from '@skelflow/base';

/**
 * A float32 tensor of N(mean, std²) samples drawn from `rng` on the JavaScript side, so the same
 * seed gives the same numbers on every backend (tfjs's seeded ops differ per backend and treat
 * seed 0 as "none").
 *
 * @example
 * ```ts
 * const w = normalTensor(new Rng(42), [2, 3], 0, 0.1); // identical on cpu and wasm
 * ```
 */
export function normalTensor(rng: Rng, shape: number[], mean = 0, std = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = mean + std * rng.normal();
  return tf.tensor(v, shape, 'float32');
}

/** A float32 tensor of U(low, high) samples drawn from `rng` (see {@link normalTensor}). */
export function uniformTensor(rng: Rng, shape: number[], low = 0, high = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = low + (high - low) * rng.uniform();
  return tf.tensor(v, shape, 'float32');
}

/** Seeding options shared by every layer: `rng` wins over `seed`; with neither, a random seed. */
export interface InitOptions {
  /** Seed of a fresh {@link Rng} for this layer's initialisation. */
  seed?: number | string;
  /** Stream to draw the initial weights from (consumed in place). */
  rng?: Rng;
}

/** The stream a layer initialises from; unseeded layers differ run to run, like PyTorch's. */
export function resolveRng(options: InitOptions): Rng {
  if (options.rng) return options.rng;
  return new Rng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
}

/** PyTorch's default Conv/Linear init, U(±1/√fanIn), drawn from `rng`. */
export function defaultInit(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const b = defaultInitBound(fanIn);
  return uniformTensor(rng, shape, -b, b);
}
