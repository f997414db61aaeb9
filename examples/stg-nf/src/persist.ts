// Node-only: STG-NF folders and checkpoint files on disk (reached through `@skelflow/stg-nf/node`).
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { parseCheckpointJson } from '@skelflow/core';
import { readModelDir, saveModule, writeAtomic } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { StgNf } from './model.js';
import { stgNfFromCheckpoint } from './checkpoint.js';
import { STGNF_KIND, stgNfFromSavedFiles } from './files.js';

/**
 * Saves a trained STG-NF to `dir`: `config.json` (model kind, format version, configuration and whatever `meta`
 * you add, e.g. training arguments), and `model.json` + `weights.bin` in tfjs's layout. Files are
 * written atomically; an existing model is only replaced with `overwrite`. Node only
 * (`encodeStgNf` gives the same files in memory).
 *
 * @example
 * ```ts
 * await saveStgNf('runs/demo', model, { epochs: 8 });
 * const again = await loadStgNf('runs/demo'); // identical scores
 * ```
 */
export async function saveStgNf(dir: string, model: StgNf, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, options);
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...meta }, null, 2) + '\n');
}

/**
 * Loads STG-NF from a folder written by {@link saveStgNf}, or from a released checkpoint JSON
 * (a path ending in `.json` that is a file). The model is returned in eval mode. Node only
 * (`stgNfFromSavedFiles` and `stgNfFromCheckpoint` take the files' contents).
 */
export async function loadStgNf(location: string): Promise<StgNf> {
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (stat.isFile()) {
    const text = await fs.readFile(location, 'utf8');
    return stgNfFromCheckpoint(parseCheckpointJson(text, location), location);
  }
  const { modelJson, weights, source } = await readModelDir(location);
  return stgNfFromSavedFiles(modelJson, weights, source);
}
