import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '@skelflow/base';
import { parseCheckpointJson, type CheckpointJson } from '@skelflow/core';
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

/** The model configuration a released checkpoint was trained with (from its args and prior). */
export function stgNfConfigFromCheckpoint(ckpt: CheckpointJson, source: string): StgNfConfig {
  const normal = ckpt.tensors.get('prior_h_normal');
  const segLen = Number(ckpt.args.seg_len ?? normal?.shape[1]);
  // The prior's means: normal ~ N(+R, I), abnormal ~ N(−R, I); the first C channels of prior_h_*
  // hold the mean, the rest the log-std (0).
  const R = normal ? normal.data[0]! : Number(ckpt.args.R ?? 3);
  const steps = new Set([...ckpt.tensors.keys()].map((k) => STEP.exec(k)?.[1]).filter((x) => x !== undefined).map(Number));
  const K = ckpt.args.K !== undefined ? Number(ckpt.args.K) : steps.size;
  if (!Number.isInteger(segLen) || segLen < 2 || !Number.isInteger(K) || K < 1) {
    throw new WeightsError('cannot tell seg_len and the number of flow steps from this checkpoint', { source });
  }
  // The declared architecture must be the one the weights have.
  for (let k = 0; k < K; k++) if (!steps.has(k)) throw new WeightsError(`args.K = ${K} but flow step ${k} has no weights`, { source, location: `flow.layers.${k}` });
  for (const k of steps) if (k >= K) throw new WeightsError(`args.K = ${K} but the checkpoint has weights of flow step ${k}`, { source, location: `flow.layers.${k}` });
  if (normal && normal.shape[1] !== segLen) {
    throw new WeightsError(`args.seg_len = ${segLen} but the prior covers ${normal.shape[1]} frames`, { source, location: 'prior_h_normal' });
  }
  if (ckpt.args.R !== undefined && normal && Math.fround(Number(ckpt.args.R)) !== R) {
    throw new WeightsError(`the prior's mean is ${R}, args.R = ${String(ckpt.args.R)}`, { source, location: 'prior_h_normal' });
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
  const perm = String(ckpt.args.flow_permutation ?? 'permute');
  if (perm === 'invconv') {
    throw new WeightsError("checkpoints with flow_permutation 'invconv' (LU 1×1 convolutions) are not supported yet", { source });
  }
  // The original maps every other value ('permute', the released 'invcov' typo) to channel reversal.
  return { segLen, K, R, permutation: 'reverse' };
}

/**
 * Builds STG-NF from a released checkpoint (the JSON export `{args, state_dict}` of the original's
 * `.pth.tar`). Every parameter and BatchNorm statistic is loaded, ActNorms are marked initialised
 * (the original does not save the flag) and the model is put in eval mode.
 *
 * References: Hirschorn & Avidan, STG-NF, ICCV 2023 — checkpoints ShanghaiTech_85_9,
 * UBnormal_unsupervised_71_8, UBnormal_supervised_79_2.
 *
 * @param ckpt - a parsed checkpoint, or its JSON text.
 * @param source - the file name, for error messages.
 * @example
 * ```ts
 * const model = stgNfFromCheckpoint(fs.readFileSync('ShanghaiTech_85_9.json', 'utf8'), 'ShanghaiTech_85_9.json');
 * const scores = model.scoreSegments(segments); // −NLL per segment
 * ```
 */
export function stgNfFromCheckpoint(ckpt: CheckpointJson | string, source = 'checkpoint'): StgNf {
  const parsed = typeof ckpt === 'string' ? parseCheckpointJson(ckpt, source) : ckpt;
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

