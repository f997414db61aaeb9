import { moduleFromSavedFiles, type ModelJson } from '@skelflow/core';
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
  return moduleFromSavedFiles(modelJson, weights, {
    kind: MSGFLOW_KIND,
    formatVersion: MODEL_FORMAT_VERSION,
    create: (config: MsgFlowConfig) => new MsgFlow(config),
    source,
    weightsSource,
  });
}
