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

/**
 * Writes a module to `dir` (`model.json` + `weights.bin`, plus any `extra` files) as a set:
 * `@skelflow/base/node`'s `replaceFolder` writes a sibling folder, fsyncs it and renames it into
 * place, so an interrupted save never leaves a mixture of old and new files. A folder that exists
 * and is not empty is only replaced with `overwrite` (and then as a whole, except `keep`). Refuses
 * non-finite weights (a WeightsError naming the tensor). Node only.
 *
 * @example
 * ```ts
 * await saveModule('runs/stgnf', model, { kind: 'stg-nf', segLen: 24 });
 * ```
 */
export async function saveModule(
  dir: string,
  module: Module,
  config: Record<string, unknown>,
  options: { overwrite?: boolean; extra?: Record<string, string | Uint8Array>; keep?: readonly string[] } = {},
): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { replaceFolder } = await import('@skelflow/base/node');
  const { modelJson, weights } = await encodeModule(module, config);
  const files: Record<string, string | Uint8Array> = { 'weights.bin': weights, 'model.json': JSON.stringify(modelJson, null, 2) + '\n', ...options.extra };
  await replaceFolder(
    dir,
    async (tmp) => {
      for (const [name, data] of Object.entries(files)) await fs.writeFile(path.join(tmp, name), data);
    },
    { overwrite: options.overwrite ?? false, ...(options.keep ? { keep: options.keep } : {}) },
  );
}

/**
 * Reads a folder written by {@link saveModule}: its `model.json` and raw weights (the folder of an
 * interrupted replacement resolves to its intact predecessor). The weights file named in the
 * manifest must be one plain file name inside the folder. Node only.
 *
 * @throws InputError / WeightsError naming the file (and the manifest entry)
 */
export async function readModelDir(given: string): Promise<{ modelJson: ModelJson; weights: Uint8Array; source: string; weightsSource: string }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { resolveFolder } = await import('@skelflow/base/node');
  const dir = await resolveFolder(given);
  const source = path.join(dir, 'model.json');
  let text: string;
  try {
    text = await fs.readFile(source, 'utf8');
  } catch {
    throw new InputError('cannot read model.json', { source });
  }
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { source });
  }
  const groups = Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest : [];
  const paths = groups.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
  if (groups.length !== 1 || paths.length !== 1) {
    throw new WeightsError(`weightsManifest must hold one group with one weights file, found ${groups.length} group(s) and ${paths.length} path(s)`, { source, location: 'weightsManifest' });
  }
  const binName = paths[0];
  // A file reference stays inside the model folder: one plain file name, no folders, no '..'.
  if (typeof binName !== 'string' || binName === '' || binName === '.' || binName === '..' || binName !== path.basename(binName) || binName.includes('/') || binName.includes('\\')) {
    throw new WeightsError(`weights path ${JSON.stringify(binName)} is not a file name inside the model folder`, { source, location: 'weightsManifest[0].paths[0]' });
  }
  const binPath = path.join(dir, binName);
  let weights: Uint8Array;
  try {
    weights = new Uint8Array(await fs.readFile(binPath));
  } catch {
    throw new InputError('cannot read the weights file', { source: binPath });
  }
  return { modelJson, weights, source, weightsSource: binPath };
}

/** Writes `data` to `file` through a temp file in the same folder, fsync and a rename (`@skelflow/base/node`'s `writeFileAtomic`). Node only. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const { writeFileAtomic } = await import('@skelflow/base/node');
  await writeFileAtomic(file, data);
}
