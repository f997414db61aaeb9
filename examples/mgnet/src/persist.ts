// Node-only: MGNet folders on disk (reached through `@skelflow/mgnet/node`).
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@skelflow/base';
import { readModelDir, saveModule } from '@skelflow/core/node';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { saveStgNf } from '@skelflow/stg-nf/node';
import type { MgNet } from './model.js';
import { MGNET_KIND, mgnetFromSavedFiles } from './files.js';

/**
 * Saves MGNet to `dir`: `config.json` (kind, format version, model config, `meta`), `model.json` +
 * `weights.bin` (every part, the frozen teacher included), written as a set; then the teacher alone
 * as an STG-NF folder `dir/teacher` (reusable with `--teacher dir/teacher`, or `skelflow eval`).
 * An existing model is replaced only with `overwrite`. Node only.
 */
export async function saveMgNet(dir: string, model: MgNet, meta: Record<string, unknown> = {}, options: { overwrite?: boolean; keep?: readonly string[] } = {}): Promise<void> {
  const config = { kind: MGNET_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, {
    overwrite: options.overwrite ?? false,
    extra: { 'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n' },
    ...(options.keep ? { keep: options.keep } : {}),
  });
  await saveStgNf(path.join(dir, 'teacher'), model.teacher, { teacherOf: MGNET_KIND }, { overwrite: true });
}

/** Loads MGNet from a folder written by {@link saveMgNet}, in eval mode. Node only. */
export async function loadMgNet(location: string): Promise<MgNet> {
  const stat = await fs.stat(location).catch(() => null);
  if (!stat?.isDirectory()) throw new InputError('an MGNet model is a folder (config.json, model.json, weights.bin)', { source: location });
  const { modelJson, weights, source, weightsSource } = await readModelDir(location);
  return mgnetFromSavedFiles(modelJson, weights, source, weightsSource);
}
