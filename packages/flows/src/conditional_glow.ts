import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { ActNorm } from './actnorm.js';
import type { BijectorModule } from './bijector.js';
import { Chain } from './chain.js';
import { ConditionalAffineCoupling } from './conditional_affine_coupling.js';
import { type FlowForwardResult, type FlowInputs, NormalizingFlow } from './flow.js';
import { InvertibleLinearLU } from './invertible_linear_lu.js';
import { DiagonalGaussianPrior } from './priors/diagonal_gaussian_prior.js';
import { ReverseChannels } from './reverse_channels.js';
import { checkVectors } from './tensor_utils.js';

/** How a {@link ConditionalGlow} step mixes the vector before its coupling. */
export type GlowMixing = 'lu' | 'reverse';

/** Options of {@link ConditionalGlow}. */
export interface ConditionalGlowOptions {
  /** Vector size D (≥ 2). */
  dim: number;
  /** Context size K (0: an unconditional Glow on vectors). */
  contextDim: number;
  /** Number of Glow steps B (≥ 1). */
  steps: number;
  /** Hidden units of each coupling network; default 128. */
  hidden?: number;
  /** Hidden layers of each coupling network; default 2 (Glow's `NN()`). */
  hiddenLayers?: number;
  /** `'lu'` (default): {@link InvertibleLinearLU}; `'reverse'`: {@link ReverseChannels} (a fixed reversal, no weights). */
  mixing?: GlowMixing;
  /** Seed of every initialisation; default 0. */
  seed?: number | string;
}

/** {@link ConditionalGlow.forward}'s result: the latent and log|det ∂z/∂h| `[B]`. */
export interface GlowForwardResult {
  z: tf.Tensor;
  logDet: tf.Tensor;
}

/** {@link ConditionalGlow.inverse}'s result: the data and log|det ∂h/∂z| `[B]`. */
export interface GlowInverseResult {
  h: tf.Tensor;
  logDet: tf.Tensor;
}

/**
 * A conditional Glow on vectors: `z = f(h; c)` for `h` `[B, D]` and a context `c` `[B, K]`, a
 * composition of B steps ActNorm → invertible linear (LU) → conditional affine coupling, with a
 * standard normal prior N(0, I_D):
 * log p(h | c) = log N(f(h; c); 0, I) + Σ_b log|det ∂f^(b)/∂z^(b−1)| (NFlowAD Eq. 3–4).
 * It is NFlowAD's flow on the frozen encoder's frame embeddings h_t, conditioned on the pooled
 * context; with `contextDim: 0` a plain Glow on vectors.
 *
 * A {@link NormalizingFlow} (`logProb(h, { context })`, `nllBitsPerDim`, `sample(n, seed, { context })`,
 * `forwardWithLogProb`), so it trains, saves (`encodeModule` / `stateDict`) and loads as every flow
 * here; `forward(h, c)` / `inverse(z, c)` are the transform with the context as a plain argument.
 * ActNorm layers initialise from the first forward batch in train mode (Glow's data-dependent
 * init) — call `eval()` before scoring a model that was never trained, or they initialise on it.
 *
 * State names (PyTorch twin `bench/torch/nflowad.py` `ConditionalGlow`, identical): step b
 * occupies `transform.{3b}` (ActNorm: `bias`, `logs`, `initialized`), `transform.{3b+1}`
 * (LU: `lower`, `upper`, `logS`, `p`, `signS`; nothing for `'reverse'`) and `transform.{3b+2}`
 * (coupling: `net.mlp.{2k}.weight`, `net.mlp.{2k}.bias`); `prior.mean`, `prior.logStd` (scalar 0
 * buffers).
 *
 * References: Kingma & Dhariwal, "Glow: Generative Flow with Invertible 1×1 Convolutions",
 * NeurIPS 2018 (the step, §3; data-dependent ActNorm init; LU 1×1); Winkler et al., "Learning
 * likelihoods with conditional normalizing flows", 2019; Choueb et al., NFlowAD, Signal
 * Processing: Image Communication (Eq. 3–4; `../shared/docs/model-cards.md` §4.2 for the sizes).
 *
 * @param options - {@link ConditionalGlowOptions}.
 * @example
 * ```ts
 * const glow = new ConditionalGlow({ dim: 64, contextDim: 64, steps: 4, hidden: 128, seed: 0 });
 * const { z, logDet } = glow.forward(h, c); // h [N, 64], c [N, 64]
 * const lp = glow.logProb(h, { context: c }); // [N] nats
 * const x = glow.sample(8, 'seed', { context: c8 }); // [8, 64]
 * ```
 */
export class ConditionalGlow extends NormalizingFlow {
  readonly dim: number;
  readonly contextDim: number;
  readonly steps: number;
  readonly hidden: number;
  readonly hiddenLayers: number;
  readonly mixing: GlowMixing;
  readonly seed: number | string;

  constructor(options: ConditionalGlowOptions) {
    const source = 'ConditionalGlow';
    const { dim, contextDim, steps } = options;
    const hidden = options.hidden ?? 128;
    const hiddenLayers = options.hiddenLayers ?? 2;
    const mixing = options.mixing ?? 'lu';
    for (const [name, v, min] of [['dim', dim, 2], ['contextDim', contextDim, 0], ['steps', steps, 1], ['hidden', hidden, 1], ['hiddenLayers', hiddenLayers, 0]] as const) {
      if (!Number.isInteger(v) || v < min) throw new InputError(`${name} must be an integer ≥ ${min}, got ${v}`, { source });
    }
    if (mixing !== 'lu' && mixing !== 'reverse') throw new InputError(`mixing must be 'lu' or 'reverse', got '${String(mixing)}'`, { source });
    const seed = options.seed ?? 0;
    const layers: BijectorModule[] = [];
    for (let b = 0; b < steps; b++) {
      layers.push(new ActNorm(dim));
      layers.push(mixing === 'lu' ? new InvertibleLinearLU(dim, `${seed}/step${b}/lu`) : new ReverseChannels());
      layers.push(new ConditionalAffineCoupling(dim, contextDim, { hidden, hiddenLayers, rng: new Rng(`${seed}/step${b}/coupling`) }));
    }
    super(new Chain(layers), new DiagonalGaussianPrior([dim]));
    this.dim = dim;
    this.contextDim = contextDim;
    this.steps = steps;
    this.hidden = hidden;
    this.hiddenLayers = hiddenLayers;
    this.mixing = mixing;
    this.seed = seed;
  }

  /** The options that rebuild this flow's structure (`new ConditionalGlow(glow.config)`), e.g. a model.json `config`. */
  get config(): Required<ConditionalGlowOptions> {
    const { dim, contextDim, steps, hidden, hiddenLayers, mixing, seed } = this;
    return { dim, contextDim, steps, hidden, hiddenLayers, mixing, seed };
  }

  /** z = f(h; c) and log|det ∂z/∂h| `[B]`. */
  forward(h: tf.Tensor, context?: tf.Tensor): GlowForwardResult {
    this.check(h, context, 'h');
    const { y, logDet } = this.transform.forward(h, context);
    return { z: y, logDet };
  }

  /** h = f⁻¹(z; c) and log|det ∂h/∂z| `[B]`. */
  inverse(z: tf.Tensor, context?: tf.Tensor): GlowInverseResult {
    this.check(z, context, 'z');
    const { x, logDet } = this.transform.inverse(z, context);
    return { h: x, logDet };
  }

  override forwardWithLogProb(h: tf.Tensor, inputs: FlowInputs = {}): FlowForwardResult {
    this.check(h, inputs.context, 'h');
    return super.forwardWithLogProb(h, inputs);
  }

  override encode(h: tf.Tensor, inputs: FlowInputs = {}): tf.Tensor {
    this.check(h, inputs.context, 'h');
    return super.encode(h, inputs);
  }

  override sample(n: number, seed: number | string, inputs: FlowInputs = {}): tf.Tensor {
    if (!Number.isInteger(n) || n < 1) throw new InputError(`n must be a positive integer, got ${n}`, { source: 'ConditionalGlow.sample' });
    this.checkContext(n, inputs.context);
    return super.sample(n, seed, inputs);
  }

  private check(x: tf.Tensor, context: tf.Tensor | undefined, location: string): void {
    checkVectors(x, 'ConditionalGlow', this.dim, location);
    this.checkContext(x.shape[0]!, context);
  }

  private checkContext(batch: number, context: tf.Tensor | undefined): void {
    const source = 'ConditionalGlow';
    if (this.contextDim === 0) return;
    if (!context) throw new InputError(`a context [B, ${this.contextDim}] is required`, { source, location: 'context' });
    if (context.rank !== 2 || context.shape[0] !== batch || context.shape[1] !== this.contextDim) {
      throw new ShapeError(`context must be [${batch}, ${this.contextDim}], got [${context.shape}]`, { source, location: 'context' });
    }
  }
}
