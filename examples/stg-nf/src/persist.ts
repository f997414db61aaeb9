import { InputError, WeightsError } from '@skelflow/base';
import { decodeIntoModule, encodeModule, readModelDir, saveModule } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { StgNf } from './model.js';
import { stgNfFromCheckpoint } from './checkpoint.js';
import { resolveStgNfConfig, type StgNfConfig } from './config.js';

/** The model kind recorded in a saved folder's `model.json`. */
export const STGNF_KIND = 'stg-nf';

/** Options of {@link saveStgNf}. */
export interface SaveStgNfOptions {
  /** Replace a folder that exists and is not empty (as a whole). Default false: refuse. */
  overwrite?: boolean;
  /** Extra files written into the folder with the model (e.g. a training state). */
  extra?: Record<string, string | Uint8Array>;
  /** Entries of the existing folder kept in the new one (e.g. `checkpoint`). */
  keep?: readonly string[];
}

/**
 * Saves a trained STG-NF to `dir`: `config.json` (model kind, format version, configuration and
 * whatever `meta` you add, e.g. training arguments), and `model.json` + `weights.bin` in tfjs's
 * layout. The folder is written as a set (a sibling folder, fsynced, renamed into place), so an
 * interrupted save leaves the old folder or the new one, never a mixture; an existing non-empty
 * folder is only replaced with `overwrite`. Non-finite weights are refused (WeightsError naming the
 * tensor). Node only.
 *
 * @example
 * ```ts
 * await saveStgNf('runs/demo', model, { epochs: 8 });
 * const again = await loadStgNf('runs/demo'); // identical scores
 * ```
 */
export async function saveStgNf(dir: string, model: StgNf, meta: Record<string, unknown> = {}, options: SaveStgNfOptions = {}): Promise<void> {
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  await saveModule(dir, model, config, {
    overwrite: options.overwrite ?? false,
    extra: { 'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n', ...options.extra },
    ...(options.keep ? { keep: options.keep } : {}),
  });
}

/** The files {@link saveStgNf} writes, in memory (for writers that assemble a folder themselves). */
export async function stgNfFiles(model: StgNf, meta: Record<string, unknown> = {}): Promise<Record<string, string | Uint8Array>> {
  const config = { kind: STGNF_KIND, formatVersion: MODEL_FORMAT_VERSION, model: model.config };
  const { modelJson, weights } = await encodeModule(model, config);
  return { 'weights.bin': weights, 'model.json': JSON.stringify(modelJson, null, 2) + '\n', 'config.json': JSON.stringify({ ...config, ...meta }, null, 2) + '\n' };
}

/** JSON equality of two plain values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)])) : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * Loads STG-NF from a folder written by {@link saveStgNf}, or from a released checkpoint file: the
 * original `torch.save` release as it is (`ShanghaiTech_85_9.tar`, any `.pth`; no Python) or its
 * JSON export. The model is returned in eval mode. Node only.
 *
 * A folder is checked against the architecture it declares: `model.json`'s model config must
 * equal `config.json`'s (an edited segment length, K or R shows), the weights must be exactly the
 * module's tensors (names, count of flow steps, shapes), every value finite, and the prior radius
 * buffer must equal the declared R; the weights file must lie inside the folder.
 *
 * @throws InputError / WeightsError naming the file and the tensor
 */
export async function loadStgNf(location: string): Promise<StgNf> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const stat = await fs.stat(location).catch(() => null);
  if (!stat) throw new InputError('no such file or folder', { source: location });
  if (stat.isFile()) {
    return stgNfFromCheckpoint(new Uint8Array(await fs.readFile(location)), location);
  }
  const { resolveFolder } = await import('@skelflow/base/node');
  const dir = await resolveFolder(location);
  if (!(await fs.stat(dir).catch(() => null))) throw new InputError('no such file or folder', { source: location });
  const { modelJson, weights, source, weightsSource } = await readModelDir(dir);
  const cfg = modelJson.config as { kind?: string; model?: StgNfConfig };
  // Folders saved before model kinds were recorded have no `kind`; they are STG-NF.
  if ((cfg?.kind !== STGNF_KIND && cfg?.kind !== undefined) || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${STGNF_KIND}'`, { source });
  }
  const configFile = path.join(dir, 'config.json');
  const saved = await fs.readFile(configFile, 'utf8').then((t) => JSON.parse(t) as { model?: unknown }, () => null);
  if (saved && typeof saved.model === 'object' && !sameJson(saved.model, cfg.model)) {
    const a = saved.model as Record<string, unknown>;
    const b = cfg.model as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameJson(a[k], b[k]));
    throw new WeightsError(`model.json and config.json declare different models (${keys.map((k) => `${k}: ${JSON.stringify(b[k])} vs ${JSON.stringify(a[k])}`).join(', ')})`, { source, location: 'config.model' });
  }
  let resolved;
  try {
    resolved = resolveStgNfConfig(cfg.model);
  } catch (e) {
    throw new InputError(`invalid model config (${(e as Error).message})`, { source, location: 'config.model' });
  }
  for (const k of ['segLen', 'K', 'joints', 'channels', 'temporalKernel', 'maxHops'] as const) {
    if (!Number.isInteger(resolved[k]) || resolved[k] < 1) throw new WeightsError(`${k} must be a positive integer, got ${JSON.stringify(resolved[k])}`, { source, location: `config.model.${k}` });
  }
  if (!Number.isFinite(resolved.R)) throw new WeightsError(`R must be a finite number, got ${JSON.stringify(resolved.R)}`, { source, location: 'config.model.R' });
  const model = new StgNf(cfg.model);
  try {
    decodeIntoModule(model, modelJson, weights, source, weightsSource);
    const radius = model.flow.prior.namedBuffers().find(([n]) => n === 'radius')?.[1].dataSync()[0];
    if (radius !== undefined && radius !== Math.fround(resolved.R)) {
      throw new WeightsError(`prior radius ${radius} in the weights, the config declares R = ${resolved.R}`, { source: weightsSource, location: 'flow.prior.radius' });
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}
