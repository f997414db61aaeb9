import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '@skelflow/base';
import { checkpointFromObject, checkpointFromTorch, parseCheckpointJson, type CheckpointJson } from '@skelflow/core';
import { isTorchZip, readTorchCheckpoint } from '@skelflow/torchfile';
import { stgcnKeyFromTorch } from '@skelflow/graph';
import { StgNf } from './model.js';
import type { StgNfConfig } from './config.js';

const STEP = /^flow\.layers\.(\d+)\.(actnorm\.(bias|logs)|block\.0\.(.+))$/;

/**
 * The `@skelflow` state name of a key of the original's PyTorch `state_dict`, or null for keys that
 * have no counterpart (`prior_h*`: the prior is rebuilt from R). Conv and ActNorm tensors only
 * differ by unit axes, so the data can be copied as is.
 *
 * @example
 * ```ts
 * stgNfNameFromTorch('flow.layers.3.block.0.tcn.2.weight'); // 'flow.transform.3.2.net.tcnConv.weight'
 * ```
 */
export function stgNfNameFromTorch(key: string): string | null {
  const m = STEP.exec(key);
  if (!m) return null;
  const k = m[1]!;
  if (m[3]) return `flow.transform.${k}.0.${m[3]}`;
  const inner = stgcnKeyFromTorch(m[4]!);
  return inner ? `flow.transform.${k}.2.net.${inner}` : null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The model configuration a released checkpoint was trained with, from the run's arguments
 * (`args.seg_len`, `K`, `R`, `L`, `temporal_kernel`, `adj_strategy`, `max_hops`,
 * `flow_permutation`, `model_hidden_dim`, `edge_importance`), checked against the state dict (its
 * flow steps, its prior buffers). A checkpoint without args (a bare state dict) falls back to what
 * the tensors say. Options the port does not implement are refused by name.
 *
 * @throws WeightsError when args and tensors disagree or an option is not supported.
 */
export function stgNfConfigFromCheckpoint(ckpt: CheckpointJson, source: string): StgNfConfig {
  const a = ckpt.args;
  const normal = ckpt.tensors.get('prior_h_normal');
  const steps = new Set([...ckpt.tensors.keys()].map((k) => STEP.exec(k)?.[1]).filter((x) => x !== undefined).map(Number));
  const segLen = num(a.seg_len) ?? normal?.shape[1];
  const K = num(a.K) ?? steps.size;
  // The prior's means: normal ~ N(+R, I), abnormal ~ N(−R, I); the first C channels of prior_h_*
  // hold the mean, the rest the log-std (0).
  const R = normal ? normal.data[0]! : (num(a.R) ?? 3);
  if (segLen === undefined || !Number.isInteger(segLen) || segLen < 2 || !Number.isInteger(K) || K < 1) {
    throw new WeightsError('cannot tell seg_len and the number of flow steps from this checkpoint', { source });
  }
  // The declared architecture must be the one the weights have.
  for (let k = 0; k < K; k++) if (!steps.has(k)) throw new WeightsError(`args.K = ${K} but flow step ${k} has no weights`, { source, location: `flow.layers.${k}` });
  for (const k of steps) if (k >= K) throw new WeightsError(`args.K = ${K} but the checkpoint has weights of flow step ${k}`, { source, location: `flow.layers.${k}` });
  if (normal && normal.shape[1] !== segLen) {
    throw new WeightsError(`args.seg_len = ${segLen} but the prior covers ${normal.shape[1]} frames`, { source, location: 'prior_h_normal' });
  }
  if (num(a.R) !== undefined && normal && Math.fround(a.R as number) !== R) {
    throw new WeightsError(`the prior's mean is ${R}, args.R = ${String(a.R)}`, { source, location: 'prior_h_normal' });
  }
  for (const [name, sign] of [['prior_h_normal', 1], ['prior_h_abnormal', -1]] as const) {
    const t = ckpt.tensors.get(name);
    if (!t) continue;
    const half = t.data.length / 2;
    for (let i = 0; i < t.data.length; i++) {
      const want = i < half ? Math.fround(sign * R) : 0;
      if (t.data[i] !== want) throw new WeightsError(`value ${t.data[i]} at index ${i}; an STG-NF prior holds ${sign * R} (means) then 0 (log-stds)`, { source, location: name });
    }
  }
  if (num(a.L) !== undefined && a.L !== 1) throw new WeightsError(`L = ${String(a.L)} flow levels are not supported (the original only runs L = 1)`, { source, location: 'args.L' });
  if (num(a.model_hidden_dim) !== undefined && a.model_hidden_dim !== 0) {
    throw new WeightsError(`model_hidden_dim ${String(a.model_hidden_dim)} (hidden ST-GCN blocks) is not supported`, { source, location: 'args.model_hidden_dim' });
  }
  if (a.edge_importance === true) throw new WeightsError('edge_importance is not supported', { source, location: 'args.edge_importance' });
  const perm = String(a.flow_permutation ?? 'permute');
  if (perm === 'invconv') {
    throw new WeightsError("checkpoints with flow_permutation 'invconv' (LU 1×1 convolutions) are not supported yet", { source, location: 'args.flow_permutation' });
  }
  const adj = a.adj_strategy;
  if (adj !== undefined && adj !== null && adj !== 'uniform' && adj !== 'distance' && adj !== 'spatial') {
    throw new WeightsError(`adj_strategy '${String(adj)}' is not one of uniform, distance, spatial`, { source, location: 'args.adj_strategy' });
  }
  const config: StgNfConfig = { segLen, K, R, permutation: 'reverse' };
  // The original maps every other flow_permutation ('permute', the released 'invcov' typo) to channel reversal;
  // None means the original's default (temporal kernel T//2 + 1, uniform adjacency, 8 hops).
  if (num(a.temporal_kernel) !== undefined) config.temporalKernel = a.temporal_kernel as number;
  if (typeof adj === 'string') config.adjStrategy = adj as StgNfConfig['adjStrategy'];
  if (num(a.max_hops) !== undefined) config.maxHops = a.max_hops as number;
  return config;
}

/**
 * A released checkpoint in any of the forms `stgNfFromCheckpoint` takes, as a {@link CheckpointJson}:
 * the bytes of the original `torch.save` file (`.tar`/`.pth`, read by `@skelflow/torchfile`) or of
 * its JSON export, the JSON text, or the parsed JSON object.
 */
export function stgNfCheckpoint(ckpt: CheckpointJson | string | Uint8Array | object, source = 'checkpoint'): CheckpointJson {
  if (typeof ckpt === 'string') return parseCheckpointJson(ckpt, source);
  if (ckpt instanceof Uint8Array) {
    // A torch file, or bytes named like one (readTorchCheckpoint then says what they are not).
    if (isTorchZip(ckpt) || ckpt[0] === 0x80 || /\.(tar|pth|pt)$/i.test(source)) return checkpointFromTorch(readTorchCheckpoint(ckpt, source), source);
    return parseCheckpointJson(new TextDecoder('utf-8').decode(ckpt), source);
  }
  const c = ckpt as Partial<CheckpointJson>;
  if (c.tensors instanceof Map && typeof c.args === 'object') return c as CheckpointJson;
  return checkpointFromObject(ckpt, source);
}

/**
 * Builds STG-NF from a released checkpoint: the original `torch.save` file's bytes (`.tar`,
 * `.pth`; no Python needed), its JSON export `{args, state_dict}` as text or parsed object, or a
 * {@link CheckpointJson}. The run's `args` configure the model ({@link stgNfConfigFromCheckpoint}). Every parameter and BatchNorm statistic is loaded, ActNorms are marked initialised
 * (the original does not save the flag) and the model is put in eval mode.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 — checkpoints ShanghaiTech_85_9,
 * UBnormal_unsupervised_71_8, UBnormal_supervised_79_2.
 *
 * @param ckpt - the `.tar` bytes, the JSON text, the parsed JSON, or a {@link CheckpointJson}.
 * @param source - the file name, for error messages.
 * @example
 * ```ts
 * const model = stgNfFromCheckpoint(fs.readFileSync('ShanghaiTech_85_9.json', 'utf8'), 'ShanghaiTech_85_9.json');
 * const scores = model.scoreSegments(segments); // −NLL per segment
 * const same = stgNfFromCheckpoint(new Uint8Array(await (await fetch('ShanghaiTech_85_9.tar')).arrayBuffer()), 'ShanghaiTech_85_9.tar');
 * ```
 */
export function stgNfFromCheckpoint(ckpt: CheckpointJson | string | Uint8Array | object, source = 'checkpoint'): StgNf {
  const parsed = stgNfCheckpoint(ckpt, source);
  const model = new StgNf({ ...stgNfConfigFromCheckpoint(parsed, source), seed: 0 });
  const own = model.stateDict();
  const state = new Map<string, tf.Tensor>();
  const provided = new Set<string>();
  try {
    for (const [key, t] of parsed.tensors) {
      const name = stgNfNameFromTorch(key);
      if (name === null) continue;
      const target = own.get(name);
      if (!target) throw new WeightsError('no matching tensor in the model', { source, location: key });
      // PyTorch's conv and ActNorm tensors differ from ours by unit axes only: the shapes without
      // them must be equal (a permuted layout with the same element count is refused).
      const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join('×');
      if (target.size !== t.data.length) {
        throw new WeightsError(`has ${t.data.length} values, the model expects ${target.size}`, { source, location: key });
      }
      if (squeeze(target.shape) !== squeeze(t.shape)) {
        throw new WeightsError(`shape [${t.shape}] does not fit the model's [${target.shape}] (unit axes aside)`, { source, location: key });
      }
      provided.add(name);
      state.set(name, tf.tensor(t.data, target.shape, 'float32'));
    }
    // Every learned tensor and statistic must come from the checkpoint (not the initialiser).
    for (const name of own.keys()) {
      if (provided.has(name) || /\.initialized$/.test(name) || name === 'flow.prior.radius') continue;
      const step = /^flow\.transform\.(\d+)\./.exec(name)?.[1];
      throw new WeightsError(`missing from the checkpoint (flow step ${step ?? '?'})`, { source, location: name });
    }
    // The original never saves ActNorm's initialised flag; loaded weights are initialised.
    for (let k = 0; k < model.config.K; k++) state.set(`flow.transform.${k}.0.initialized`, tf.scalar(1));
    state.set('flow.prior.radius', tf.scalar(model.config.R));
    model.loadStateDict(state, { source });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([...state.values()]);
  }
  return model.eval();
}

