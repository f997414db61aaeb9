import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import type { ConditionerPlan, FusedPlanContext } from '@skelflow/fused';
import { affineCouplingKernel, type AffineCouplingPlan } from './kernels/affine_coupling_kernel.js';
import type { Bijector, ConditionerModule, ForwardResult, InverseResult } from './bijector.js';
import { conditionerOutput, conditioningChannels, type CouplingOptions } from './coupling_utils.js';
import { checkChannelsFirst, sliceChannels, splitChannels, sumPerSample } from './tensor_utils.js';

/**
 * How the conditioner's `2·C2` output channels split into shift and raw scale: `'cross'`
 * interleaves them (`shift = h[:, 0::2]`, `scale = h[:, 1::2]`, Glow's and STG-NF's
 * `split_feature(h, "cross")`); `'half'` takes the first C2 channels as shift, the rest as scale.
 */
export type AffineParamLayout = 'cross' | 'half';

/**
 * Map from the raw conditioner output s to a positive scale:
 * `'sigmoid2'`: sigmoid(s + 2) + 1e-6 (Glow, STG-NF: bounded in (0, 1], starts near 0.88, cannot
 * explode); `'exp'`: exp(s) (RealNVP); `'softclamp'`: exp(c · tanh(s / c)), log-scale bounded by ±c.
 */
export type AffineScaleFn = 'sigmoid2' | 'exp' | 'softclamp';

/** `'shiftThenScale'`: y2 = (x2 + shift) · scale (Glow, STG-NF); `'scaleThenShift'`: y2 = x2 · scale + shift (RealNVP). */
export type AffineOrder = 'shiftThenScale' | 'scaleThenShift';

/** Options of {@link AffineCoupling}. */
export interface AffineCouplingOptions extends CouplingOptions {
  /** Default `'cross'`. */
  paramLayout?: AffineParamLayout;
  /** Default `'sigmoid2'`. */
  scaleFn?: AffineScaleFn;
  /** The bound c of `'softclamp'`; default 2. */
  softclampBound?: number;
  /** Default `'shiftThenScale'`. */
  order?: AffineOrder;
}

/**
 * Affine coupling: `y1 = x1` and `y2` an elementwise affine map of `x2` whose shift and scale
 * come from `net(x1, context)` (`x1 = x[:, :C1]`, `x2 = x[:, C1:]`). The Jacobian is triangular,
 * so log|det| = Σ log(scale) over all non-batch dims, and the inverse needs only one conditioner
 * call. The conditioner returns `[B, 2·(C − C1), ...rest]` and is registered as the child `net`.
 *
 * The defaults reproduce STG-NF's (and Glow's) coupling exactly: `h = net(x1)`,
 * `shift, s = h[:, 0::2], h[:, 1::2]`, `scale = sigmoid(s + 2) + 1e-6`, `y2 = (x2 + shift)·scale`.
 *
 * References: Dinh, Sohl-Dickstein & Bengio, "Density estimation using Real NVP", ICLR 2017;
 * Kingma & Dhariwal, "Glow", NeurIPS 2018; Hirschorn & Avidan, "Normalizing Flows for Human Pose
 * Anomaly Detection" (STG-NF), ICCV 2023 (`FlowStep`, `flow_coupling="affine"`).
 *
 * @param net - the conditioner (any {@link ConditionerModule}, e.g. an ST-GCN block).
 * @param options - {@link AffineCouplingOptions}.
 * @example
 * ```ts
 * const coupling = new AffineCoupling(net); // net: [B, 1, T, V] → [B, 2, T, V]
 * const { y, logDet } = coupling.forward(x); // x: [B, 2, T, V]
 * const { x: back } = coupling.inverse(y);
 * ```
 */
export class AffineCoupling extends Module implements Bijector {
  readonly net: ConditionerModule;
  readonly split: number | undefined;
  readonly paramLayout: AffineParamLayout;
  readonly scaleFn: AffineScaleFn;
  readonly softclampBound: number;
  readonly order: AffineOrder;

  constructor(net: ConditionerModule, options: AffineCouplingOptions = {}) {
    super();
    this.net = this.addModule('net', net);
    this.split = options.split;
    this.paramLayout = options.paramLayout ?? 'cross';
    this.scaleFn = options.scaleFn ?? 'sigmoid2';
    this.softclampBound = options.softclampBound ?? 2;
    this.order = options.order ?? 'shiftThenScale';
    const source = 'AffineCoupling';
    if (!['cross', 'half'].includes(this.paramLayout)) throw new InputError(`unknown paramLayout '${this.paramLayout}'`, { source });
    if (!['sigmoid2', 'exp', 'softclamp'].includes(this.scaleFn)) throw new InputError(`unknown scaleFn '${this.scaleFn}'`, { source });
    if (!['shiftThenScale', 'scaleThenShift'].includes(this.order)) throw new InputError(`unknown order '${this.order}'`, { source });
    if (!(this.softclampBound > 0)) {
      throw new InputError(`softclampBound must be positive, got ${this.softclampBound}`, { source });
    }
  }

  forward(x: tf.Tensor, context?: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'AffineCoupling');
    const c1 = conditioningChannels(x.shape[1]!, this.split, 'AffineCoupling');
    return tf.tidy(() => {
      const [x1, x2] = splitChannels(x, c1);
      const { shift, scale, logScale } = this.shiftAndScale(x1, x2.shape[1]!, context);
      const y2 = this.order === 'shiftThenScale' ? tf.mul(tf.add(x2, shift), scale) : tf.add(tf.mul(x2, scale), shift);
      return { y: tf.concat([x1, y2], 1), logDet: sumPerSample(logScale) };
    });
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'AffineCoupling');
    const c1 = conditioningChannels(y.shape[1]!, this.split, 'AffineCoupling');
    return tf.tidy(() => {
      const [y1, y2] = splitChannels(y, c1);
      const { shift, scale, logScale } = this.shiftAndScale(y1, y2.shape[1]!, context);
      const x2 = this.order === 'shiftThenScale' ? tf.sub(tf.div(y2, scale), shift) : tf.div(tf.sub(y2, shift), scale);
      return { x: tf.concat([y1, x2], 1), logDet: tf.neg(sumPerSample(logScale)) };
    });
  }

  private shiftAndScale(x1: tf.Tensor, c2: number, context?: tf.Tensor): { shift: tf.Tensor; scale: tf.Tensor; logScale: tf.Tensor } {
    const h = conditionerOutput(this.net, x1, context, 2 * c2, 'AffineCoupling');
    let shift: tf.Tensor;
    let raw: tf.Tensor;
    if (this.paramLayout === 'cross') {
      // Strided channel slicing without gather (its gradient kernel is missing on wasm):
      // channel 2k + j of h lands at [k, j] of the reshaped [B, C2, 2, N].
      const [b] = h.shape as number[];
      const rest = h.shape.slice(2);
      const pairs = tf.reshape(h, [b!, c2, 2, -1]);
      shift = tf.reshape(tf.slice(pairs, [0, 0, 0, 0], [-1, -1, 1, -1]), [b!, c2, ...rest]);
      raw = tf.reshape(tf.slice(pairs, [0, 0, 1, 0], [-1, -1, 1, -1]), [b!, c2, ...rest]);
    } else {
      shift = sliceChannels(h, 0, c2);
      raw = sliceChannels(h, c2, c2);
    }
    switch (this.scaleFn) {
      case 'sigmoid2': {
        const scale = tf.add(tf.sigmoid(tf.add(raw, 2)), 1e-6);
        return { shift, scale, logScale: tf.log(scale) };
      }
      case 'exp':
        return { shift, scale: tf.exp(raw), logScale: raw };
      case 'softclamp': {
        const c = this.softclampBound;
        const logScale = tf.mul(tf.tanh(tf.div(raw, c)), c);
        return { shift, scale: tf.exp(logScale), logScale };
      }
    }
  }

  /**
   * The fused engine's description of this coupling (runs on {@link affineCouplingKernel}), with
   * its conditioner's own description (`net` must describe itself too, e.g. an ST-GCN block with a
   * uniform adjacency or a {@link ContextMlpConditioner}).
   */
  fusedPlan(ctx: FusedPlanContext): AffineCouplingPlan {
    const channels = ctx.eventShape[0]!;
    const c1 = this.split ?? Math.floor(channels / 2);
    const net = ctx.describe(this.net, 'net');
    if (Array.isArray(net) || typeof (net as Partial<ConditionerPlan>).cin !== 'number') return ctx.fail(`${this.net.constructor.name} is not a conditioner plan`);
    const cond = net as ConditionerPlan;
    if (cond.cin !== c1 || cond.cout !== 2 * (channels - c1)) {
      return ctx.fail(`conditioner maps ${cond.cin} → ${cond.cout} channels, the coupling needs ${c1} → ${2 * (channels - c1)}`);
    }
    return { kind: affineCouplingKernel.kind as 'affine', channels, c1, layout: this.paramLayout, scaleFn: this.scaleFn, bound: this.softclampBound, order: this.order, net: cond };
  }

}
