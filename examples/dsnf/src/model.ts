import * as tf from '@tensorflow/tfjs-core';
import { InputError, type Rng as RngType, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { ActNorm, AffineCoupling, awamLoss, Chain, ClassConditionalGaussianPrior, NormalizingFlow, ReverseChannels, type AwamResult, type BijectorModule, type MassSpace } from '@skelflow/flows';
import { LazyFusedFlow, scoreFlowSegments, type FusedFlow, type ScoreFlowSegmentsOptions } from '@skelflow/fused';
import { buildAdjacency, DualSpaceGCN } from '@skelflow/graph';
import { stgNfFastPath } from '@skelflow/stg-nf';
import { resolveDsnfConfig, type DsnfConfig, type DsnfLoss, type ResolvedDsnfConfig } from './config.js';

/** Options of the training objective ({@link Dsnf.objective}); defaults are the model card's. */
export interface DsnfObjectiveOptions {
  /** `nll`, `mass` (input-space approximate mass, constant weights) or `awam` (dual space, adaptive, ρ_H > ρ_E). */
  loss?: DsnfLoss;
  /** α; default 0.1. */
  alpha?: number;
  /** ρ_E of AWAM; default 0.5. */
  rhoE?: number;
  /** ρ_H of AWAM; default 1.5. */
  rhoH?: number;
  /** Adaptive (softmax) weights in AWAM; default true. */
  adaptive?: boolean;
  /** τ; default 1. */
  temperature?: number;
  /** J random directions; default 1. */
  directions?: number;
  /** ε of the central differences; default 1e-2. */
  epsilon?: number;
  /** One stacked pass for the clean and perturbed copies (see `awamLoss`); default true. */
  stacked?: boolean;
  /** Fixed directions instead of random ones (parity tests; see `awamLoss`). */
  directionsFor?: (space: number, j: number) => tf.Tensor;
}

/** Perturbations of {@link Dsnf.nllWith}: the input, and every conditioner's h_E and u_H (step-stacked). */
export interface DsnfPerturbation {
  /** `[B, C, T, V]`, added to x. */
  input?: tf.Tensor | null;
  /** `[B, K, Cout, T, V]`, step k's slice added to its h_E. */
  euclid?: tf.Tensor | null;
  /** `[B, K, V, D_h]`, step k's slice added to its u_H. */
  tangent?: tf.Tensor | null;
}

/**
 * DSNF built from blocks: STG-NF's flow (K steps of ActNorm → channel reversal → affine coupling
 * on `[B, 2, T, 18]`, prior N(±R, I), score −NLL bits/dim) whose coupling conditioners are
 * {@link DualSpaceGCN}s — a Euclidean ST-GCN block (STG-NF's, uniform adjacency) in parallel with
 * a hyperbolic GCN over the OpenPose-18 bones, fused by a gate g initialised at 0 — trained with
 * the AWAM objective (`@skelflow/flows` `awamLoss`).
 *
 * With the same seed, the Euclidean weights are STG-NF's (`createStgNf`) and at initialisation
 * g = 0, so the untrained model scores exactly as the untrained STG-NF; with `gate: 'zero'` it is
 * STG-NF (and runs on the fused engine with STG-NF's fast path).
 *
 * State names: `flow.transform.<k>.0` (ActNorm), `.2.net.euclid` (ST-GCN, STG-NF's names below),
 * `.2.net.{ball.rawC, lift, hgcn.<i>.lin, exit, gate}`, `flow.prior.radius`.
 *
 * References: Leng et al., "Dual-Space Normalizing Flow for Unsupervised Video Anomaly
 * Detection", IEEE TIP 34 (2025) (abstract only; design: `../shared/docs/model-cards.md` §3);
 * Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @param config - {@link DsnfConfig}.
 * @example
 * ```ts
 * const model = createDsnf({ segLen: 24, seed: 1 });
 * const nll = model.nll(x); // [B] bits/dim
 * ```
 */
export class Dsnf extends Module {
  readonly config: ResolvedDsnfConfig;
  readonly flow: NormalizingFlow;
  /** The conditioners, in step order. */
  readonly conditioners: DualSpaceGCN[];
  private readonly fusedFlow: LazyFusedFlow;

  constructor(config: DsnfConfig = {}) {
    super();
    const c = resolveDsnfConfig(config);
    this.config = c;
    if (c.channels !== 2) throw new InputError('DSNF takes 2 channels (x, y)', { source: 'Dsnf config', location: 'channels' });
    // STG-NF's stream: one fork per step, so the Euclidean weights equal createStgNf's for a seed.
    const rng = new Rng(c.seed);
    const adjacency = buildAdjacency('openpose18', { strategy: 'uniform', maxHop: 8 });
    const steps: BijectorModule[] = [];
    this.conditioners = [];
    for (let k = 0; k < c.K; k++) {
      const net = new DualSpaceGCN(1, 2, adjacency, {
        segLen: c.segLen,
        euclid: { temporalKernel: c.temporalKernel, residual: k === 0 ? 'none' : 'conv' },
        gate: c.gate,
        hyperbolicDim: c.hyperbolicDim,
        hgcnLayers: c.hgcnLayers,
        c: c.curvature,
        learnableC: c.learnCurvature,
        gateScale: c.gateScale,
        rng: rng.fork(),
      });
      this.conditioners.push(net);
      steps.push(new Chain([new ActNorm(2), new ReverseChannels(), new AffineCoupling(net, { split: 1, paramLayout: 'cross', scaleFn: 'sigmoid2', order: 'shiftThenScale' })]));
    }
    const prior = new ClassConditionalGaussianPrior([2, c.segLen, c.joints], { radius: c.R, varianceEps: 1e-6 });
    this.flow = this.addModule('flow', new NormalizingFlow(new Chain(steps), prior));
    this.fusedFlow = new LazyFusedFlow(this.flow, [c.channels, c.segLen, c.joints], { fastPath: stgNfFastPath });
  }

  override dispose(): void {
    this.fusedFlow.dispose();
    super.dispose();
  }

  /** The gates g of every step (0 with the zero gate). */
  gates(): number[] {
    return this.conditioners.map((n) => n.g);
  }

  /** The curvatures c of every step (NaN with the zero gate: there is no ball). */
  curvatures(): number[] {
    return this.conditioners.map((n) => (n.ball ? n.ball.c : NaN));
  }

  private check(x: tf.Tensor): void {
    const { channels, segLen, joints } = this.config;
    if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== segLen || x.shape[3] !== joints) {
      throw new ShapeError(`expected segments [B, ${channels}, ${segLen}, ${joints}], got [${x.shape}]`, { source: 'Dsnf' });
    }
  }

  /** NLL in bits per dimension `[B]`; `labels` (+1 / −1) select the prior component (supervised mode). */
  nll(x: tf.Tensor, labels?: tf.Tensor): tf.Tensor {
    this.check(x);
    return this.flow.nllBitsPerDim(x, labels ? { labels } : {});
  }

  /** {@link Dsnf.nll} with perturbations added to the input and inside every conditioner (the AM probes). */
  nllWith(x: tf.Tensor, perturbation: DsnfPerturbation, labels?: tf.Tensor): tf.Tensor {
    this.check(x);
    // Perturbations of m·B samples (the stacked objective): x and the labels are repeated m times.
    const pb = [perturbation.input, perturbation.euclid, perturbation.tangent].find((t) => t)?.shape[0] ?? x.shape[0]!;
    const copies = pb / x.shape[0]!;
    if (!Number.isInteger(copies) || copies < 1) throw new ShapeError(`perturbation batch ${pb} is not a multiple of ${x.shape[0]}`, { source: 'Dsnf.nllWith' });
    if (copies > 1) {
      const xs = tf.concat(new Array<tf.Tensor>(copies).fill(x), 0);
      const ls = labels ? tf.concat(new Array<tf.Tensor>(copies).fill(labels), 0) : undefined;
      try {
        return this.nllWith(xs, perturbation, ls);
      } finally {
        tf.dispose([xs, ls ?? []]);
      }
    }
    const slices: tf.Tensor[] = [];
    const stepSlice = (t: tf.Tensor, k: number): tf.Tensor => {
      // Sliced as [B, K, rest] (rank 3): tfjs-wasm's Slice of the rank-5 `[B, K, C, T, V]` takes a
      // generic path about 1000× slower (2 s per step and conditioner at B = 1280). Exact either way.
      const s = tf.tidy(() => {
        const [b, steps] = t.shape as [number, number];
        return tf.reshape(tf.slice(tf.reshape(t, [b, steps, -1]), [0, k, 0], [-1, 1, -1]), [b, ...t.shape.slice(2)]);
      });
      slices.push(s);
      return s;
    };
    try {
      this.conditioners.forEach((net, k) => {
        const probe: { euclid?: tf.Tensor; tangent?: tf.Tensor } = {};
        if (perturbation.euclid) probe.euclid = stepSlice(perturbation.euclid, k);
        if (perturbation.tangent && net.gate) probe.tangent = stepSlice(perturbation.tangent, k);
        net.probe = probe.euclid || probe.tangent ? probe : null;
      });
      return tf.tidy(() => this.nll(perturbation.input ? tf.add(x, perturbation.input) : x, labels));
    } finally {
      for (const net of this.conditioners) net.probe = null;
      tf.dispose(slices);
    }
  }

  /** Mean NLL over the batch. */
  loss(x: tf.Tensor, labels?: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mean(this.nll(x, labels)) as tf.Scalar);
  }

  /**
   * The training objective of a batch: plain NLL, the input-space approximate mass (Chali et al.,
   * constant weights ρ = 1), or AWAM over the dual space — Euclidean outputs h_E of all couplings
   * (ρ_E) and hyperbolic tangent vectors u_H (ρ_H, only with the learnable gate), adaptive weights.
   * Only the unperturbed pass moves the BatchNorm statistics.
   */
  objective(x: tf.Tensor, labels: tf.Tensor | undefined, rng: RngType, options: DsnfObjectiveOptions = {}): AwamResult {
    this.check(x);
    const loss = options.loss ?? 'awam';
    const b = x.shape[0]!;
    const { K, segLen, joints, hyperbolicDim } = this.config;
    const common = {
      alpha: loss === 'nll' ? 0 : (options.alpha ?? 0.1),
      temperature: options.temperature ?? 1,
      directions: options.directions ?? 1,
      epsilon: options.epsilon ?? 1e-2,
      buffers: this.namedBuffers().map(([, v]) => v),
      stacked: options.stacked ?? true,
      ...(options.directionsFor ? { directionsFor: options.directionsFor } : {}),
    };
    if (loss === 'nll' || loss === 'mass') {
      const spaces: MassSpace[] = [{ name: 'input', shape: x.shape, emphasis: 1 }];
      return awamLoss((p) => this.nllWith(x, { input: p[0] ?? null }, labels), spaces, rng, { ...common, adaptive: false });
    }
    if (loss !== 'awam') throw new InputError(`unknown loss '${String(loss)}' (nll, mass, awam)`, { source: 'Dsnf.objective', location: 'loss' });
    const spaces: MassSpace[] = [{ name: 'euclid', shape: [b, K, 2, segLen, joints], emphasis: options.rhoE ?? 0.5 }];
    if (this.config.gate === 'learnable') spaces.push({ name: 'tangent', shape: [b, K, joints, hyperbolicDim], emphasis: options.rhoH ?? 1.5 });
    return awamLoss((p) => this.nllWith(x, { euclid: p[0] ?? null, tangent: p[1] ?? null }, labels), spaces, rng, { ...common, adaptive: options.adaptive ?? true });
  }

  /** The latent z of x. */
  encode(x: tf.Tensor): tf.Tensor {
    this.check(x);
    return this.flow.encode(x);
  }

  /**
   * The flow on the fused engine (STG-NF's fast path) when the gate is `'zero'`, else `null` (the
   * hyperbolic branch has no kernel; see {@link Dsnf.fusedUnavailableReason}).
   */
  fused(): FusedFlow | null {
    return this.fusedFlow.get();
  }

  /** Why {@link Dsnf.fused} is `null` ('' when it is not). */
  get fusedUnavailableReason(): string {
    return this.fusedFlow.reason;
  }

  /**
   * Normality scores (−NLL bits/dim) of a flat float32 `[N, C, T, V]`, in eval mode: on the fused
   * engine when the model has one (zero gate), else on tensors in batches of `batchSize`.
   */
  scoreSegments(data: Float32Array, options: DsnfScoreOptions = {}): Float32Array {
    const { channels, segLen, joints } = this.config;
    return scoreFlowSegments(data, { source: 'Dsnf.scoreSegments', segmentShape: [channels, segLen, joints], module: this, nll: (x) => this.nll(x), fused: this.fusedFlow }, options);
  }
}

/** Options of {@link Dsnf.scoreSegments}. */
export type DsnfScoreOptions = ScoreFlowSegmentsOptions;

/** Builds a DSNF model. */
export function createDsnf(config: DsnfConfig = {}): Dsnf {
  return new Dsnf(config);
}
