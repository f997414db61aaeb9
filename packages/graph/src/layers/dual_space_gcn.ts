import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import type { FusedPlanContext } from '@skelflow/fused';
import { HgcnLayer, hgcnChainTangent, hgcnChainTangentReference, meanAdjacency, PoincareBall, type TangentActivation } from '@skelflow/hyperbolic';
import { Linear } from '@skelflow/nn';
import { getSkeleton, type LayoutName, type Skeleton } from '@skelflow/pose';
import type { AdjacencyInput } from './graph_conv.js';
import { StgcnBlock, type StgcnBlockOptions } from './stgcn_block.js';
import type { StgcnUniformPlan } from './stgcn_block_kernel.js';

/**
 * The gate of {@link DualSpaceGCN}: `'learnable'` (a trainable scalar g, 0 at initialisation) or
 * `'zero'` (g ≡ 0: the hyperbolic branch is not built, the block *is* the Euclidean ST-GCN — the
 * ablation "g fixed at 0", which also keeps the fused engine).
 */
export type DualSpaceGate = 'learnable' | 'zero';

/** Options of {@link DualSpaceGCN}. */
export interface DualSpaceGcnOptions extends InitOptions {
  /** Frames T of the segments (the hyperbolic nodes carry whole trajectories). */
  segLen: number;
  /** Skeleton whose bones form the hyperbolic branch's graph; default `'openpose18'`. */
  layout?: LayoutName | Skeleton;
  /** Options of the Euclidean ST-GCN block (temporal kernel, residual, …). */
  euclid?: Omit<StgcnBlockOptions, 'rng' | 'seed'>;
  /** Gate; default `'learnable'`. */
  gate?: DualSpaceGate;
  /** Hyperbolic feature size D_h; default 8. */
  hyperbolicDim?: number;
  /** HGCN layers; default 1. */
  hgcnLayers?: number;
  /** Initial curvature c; default 1. */
  c?: number;
  /** Learn c (softplus of a raw parameter); default true. */
  learnableC?: boolean;
  /** Tangent activation of the HGCN layers; default `'relu'`. */
  activation?: TangentActivation;
  /**
   * Fixed factor s of the gate, g = s·γ with γ the parameter (0 at init, so g = 0 still). Adam-type
   * optimisers move every parameter by about lr per step whatever its gradient's scale, so s is the
   * gate's learning-rate multiplier: with STG-NF's lr 5e-4 and a few hundred steps, g cannot leave
   * ±0.1 at s = 1. Default 1.
   */
  gateScale?: number;
}

/** `parent.addModule(name, child)` from outside (the method is protected; a bare container has no other use). */
function registerChild<M extends Module>(parent: Module, name: string, child: M): M {
  return (parent as unknown as { addModule(n: string, m: M): M }).addModule(name, child);
}

/**
 * Perturbations added inside {@link DualSpaceGCN} for the approximate-mass estimator: `euclid`
 * is added to the Euclidean output h_E `[B, Cout, T, V]`, `tangent` to the hyperbolic branch's
 * tangent vector u_H = logmap0(HGCN output) `[B, V, D_h]`. Set by the owner of the flow before a
 * forward pass and cleared after (see `@skelflow/flows` `awamLoss`).
 */
export interface DualSpaceProbe {
  euclid?: tf.Tensor;
  tangent?: tf.Tensor;
}

/**
 * DSNF's dual-space parallel GCN (DSPGCN) as a coupling conditioner: a Euclidean ST-GCN block and
 * a hyperbolic GCN over the real skeleton, run side by side on `x1` `[B, Cin, T, V]` and fused by
 * a learnable gate, `h = h_E + g · h_H` `[B, Cout, T, V]`.
 *
 * - Euclidean branch h_E: {@link StgcnBlock} with the given adjacency (STG-NF's uniform one).
 * - Hyperbolic branch h_H: one node per joint carrying its whole trajectory `x1[b, :, :, v]`
 *   (Cin·T numbers) → Linear(Cin·T → D_h) → `proj(expmap0_c)` → `hgcnLayers` × {@link HgcnLayer}
 *   over the bone graph `D⁻¹(A + I)` of `layout` (1 hop, not the uniform all-joints graph, which
 *   has no hierarchy left) → u_H = `logmap0_c` → Linear(D_h → Cout·T) → `[B, Cout, T, V]`.
 *   One curvature c = softplus(raw) per block, shared by its HGCN layers.
 * - g is a scalar parameter initialised at 0, so at initialisation `h = h_E + 0 · h_H` is h_E bit
 *   for bit: a coupling with this conditioner starts as STG-NF's. With gate `'zero'` the hyperbolic
 *   branch is not built at all and {@link DualSpaceGCN.fusedPlan} hands the fused engine the
 *   Euclidean block's plan.
 *
 * Members: `euclid` (the ST-GCN block, STG-NF's names below it), `ball.rawC`, `lift.{weight,bias}`,
 * `hgcn.<i>.lin.{weight,bias}`, `exit.{weight,bias}`, `gate` (scalar) — the last five only with
 * the learnable gate. PyTorch twin: `bench/torch/dsnf.py` `DualSpaceGCN` (same names with `_` for
 * `.` inside lists: `hgcn.<i>`).
 *
 * References: Leng et al., "Dual-Space Normalizing Flow for Unsupervised Video Anomaly Detection",
 * IEEE TIP 34 (2025) — abstract only; the design is `../shared/docs/model-cards.md` §3.2. Chami et
 * al., HGCN, NeurIPS 2019; Yan et al., ST-GCN, AAAI 2018.
 *
 * @param inChannels - Cin (the coupling's conditioning channels).
 * @param outChannels - Cout (2 × the transformed channels).
 * @param adjacency - the Euclidean block's `[K, V, V]` partitions.
 * @param options - {@link DualSpaceGcnOptions}.
 * @example
 * ```ts
 * const net = new DualSpaceGCN(1, 2, buildAdjacency('openpose18', { maxHop: 8 }), { segLen: 24, euclid: { temporalKernel: 13 }, seed: 0 });
 * const coupling = new AffineCoupling(net, { paramLayout: 'cross', scaleFn: 'sigmoid2' });
 * ```
 */
export class DualSpaceGCN extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly segLen: number;
  readonly numJoints: number;
  readonly hyperbolicDim: number;
  readonly gateKind: DualSpaceGate;
  readonly euclid: StgcnBlock;
  readonly ball: PoincareBall | null;
  readonly lift: Linear | null;
  readonly hgcn: HgcnLayer[];
  readonly exit: Linear | null;
  readonly gate: tf.Variable | null;
  /** s of g = s·γ ({@link DualSpaceGcnOptions.gateScale}). */
  readonly gateScale: number;
  /** Approximate-mass probe of the next forward passes ({@link DualSpaceProbe}); null = none. */
  probe: DualSpaceProbe | null = null;
  /**
   * How the HGCN stack runs: `'kernel'` (default) as one operation with a hand-written gradient
   * (`@skelflow/hyperbolic` `hgcnChainTangent`, float64 loops), `'tensor'` op by op on tfjs (its
   * naive reference, `hgcnChainTangentReference`). Same function; the kernel is ~10× fewer launches.
   */
  hyperbolicPath: 'kernel' | 'tensor' = 'kernel';

  constructor(inChannels: number, outChannels: number, adjacency: AdjacencyInput, options: DualSpaceGcnOptions) {
    super();
    const src = 'DualSpaceGCN';
    if (!(Number.isInteger(options.segLen) && options.segLen > 0)) throw new InputError(`segLen must be a positive integer, got ${options.segLen}`, { source: src });
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.segLen = options.segLen;
    this.gateKind = options.gate ?? 'learnable';
    this.gateScale = options.gateScale ?? 1;
    if (!(Number.isFinite(this.gateScale) && this.gateScale > 0)) throw new InputError(`gateScale must be > 0, got ${this.gateScale}`, { source: src });
    if (!['learnable', 'zero'].includes(this.gateKind)) throw new InputError(`unknown gate '${String(this.gateKind)}' (learnable, zero)`, { source: src });
    this.hyperbolicDim = options.hyperbolicDim ?? 8;
    const layers = options.hgcnLayers ?? 1;
    if (!(Number.isInteger(this.hyperbolicDim) && this.hyperbolicDim > 0)) throw new InputError(`hyperbolicDim must be a positive integer`, { source: src });
    if (!(Number.isInteger(layers) && layers >= 0)) throw new InputError(`hgcnLayers must be a non-negative integer`, { source: src });
    const skeleton = getSkeleton(options.layout ?? 'openpose18');
    this.numJoints = skeleton.jointNames.length;
    const rng = resolveRng(options);
    // The Euclidean block draws from the stream first, exactly as an StgcnBlock given the same
    // stream would, so a DSNF and an STG-NF built from one seed share their Euclidean weights; the
    // hyperbolic branch draws afterwards.
    this.euclid = this.addModule('euclid', new StgcnBlock(inChannels, outChannels, adjacency, { ...options.euclid, rng }));
    if (this.gateKind === 'zero') {
      this.ball = null;
      this.lift = null;
      this.hgcn = [];
      this.exit = null;
      this.gate = null;
      return;
    }
    const hr = rng.fork();
    const d = this.hyperbolicDim;
    this.ball = this.addModule('ball', new PoincareBall({ c: options.c ?? 1, learnable: options.learnableC ?? true }));
    this.lift = this.addModule('lift', new Linear(inChannels * this.segLen, d, { rng: hr.fork() }));
    const adj = meanAdjacency(this.numJoints, skeleton.edges);
    // Registered under a plain container so state names read `hgcn.<i>.lin.weight`, as PyTorch's ModuleList.
    const stack = this.addModule('hgcn', new Module());
    this.hgcn = [];
    for (let i = 0; i < layers; i++) {
      this.hgcn.push(registerChild(stack, String(i), new HgcnLayer(d, d, adj, { ball: this.ball, activation: options.activation ?? 'relu', rng: hr.fork() })));
    }
    this.exit = this.addModule('exit', new Linear(d, outChannels * this.segLen, { rng: hr.fork() }));
    this.gate = this.addParameter('gate', tf.scalar(0));
  }

  /** The Euclidean output h_E (plus the probe's `euclid`). */
  private euclidean(x: tf.Tensor): tf.Tensor {
    const h = this.euclid.call(x);
    return this.probe?.euclid ? tf.add(h, this.probe.euclid) : h;
  }

  /**
   * The hyperbolic branch's tangent vectors u_H = logmap0(HGCN(proj(expmap0(lift(x)))))
   * `[B, V, D_h]` (before the probe). Null with the zero gate.
   */
  tangent(x: tf.Tensor): tf.Tensor | null {
    if (!this.ball) return null;
    const ball = this.ball;
    return tf.tidy(() => {
      const [b, cin, t, v] = x.shape as [number, number, number, number];
      // [B, Cin, T, V] → [B, V, Cin·T]: node v carries its trajectory (channel-major, as the twin's permute+reshape).
      const nodes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b, v, cin * t]);
      const lifted = (this.lift as Linear).call(nodes);
      return this.hyperbolicPath === 'kernel' ? hgcnChainTangent(lifted, ball, this.hgcn) : hgcnChainTangentReference(lifted, ball, this.hgcn);
    });
  }

  /** The hyperbolic output h_H `[B, Cout, T, V]` from tangent vectors `[B, V, D_h]`. */
  private hyperbolicOut(u: tf.Tensor): tf.Tensor {
    const [b, v] = u.shape as [number, number, number];
    const flat = (this.exit as Linear).call(u); // [B, V, Cout·T]
    return tf.transpose(tf.reshape(flat, [b, v, this.outChannels, this.segLen]), [0, 2, 3, 1]);
  }

  /** `[B, Cin, T, V]` → `h = h_E + g · h_H` `[B, Cout, T, V]`; in train mode updates the BatchNorm statistics. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels || x.shape[2] !== this.segLen || x.shape[3] !== this.numJoints) {
      throw new ShapeError(`expected [B, ${this.inChannels}, ${this.segLen}, ${this.numJoints}], got [${x.shape}]`, { source: 'DualSpaceGCN' });
    }
    return tf.tidy(() => {
      const hE = this.euclidean(x);
      if (!this.gate) return hE;
      let u = this.tangent(x) as tf.Tensor;
      if (this.probe?.tangent) u = tf.add(u, this.probe.tangent);
      const g = this.gateScale === 1 ? this.gate : tf.mul(this.gate, this.gateScale);
      return tf.add(hE, tf.mul(g, this.hyperbolicOut(u)));
    });
  }

  /** The gate g as a number (0 with the zero gate). */
  get g(): number {
    return this.gate ? this.gate.dataSync()[0]! * this.gateScale : 0;
  }

  /**
   * The fused engine's description: the Euclidean block's plan when the gate is `'zero'` (the
   * block is then exactly the ST-GCN block), else `null` — a fused run with a learnable gate would
   * be exact only if it also computed the hyperbolic branch, which has no kernel.
   */
  fusedPlan(ctx: FusedPlanContext): StgcnUniformPlan | null {
    if (this.gate) return ctx.fail('the hyperbolic branch of DualSpaceGCN (learnable gate) has no fused kernel') as never;
    return this.euclid.fusedPlan(ctx);
  }
}
