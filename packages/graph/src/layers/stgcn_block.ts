import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm, batchNormPlan, channelMatMul, PointwiseConv, TemporalConv } from '@skelflow/nn';
import { InputError, ShapeError } from '@skelflow/base';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import type { Fusable, FusedPlanContext } from '@skelflow/fused';
import { stgcnUniformKernel, type StgcnUniformPlan } from './stgcn_block_kernel.js';
import { GraphConv, type AdjacencyInput } from './graph_conv.js';

/**
 * Residual branch of {@link StgcnBlock}: `'none'` (STG-NF's first flow step), `'identity'`
 * (Cin = Cout), `'conv'` (1×1 conv + BatchNorm).
 */
export type ResidualKind = 'none' | 'identity' | 'conv';

/** Options of {@link StgcnBlock}. */
export interface StgcnBlockOptions extends InitOptions {
  /** Temporal kernel Kt, odd; default 9 (ST-GCN's). STG-NF uses `T//2 + 1` (13 for T = 24). */
  temporalKernel?: number;
  /**
   * Residual branch. `true` (default) follows ST-GCN's `residual=True` rule: identity when
   * Cin = Cout, else conv. `false` is `'none'`.
   */
  residual?: ResidualKind | boolean;
  /** Activation after the residual sum; default `'relu'` as the original. */
  finalActivation?: 'relu' | 'none';
  /** BatchNorm epsilon; default 1e-5 (PyTorch's). */
  bnEps?: number;
  /** BatchNorm momentum; default 0.1 (PyTorch's). */
  bnMomentum?: number;
  /** Forwarded to {@link GraphConv}; default true. */
  fastPath?: boolean;
  /**
   * Channels Cc of a per-frame context `[B, Cc, T, 1]` (broadcast over joints) that
   * {@link StgcnBlock.call} takes as its second argument; default 0 (no context). The context
   * enters through two bias-free 1×1 projections initialised to zero, added to the graph-conv
   * output (before `tcnBn1`) and to the residual 1×1 conv (before `resBn`): the same as
   * concatenating it to the input channels when the adjacency is uniform (every joint sees the
   * same context), and exactly the unconditional block until they are trained.
   */
  contextChannels?: number;
}

/**
 * One spatial-temporal graph convolution block (STG-NF's and ST-GCN's `st_gcn`), on
 * `[B, Cin, T, V]` → `[B, Cout, T, V]`:
 * `act(tcnBn2(tcnConv(relu(tcnBn1(gcn(x))))) + res(x))`, `res` per {@link ResidualKind}.
 * Stride 1 only; ST-GCN's dropout (0 in STG-NF) is omitted.
 *
 * Members, in registration order, with the PyTorch names they correspond to:
 * | skelflow | PyTorch `st_gcn` | shape / kind |
 * | --- | --- | --- |
 * | `gcn.weight` | `gcn.conv.weight` | `[Cout·K, Cin]` ← `[Cout·K, Cin, 1, 1]` |
 * | `gcn.bias` | `gcn.conv.bias` | `[Cout·K]` |
 * | `tcnBn1.{weight,bias,runningMean,runningVar,numBatchesTracked}` | `tcn.0.{weight,bias,running_mean,running_var,num_batches_tracked}` | BatchNorm(Cout) |
 * | `tcnConv.weight` | `tcn.2.weight` | `[Cout, Cout, Kt]` ← `[Cout, Cout, Kt, 1]` |
 * | `tcnConv.bias` | `tcn.2.bias` | `[Cout]` |
 * | `tcnBn2.*` | `tcn.3.*` | BatchNorm(Cout) |
 * | `resConv.weight` / `resConv.bias` | `residual.0.weight` / `.bias` | `[Cout, Cin]` ← `[Cout, Cin, 1, 1]`, `[Cout]` (conv only) |
 * | `resBn.*` | `residual.1.*` | BatchNorm(Cout) (conv only) |
 *
 * | `ctxGcn` | — (MSG-Flow context, `contextChannels` > 0) | `[Cout, Cc]`, zeros |
 * | `ctxRes` | — (MSG-Flow context, conv residual) | `[Cout, Cc]`, zeros |
 *
 * The adjacency lives in `gcn.A`, outside the state dict (see {@link GraphConv}), so
 * `stateDict()` holds exactly the trainable parameters and BatchNorm statistics;
 * {@link stgcnStateFromTorch} renames and reshapes a PyTorch state dict for `loadStateDict`.
 * Initialisation is drawn from forks of one stream in the order gcn, tcnConv, resConv, so the
 * gcn and tcn weights for a seed do not depend on the residual kind.
 *
 * References: Yan et al., ST-GCN, AAAI 2018 (`net/st_gcn.py`); Hirschorn & Avidan, STG-NF,
 * ICCV 2023 (`models/STG_NF/stgcn.py`).
 *
 * @param inChannels - Cin.
 * @param outChannels - Cout.
 * @param adjacency - `[K, V, V]` partitions ({@link AdjacencyInput}).
 * @param options - {@link StgcnBlockOptions}.
 * @example
 * ```ts
 * const A = new SkeletonGraph('openpose18', { strategy: 'uniform', maxHop: 8 });
 * const block = new StgcnBlock(1, 2, A, { temporalKernel: 13, residual: 'conv', seed: 0 });
 * const h = block.call(tf.randomNormal([8, 1, 24, 18])); // [8, 2, 24, 18], ≥ 0
 * ```
 */
export class StgcnBlock extends Module implements Fusable {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly temporalKernel: number;
  readonly residual: ResidualKind;
  readonly finalActivation: 'relu' | 'none';
  readonly gcn: GraphConv;
  readonly tcnBn1: BatchNorm;
  readonly tcnConv: TemporalConv;
  readonly tcnBn2: BatchNorm;
  readonly resConv: PointwiseConv | null;
  readonly resBn: BatchNorm | null;
  readonly contextChannels: number;
  /** `[Cout, Cc]` projection of the context into the graph-conv output, or null without context. */
  readonly ctxGcn: tf.Variable | null;
  /** `[Cout, Cc]` projection of the context into the residual conv output (conv residual only). */
  readonly ctxRes: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, adjacency: AdjacencyInput, options: StgcnBlockOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.temporalKernel = options.temporalKernel ?? 9;
    this.finalActivation = options.finalActivation ?? 'relu';
    const r = options.residual ?? true;
    this.residual = r === true ? (inChannels === outChannels ? 'identity' : 'conv') : r === false ? 'none' : r;
    if (!['none', 'identity', 'conv'].includes(this.residual)) {
      throw new InputError(`unknown residual '${String(this.residual)}' (none, identity, conv)`, { source: 'StgcnBlock' });
    }
    if (this.residual === 'identity' && inChannels !== outChannels) {
      throw new ShapeError(`identity residual needs Cin = Cout, got ${inChannels} → ${outChannels}`, { source: 'StgcnBlock' });
    }
    const rng = resolveRng(options);
    const bn = { eps: options.bnEps ?? 1e-5, momentum: options.bnMomentum ?? 0.1 };
    this.gcn = this.addModule('gcn', new GraphConv(inChannels, outChannels, adjacency, { rng: rng.fork(), fastPath: options.fastPath ?? true }));
    this.tcnBn1 = this.addModule('tcnBn1', new BatchNorm(outChannels, bn));
    this.tcnConv = this.addModule('tcnConv', new TemporalConv(outChannels, outChannels, this.temporalKernel, { rng: rng.fork() }));
    this.tcnBn2 = this.addModule('tcnBn2', new BatchNorm(outChannels, bn));
    if (this.residual === 'conv') {
      this.resConv = this.addModule('resConv', new PointwiseConv(inChannels, outChannels, { rng: rng.fork() }));
      this.resBn = this.addModule('resBn', new BatchNorm(outChannels, bn));
    } else {
      this.resConv = null;
      this.resBn = null;
    }
    const cc = options.contextChannels ?? 0;
    if (!(Number.isInteger(cc) && cc >= 0)) throw new InputError(`contextChannels must be a non-negative integer, got ${cc}`, { source: 'StgcnBlock' });
    this.contextChannels = cc;
    this.ctxGcn = cc > 0 ? this.addParameter('ctxGcn', tf.zeros([outChannels, cc])) : null;
    this.ctxRes = cc > 0 && this.residual === 'conv' ? this.addParameter('ctxRes', tf.zeros([outChannels, cc])) : null;
  }

  /**
   * The fused engine's description of this block (see `@skelflow/fused`), or `null` when the
   * adjacency is not uniform (only the uniform graph product has a fused kernel) or events are not
   * `[C, T, V]`. Runs on {@link stgcnUniformKernel}.
   */
  fusedPlan(ctx: FusedPlanContext): StgcnUniformPlan | null {
    if (!this.gcn.usesFastPath || this.gcn.uniformWeights === null || ctx.eventShape.length !== 3) return null;
    // A context is read per sample as [Cc, T] (joint-broadcast): the flow must be compiled with it.
    if (this.contextChannels > 0 && ctx.contextSize !== this.contextChannels * ctx.eventShape[1]!) {
      return ctx.fail(`the ST-GCN block takes a [${this.contextChannels}, T, 1] context; the flow was compiled with ${ctx.contextSize} context values per sample`);
    }
    const resBn = this.resBn;
    return {
      kind: stgcnUniformKernel.kind as 'stgcn-uniform',
      cin: this.inChannels,
      cout: this.outChannels,
      kt: this.temporalKernel,
      partitions: [...this.gcn.uniformWeights],
      gcnWeight: ctx.param(this.gcn.weight),
      gcnBias: this.gcn.bias ? ctx.param(this.gcn.bias) : -1,
      bn1: batchNormPlan(this.tcnBn1, ctx),
      tcnWeight: ctx.param(this.tcnConv.weight),
      tcnBias: this.tcnConv.bias ? ctx.param(this.tcnConv.bias) : -1,
      bn2: batchNormPlan(this.tcnBn2, ctx),
      residual: this.residual,
      resWeight: this.resConv ? ctx.param(this.resConv.weight) : -1,
      resBias: this.resConv?.bias ? ctx.param(this.resConv.bias) : -1,
      resBn: resBn ? batchNormPlan(resBn, ctx) : null,
      finalRelu: this.finalActivation === 'relu',
      contextChannels: this.contextChannels,
      ctxGcn: this.ctxGcn ? ctx.param(this.ctxGcn) : -1,
      ctxRes: this.ctxRes ? ctx.param(this.ctxRes) : -1,
    };
  }

  /**
   * `[B, Cin, T, V]` → `[B, Cout, T, V]`; in train mode also updates the BatchNorm statistics.
   * With `contextChannels` > 0, `context` `[B, Cc, T, 1]` is required (a context given to a block
   * without context channels is ignored, as a coupling hands its context to any conditioner).
   */
  call(x: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`expected [B, ${this.inChannels}, T, V], got [${x.shape}]`, { source: 'StgcnBlock' });
    }
    const cc = this.contextChannels;
    if (cc > 0 && (!context || context.rank !== 4 || context.shape[0] !== x.shape[0] || context.shape[1] !== cc || context.shape[2] !== x.shape[2] || context.shape[3] !== 1)) {
      throw new ShapeError(`expected a context [${x.shape[0]}, ${cc}, ${x.shape[2]}, 1], got ${context ? `[${context.shape}]` : 'none'}`, { source: 'StgcnBlock' });
    }
    return tf.tidy(() => {
      const ctxTerm = (w: tf.Variable | null) => (w && context ? channelMatMul(context, w) : null); // [B, Cout, T, 1]
      const cg = ctxTerm(this.ctxGcn);
      let h: tf.Tensor;
      if (this.gcn.usesFastPath) {
        // A uniform adjacency makes the graph output the same at every joint, and the temporal
        // branch acts per joint, so it runs once per frame on [B, C, T, 1] (V times less work) and
        // is broadcast by the residual sum. BatchNorm is told the true count for its running variance.
        const v = x.shape[3]!;
        h = this.gcn.callJointConstant(x);
        if (cg) h = tf.add(h, cg);
        h = this.tcnBn2.call(this.tcnConv.call(tf.relu(this.tcnBn1.call(h, { replicas: v }))), { replicas: v });
        if (this.residual === 'none') h = tf.mul(h, tf.ones([1, 1, 1, v]));
      } else {
        h = this.gcn.call(x);
        if (cg) h = tf.add(h, cg);
        h = this.tcnBn2.call(this.tcnConv.call(tf.relu(this.tcnBn1.call(h))));
      }
      if (this.residual === 'identity') h = tf.add(h, x);
      else if (this.residual === 'conv') {
        const cr = ctxTerm(this.ctxRes);
        const r = (this.resConv as PointwiseConv).call(x);
        h = tf.add(h, (this.resBn as BatchNorm).call(cr ? tf.add(r, cr) : r));
      }
      return this.finalActivation === 'relu' ? tf.relu(h) : h;
    });
  }
}
