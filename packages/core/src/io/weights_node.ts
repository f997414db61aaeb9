// Node-only: saving and reading model folders on disk. Reached through `@skelflow/core/node`, so
// browser bundles of the main entry never see node:fs.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import type { Module } from '../module.js';
import { encodeModule, type ModelJson } from './weights.js';

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
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
