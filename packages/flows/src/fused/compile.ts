import type * as tf from '@tensorflow/tfjs-core';
import { isFusableConditioner, type FlowPlan, type FusedPlanContext, type LayerPlan, type PriorPlan } from '@skelflow/core';
import { ActNorm } from '../actnorm.js';
import { AffineCoupling } from '../affine_coupling.js';
import { Chain } from '../chain.js';
import type { NormalizingFlow } from '../flow.js';
import { DiagonalGaussianPrior } from '../priors/diagonal_gaussian_prior.js';
import { GmmPrior } from '../priors/gmm_prior.js';
import { ReverseChannels } from '../reverse_channels.js';
import { ShuffleChannels } from '../shuffle_channels.js';

/** Where each variable of a compiled flow lives in the flat vectors. */
export interface FusedLayout {
  plan: FlowPlan;
  /** Parameters in vector order, with their offsets. */
  params: { name: string; variable: tf.Variable; offset: number; size: number }[];
  /** Buffers in vector order, with their offsets. */
  buffers: { name: string; variable: tf.Variable; offset: number; size: number }[];
}

/** Result of {@link compileFlow}: a layout, or the reason the flow has no fused kernels. */
export type CompileResult = { ok: true; layout: FusedLayout } | { ok: false; reason: string };

/**
 * Describes `flow` for the fused engine when every part of it has a typed-array kernel: a
 * {@link Chain} (nested chains are flattened) of {@link ActNorm}, {@link ReverseChannels},
 * {@link ShuffleChannels} and {@link AffineCoupling} layers whose conditioner implements
 * `FusableConditioner` (e.g. an ST-GCN block with a uniform adjacency), over a {@link GmmPrior}
 * or a fixed {@link DiagonalGaussianPrior}, on events `[C, T, V]`. Otherwise says which part has no
 * kernel, so callers fall back to the tensor path.
 */
export function compileFlow(flow: NormalizingFlow, eventShape: readonly number[]): CompileResult {
  if (eventShape.length !== 3) return { ok: false, reason: `events must be [C, T, V], got [${eventShape}]` };
  const [channels, frames, joints] = eventShape as [number, number, number];
  const params = flow.namedParameters().map(([name, variable]) => ({ name, variable, offset: 0, size: variable.size }));
  const buffers = flow.namedBuffers().map(([name, variable]) => ({ name, variable, offset: 0, size: variable.size }));
  const paramAt = new Map<tf.Variable, number>();
  const bufferAt = new Map<tf.Variable, number>();
  let n = 0;
  for (const p of params) {
    p.offset = n;
    paramAt.set(p.variable, n);
    n += p.size;
  }
  let m = 0;
  for (const b of buffers) {
    b.offset = m;
    bufferAt.set(b.variable, m);
    m += b.size;
  }
  const missing = (what: string): never => {
    throw new CompileFailure(`${what} is not a registered variable of the flow`);
  };
  const ctx: FusedPlanContext = {
    param: (v) => paramAt.get(v) ?? missing(`parameter ${v.name}`),
    buffer: (v) => bufferAt.get(v) ?? missing(`buffer ${v.name}`),
  };
  try {
    const layers: LayerPlan[] = [];
    const visit = (b: unknown, path: string): void => {
      if (b instanceof Chain) {
        b.steps.forEach((s, i) => visit(s, `${path}.${i}`));
      } else if (b instanceof ActNorm) {
        layers.push({ kind: 'actnorm', channels: b.channels, bias: ctx.param(b.bias), logs: ctx.param(b.logs), initialized: ctx.buffer(b.initialized), scale: b.scale });
      } else if (b instanceof ReverseChannels) {
        layers.push({ kind: 'permute', channels, perm: Array.from({ length: channels }, (_, i) => channels - 1 - i), permBuffer: -1 });
      } else if (b instanceof ShuffleChannels) {
        layers.push({ kind: 'permute', channels, perm: [], permBuffer: ctx.buffer(b.permutation) });
      } else if (b instanceof AffineCoupling) {
        const c1 = b.split ?? Math.floor(channels / 2);
        if (!isFusableConditioner(b.net)) throw new CompileFailure(`${path}: conditioner ${b.net.constructor.name} has no fused kernel`);
        const net = b.net.fusedPlan(ctx);
        if (!net) throw new CompileFailure(`${path}: conditioner ${b.net.constructor.name} has no fused kernel in this configuration`);
        if (net.cin !== c1 || net.cout !== 2 * (channels - c1)) {
          throw new CompileFailure(`${path}: conditioner maps ${net.cin} → ${net.cout} channels, the coupling needs ${c1} → ${2 * (channels - c1)}`);
        }
        layers.push({ kind: 'affine', channels, c1, layout: b.paramLayout, scaleFn: b.scaleFn, bound: b.softclampBound, order: b.order, net });
      } else {
        throw new CompileFailure(`${path}: ${(b as object).constructor.name} has no fused kernel`);
      }
    };
    visit(flow.transform, 'transform');
    const prior = flow.prior;
    let priorPlan: PriorPlan;
    if (prior instanceof GmmPrior) {
      priorPlan = { kind: 'gmm', radius: ctx.buffer(prior.radius), varianceEps: prior.varianceEps };
    } else if (prior instanceof DiagonalGaussianPrior) {
      const event = channels * frames * joints;
      const okSize = (v: tf.Variable): boolean => v.size === 1 || (v.size === event && v.rank === 3);
      if (!bufferAt.has(prior.mean) || !bufferAt.has(prior.logStd)) throw new CompileFailure('a learnable DiagonalGaussianPrior has no fused kernel');
      if (!okSize(prior.mean) || !okSize(prior.logStd)) throw new CompileFailure('DiagonalGaussianPrior mean/logStd must be scalars or full [C, T, V]');
      priorPlan = {
        kind: 'diagonal',
        mean: ctx.buffer(prior.mean),
        meanSize: prior.mean.size,
        logStd: ctx.buffer(prior.logStd),
        logStdSize: prior.logStd.size,
        varianceEps: prior.varianceEps,
      };
    } else {
      throw new CompileFailure(`prior ${prior.constructor.name} has no fused kernel`);
    }
    return { ok: true, layout: { plan: { channels, frames, joints, layers, prior: priorPlan, paramCount: n, bufferCount: m }, params, buffers } };
  } catch (e) {
    if (e instanceof CompileFailure) return { ok: false, reason: e.message };
    throw e;
  }
}

class CompileFailure extends Error {}
