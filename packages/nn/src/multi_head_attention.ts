import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, uniformTensor, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError } from '@skelflow/base';
import { attentionBias } from './attention_mask.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions extends InitOptions {
  /** Drop probability on the attention weights (train mode only); default 0. PyTorch's `dropout`. */
  dropout?: number;
  /** Learnable biases of the input and output projections; default true. PyTorch's `bias`. */
  bias?: boolean;
}

/** Masks and switches of one {@link MultiHeadAttention} call. */
export interface AttentionCallOptions {
  /**
   * Source of keys and values `[B, Tk, D]` for cross-attention; default the query input itself
   * (self-attention).
   */
  keyValue?: tf.Tensor;
  /** Causal (look-ahead) mask: query `i` attends to keys `j ≤ i` only (needs `Tq = Tk`). */
  causal?: boolean;
  /**
   * `[B, Tk]`, nonzero / true = padded key, ignored by every query — PyTorch's `key_padding_mask`
   * convention (not a "keep" mask). Int, float or bool.
   */
  keyPaddingMask?: tf.Tensor;
}

/** Output of {@link MultiHeadAttention.attend}. */
export interface AttentionResult {
  /** `[B, Tq, D]`. */
  output: tf.Tensor;
  /** Per-head attention weights `[B, H, Tq, Tk]` after masking and softmax, before dropout. */
  weights: tf.Tensor;
}

/**
 * Multi-head scaled dot-product attention (Vaswani et al., "Attention Is All You Need", NeurIPS
 * 2017, Eq. 1 and §3.2.2):
 * `Attention(Q, K, V) = softmax(QKᵀ/√d_h + M) V` per head, heads concatenated and projected,
 * `MHA(x, s) = concat_h(Attention(x W_qʰ, s W_kʰ, s W_vʰ)) W_o`, with `s = x` for self-attention.
 * M is 0 or a large negative number ({@link MASKED_SCORE}) from the causal and key-padding masks.
 *
 * tfjs-core has no attention op, so this is built from ops with forward and gradient kernels on
 * wasm and cpu: the Q, K and V projections (row blocks of one `[3D, D]` weight), a reshape and a
 * rank-4 transpose each to batched heads `[B·H, T, d_h]` (no per-head loop), two batched matMuls and a softmax. Dropout on the attention
 * weights draws its masks from the seeded {@link Rng} (train mode only).
 *
 * PyTorch twin `nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first=True)`
 * (its state dict loads as is after camelCase → snake_case):
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `inProjWeight` | `in_proj_weight` | `[3D, D]` (rows: W_q, W_k, W_v) | Xavier U(±√(6/(D + 3D))) |
 * | `inProjBias` | `in_proj_bias` | `[3D]` | zeros |
 * | `outProj.weight` | `out_proj.weight` | `[D, D]` | U(±1/√D) |
 * | `outProj.bias` | `out_proj.bias` | `[D]` | zeros |
 *
 * Differences from PyTorch: {@link attend} returns per-head weights (PyTorch averages them by
 * default), and a query whose keys are all masked attends uniformly instead of returning NaN.
 *
 * @param embedDim - D, the model width (input and output last axis).
 * @param numHeads - H; must divide D (d_h = D / H).
 * @param options - {@link MultiHeadAttentionOptions}.
 * @example
 * ```ts
 * const mha = new MultiHeadAttention(64, 4, { seed: 0 });
 * const y = mha.call(x, { causal: true });                 // self-attention, [B, T, 64]
 * const { output, weights } = mha.attend(x, { keyValue: memory, keyPaddingMask: pad }); // cross
 * ```
 */
export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly inProjWeight: tf.Variable;
  readonly inProjBias: tf.Variable | null;
  readonly outProj: Linear;
  readonly dropout: Dropout;

  constructor(embedDim: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new ShapeError(`embedDim must be a positive integer, got ${embedDim}`, { source: 'MultiHeadAttention' });
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
      throw new ShapeError(`numHeads must be a positive divisor of embedDim ${embedDim}, got ${numHeads}`, { source: 'MultiHeadAttention' });
    }
    const p = options.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new InputError(`attention dropout must be in [0, 1), got ${p}`, { source: 'MultiHeadAttention' });
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    const rng = resolveRng(options);
    const bias = options.bias ?? true;
    const xavier = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.inProjWeight = this.addParameter('inProjWeight', uniformTensor(rng, [3 * embedDim, embedDim], -xavier, xavier));
    this.inProjBias = bias ? this.addParameter('inProjBias', tf.zeros([3 * embedDim])) : null;
    this.outProj = this.addModule('outProj', new Linear(embedDim, embedDim, { rng, bias }));
    const outBias = this.outProj.bias;
    if (outBias) tf.tidy(() => outBias.assign(tf.zerosLike(outBias))); // PyTorch zeroes it in _reset_parameters
    const dropoutRng = rng.fork();
    this.dropout = new Dropout(p, { rng: dropoutRng }); // no state: not a named child (PyTorch has none either)
    this.addRandomStream('dropout', dropoutRng); // …but its masks' stream goes into training checkpoints
  }

  override train(mode = true): this {
    super.train(mode);
    this.dropout.train(mode);
    return this;
  }

  /** `x` `[B, Tq, D]` → `[B, Tq, D]` (see {@link AttentionCallOptions}). */
  call(x: tf.Tensor, options: AttentionCallOptions = {}): tf.Tensor {
    return this.run(x, options, false).output;
  }

  /** Like {@link call}, and also returns the per-head attention weights `[B, H, Tq, Tk]`. */
  attend(x: tf.Tensor, options: AttentionCallOptions = {}): AttentionResult {
    const { output, weights } = this.run(x, options, true);
    return { output, weights: weights! };
  }

  private run(x: tf.Tensor, options: AttentionCallOptions, wantWeights: boolean): { output: tf.Tensor; weights: tf.Tensor | null } {
    const D = this.embedDim;
    const H = this.numHeads;
    const dh = this.headDim;
    const src = options.keyValue;
    this.checkInput(x, 'query');
    if (src) {
      this.checkInput(src, 'keyValue');
      if (src.shape[0] !== x.shape[0]) throw new ShapeError(`keyValue batch ${src.shape[0]} differs from the query batch ${x.shape[0]}`, { source: 'MultiHeadAttention', location: 'keyValue' });
    }
    const [B, Tq] = x.shape as [number, number, number];
    const Tk = src ? src.shape[1]! : Tq;
    let weightsOut: tf.Tensor | null = null;
    const output = tf.tidy(() => {
      // Each of Q, K, V: [B·T, D] → [B, T, H, d_h] → [B, H, T, d_h] (one rank-4 transpose; tfjs-wasm's
      // rank-5 transpose is ~40× slower) → [B·H, T, d_h]. Three matMuls against row blocks of
      // inProjWeight cost the same as one against all of it, and avoid splitting a [B, 3H, T, d_h]
      // tensor on a middle axis (a strided copy in SplitV and a Concat in its gradient).
      const heads = (t: tf.Tensor, part: number, T: number): tf.Tensor =>
        tf.reshape(tf.transpose(tf.reshape(this.project(t, part), [B, T, H, dh]), [0, 2, 1, 3]), [B * H, T, dh]);
      const kv = src ?? x;
      const q = heads(x, 0, Tq);
      const k = heads(kv, 1, Tk);
      const v = heads(kv, 2, Tk);
      // Scale Q before the product, as PyTorch does.
      let scores = tf.reshape(tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true), [B, H, Tq, Tk]);
      const bias = attentionBias(Tq, Tk, options.causal ?? false, options.keyPaddingMask, B);
      if (bias) scores = tf.add(scores, bias);
      const weights = tf.softmax(scores, -1);
      if (wantWeights) weightsOut = tf.keep(weights);
      const dropped = this.dropout.call(weights);
      const ctx = tf.matMul(tf.reshape(dropped, [B * H, Tq, Tk]), v); // [B·H, Tq, d_h]
      const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [B, H, Tq, dh]), [0, 2, 1, 3]), [B * Tq, D]);
      return this.outProj.call(tf.reshape(merged, [B, Tq, D]));
    });
    return { output, weights: weightsOut };
  }

  /** `t` `[B, T, D]` times block `part` (0 = Q, 1 = K, 2 = V) of the input projection: `[B·T, D]`. */
  private project(t: tf.Tensor, part: number): tf.Tensor {
    const D = this.embedDim;
    const rows = t.shape[0]! * t.shape[1]!;
    let y = tf.matMul(tf.reshape(t, [rows, D]), tf.slice(this.inProjWeight, [part * D, 0], [D, D]), false, true);
    if (this.inProjBias) y = tf.add(y, tf.slice(this.inProjBias, [part * D], [D]));
    return y;
  }

  private checkInput(t: tf.Tensor, what: string): void {
    if (t.rank !== 3 || t.shape[2] !== this.embedDim) {
      throw new ShapeError(`${what} must be [B, T, ${this.embedDim}], got [${t.shape}]`, { source: 'MultiHeadAttention', location: what });
    }
  }
}
