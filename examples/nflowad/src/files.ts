import { moduleFromSavedFiles, type ModelJson } from '@skelflow/core';
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
  return moduleFromSavedFiles(modelJson, weights, {
    kind: NFLOWAD_KIND,
    formatVersion: MODEL_FORMAT_VERSION,
    create: (config: NflowadConfig) => new Nflowad(config),
    source,
    weightsSource,
  });
}
