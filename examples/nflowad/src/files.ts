import { InputError } from '@skelflow/base';
import { decodeIntoModule, parseModelJson, type ModelJson } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { NflowadConfig } from './config.js';
import { Nflowad } from './model.js';

/** The model kind recorded in a saved folder. */
export const NFLOWAD_KIND = 'nflowad';

/**
 * NFlowAD from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval
 * mode. Browser-safe (`loadNflowad` in `@skelflow/nflowad/node` reads the files from disk and
 * calls it).
 */
export function nflowadFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, source = 'model.json', weightsSource = 'weights.bin'): Nflowad {
  const json = parseModelJson(modelJson, source, { firstLine: true });
  const cfg = json?.config as { kind?: string; formatVersion?: number; model?: NflowadConfig } | undefined;
  if (cfg?.kind !== NFLOWAD_KIND || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${NFLOWAD_KIND}'`, { source });
  }
  if (cfg.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new InputError(`format version ${String(cfg.formatVersion)} is not the supported ${MODEL_FORMAT_VERSION}`, { source, location: 'formatVersion' });
  }
  const model = new Nflowad(cfg.model);
  try {
    decodeIntoModule(model, json, weights, source, weightsSource);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
