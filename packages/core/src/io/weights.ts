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
  const entries: unknown[] = modelJson.weightsManifest.flatMap((g: unknown) =>
    g !== null && typeof g === 'object' && Array.isArray((g as { weights?: unknown }).weights) ? (g as { weights: unknown[] }).weights : [undefined],
  );
  // Each entry is checked before use: an edited manifest used to crash (exit 1) instead of naming the file.
  entries.forEach((e, i) => {
    const w = e as tf.io.WeightsManifestEntry | null | undefined;
    const ok =
      w !== null && typeof w === 'object' && typeof w.name === 'string' && w.dtype === 'float32' &&
      Array.isArray(w.shape) && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!ok) throw new InputError('weights manifest entry must be {name: string, shape: non-negative integers, dtype: "float32"}', { source, location: `weightsManifest entry ${i}` });
  });
  const specs = entries as tf.io.WeightsManifestEntry[];
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

/**
 * Writes a module to `dir` (`model.json` + `weights.bin`) atomically: each file goes to a temp
 * name first and is renamed into place. Refuses to overwrite an existing model unless `overwrite`.
 * Node only.
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
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, 'model.json');
  if (!options.overwrite) {
    const exists = await fs.stat(target).then(() => true, () => false);
    if (exists) throw new InputError('a model already exists here; pass overwrite to replace it', { source: target });
  }
  const { modelJson, weights } = await encodeModule(module, config);
  await writeAtomic(path.join(dir, 'weights.bin'), weights);
  await writeAtomic(target, JSON.stringify(modelJson, null, 2) + '\n');
}

/** Reads a folder written by {@link saveModule}: its `model.json` and raw weights. Node only. */
export async function readModelDir(dir: string): Promise<{ modelJson: ModelJson; weights: Uint8Array; source: string }> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
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
  const binName = modelJson?.weightsManifest?.[0]?.paths?.[0] ?? 'weights.bin';
  const binPath = path.join(dir, binName);
  let weights: Uint8Array;
  try {
    weights = new Uint8Array(await fs.readFile(binPath));
  } catch {
    throw new InputError('cannot read the weights file', { source: binPath });
  }
  return { modelJson, weights, source };
}

/** Writes `data` to `file` through a temp file in the same folder and a rename. Node only. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
