import { InputError } from '@skelflow/base';
import { decodeIntoModule, encodeModule, type ModelJson } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { StgNf } from './model.js';
import type { StgNfConfig } from './config.js';

/** The model kind recorded in a saved folder's `model.json`. */
export const STGNF_KIND = 'stg-nf';

/** The files of a saved STG-NF folder, in memory (what `saveStgNf` writes, or what a browser user picked). */
export interface StgNfFiles {
  /** `config.json`: kind, format version, model configuration, training metadata. */
  'config.json': string;
  /** `model.json`: tfjs's weights manifest plus the model config. */
  'model.json': string;
  /** `weights.bin`: little-endian float32. */
  'weights.bin': Uint8Array;
}

/**
 * A trained STG-NF as the files of a saved folder, in memory (browser-safe; `saveStgNf` in
 * `@skelflow/stg-nf/node` writes them to disk).
 */
export async function encodeStgNf(model: StgNf, meta: Record<string, unknown> = {}): Promise<StgNfFiles> {
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  const { modelJson, weights } = await encodeModule(model, config);
  return {
    'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n',
    'model.json': JSON.stringify(modelJson, null, 2) + '\n',
    'weights.bin': weights,
  };
}

/**
 * STG-NF from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval mode.
 * Browser-safe: this is what a web page calls with the files a user picked.
 *
 * @param source - named in errors (a file name or URL).
 * @throws InputError when the model.json is not a saved STG-NF; WeightsError when the weights do not fit
 */
export function stgNfFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, source = 'model.json'): StgNf {
  let json: ModelJson;
  if (typeof modelJson === 'string') {
    try {
      json = JSON.parse(modelJson) as ModelJson;
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message})`, { source });
    }
  } else json = modelJson;
  const cfg = json?.config as { kind?: string; model?: StgNfConfig } | undefined;
  // Folders saved before model kinds were recorded have no `kind`; they are STG-NF.
  if ((cfg?.kind !== STGNF_KIND && cfg?.kind !== undefined) || typeof cfg?.model !== 'object') {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${STGNF_KIND}'`, { source });
  }
  const model = new StgNf(cfg.model);
  try {
    decodeIntoModule(model, json, weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
