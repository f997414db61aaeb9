// Node-only: saving and reading model folders on disk. Reached through `@skelflow/core/node`, so
// browser bundles of the main entry never see node:fs.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, WeightsError } from '@skelflow/base';
import { replaceFolder, resolveFolder, writeFileAtomic } from '@skelflow/base/node';
import type { Module } from '../module.js';
import { encodeModule, type ModelJson } from './weights.js';

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
  await writeFileAtomic(file, data);
}
