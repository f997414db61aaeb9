import { InputError } from '@skelflow/base';
import type { Module } from '../module.js';
import { parseModelJson } from './model_json.js';
import { decodeIntoModule, type ModelJson } from './weights.js';

/** What {@link moduleFromSavedFiles} checks a saved folder against and how it builds the module. */
export interface SavedModuleSpec<M extends Module, C> {
  /** The model kind the folder's `config.kind` must name. */
  kind: string;
  /** The `config.formatVersion` the folder must declare (the caller's supported version). */
  formatVersion: number;
  /** A fresh module of the folder's `config.model`, whose weights are then decoded into it. */
  create: (config: C) => M;
  /** The model.json's name or path, for messages. Default `model.json`. */
  source?: string;
  /** The weights file's. Default `weights.bin`. */
  weightsSource?: string;
}

/**
 * A module from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval
 * mode: the folder's kind and format version are checked, the module is built from its model
 * config and its weights decoded (the module is disposed when they do not fit). Browser-safe; a
 * model's `<model>FromSavedFiles` (e.g. NFlowAD's, MSG-Flow's) is this with its kind and class.
 */
export function moduleFromSavedFiles<M extends Module, C>(modelJson: ModelJson | string, weights: Uint8Array, spec: SavedModuleSpec<M, C>): M {
  const { kind, formatVersion, source = 'model.json', weightsSource = 'weights.bin' } = spec;
  const json = parseModelJson(modelJson, source, { firstLine: true });
  const cfg = json?.config as { kind?: string; formatVersion?: number; model?: C } | undefined;
  if (cfg?.kind !== kind || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${kind}'`, { source });
  }
  if (cfg.formatVersion !== formatVersion) {
    throw new InputError(`format version ${String(cfg.formatVersion)} is not the supported ${formatVersion}`, { source, location: 'formatVersion' });
  }
  const model = spec.create(cfg.model);
  try {
    decodeIntoModule(model, json, weights, source, weightsSource);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
