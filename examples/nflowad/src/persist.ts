import { InputError } from '@skelflow/base';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { Nflowad } from './model.js';
import { NFLOWAD_KIND, nflowadFromSavedFiles } from './files.js';

/**
 * Saves a trained NFlowAD to `dir`: `config.json` (kind, formatVersion, the model config, the
 * thresholds and `meta`), `model.json` + `weights.bin` (autoencoder, flow, score statistics,
 * thresholds, input statistics). Written as a set (a sibling folder, fsynced, renamed into place);
 * an existing model is replaced only with `overwrite`; non-finite weights are refused. Node only.
 *
 * @example
 * ```ts
 * await saveNflowad('runs/nfl', model);
 * const again = await loadNflowad('runs/nfl'); // identical scores
 * ```
 */
export async function saveNflowad(dir: string, model: Nflowad, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const config = { kind: NFLOWAD_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, {
    overwrite: options.overwrite ?? false,
    extra: { 'config.json': JSON.stringify({ ...config, thresholds: model.thresholds, ...meta }, null, 2) + '\n' },
  });
}

/** Loads a folder written by {@link saveNflowad}, in eval mode (weights checked: names, shapes, finite). Node only. */
export async function loadNflowad(location: string): Promise<Nflowad> {
  const fs = await import('node:fs/promises');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat?.isDirectory()) throw new InputError('no such model folder', { source: location });
  const { modelJson, weights, source, weightsSource } = await readModelDir(location);
  return nflowadFromSavedFiles(modelJson, weights, source, weightsSource);
}
