import { InputError } from '@skelflow/base';
import { decodeIntoModule, readModelDir, saveModule, writeAtomic } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { DsnfConfig } from './config.js';
import { Dsnf } from './model.js';

/** The model kind recorded in a saved folder. */
export const DSNF_KIND = 'dsnf';

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
  const path = await import('node:path');
  const config = { kind: DSNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, options);
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...meta }, null, 2) + '\n');
}

/** Loads DSNF from a folder written by {@link saveDsnf}, in eval mode. Node only. */
export async function loadDsnf(location: string): Promise<Dsnf> {
  const fs = await import('node:fs/promises');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (!stat.isDirectory()) throw new InputError('a DSNF model is a folder (config.json, model.json, weights.bin)', { source: location });
  const { modelJson, weights, source } = await readModelDir(location);
  const cfg = modelJson.config as { kind?: string; model?: DsnfConfig };
  if (cfg?.kind !== DSNF_KIND || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${DSNF_KIND}'`, { source });
  }
  const model = new Dsnf(cfg.model);
  try {
    decodeIntoModule(model, modelJson, weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
