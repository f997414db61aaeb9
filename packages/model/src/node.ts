// Node-only helpers for model folders (node:fs). Kept out of the main entry so browser bundles
// never see node:fs.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, jsonPreview } from '@skelflow/base';
import { resolveFolder, writeFileAtomic } from '@skelflow/base/node';
import { MODEL_FORMAT_VERSION, type SavedModelConfig } from './contract.js';

/**
 * The kind of folders saved before model kinds existed (`config.json` without `kind`) and of
 * released checkpoint files (the original `.tar`/`.pth` releases and their `.json` exports): all STG-NF.
 */
export const LEGACY_MODEL_KIND = 'stg-nf';

/** File names taken for released checkpoints: `torch.save` files and their JSON exports. */
const CHECKPOINT_FILE = /\.(json|tar|pth|pt)$/i;

/** What {@link readModelKind} found at a location. */
export interface ModelLocation {
  /** The family kind to load it with. */
  kind: string;
  /** `folder`: a saved model folder; `file`: a single file (a released STG-NF checkpoint, `.tar`/`.pth` or `.json`). */
  type: 'folder' | 'file';
  /** The folder's `formatVersion` (0 for legacy folders and files). */
  formatVersion: number;
  /** True when the kind was inferred (legacy folder without `kind`, or a checkpoint file). */
  legacy: boolean;
}

/**
 * Reads `config.json` of a saved model folder.
 *
 * @throws InputError when the folder or its config.json is missing or not a JSON object
 */
export async function readModelConfig(dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no config.json: not a saved model folder' : `cannot read config.json (${code})`, { source: dir });
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { source: file });
  }
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new InputError('expected a JSON object', { source: file });
  return cfg as Record<string, unknown>;
}

/**
 * Which family a saved model belongs to: the `kind` of a folder's `config.json`;
 * {@link LEGACY_MODEL_KIND} for a folder whose config.json has no `kind` and for a file (a released
 * STG-NF checkpoint: the original `torch.save` file, `.tar`/`.pth`/`.pt`, or its `.json` export).
 *
 * @example
 * ```ts
 * const { kind } = await readModelKind('runs/pca');   // 'pca-gaussian'
 * const family = registry.get(kind);
 * const model = await family.load('runs/pca');
 * ```
 * @throws InputError when the location does not exist, or `kind` is not a string
 */
export async function readModelKind(given: string): Promise<ModelLocation> {
  // A folder whose replacement was interrupted between its two renames reads as its predecessor.
  const location = await resolveFolder(given);
  const st = await fs.stat(location).catch(() => null);
  if (!st) throw new InputError('no such file or folder', { source: location });
  if (st.isFile()) {
    if (!CHECKPOINT_FILE.test(location)) {
      throw new InputError('expected a saved model folder or a released STG-NF checkpoint (.tar, .pth, .pt or .json)', { source: location });
    }
    return { kind: LEGACY_MODEL_KIND, type: 'file', formatVersion: 0, legacy: true };
  }
  const cfg = await readModelConfig(location);
  if (cfg.kind === undefined) return { kind: LEGACY_MODEL_KIND, type: 'folder', formatVersion: 0, legacy: true };
  if (typeof cfg.kind !== 'string' || cfg.kind === '') throw new InputError(`'kind' must be a non-empty string, got ${jsonPreview(cfg.kind)}`, { source: path.join(location, 'config.json') });
  const v = cfg.formatVersion;
  return { kind: cfg.kind, type: 'folder', formatVersion: typeof v === 'number' ? v : 0, legacy: false };
}

/**
 * Writes a model folder's `config.json` (atomically and durably: a temporary file, fsync, rename), with `kind` and
 * `formatVersion` first, and creates the folder.
 *
 * @param overwrite replace an existing config.json; default false (an InputError)
 */
export async function writeModelConfig(dir: string, config: Omit<SavedModelConfig, 'formatVersion'> & { formatVersion?: number }, overwrite = false): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'config.json');
  if (!overwrite && (await fs.stat(file).then(() => true, () => false))) {
    throw new InputError('already holds a model; pass overwrite to replace it', { source: dir });
  }
  const { kind, formatVersion, ...rest } = config;
  await writeFileAtomic(file, JSON.stringify({ kind, formatVersion: formatVersion ?? MODEL_FORMAT_VERSION, ...rest }, null, 2) + '\n');
}
