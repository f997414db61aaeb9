import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module.js';
import { InputError, WeightsError } from '@skelflow/base';
import { unsoundTensor } from '../optim/health.js';

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
  for (const [name, v] of module.stateDict()) {
    const bad = unsoundTensor([[name, v.dataSync()]]);
    if (bad) throw new WeightsError(`refusing to save a non-finite weight: ${bad}`, { source: 'encodeModule', location: name });
    named[name] = v;
  }
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

/**
 * Loads what {@link encodeModule} produced into `module`, checked: the manifest's entries must be
 * float32/int32 tensors with non-negative integer shapes, the file exactly as long as they need,
 * every value finite, and names and shapes exactly the module's (strict).
 *
 * @param source - the model.json path (messages); `weightsSource` the weights file's.
 * @throws WeightsError naming the file and the tensor at fault
 */
export function decodeIntoModule(module: Module, modelJson: ModelJson, weights: Uint8Array, source = 'model.json', weightsSource = 'weights.bin'): void {
  if (modelJson?.format !== 'skelflow-weights' || !Array.isArray(modelJson.weightsManifest)) {
    throw new InputError('not a @skelflow model.json (missing format or weightsManifest)', { source });
  }
  const entries: unknown[] = modelJson.weightsManifest.flatMap((g: unknown) =>
    g !== null && typeof g === 'object' && Array.isArray((g as { weights?: unknown }).weights) ? (g as { weights: unknown[] }).weights : [undefined],
  );
  // Each entry is checked before use: an edited manifest used to crash (exit 1) instead of naming the file.
  entries.forEach((e, i) => {
    const w = e as tf.io.WeightsManifestEntry | null | undefined;
    const ok =
      w !== null && typeof w === 'object' && typeof w.name === 'string' && (w.dtype === 'float32' || w.dtype === 'int32') &&
      Array.isArray(w.shape) && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!ok) {
      const name = w !== null && typeof w === 'object' && typeof w.name === 'string' ? ` (${w.name})` : '';
      throw new WeightsError('weights manifest entry must be {name: string, shape: non-negative integers, dtype: "float32" or "int32"}', { source, location: `weightsManifest entry ${i}${name}` });
    }
  });
  const specs = entries as tf.io.WeightsManifestEntry[];
  const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expected) {
    throw new WeightsError(`has ${weights.byteLength} bytes, the manifest needs ${expected}`, { source: weightsSource });
  }
  const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const named = tf.io.decodeWeights(buf, specs);
  try {
    for (const [name, t] of Object.entries(named)) {
      const bad = unsoundTensor([[name, t.dataSync()]]);
      if (bad) throw new WeightsError(`non-finite weight: ${bad}`, { source: weightsSource, location: name });
    }
    module.loadStateDict(named, { source });
  } finally {
    tf.dispose(Object.values(named));
  }
}
