import { InputError, WeightsError } from '@skelflow/base';
import { decodeIntoModule, encodeModule, parseModelJson, type ModelJson } from '@skelflow/core';
import { MODEL_FORMAT_VERSION } from '@skelflow/model';
import { StgNf } from './model.js';
import { resolveStgNfConfig, type StgNfConfig } from './config.js';

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
 * `@skelflow/stg-nf/node` writes them to disk). Non-finite weights are refused.
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

/** JSON equality of two plain values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)])) : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Where the files came from, for messages. */
export interface StgNfFilesSource {
  /** The model.json's name or path. Default `model.json`. */
  source?: string;
  /** The weights file's. Default `weights.bin`. */
  weightsSource?: string;
  /** The folder's `config.json`, parsed, when there is one: its `model` must equal model.json's. */
  savedConfig?: { model?: unknown } | null;
}

/**
 * STG-NF from a saved folder's `model.json` (text or parsed) and `weights.bin` bytes, in eval mode.
 * Browser-safe: this is what a web page calls with the files a user picked (`loadStgNf` in
 * `@skelflow/stg-nf/node` reads them from disk and calls it).
 *
 * The files are checked against the architecture they declare: `model.json`'s model config must
 * equal `config.json`'s when given (an edited segment length, K or R shows), the weights must be
 * exactly the module's tensors (names, count of flow steps, shapes), every value finite, and the
 * prior radius buffer must equal the declared R.
 *
 * @throws InputError / WeightsError naming the file and the tensor
 */
export function stgNfFromSavedFiles(modelJson: ModelJson | string, weights: Uint8Array, from: StgNfFilesSource = {}): StgNf {
  const source = from.source ?? 'model.json';
  const weightsSource = from.weightsSource ?? 'weights.bin';
  const json = parseModelJson(modelJson, source);
  const cfg = json?.config as { kind?: string; model?: StgNfConfig } | undefined;
  // Folders saved before model kinds were recorded have no `kind`; they are STG-NF.
  if ((cfg?.kind !== STGNF_KIND && cfg?.kind !== undefined) || typeof cfg?.model !== 'object' || cfg.model === null) {
    throw new InputError(`model kind '${String(cfg?.kind)}' is not '${STGNF_KIND}'`, { source });
  }
  const saved = from.savedConfig;
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
    decodeIntoModule(model, json, weights, source, weightsSource);
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
