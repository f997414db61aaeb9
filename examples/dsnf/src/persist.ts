// Node-only: DSNF folders on disk (reached through `@skelflow/dsnf/node`).
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { readModelDir, saveModule, writeAtomic } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { Dsnf } from './model.js';
import { DSNF_KIND, dsnfFromSavedFiles } from './files.js';

/**
 * Saves DSNF to `dir`: `config.json` (kind, format version, model config, `meta`), `model.json` +
 * `weights.bin`. Atomic writes; an existing model is replaced only with `overwrite`. Node only.
 *
 * @example
 * ```ts
 * await saveDsnf('runs/dsnf', model, { loss: 'awam' });
 * ```
 */
export async function saveDsnf(dir: string, model: Dsnf, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const config = { kind: DSNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, options);
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...meta }, null, 2) + '\n');
}

/** Loads DSNF from a folder written by {@link saveDsnf}, in eval mode. Node only (`dsnfFromSavedFiles` takes the files' contents). */
export async function loadDsnf(location: string): Promise<Dsnf> {
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (!stat.isDirectory()) throw new InputError('a DSNF model is a folder (config.json, model.json, weights.bin)', { source: location });
  const { modelJson, weights, source } = await readModelDir(location);
  return dsnfFromSavedFiles(modelJson, weights, source);
}
