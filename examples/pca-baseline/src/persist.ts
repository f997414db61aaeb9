import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError, WeightsError } from '@skelflow/base';
import { replaceFolder, resolveFolder } from '@skelflow/base/node';
import { MODEL_FORMAT_VERSION, poseSegmentInput, type SaveOptions } from '@skelflow/model';
import { readModelConfig } from '@skelflow/model/node';
import { PCA_GAUSSIAN_KIND, type PcaGaussianConfig } from './config.js';
import type { PpcaParams } from './ppca.js';

const PARAMS = 'params.bin';

/**
 * Writes a fitted model's config and parameters to `dir` (see `PcaGaussianModel.save`) as a set: a
 * sibling folder, fsynced, renamed into place (`@skelflow/base/node`'s `replaceFolder`), so an
 * interrupted save leaves the old folder or the new one, never a mixture. Refuses non-finite
 * parameters, naming the array and index. Node only.
 */
export async function writePcaGaussian(dir: string, config: PcaGaussianConfig, p: PpcaParams, options: SaveOptions = {}): Promise<void> {
  for (const [name, a] of [['mean', p.mean], ['eigenvalues', p.eigenvalues], ['components', p.components], ['sigma2', [p.sigma2]]] as const) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i]!)) throw new WeightsError(`refusing to save a non-finite parameter: ${name}[${i}] = ${a[i]}`, { source: 'PcaGaussianModel.save', location: name });
    }
  }
  const cfg = {
    kind: PCA_GAUSSIAN_KIND,
    formatVersion: MODEL_FORMAT_VERSION,
    config,
    ppca: { dim: p.dim, k: p.k, sigma2: p.sigma2, explained: p.explained, n: p.n },
    ...(options.meta ?? {}),
  };
  const all = new Float64Array(p.dim + p.k + p.k * p.dim);
  all.set(p.mean);
  all.set(p.eigenvalues, p.dim);
  all.set(p.components, p.dim + p.k);
  const bytes = new Uint8Array(all.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < all.length; i++) view.setFloat64(i * 8, all[i]!, true);
  await replaceFolder(
    dir,
    async (tmp) => {
      await fs.writeFile(path.join(tmp, PARAMS), bytes);
      await fs.writeFile(path.join(tmp, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
    },
    { overwrite: options.overwrite ?? false, ...(options.keep ? { keep: options.keep } : {}) },
  );
}

/**
 * Reads a folder written by {@link writePcaGaussian}: the config and the parameters. Node only.
 *
 * @throws InputError naming the file when the folder is not a pca-gaussian model or is damaged
 */
export async function readPcaGaussian(location: string): Promise<{ config: PcaGaussianConfig; params: PpcaParams }> {
  const dir = await resolveFolder(location);
  const cfg = await readModelConfig(dir);
  const where = path.join(dir, 'config.json');
  if (cfg.kind !== PCA_GAUSSIAN_KIND) throw new InputError(`model kind '${String(cfg.kind)}' is not '${PCA_GAUSSIAN_KIND}'`, { source: where });
  if (cfg.formatVersion !== MODEL_FORMAT_VERSION) throw new InputError(`unsupported formatVersion ${String(cfg.formatVersion)} (this release reads ${MODEL_FORMAT_VERSION})`, { source: where });
  const config = cfg.config as PcaGaussianConfig | undefined;
  const fit = cfg.ppca as { dim?: unknown; k?: unknown; sigma2?: unknown; explained?: unknown; n?: unknown } | undefined;
  const int = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : null);
  const dim = int(fit?.dim);
  const k = int(fit?.k);
  if (!config || typeof config.segLen !== 'number' || dim === null || k === null || typeof fit?.sigma2 !== 'number' || !(fit.sigma2 > 0)) {
    throw new InputError('config.json lacks config.segLen or ppca { dim, k, sigma2 }', { source: where });
  }
  // The declared segment shape must be the one the parameters were fitted on (D = C · T · V).
  let input;
  try {
    input = poseSegmentInput(config);
  } catch (e) {
    throw new InputError(`config: ${(e as Error).message}`, { source: where, location: 'config.dims' });
  }
  const expected = input.channels * input.segLen * input.joints;
  if (dim !== expected) {
    throw new WeightsError(`config [${input.channels}, ${input.segLen}, ${input.joints}] (dims, segLen, layout) needs D = ${expected}, the fit has D = ${dim}`, { source: where, location: 'config.segLen' });
  }
  if (k > dim) throw new WeightsError(`k = ${k} components exceed D = ${dim}`, { source: where, location: 'ppca.k' });
  const file = path.join(dir, PARAMS);
  const bytes = await fs.readFile(file).catch(() => {
    throw new InputError('missing', { source: file });
  });
  const count = dim + k + k * dim;
  if (bytes.length !== count * 8) throw new InputError(`expected ${count * 8} bytes (D = ${dim}, k = ${k}), got ${bytes.length}`, { source: file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    all[i] = view.getFloat64(i * 8, true);
    if (!Number.isFinite(all[i]!)) {
      const [name, j] = i < dim ? ['mean', i] : i < dim + k ? ['eigenvalues', i - dim] : ['components', i - dim - k];
      throw new WeightsError(`non-finite parameter ${name}[${j}] = ${all[i]}`, { source: file, location: name as string });
    }
  }
  const params: PpcaParams = {
    dim,
    k,
    mean: all.slice(0, dim),
    eigenvalues: all.slice(dim, dim + k),
    components: all.slice(dim + k),
    sigma2: fit.sigma2,
    explained: typeof fit.explained === 'number' ? fit.explained : NaN,
    n: typeof fit.n === 'number' ? fit.n : 0,
  };
  return { config, params };
}
