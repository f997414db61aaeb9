import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';
import { Conv1d } from '@skelflow/nn';
import { VectorQuantizerEma } from './vector_quantizer.js';

/** Sizes and weights of a {@link MotionVqVae}; every field has the MSG-Flow card's small-scale value. */
export interface MotionVqVaeConfig {
  /** Values per frame (2·V = 36 for an OpenPose-18 pose). */
  inChannels: number;
  /** Convolution width W (T2M-GPT 512; small scale 64). */
  width?: number;
  /** Code dimension D (T2M-GPT 512; small scale 32). */
  codeDim?: number;
  /** Codebook size K (T2M-GPT 512; small scale 64…128). */
  numCodes?: number;
  /** Temporal downsampling levels (each halves T): 1 turns 24 frames into 12 tokens. */
  downT?: number;
  /** Residual blocks per level. */
  depth?: number;
  /** Dilation growth of the residual blocks (dilations g^(depth−1) … g, 1). */
  dilationGrowth?: number;
  /** EMA decay μ of the codebook. */
  mu?: number;
  /** Commitment weight β_c. */
  commitment?: number;
  /** Velocity-loss weight λ_v (on Δ_t x). */
  velocity?: number;
  /** Codebook update: T2M-GPT's EMA-with-reset (default) or the Laplace-smoothed EMA. */
  quantizer?: 't2m-gpt' | 'laplace';
  /** Seed of the initialisation (and of the quantiser's resets). */
  seed?: number | string;
}

/** A config with every default filled in. */
export type ResolvedMotionVqVaeConfig = Required<MotionVqVaeConfig>;

/** Fills in the card's small-scale defaults (W 64, D 32, K 64, down_t 1, depth 3, growth 3, μ 0.99, β_c 0.02, λ_v 0.1). */
export function resolveMotionVqVaeConfig(c: MotionVqVaeConfig): ResolvedMotionVqVaeConfig {
  const r: ResolvedMotionVqVaeConfig = {
    inChannels: c.inChannels,
    width: c.width ?? 64,
    codeDim: c.codeDim ?? 32,
    numCodes: c.numCodes ?? 64,
    downT: c.downT ?? 1,
    depth: c.depth ?? 3,
    dilationGrowth: c.dilationGrowth ?? 3,
    mu: c.mu ?? 0.99,
    commitment: c.commitment ?? 0.02,
    velocity: c.velocity ?? 0.1,
    quantizer: c.quantizer ?? 't2m-gpt',
    seed: c.seed ?? 0,
  };
  for (const key of ['inChannels', 'width', 'codeDim', 'numCodes', 'depth', 'dilationGrowth'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] > 0)) throw new InputError(`${key} must be a positive integer, got ${r[key]}`, { source: 'MotionVqVae config', location: key });
  }
  if (!(Number.isInteger(r.downT) && r.downT >= 0)) throw new InputError(`downT must be a non-negative integer, got ${r.downT}`, { source: 'MotionVqVae config', location: 'downT' });
  return r;
}

/**
 * T2M-GPT's `ResConv1DBlock` (no normalisation): `x + conv2(relu(conv1(relu(x))))` with
 * `conv1 = Conv1d(W, W, 3, dilation d, padding d)` and `conv2 = Conv1d(W, W, 1)`.
 */
class ResConv1dBlock extends Module {
  readonly conv1: Conv1d;
  readonly conv2: Conv1d;
  constructor(width: number, dilation: number, rng: Rng) {
    super();
    this.conv1 = this.addModule('conv1', new Conv1d(width, width, 3, { dilation, padding: dilation, rng: rng.fork() }));
    this.conv2 = this.addModule('conv2', new Conv1d(width, width, 1, { rng: rng.fork() }));
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(x, this.conv2.call(tf.relu(this.conv1.call(tf.relu(x))))));
  }
}

/** T2M-GPT's `Resnet1D`: `depth` blocks with dilations growth^i, in reversed order (largest first). */
class Resnet1d extends Module {
  readonly blocks: ResConv1dBlock[];
  constructor(width: number, depth: number, growth: number, rng: Rng) {
    super();
    const dilations = Array.from({ length: depth }, (_, i) => growth ** i).reverse();
    this.blocks = dilations.map((d, i) => this.addModule(String(i), new ResConv1dBlock(width, d, rng)));
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.blocks.reduce((h, b) => b.call(h), x));
  }
}

/** A named group of child modules (the encoder, decoder and their levels), for dotted state names. */
class Group extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

/** Nearest-neighbour ×2 upsampling of `[B, T, C]` → `[B, 2T, C]` (a broadcast multiply, no gather). */
function upsample2(x: tf.Tensor): tf.Tensor {
  const [b, t, c] = x.shape as [number, number, number];
  return tf.reshape(tf.mul(tf.reshape(x, [b, t, 1, c]), tf.ones([1, 1, 2, 1])), [b, 2 * t, c]);
}

/** Everything {@link MotionVqVae.forward} computes on a batch. */
export interface MotionVqVaeOutput {
  /** Reconstruction `[B, T, Cin]`. */
  recon: tf.Tensor;
  /** Token of every latent step, int32 `[B, T / 2^downT]`. */
  indices: tf.Tensor;
  /** Encoder output `[B, N, D]`. */
  ze: tf.Tensor;
  /** Mean squared reconstruction error. */
  reconLoss: tf.Scalar;
  /** Mean squared error of the frame differences Δ_t. */
  velocityLoss: tf.Scalar;
  /** `‖z_e − sg(z_q)‖²` (mean), unweighted. */
  commitLoss: tf.Scalar;
  /** `recon + λ_v·velocity + β_c·commit`. */
  loss: tf.Scalar;
  /** Codebook perplexity of this batch. */
  perplexity: tf.Scalar;
}

/**
 * A motion VQ-VAE in the form of T2M-GPT's (the MSG-Flow card's tokenizer [A]): a 1-D temporal
 * convolutional encoder over frames, a vector quantiser with EMA updates and dead-code reset, and a
 * mirrored decoder. Sequences are channels-last `[B, T, Cin]` (a pose flattened per frame).
 *
 * Encoder: `Conv1d(Cin, W, 3, 1, 1)` → ReLU → downT × [`Conv1d(W, W, 4, 2, 1)` → Resnet1D] →
 * `Conv1d(W, D, 3, 1, 1)`. Decoder: `Conv1d(D, W, 3, 1, 1)` → ReLU → downT × [Resnet1D → nearest ×2
 * → `Conv1d(W, W, 3, 1, 1)`] → `Conv1d(W, W, 3, 1, 1)` → ReLU → `Conv1d(W, Cin, 3, 1, 1)`. Resnet1D
 * = `depth` × (x + Conv1d(W, W, 1)(relu(Conv1d(W, W, 3, dil)(relu(x))))), dilations growth^i reversed.
 * Quantiser: {@link VectorQuantizerEma} with T2M-GPT's rule (or Laplace smoothing), the codebook
 * initialised from the first training batch; straight-through gradients.
 *
 * Loss (card §2.3): `‖x − x̂‖² + β_c‖z_e − sg(z_q)‖² + λ_v‖Δ_t x − Δ_t x̂‖²`, all means. T2M-GPT's
 * reconstruction is smooth-L1 and its "velocity" a feature slice of HumanML3D; on raw 2-D poses the
 * card uses the squared error and the frame difference.
 *
 * | @skelflow | T2M-GPT (`models/vqvae.py` `VQVAE_251`) |
 * | --- | --- |
 * | `encoder.in` | `encoder.model.0` |
 * | `encoder.down<i>.conv` / `.res.<j>.conv1`, `.conv2` | `encoder.model.<2+i>.0` / `.1.model.<j>.conv1`, `.conv2` |
 * | `encoder.out` | `encoder.model.<2+downT>` |
 * | `decoder.in`, `decoder.up<i>.res.*`, `decoder.up<i>.conv`, `decoder.mid`, `decoder.out` | `decoder.model.0`, `.<2+i>.0.*`, `.<2+i>.2`, `.<2+downT>`, `.<4+downT>` |
 * | `quantizer.embeddings`, `.clusterSize`, `.embedAvg` | `quantizer.codebook`, `.code_count`, `.code_sum` |
 *
 * References: Zhang et al., "T2M-GPT: Generating Human Motion from Textual Descriptions with
 * Discrete Representations", CVPR 2023 (github Mael-zys/T2M-GPT `models/encdec.py`,
 * `models/resnet.py`, `models/quantize_cnn.py`); van den Oord et al., VQ-VAE, NeurIPS 2017; Liu et
 * al., MSG-Flow, ICME 2026 (arXiv 2603.26745, abstract only).
 *
 * @example
 * ```ts
 * const vq = new MotionVqVae({ inChannels: 36, seed: 1 });
 * const out = vq.forward(tf.randomNormal([8, 24, 36])); // out.indices: [8, 12]
 * ```
 */
export class MotionVqVae extends Module {
  readonly config: ResolvedMotionVqVaeConfig;
  readonly quantizer: VectorQuantizerEma;
  private readonly encIn: Conv1d;
  private readonly encDown: { conv: Conv1d; res: Resnet1d }[] = [];
  private readonly encOut: Conv1d;
  private readonly decIn: Conv1d;
  private readonly decUp: { res: Resnet1d; conv: Conv1d }[] = [];
  private readonly decMid: Conv1d;
  private readonly decOut: Conv1d;

  constructor(config: MotionVqVaeConfig) {
    super();
    const c = resolveMotionVqVaeConfig(config);
    this.config = c;
    const rng = new Rng(c.seed);
    const encoder = this.addModule('encoder', new Group());
    const decoder = this.addModule('decoder', new Group());
    const same3 = { padding: 1 };
    const add = <M extends Module>(parent: Group, name: string, m: M): M => parent.add(name, m);
    this.encIn = add(encoder, 'in', new Conv1d(c.inChannels, c.width, 3, { ...same3, rng: rng.fork() }));
    for (let i = 0; i < c.downT; i++) {
      const level = add(encoder, `down${i}`, new Group());
      this.encDown.push({
        conv: add(level, 'conv', new Conv1d(c.width, c.width, 4, { stride: 2, padding: 1, rng: rng.fork() })),
        res: add(level, 'res', new Resnet1d(c.width, c.depth, c.dilationGrowth, rng.fork())),
      });
    }
    this.encOut = add(encoder, 'out', new Conv1d(c.width, c.codeDim, 3, { ...same3, rng: rng.fork() }));
    this.decIn = add(decoder, 'in', new Conv1d(c.codeDim, c.width, 3, { ...same3, rng: rng.fork() }));
    for (let i = 0; i < c.downT; i++) {
      const level = add(decoder, `up${i}`, new Group());
      this.decUp.push({
        res: add(level, 'res', new Resnet1d(c.width, c.depth, c.dilationGrowth, rng.fork())),
        conv: add(level, 'conv', new Conv1d(c.width, c.width, 3, { ...same3, rng: rng.fork() })),
      });
    }
    this.decMid = add(decoder, 'mid', new Conv1d(c.width, c.width, 3, { ...same3, rng: rng.fork() }));
    this.decOut = add(decoder, 'out', new Conv1d(c.width, c.inChannels, 3, { ...same3, rng: rng.fork() }));
    this.quantizer = this.addModule(
      'quantizer',
      new VectorQuantizerEma(c.numCodes, c.codeDim, {
        decay: c.mu,
        beta: 1,
        rule: c.quantizer,
        ...(c.quantizer === 't2m-gpt' ? { deadCodeThreshold: 1 } : {}),
        initFromFirstBatch: true,
        rng: rng.fork(),
      }),
    );
  }

  /** Latent steps per sequence of `frames` frames (`frames / 2^downT`). */
  tokensPerSequence(frames: number): number {
    return frames / 2 ** this.config.downT;
  }

  private check(x: tf.Tensor): void {
    const f = 2 ** this.config.downT;
    if (x.rank !== 3 || x.shape[2] !== this.config.inChannels || x.shape[1]! % f !== 0) {
      throw new ShapeError(`expected sequences [B, T, ${this.config.inChannels}] with T a multiple of ${f}, got [${x.shape}]`, { source: 'MotionVqVae' });
    }
  }

  /** z_e `[B, T / 2^downT, D]`. */
  encode(x: tf.Tensor): tf.Tensor {
    this.check(x);
    return tf.tidy(() => {
      let h = tf.relu(this.encIn.call(x));
      for (const l of this.encDown) h = l.res.call(l.conv.call(h));
      return this.encOut.call(h);
    });
  }

  /** Reconstruction `[B, T, Cin]` from quantised latents `[B, N, D]`. */
  decode(zq: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.relu(this.decIn.call(zq));
      for (const l of this.decUp) h = l.conv.call(upsample2(l.res.call(h)));
      return this.decOut.call(tf.relu(this.decMid.call(h)));
    });
  }

  /** Encode, quantise (updating the codebook in training mode), decode, and every loss term. */
  forward(x: tf.Tensor): MotionVqVaeOutput {
    this.check(x);
    return tf.tidy(() => {
      const ze = this.encode(x);
      const q = this.quantizer.call(ze);
      const recon = this.decode(q.quantized);
      const reconLoss = tf.mean(tf.square(tf.sub(x, recon))) as tf.Scalar;
      const [b, t, c] = x.shape as [number, number, number];
      const dt = (y: tf.Tensor) => tf.sub(tf.slice(y, [0, 1, 0], [b, t - 1, c]), tf.slice(y, [0, 0, 0], [b, t - 1, c]));
      const velocityLoss = (t > 1 ? tf.mean(tf.square(tf.sub(dt(x), dt(recon)))) : tf.scalar(0)) as tf.Scalar;
      const commitLoss = q.loss; // β = 1 inside the quantiser: the weight is applied here
      const loss = tf.addN([reconLoss, tf.mul(this.config.velocity, velocityLoss), tf.mul(this.config.commitment, commitLoss)]) as tf.Scalar;
      return { recon, indices: q.indices, ze, reconLoss, velocityLoss, commitLoss, loss, perplexity: q.perplexity };
    });
  }

  /** Tokens of `x` without touching the codebook (eval-mode quantisation), int32 `[B, N]`. */
  tokens(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const wasTraining = this.quantizer.training;
      this.quantizer.eval();
      try {
        return this.quantizer.call(this.encode(x)).indices;
      } finally {
        this.quantizer.train(wasTraining);
      }
    });
  }

  /** The code vectors of tokens `[B, N]` → `[B, N, D]`. */
  codes(indices: tf.Tensor): tf.Tensor {
    return this.quantizer.lookup(indices);
  }
}
