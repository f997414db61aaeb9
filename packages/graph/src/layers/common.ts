import * as tf from '@tensorflow/tfjs-core';
import { Rng, defaultInitBound } from '@skelflow/core';

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
  return rng.uniformTensor(shape, -b, b);
}
