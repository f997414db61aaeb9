import { InputError } from '@skelflow/base';
import { decodeIntoModule, parseModelJson, type ModelJson } from '@skelflow/core';
import type { DsnfConfig } from './config.js';
import { Dsnf } from './model.js';

/** The model kind recorded in a saved folder. */
export const DSNF_KIND = 'dsnf';

/**
 * DSNF from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval mode.
 * Browser-safe (`loadDsnf` in `@skelflow/dsnf/node` reads the files from disk and calls it).
 */
export function dsnfFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, source = 'model.json'): Dsnf {
  const json = parseModelJson(modelJson, source);
  const cfg = json?.config as { kind?: string; model?: DsnfConfig } | undefined;
  if (cfg?.kind !== DSNF_KIND || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${DSNF_KIND}'`, { source });
  }
  const model = new Dsnf(cfg.model);
  try {
    decodeIntoModule(model, json, weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
