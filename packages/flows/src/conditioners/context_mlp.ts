import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module, normalTensor } from '@skelflow/core';
import { addChannelBias, channelMatMul } from '@skelflow/nn';
import type { Fusable, FusedPlanContext } from '@skelflow/fused';
import type { Conditioner } from '../bijector.js';
import { contextMlpKernel, type ContextMlpPlan } from '../kernels/context_mlp_kernel.js';

/** Options of {@link ContextMlpConditioner}. */
export interface ContextMlpOptions {
  /** Hidden units; default 32. */
  hidden?: number;
  /** Values of the context per sample (its `[B, ...]` shape flattened); default 0 (no context). */
  contextSize?: number;
  /** Seeded initialisation; default `new Rng(0)`. */
  rng?: Rng;
  /**
   * Start the output layer at zero, so the coupling starts as the identity (Glow, RealNVP practice);
   * default false.
   */
  zeroInitOutput?: boolean;
}

/**
 * A one-hidden-layer ReLU MLP conditioner applied at every position, with an optional context:
 * `h = W₂·relu(W₁·x1 + U·c + b₁) + b₂`, where `x1` is `[B, Cin, ...rest]` and the context `c`
 * (`[B, K]`, or `[B, ...]` flattened to K) is added to the hidden layer of every position. On
 * vectors (`x1` `[B, Cin]`) this is the conditional MLP coupling network of NFlowAD-style flows; on
 * pose segments `[B, Cin, T, V]` it is a per-joint-frame network with a per-sample context.
 * Describes itself to the fused engine ({@link contextMlpKernel}), so conditional flows built on it
 * can be fused.
 *
 * References: Dinh et al., "Density estimation using Real NVP", ICLR 2017 (coupling networks);
 * Winkler et al., "Learning likelihoods with conditional normalizing flows", 2019 (context input).
 *
 * @param inChannels - conditioning channels Cin.
 * @param outChannels - output channels (2·C2 for an affine coupling).
 * @example
 * ```ts
 * const net = new ContextMlpConditioner(2, 4, { contextSize: 3, hidden: 16 });
 * const coupling = new AffineCoupling(net); // events [4]: x [B, 4], context [B, 3]
 * const { y, logDet } = coupling.forward(x, context);
 * ```
 */
export class ContextMlpConditioner extends Module implements Conditioner, Fusable {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly hidden: number;
  readonly contextSize: number;
  readonly w1: tf.Variable;
  readonly u1: tf.Variable | null;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable;

  constructor(inChannels: number, outChannels: number, options: ContextMlpOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.hidden = options.hidden ?? 32;
    this.contextSize = options.contextSize ?? 0;
    for (const [name, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['hidden', this.hidden]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new InputError(`${name} must be a positive integer, got ${v}`, { source: 'ContextMlpConditioner' });
    }
    if (!Number.isInteger(this.contextSize) || this.contextSize < 0) {
      throw new InputError(`contextSize must be a non-negative integer, got ${this.contextSize}`, { source: 'ContextMlpConditioner' });
    }
    const rng = options.rng ?? new Rng(0);
    // He-style scale on the ReLU layer, 1/√fan-in on the output.
    const fanIn = inChannels + this.contextSize;
    this.w1 = this.addParameter('w1', normalTensor(rng, [this.hidden, inChannels], 0, Math.sqrt(2 / fanIn)));
    this.u1 = this.contextSize > 0 ? this.addParameter('u1', normalTensor(rng, [this.hidden, this.contextSize], 0, Math.sqrt(2 / fanIn))) : null;
    this.b1 = this.addParameter('b1', tf.zeros([this.hidden]));
    this.w2 = this.addParameter('w2', options.zeroInitOutput ? tf.zeros([outChannels, this.hidden]) : normalTensor(rng, [outChannels, this.hidden], 0, 1 / Math.sqrt(this.hidden)));
    this.b2 = this.addParameter('b2', tf.zeros([outChannels]));
  }

  /** `[B, Cin, ...rest]` (and `[B, ...]` context) → `[B, Cout, ...rest]`. */
  call(x1: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    if (x1.rank < 2 || x1.shape[1] !== this.inChannels) {
      throw new ShapeError(`input must be [B, ${this.inChannels}, ...], got [${x1.shape}]`, { source: 'ContextMlpConditioner' });
    }
    const B = x1.shape[0]!;
    if (this.contextSize > 0) {
      if (!context) throw new InputError(`a context of ${this.contextSize} values per sample is required`, { source: 'ContextMlpConditioner', location: 'context' });
      if (context.shape[0] !== B || context.size !== B * this.contextSize) {
        throw new ShapeError(`context must be [${B}, ...] with ${this.contextSize} values per sample, got [${context.shape}]`, { source: 'ContextMlpConditioner' });
      }
    }
    return tf.tidy(() => {
      let bias: tf.Tensor = tf.reshape(this.b1, [1, this.hidden]);
      if (this.u1 && context) bias = tf.add(bias, tf.matMul(tf.reshape(context, [B, this.contextSize]), this.u1, false, true));
      // Per-sample hidden bias [B, H, 1, …], broadcast over the positions.
      const pre = tf.add(channelMatMul(x1, this.w1), tf.reshape(bias, [bias.shape[0]!, this.hidden, ...x1.shape.slice(2).map(() => 1)]));
      return addChannelBias(channelMatMul(tf.relu(pre), this.w2), this.b2);
    });
  }

  /** The fused engine's description (runs on {@link contextMlpKernel}); fails when the flow's context size differs. */
  fusedPlan(ctx: FusedPlanContext): ContextMlpPlan {
    if (ctx.contextSize !== this.contextSize) {
      return ctx.fail(`the conditioner takes ${this.contextSize} context values per sample, the flow is compiled with ${ctx.contextSize}`);
    }
    return {
      kind: contextMlpKernel.kind as 'context-mlp',
      cin: this.inChannels,
      cout: this.outChannels,
      hidden: this.hidden,
      contextSize: this.contextSize,
      w1: ctx.param(this.w1),
      u1: this.u1 ? ctx.param(this.u1) : -1,
      b1: ctx.param(this.b1),
      w2: ctx.param(this.w2),
      b2: ctx.param(this.b2),
    };
  }
}
