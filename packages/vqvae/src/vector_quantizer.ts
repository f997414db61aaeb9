import * as tf from '@tensorflow/tfjs-core';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { Module, uniformTensor } from '@skelflow/core';

/** What {@link VectorQuantizer.call} and {@link VectorQuantizerEma.call} return. */
export interface QuantizerOutput {
  /** Straight-through quantised vectors `z + sg(e − z)`, the shape of the input `[..., D]`. */
  quantized: tf.Tensor;
  /** Index of the nearest code per vector, int32 `[...]` (the input shape without its last axis). */
  indices: tf.Tensor;
  /** Scalar training loss of the quantiser (see each class). */
  loss: tf.Scalar;
  /** Scalar codebook perplexity `exp(−Σ p log p)` of this batch's assignment; K when uniform, 1 when collapsed. */
  perplexity: tf.Scalar;
}

/**
 * Identity forward, zero gradient: the `sg[·]` (stop-gradient) of the VQ-VAE paper. tfjs-core has
 * no such op, so it is a custom gradient.
 *
 * @example
 * ```ts
 * const q = tf.add(z, stopGradient(tf.sub(e, z))); // straight-through estimator
 * ```
 */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/** Throws a ShapeError naming `source` unless `z` is `[..., dim]`. */
function checkVectors(z: tf.Tensor, dim: number, source: string): void {
  if (z.rank < 1 || z.shape[z.rank - 1] !== dim) {
    throw new ShapeError(`expected vectors [..., ${dim}], got [${z.shape}]`, { source });
  }
}

/**
 * Nearest code per row of `flat` [N, D] in `codebook` [K, D] by `‖z‖² − 2 z·Eᵀ + ‖E‖²`.
 * Returns int32 indices [N] and their float32 one-hot encodings [N, K].
 */
function assign(flat: tf.Tensor2D, codebook: tf.Tensor): { indices: tf.Tensor1D; oneHot: tf.Tensor2D } {
  const k = codebook.shape[0]!;
  const distances = tf.add(
    tf.sub(tf.sum(tf.square(flat), 1, true), tf.mul(2, tf.matMul(flat, codebook, false, true))),
    tf.reshape(tf.sum(tf.square(codebook), 1), [1, k]),
  );
  const indices = tf.argMin(distances, 1) as tf.Tensor1D;
  return { indices, oneHot: oneHotFloat(indices, k) as tf.Tensor2D };
}

/**
 * float32 one-hot encoding. tfjs-wasm 4.22's OneHot kernel ignores the `dtype` argument and writes
 * int32 bits into a float32 buffer (1 reads as 1.4e-45), so the one-hot is built as int32 and cast.
 */
function oneHotFloat(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.oneHot(indices, depth), 'float32');
}

/** `exp(−Σ p log(p + 1e-10))` with p the mean one-hot assignment over the batch. */
function perplexityOf(oneHot: tf.Tensor2D): tf.Scalar {
  const p = tf.mean(oneHot, 0);
  return tf.exp(tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-10)))))) as tf.Scalar;
}

/** Codes of `indices` as `oneHot(indices) · E`: a matMul, so the codebook gradient needs no gather. */
function lookupCodes(indices: tf.Tensor, codebook: tf.Tensor): tf.Tensor {
  const [k, d] = codebook.shape as [number, number];
  const oh = oneHotFloat(tf.reshape(tf.cast(indices, 'int32'), [-1]), k);
  return tf.reshape(tf.matMul(oh, codebook), [...indices.shape, d]);
}

function checkSizes(numEmbeddings: number, embeddingDim: number, source: string): void {
  for (const [name, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new InputError(`${name} must be a positive integer, got ${v}`, { source });
  }
}

/** Sonnet's codebook initialisation, VarianceScaling(fan_in = D, uniform): U(−√(3/D), √(3/D)). */
function initCodebook(rng: Rng, k: number, d: number): tf.Tensor {
  const bound = Math.sqrt(3 / d);
  return uniformTensor(rng, [k, d], -bound, bound);
}

/** Options of {@link VectorQuantizer}. */
export interface VectorQuantizerOptions {
  /** Commitment cost β. Default 0.25 (the paper's value). */
  beta?: number;
  /** Random stream for the codebook initialisation. Default `new Rng(0)`. */
  rng?: Rng;
}

/**
 * Vector quantiser of VQ-VAE with a trained codebook: every vector `z` of the last axis is replaced
 * by its nearest code `e = E[argmin_k ‖z − E_k‖²]`, and gradients pass straight through to the
 * encoder (`z_q = z + sg(e − z)`, so ∂z_q/∂z = I).
 *
 * The codebook is learnt through `loss = ‖sg[z] − e‖² + β‖z − sg[e]‖²` (codebook + commitment
 * terms, both as means over every element). `e` is built as `oneHot(indices) · E` with a matMul,
 * so the codebook gradient is a matMul too and needs neither `gather` nor its `UnsortedSegmentSum`
 * gradient (which the tfjs wasm backend lacks).
 *
 * Members: parameter `embeddings` `[numEmbeddings, embeddingDim]`, initialised
 * U(−√(3/D), √(3/D)) as Sonnet's `VectorQuantizer`.
 *
 * References: van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning"
 * (VQ-VAE), NeurIPS 2017; Sonnet `nets/vqvae.py` `VectorQuantizer`.
 *
 * @param numEmbeddings - codebook size K.
 * @param embeddingDim - code dimension D (the last axis of the input).
 * @param options - {@link VectorQuantizerOptions}.
 * @example
 * ```ts
 * const vq = new VectorQuantizer(64, 16, { rng: new Rng(0) });
 * const { quantized, indices, loss, perplexity } = vq.call(z); // z: [B, T, 16]
 * const total = tf.add(reconstructionLoss(decoder(quantized)), loss);
 * ```
 */
export class VectorQuantizer extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly beta: number;
  readonly embeddings: tf.Variable;

  constructor(numEmbeddings: number, embeddingDim: number, options: VectorQuantizerOptions = {}) {
    super();
    checkSizes(numEmbeddings, embeddingDim, 'VectorQuantizer');
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.beta = options.beta ?? 0.25;
    this.embeddings = this.addParameter('embeddings', initCodebook(options.rng ?? new Rng(0), numEmbeddings, embeddingDim));
  }

  /**
   * Quantises the last axis of `z`.
   *
   * @param z - encoder outputs `[..., D]`.
   * @returns {@link QuantizerOutput}; `loss` = codebook + β·commitment.
   */
  call(z: tf.Tensor): QuantizerOutput {
    checkVectors(z, this.embeddingDim, 'VectorQuantizer');
    return tf.tidy(() => {
      const flat = tf.reshape(z, [-1, this.embeddingDim]) as tf.Tensor2D;
      const { indices, oneHot } = assign(flat, this.embeddings);
      const e = tf.matMul(oneHot, this.embeddings);
      const codebookLoss = tf.mean(tf.square(tf.sub(stopGradient(flat), e)));
      const commitment = tf.mean(tf.square(tf.sub(flat, stopGradient(e))));
      const quantized = tf.add(flat, stopGradient(tf.sub(e, flat)));
      return {
        quantized: tf.reshape(quantized, z.shape),
        indices: tf.reshape(indices, z.shape.slice(0, -1)),
        loss: tf.add(codebookLoss, tf.mul(this.beta, commitment)) as tf.Scalar,
        perplexity: perplexityOf(oneHot),
      };
    });
  }

  /**
   * Codes of given indices, `E[indices]`, differentiable in the codebook (a matMul, no gather).
   * Decodes token sequences of a prior.
   *
   * @param indices - integer tensor `[...]` with values in [0, K).
   * @returns codes `[..., D]`.
   */
  lookup(indices: tf.Tensor): tf.Tensor {
    return tf.tidy(() => lookupCodes(indices, this.embeddings));
  }
}

/** Options of {@link VectorQuantizerEma}. */
export interface VectorQuantizerEmaOptions {
  /** EMA decay γ. Default 0.99 (Sonnet, T2M-GPT; lucidrains uses 0.8). */
  decay?: number;
  /** Laplace smoothing ε of the cluster sizes. Default 1e-5. */
  eps?: number;
  /** Commitment cost β; the loss is `β‖z − sg[e]‖²`. Default 0.25. */
  beta?: number;
  /**
   * Codes whose EMA cluster size falls below this value after an update are replaced by random
   * vectors of the current batch (lucidrains' `threshold_ema_dead_code`; T2M-GPT resets below 1).
   * Default 0 (off).
   */
  deadCodeThreshold?: number;
  /** Random stream for the codebook initialisation and the dead-code resets. Default `new Rng(0)`. */
  rng?: Rng;
  /**
   * The codebook update rule. `'laplace'` (default): the Laplace-smoothed EMA above, dead codes
   * reset with their statistics. `'t2m-gpt'`: T2M-GPT's `QuantizeEMAReset` — no smoothing,
   * `e_i = m_i / N_i` where `N_i ≥ deadCodeThreshold` (default 1 under this rule), else row i of
   * the (tiled) batch; `N` and `m` are *not* reset, so a revived code stays revived only while
   * its EMA count recovers.
   */
  rule?: 'laplace' | 't2m-gpt';
  /**
   * Initialise the codebook from the first training batch (T2M-GPT's `init_codebook`): codes =
   * the first K batch vectors (the batch tiled, plus N(0, (0.01/√D)²) noise drawn from `rng`, when
   * it has fewer than K), `embedAvg` = codes, `clusterSize` = ones. Adds the buffer `initialized`.
   * Default false.
   */
  initFromFirstBatch?: boolean;
}

/**
 * Vector quantiser of VQ-VAE whose codebook follows exponential moving averages of the encoder
 * outputs assigned to each code instead of a codebook loss (use one or the other, not both).
 * In training mode every `call` updates, from the batch's assignment `n_i` (count) and `Σ z→i`:
 *
 * `N_i ← γN_i + (1−γ)n_i`, `m_i ← γm_i + (1−γ)Σ_{z→i} z`,
 * `Ñ_i = (N_i + ε)/(Σ N + Kε) · Σ N` (Laplace smoothing), `e_i = m_i / Ñ_i`,
 *
 * then, with `deadCodeThreshold` > 0, resets each code with `N_i` below it to a random vector of
 * the batch (`N_i ← threshold`, `m_i ← vector·threshold`). Eval mode (`eval()`) freezes the codebook
 * so test data never changes it. The returned values use the codebook *before* the update.
 *
 * Cluster sizes start at ones and `m` at a copy of the codebook, as lucidrains'
 * `vector-quantize-pytorch`: a code that is never chosen then keeps `m/N` finite and near its
 * initial value, where Sonnet's zero start (which it offsets by EMA debiasing) lets `m/N` of an
 * unused code blow up. No debiasing is applied.
 *
 * Members: buffers `embeddings` `[K, D]` (not trainable), `clusterSize` `[K]`, `embedAvg` `[K, D]`.
 *
 * References: van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning"
 * (VQ-VAE), NeurIPS 2017 (appendix A.1); Razavi, van den Oord & Vinyals, "Generating Diverse
 * High-Fidelity Images with VQ-VAE-2", NeurIPS 2019; lucidrains `vector-quantize-pytorch`;
 * Zhang et al., "T2M-GPT", CVPR 2023 (`QuantizeEMAReset`).
 *
 * @param numEmbeddings - codebook size K.
 * @param embeddingDim - code dimension D.
 * @param options - {@link VectorQuantizerEmaOptions}.
 * @example
 * ```ts
 * const vq = new VectorQuantizerEma(512, 64, { decay: 0.99, deadCodeThreshold: 1, rng: new Rng(7) });
 * const { quantized, loss } = vq.call(z); // train mode: codebook updated
 * vq.eval();
 * const { indices } = vq.call(zTest);      // codebook frozen
 * ```
 */
export class VectorQuantizerEma extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly decay: number;
  readonly eps: number;
  readonly beta: number;
  readonly deadCodeThreshold: number;
  readonly embeddings: tf.Variable;
  readonly clusterSize: tf.Variable;
  readonly embedAvg: tf.Variable;
  readonly rule: 'laplace' | 't2m-gpt';
  /** `[1]`, 1 once the codebook was initialised from a batch; null without `initFromFirstBatch`. */
  readonly initialized: tf.Variable | null;
  private readonly rng: Rng;

  constructor(numEmbeddings: number, embeddingDim: number, options: VectorQuantizerEmaOptions = {}) {
    super();
    const src = 'VectorQuantizerEma';
    checkSizes(numEmbeddings, embeddingDim, src);
    this.decay = options.decay ?? 0.99;
    if (!(this.decay >= 0 && this.decay < 1)) throw new InputError(`decay must be in [0, 1), got ${this.decay}`, { source: src });
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new InputError(`eps must be > 0, got ${this.eps}`, { source: src });
    this.beta = options.beta ?? 0.25;
    this.rule = options.rule ?? 'laplace';
    if (this.rule !== 'laplace' && this.rule !== 't2m-gpt') throw new InputError(`unknown rule '${String(this.rule)}' (laplace, t2m-gpt)`, { source: src });
    this.deadCodeThreshold = options.deadCodeThreshold ?? (this.rule === 't2m-gpt' ? 1 : 0);
    if (!(this.deadCodeThreshold >= 0)) throw new InputError(`deadCodeThreshold must be ≥ 0, got ${this.deadCodeThreshold}`, { source: src });
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.rng = this.addRandomStream('rng', options.rng ?? new Rng(0));
    const init = initCodebook(this.rng, numEmbeddings, embeddingDim);
    this.embedAvg = this.addBuffer('embedAvg', tf.clone(init));
    this.embeddings = this.addBuffer('embeddings', init);
    this.clusterSize = this.addBuffer('clusterSize', tf.ones([numEmbeddings]));
    this.initialized = options.initFromFirstBatch ? this.addBuffer('initialized', tf.zeros([1])) : null;
  }

  /**
   * The first K rows of the batch `flat` [N, D], tiled with noise N(0, (0.01/√D)²) from the
   * module's `Rng` when N < K (T2M-GPT's `_tile`).
   */
  private tiledRows(flat: tf.Tensor2D): tf.Tensor2D {
    const [n, d] = flat.shape;
    const k = this.numEmbeddings;
    if (n >= k) return tf.slice(flat, [0, 0], [k, d]);
    const src = flat.dataSync();
    const out = new Float32Array(k * d);
    const std = 0.01 / Math.sqrt(d);
    for (let i = 0; i < k * d; i++) out[i] = src[i % (n * d)]! + std * this.rng.normal();
    return tf.tensor2d(out, [k, d]);
  }

  /**
   * Quantises the last axis of `z`; in training mode also updates the codebook (see the class).
   *
   * @param z - encoder outputs `[..., D]`.
   * @returns {@link QuantizerOutput}; `loss` = β·commitment only.
   */
  call(z: tf.Tensor): QuantizerOutput {
    checkVectors(z, this.embeddingDim, 'VectorQuantizerEma');
    return tf.tidy(() => {
      const flat = tf.reshape(z, [-1, this.embeddingDim]) as tf.Tensor2D;
      if (this.training && this.initialized && this.initialized.dataSync()[0] === 0) {
        tf.tidy(() => {
          const codes = this.tiledRows(stopGradient(flat) as tf.Tensor2D);
          this.embeddings.assign(codes);
          this.embedAvg.assign(codes);
          this.clusterSize.assign(tf.ones([this.numEmbeddings]));
          this.initialized!.assign(tf.ones([1]));
        });
      }
      const { indices, oneHot } = assign(flat, this.embeddings);
      const e = tf.matMul(oneHot, this.embeddings);
      const quantized = tf.add(flat, stopGradient(tf.sub(e, flat)));
      const out = {
        quantized: tf.reshape(quantized, z.shape),
        indices: tf.reshape(indices, z.shape.slice(0, -1)),
        loss: tf.mul(this.beta, tf.mean(tf.square(tf.sub(flat, stopGradient(e))))) as tf.Scalar,
        perplexity: perplexityOf(oneHot),
      };
      if (this.training) {
        if (this.rule === 't2m-gpt') this.updateT2m(flat, oneHot);
        else this.update(flat, oneHot);
      }
      return out;
    });
  }

  /** Codes of given indices, `E[indices]` (a matMul, no gather). @see VectorQuantizer.lookup */
  lookup(indices: tf.Tensor): tf.Tensor {
    return tf.tidy(() => lookupCodes(indices, this.embeddings));
  }

  /**
   * T2M-GPT's `update_codebook`: `N ← μN + (1−μ)n`, `m ← μm + (1−μ)Σz`, then
   * `e_i = m_i/N_i` where `N_i ≥ threshold`, else row i of the tiled batch (N and m unchanged).
   * All tensor ops (no read back) unless the batch is smaller than the codebook.
   */
  private updateT2m(flat: tf.Tensor2D, oneHot: tf.Tensor2D): void {
    tf.tidy(() => {
      const g = this.decay;
      const k = this.numEmbeddings;
      const x = stopGradient(flat) as tf.Tensor2D;
      const counts = tf.sum(oneHot, 0);
      const sums = tf.matMul(oneHot, x, true, false);
      const size = tf.add(tf.mul(g, this.clusterSize), tf.mul(1 - g, counts));
      const avg = tf.add(tf.mul(g, this.embedAvg), tf.mul(1 - g, sums));
      const usage = tf.reshape(tf.cast(tf.greaterEqual(size, this.deadCodeThreshold), 'float32'), [k, 1]);
      // max(N, 1e-30) only guards unused rows against 0/0; used rows have N ≥ threshold.
      const updated = tf.div(avg, tf.reshape(tf.maximum(size, 1e-30), [k, 1]));
      const codes = tf.add(tf.mul(usage, updated), tf.mul(tf.sub(1, usage), this.tiledRows(x)));
      this.clusterSize.assign(size);
      this.embedAvg.assign(avg);
      this.embeddings.assign(codes);
    });
  }

  /** One EMA step from a batch `flat` [N, D] and its one-hot assignment [N, K]. */
  private update(flat: tf.Tensor2D, oneHot: tf.Tensor2D): void {
    tf.tidy(() => {
      const g = this.decay;
      const k = this.numEmbeddings;
      const counts = tf.sum(oneHot, 0);
      const sums = tf.matMul(oneHot, flat, true, false);
      let size = tf.add(tf.mul(g, this.clusterSize), tf.mul(1 - g, counts));
      let avg = tf.add(tf.mul(g, this.embedAvg), tf.mul(1 - g, sums));
      const total = tf.sum(size);
      const smoothed = tf.mul(tf.div(tf.add(size, this.eps), tf.add(total, k * this.eps)), total);
      let codes = tf.div(avg, tf.reshape(smoothed, [k, 1]));
      if (this.deadCodeThreshold > 0) {
        const dead = tf.less(size, this.deadCodeThreshold).dataSync();
        const deadIds: number[] = [];
        dead.forEach((v, i) => {
          if (v) deadIds.push(i);
        });
        if (deadIds.length > 0) {
          const n = flat.shape[0];
          const picks = n >= deadIds.length ? this.rng.permutation(n).slice(0, deadIds.length) : deadIds.map(() => this.rng.int(n));
          // Row i of `rows` is the sampled batch vector for dead code i (row 0 elsewhere, masked out).
          const rowOf = new Int32Array(k);
          deadIds.forEach((c, j) => (rowOf[c] = picks[j]!));
          const mask = new Float32Array(k);
          deadIds.forEach((c) => (mask[c] = 1));
          const m1 = tf.tensor1d(mask);
          const m2 = tf.reshape(m1, [k, 1]);
          const keep2 = tf.sub(1, m2);
          const sampled = tf.mul(tf.gather(flat, tf.tensor1d(rowOf, 'int32')), m2); // forward only
          codes = tf.add(tf.mul(codes, keep2), sampled);
          avg = tf.add(tf.mul(avg, keep2), tf.mul(sampled, this.deadCodeThreshold));
          size = tf.add(tf.mul(size, tf.sub(1, m1)), tf.mul(m1, this.deadCodeThreshold));
        }
      }
      this.clusterSize.assign(size);
      this.embedAvg.assign(avg);
      this.embeddings.assign(codes);
    });
  }
}
