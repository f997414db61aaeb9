import { moduleFromSavedFiles, type ModelJson } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { MgNetConfig } from './config.js';
import { MgNet } from './model.js';

/** The model kind recorded in a saved folder. */
export const MGNET_KIND = 'mgnet';

/**
 * MGNet from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval mode
 * (teacher included). Browser-safe (`loadMgNet` in `@skelflow/mgnet/node` reads the files and calls it).
 */
export function mgnetFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, source = 'model.json', weightsSource = 'weights.bin'): MgNet {
  return moduleFromSavedFiles<MgNet, MgNetConfig>(modelJson, weights, { kind: MGNET_KIND, formatVersion: MODEL_FORMAT_VERSION, create: (c) => new MgNet(c), source, weightsSource });
}
