// Node-only: STG-NF folders and checkpoint files on disk (reached through `@skelflow/stg-nf/node`).
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { resolveFolder } from '@skelflow/base/node';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { StgNf } from './model.js';
import { stgNfFromCheckpoint } from './checkpoint.js';
import { STGNF_KIND, stgNfFromSavedFiles } from './files.js';

/** Options of {@link saveStgNf}. */
export interface SaveStgNfOptions {
  /** Replace a folder that exists and is not empty (as a whole). Default false: refuse. */
  overwrite?: boolean;
  /** Extra files written into the folder with the model (e.g. a training state). */
  extra?: Record<string, string | Uint8Array>;
  /** Entries of the existing folder kept in the new one (e.g. `checkpoint`). */
  keep?: readonly string[];
}

/**
 * Saves a trained STG-NF to `dir`: `config.json` (model kind, format version, configuration and
 * whatever `meta` you add, e.g. training arguments), and `model.json` + `weights.bin` in tfjs's
 * layout. The folder is written as a set (a sibling folder, fsynced, renamed into place), so an
 * interrupted save leaves the old folder or the new one, never a mixture; an existing non-empty
 * folder is only replaced with `overwrite`. Non-finite weights are refused (WeightsError naming the
 * tensor). Node only (`encodeStgNf` gives the same files in memory).
 *
 * @example
 * ```ts
 * await saveStgNf('runs/demo', model, { epochs: 8 });
 * const again = await loadStgNf('runs/demo'); // identical scores
 * ```
 */
export async function saveStgNf(dir: string, model: StgNf, meta: Record<string, unknown> = {}, options: SaveStgNfOptions = {}): Promise<void> {
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, {
    overwrite: options.overwrite ?? false,
    extra: { 'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n', ...options.extra },
    ...(options.keep ? { keep: options.keep } : {}),
  });
}

/**
 * Loads STG-NF from a folder written by {@link saveStgNf}, or from a released checkpoint file: the
 * original `torch.save` release as it is (`ShanghaiTech_85_9.tar`, any `.pth`; no Python) or its
 * JSON export. The model is returned in eval mode. Node only (`stgNfFromSavedFiles` and
 * `stgNfFromCheckpoint` take the files' contents, in browsers too).
 *
 * A folder is checked as `stgNfFromSavedFiles` describes (config.json against model.json, exact
 * tensors, finite values, the prior radius); the weights file must lie inside the folder.
 *
 * @throws InputError / WeightsError naming the file and the tensor
 */
export async function loadStgNf(location: string): Promise<StgNf> {
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (stat.isFile()) {
    return stgNfFromCheckpoint(new Uint8Array(await fs.readFile(location)), location);
  }
  const dir = await resolveFolder(location);
  if (!(await fs.stat(dir).catch(() => null))) throw new InputError('no such file or folder', { source: location });
  const { modelJson, weights, source, weightsSource } = await readModelDir(dir);
  const savedConfig = await fs.readFile(path.join(dir, 'config.json'), 'utf8').then((t) => JSON.parse(t) as { model?: unknown }, () => null);
  return stgNfFromSavedFiles(modelJson, weights, { source, weightsSource, savedConfig });
}
