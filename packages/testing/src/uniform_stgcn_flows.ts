import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { ActNorm, AffineCoupling, Chain, DiagonalGaussianPrior, ClassConditionalGaussianPrior, NormalizingFlow, ReverseChannels, ShuffleChannels, type AffineCouplingOptions, type BijectorModule, type PriorModule } from '@skelflow/flows';
import { StgcnBlock } from '@skelflow/graph';

// Test flows over [C, T, V] with uniform-adjacency ST-GCN conditioners (the fused engine's
// ST-GCN kernel and STG-NF's fast path run them), shared by graph's and stg-nf's fused tests.

/** A three-step flow whose steps exercise one kernel branch each. */
export interface UniformStgcnVariant {
  name: string;
  channels: number;
  split?: number;
  coupling: AffineCouplingOptions;
  permutation: 'reverse' | 'shuffle';
  /** Residual of steps 2 and 3 (the first step has none when this is 'conv', as STG-NF). */
  residual: 'none' | 'identity' | 'conv';
  finalActivation: 'relu' | 'none';
  /** a_k of each adjacency partition (`A[k] = a_k/V · 11ᵀ`). */
  partitions: number[];
  prior: 'gmm' | 'diagonal';
  /** Temporal kernel; default 3. */
  temporalKernel?: number;
  /** Context channels Cc of every conditioner (MSG-Flow's `[B, Cc, T, 1]` context); their zero-initialised projections are randomised here. */
  contextChannels?: number;
}

/** The flow of `v` over `[v.channels, T, V]`; the same seed gives the same weights. */
export function uniformStgcnFlow(v: UniformStgcnVariant, seed: number, T: number, V: number): NormalizingFlow {
  const rng = new Rng(seed);
  const adjacency = v.partitions.map((a) => Array.from({ length: V }, () => Array.from({ length: V }, () => a / V)));
  const c1 = v.split ?? Math.floor(v.channels / 2);
  const steps: BijectorModule[] = [];
  for (let k = 0; k < 3; k++) {
    const net = new StgcnBlock(c1, 2 * (v.channels - c1), adjacency, {
      temporalKernel: v.temporalKernel ?? 3,
      residual: k === 0 && v.residual === 'conv' ? 'none' : v.residual,
      finalActivation: v.finalActivation,
      ...(v.contextChannels ? { contextChannels: v.contextChannels } : {}),
      rng: rng.fork(),
    });
    for (const w of [net.ctxGcn, net.ctxRes]) if (w) tf.tidy(() => w.assign(tf.mul(normalTensor(rng, w.shape), 0.5)));
    steps.push(
      new Chain([
        new ActNorm(v.channels),
        v.permutation === 'reverse' ? new ReverseChannels() : new ShuffleChannels(v.channels, rng.fork().seed),
        new AffineCoupling(net, { ...(v.split ? { split: v.split } : {}), ...v.coupling }),
      ]),
    );
  }
  const event = [v.channels, T, V];
  let prior: PriorModule;
  if (v.prior === 'gmm') prior = new ClassConditionalGaussianPrior(event, { radius: 1.5, varianceEps: 1e-6 });
  else {
    // The prior clones its statistics.
    const [mean, logStd] = [tf.scalar(0.3), tf.tidy(() => tf.mul(normalTensor(rng, event), 0.1))];
    prior = new DiagonalGaussianPrior(event, { mean, logStd, varianceEps: 1e-6 });
    tf.dispose([mean, logStd]);
  }
  return new NormalizingFlow(new Chain(steps), prior);
}

/** Four variants that together take every branch of the generic kernels (STG-NF's layout first). */
export const BRANCH_VARIANTS: UniformStgcnVariant[] = [
  { name: 'STG-NF layout', channels: 2, coupling: {}, permutation: 'reverse', residual: 'conv', finalActivation: 'relu', partitions: [1], prior: 'gmm' },
  {
    name: 'half layout, exp scale, scale then shift, shuffle, 2 partitions, diagonal prior',
    channels: 4,
    coupling: { paramLayout: 'half', scaleFn: 'exp', order: 'scaleThenShift' },
    permutation: 'shuffle',
    residual: 'conv',
    finalActivation: 'none',
    partitions: [1, 0.5],
    prior: 'diagonal',
  },
  {
    name: 'soft-clamp scale, identity residual (3 channels, split 2)',
    channels: 3,
    split: 2,
    coupling: { scaleFn: 'softclamp', softclampBound: 1.5 },
    permutation: 'shuffle',
    residual: 'identity',
    finalActivation: 'relu',
    partitions: [2],
    prior: 'gmm',
  },
  { name: 'no residual, sigmoid2 on 4 channels', channels: 4, coupling: {}, permutation: 'reverse', residual: 'none', finalActivation: 'none', partitions: [1], prior: 'gmm' },
];

/** Variants with a per-frame context in every conditioner (MSG-Flow's token context). */
export const CONTEXT_VARIANTS: UniformStgcnVariant[] = [
  { ...BRANCH_VARIANTS[0]!, name: 'STG-NF layout with a 3-channel context', contextChannels: 3 },
  { ...BRANCH_VARIANTS[1]!, name: 'half layout, exp scale, 2 partitions, diagonal prior, 2-channel context', contextChannels: 2 },
];
