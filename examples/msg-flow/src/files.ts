import { InputError } from '@skelflow/base';
import { decodeIntoModule, parseModelJson, type ModelJson } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { MsgFlowConfig } from './config.js';
import { MsgFlow } from './model.js';

/** The model kind recorded in a saved folder. */
export const MSGFLOW_KIND = 'msg-flow';

/**
 * MSG-Flow from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval
 * mode. Browser-safe (`loadMsgFlow` in `@skelflow/msg-flow/node` reads the files from disk and
 * calls it).
 */
export function msgFlowFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, source = 'model.json', weightsSource = 'weights.bin'): MsgFlow {
  const json = parseModelJson(modelJson, source, { firstLine: true });
  const cfg = json?.config as { kind?: string; formatVersion?: number; model?: MsgFlowConfig } | undefined;
  if (cfg?.kind !== MSGFLOW_KIND || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${MSGFLOW_KIND}'`, { source });
  }
  if (cfg.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new InputError(`format version ${String(cfg.formatVersion)} is not the supported ${MODEL_FORMAT_VERSION}`, { source, location: 'formatVersion' });
  }
  const model = new MsgFlow(cfg.model);
  try {
    decodeIntoModule(model, json, weights, source, weightsSource);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
