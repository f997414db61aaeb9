import { InputError } from '@skelflow/base';
import { decodeIntoModule, readModelDir, saveModule, writeAtomic } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { MsgFlow } from './model.js';
import type { MsgFlowConfig } from './config.js';

/** The model kind recorded in a saved folder. */
export const MSGFLOW_KIND = 'msg-flow';

/**
 * Saves a trained MSG-Flow to `dir`: `config.json` (kind, formatVersion, the model config and
 * `meta`), `model.json` + `weights.bin` (all three stages, the codebook and its EMA state, the
 * context projection and the score statistics). Atomic; an existing model is replaced only with
 * `overwrite`. Node only.
 *
 * @example
 * ```ts
 * await saveMsgFlow('runs/msg', model);
 * const again = await loadMsgFlow('runs/msg'); // identical scores
 * ```
 */
export async function saveMsgFlow(dir: string, model: MsgFlow, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const path = await import('node:path');
  const config = { kind: MSGFLOW_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, options);
  await writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...meta }, null, 2) + '\n');
}

/** Loads a folder written by {@link saveMsgFlow}, in eval mode. Node only. */
export async function loadMsgFlow(location: string): Promise<MsgFlow> {
  const fs = await import('node:fs/promises');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat?.isDirectory()) throw new InputError('no such model folder', { source: location });
  const { modelJson, weights, source } = await readModelDir(location);
  const cfg = modelJson.config as { kind?: string; formatVersion?: number; model?: MsgFlowConfig };
  if (cfg?.kind !== MSGFLOW_KIND || typeof cfg.model !== 'object') throw new InputError(`model kind '${String(cfg?.kind)}' is not '${MSGFLOW_KIND}'`, { source });
  if (cfg.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new InputError(`format version ${String(cfg.formatVersion)} is not the supported ${MODEL_FORMAT_VERSION}`, { source, location: 'formatVersion' });
  }
  const model = new MsgFlow(cfg.model);
  try {
    decodeIntoModule(model, modelJson, weights, source);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
