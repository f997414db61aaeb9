import { InputError } from '@skelflow/base';
import { decodeIntoModule, readModelDir, saveModule, writeAtomic } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { StgNf } from './model.js';
import { stgNfFromCheckpoint } from './checkpoint.js';
import type { StgNfConfig } from './config.js';

/** The model kind recorded in a saved folder's `model.json`. */
export const STGNF_KIND = 'stg-nf';

/**
 * Saves a trained STG-NF to `dir`: `config.json` (model kind, format version, configuration and whatever `meta`
 * you add, e.g. training arguments), and `model.json` + `weights.bin` in tfjs's layout. Files are
 * written atomically; an existing model is only replaced with `overwrite`. Node only.
 *
 * @example
 * ```ts
 * await saveStgNf('runs/demo', model, { epochs: 8 });
 * const again = await loadStgNf('runs/demo'); // identical scores
 * ```
 */
export async function saveStgNf(dir: string, model: StgNf, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const path = await import('node:path');
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, options);
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...meta }, null, 2) + '\n');
}

/**
 * Loads STG-NF from a folder written by {@link saveStgNf}, or from a released checkpoint file: the
 * original `torch.save` release as it is (`ShanghaiTech_85_9.tar`, any `.pth`; no Python) or its
 * JSON export. The model is returned in eval mode. Node only.
 */
export async function loadStgNf(location: string): Promise<StgNf> {
  const fs = await import('node:fs/promises');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (stat.isFile()) {
    return stgNfFromCheckpoint(new Uint8Array(await fs.readFile(location)), location);
  }
  const { modelJson, weights, source } = await readModelDir(location);
  const cfg = modelJson.config as { kind?: string; model?: StgNfConfig };
  // Folders saved before model kinds were recorded have no `kind`; they are STG-NF.
  if ((cfg?.kind !== STGNF_KIND && cfg?.kind !== undefined) || typeof cfg?.model !== 'object') {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${STGNF_KIND}'`, { source });
  }
  const model = new StgNf(cfg.model);
  try {
    decodeIntoModule(model, modelJson, weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
