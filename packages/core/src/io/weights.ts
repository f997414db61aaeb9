import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';
import { InputError, WeightsError } from '@skelflow/base';

/** The `model.json` of a saved `@skelflow` model: tfjs's weights-manifest layout plus our config. */
export interface ModelJson {
  format: 'skelflow-weights';
  generatedBy: string;
  /** Model kind and constructor options, enough to rebuild the module before loading weights. */
  config: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Serialises a module's parameters and buffers in tfjs's layout: a `model.json` with a weights
 * manifest and one binary `weights.bin` (little-endian float32), loadable by `tf.io.decodeWeights`.
 *
 * @example
 * ```ts
 * const { modelJson, weights } = await encodeModule(model, { kind: 'stg-nf', segLen: 24 });
 * ```
 */
export async function encodeModule(
  module: Module,
  config: Record<string, unknown>,
): Promise<{ modelJson: ModelJson; weights: Uint8Array }> {
  const named: tf.NamedTensorMap = {};
  for (const [name, v] of module.stateDict()) named[name] = v;
  const { data, specs } = await tf.io.encodeWeights(named);
  return {
    modelJson: {
      format: 'skelflow-weights',
      generatedBy: '@skelflow/core',
      config,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    },
    weights: new Uint8Array(data),
  };
}

/** Loads what {@link encodeModule} produced into `module` (strict: names and shapes must match). */
export function decodeIntoModule(module: Module, modelJson: ModelJson, weights: Uint8Array, source = 'model.json'): void {
  if (modelJson?.format !== 'skelflow-weights' || !Array.isArray(modelJson.weightsManifest)) {
    throw new InputError('not a @skelflow model.json (missing format or weightsManifest)', { source });
  }
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expected) {
    throw new WeightsError(`weights.bin has ${weights.byteLength} bytes, the manifest needs ${expected}`, { source });
  }
  const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const named = tf.io.decodeWeights(buf, specs);
  try {
    module.loadStateDict(named, { source });
  } finally {
    tf.dispose(Object.values(named));
  }
}
