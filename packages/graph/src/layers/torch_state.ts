import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '@skelflow/base';

const MODULES: readonly [string, string][] = [
  ['gcn.conv.', 'gcn.'],
  ['tcn.0.', 'tcnBn1.'],
  ['tcn.2.', 'tcnConv.'],
  ['tcn.3.', 'tcnBn2.'],
  ['residual.0.', 'resConv.'],
  ['residual.1.', 'resBn.'],
];
const LEAVES: Readonly<Record<string, string>> = {
  weight: 'weight',
  bias: 'bias',
  running_mean: 'runningMean',
  running_var: 'runningVar',
  num_batches_tracked: 'numBatchesTracked',
};

/**
 * Name of an {@link StgcnBlock} member for a key of a PyTorch `st_gcn` state dict
 * (`tcn.0.running_mean` → `tcnBn1.runningMean`), or null if the key is not one of them.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 (`models/STG_NF/stgcn.py`); Yan et al.,
 * ST-GCN, AAAI 2018.
 *
 * @param key - a key relative to the block (no model prefix).
 * @example
 * ```ts
 * stgcnKeyFromTorch('gcn.conv.weight'); // 'gcn.weight'
 * ```
 */
export function stgcnKeyFromTorch(key: string): string | null {
  for (const [torch, ours] of MODULES) {
    if (!key.startsWith(torch)) continue;
    const leaf = LEAVES[key.slice(torch.length)];
    const isConv = ours === 'gcn.' || ours === 'tcnConv.' || ours === 'resConv.';
    if (!leaf || (isConv && leaf !== 'weight' && leaf !== 'bias')) return null;
    return ours + leaf;
  }
  return null;
}

/**
 * Converts the entries of a PyTorch `st_gcn` state dict to what `StgcnBlock.loadStateDict`
 * expects: names via {@link stgcnKeyFromTorch}, conv weights squeezed
 * (`[O, I, 1, 1]` → `[O, I]`, `[O, I, Kt, 1]` → `[O, I, Kt]`). The adjacency is not in a PyTorch
 * checkpoint and is not needed: the block rebuilds it.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023; Yan et al., ST-GCN, AAAI 2018.
 *
 * @param state - tensors by PyTorch name (already converted from the checkpoint).
 * @param prefix - only keys starting with it are taken, with it stripped
 *   (e.g. `'flow.layers.0.coupling.block.'`); default `''`.
 * @returns new tensors by skelflow name; the caller disposes them.
 * @throws WeightsError for a key under `prefix` that is not an `st_gcn` member, or a conv weight
 *   with non-unit trailing axes.
 * @example
 * ```ts
 * const mine = stgcnStateFromTorch(torchTensors, 'flow.layers.3.coupling.block.');
 * block.loadStateDict(mine);
 * mine.forEach((t) => t.dispose());
 * ```
 */
export function stgcnStateFromTorch(state: Map<string, tf.Tensor> | Record<string, tf.Tensor>, prefix = ''): Map<string, tf.Tensor> {
  const entries = state instanceof Map ? [...state] : Object.entries(state);
  const out = new Map<string, tf.Tensor>();
  for (const [key, t] of entries) {
    if (!key.startsWith(prefix)) continue;
    const rel = key.slice(prefix.length);
    const name = stgcnKeyFromTorch(rel);
    if (!name) throw new WeightsError(`'${rel}' is not a member of an st_gcn block`, { source: 'stgcnStateFromTorch', location: key });
    let shape = t.shape;
    if (name === 'gcn.weight' || name === 'resConv.weight') shape = squeezeTrailing(t, 2, key);
    else if (name === 'tcnConv.weight') shape = squeezeTrailing(t, 3, key);
    out.set(name, tf.reshape(t, shape));
  }
  return out;
}

function squeezeTrailing(t: tf.Tensor, keep: number, key: string): number[] {
  if (t.rank === keep) return t.shape;
  if (t.rank !== 4 || t.shape.slice(keep).some((d) => d !== 1)) {
    throw new WeightsError(`conv weight [${t.shape}] should be rank ${keep} plus unit axes up to rank 4`, { source: 'stgcnStateFromTorch', location: key });
  }
  return t.shape.slice(0, keep);
}
