import { InputError } from '@skelflow/base';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import type { MsgFlow } from './model.js';
import { MSGFLOW_KIND, msgFlowFromSavedFiles } from './files.js';

/**
 * Saves a trained MSG-Flow to `dir`: `config.json` (kind, formatVersion, the model config and
 * `meta`), `model.json` + `weights.bin` (all three stages, the codebook and its EMA state, the
 * context projection and the score statistics). The folder is written as a set (a sibling folder,
 * fsynced, renamed into place); an existing model is replaced only with `overwrite`; non-finite
 * weights are refused, naming the tensor. Node only.
 *
 * @example
 * ```ts
 * await saveMsgFlow('runs/msg', model);
 * const again = await loadMsgFlow('runs/msg'); // identical scores
 * ```
 */
export async function saveMsgFlow(dir: string, model: MsgFlow, meta: Record<string, unknown> = {}, options: { overwrite?: boolean } = {}): Promise<void> {
  const config = { kind: MSGFLOW_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, {
    overwrite: options.overwrite ?? false,
    extra: { 'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n' },
  });
}

/** Loads a folder written by {@link saveMsgFlow}, in eval mode (weights checked: names, shapes, finite). Node only. */
export async function loadMsgFlow(location: string): Promise<MsgFlow> {
  const fs = await import('node:fs/promises');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat?.isDirectory()) throw new InputError('no such model folder', { source: location });
  const { modelJson, weights, source, weightsSource } = await readModelDir(location);
  return msgFlowFromSavedFiles(modelJson, weights, source, weightsSource);
}
