import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError } from '@skelflow/base';
import { ACTIVATIONS, applyActivation, type Activation } from './activation.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layer_norm.js';
import { Linear } from './linear.js';
import { MultiHeadAttention } from './multi_head_attention.js';

/** Options of {@link TransformerBlock}. */
export interface TransformerBlockOptions extends InitOptions {
  /** Hidden width of the MLP; default 4·D (GPT's, T2M-GPT's `fc_rate` 4). */
  dimFeedforward?: number;
  /** Drop probability on attention weights, the MLP hidden layer and both residual branches; default 0.1 (PyTorch's). */
  dropout?: number;
  /** MLP activation; default `'gelu'` (exact, as `nn.GELU()`). */
  activation?: Activation;
  /** LayerNorm ε; default 1e-5. */
  layerNormEps?: number;
}

/** Masks of one {@link TransformerBlock} or {@link TransformerEncoder} call (self-attention). */
export interface TransformerCallOptions {
  /** Causal (look-ahead) mask: position i sees positions ≤ i only. */
  causal?: boolean;
  /** `[B, T]`, nonzero / true = padded position, ignored as a key (PyTorch's `src_key_padding_mask`). */
  keyPaddingMask?: tf.Tensor;
}

/**
 * A pre-LN Transformer block (GPT-2, Radford et al. 2019; Xiong et al., "On Layer Normalization in
 * the Transformer Architecture", ICML 2020):
 * `x ← x + Drop(MHA(LN₁(x)))`, then `x ← x + Drop(W₂ Drop(act(W₁ LN₂(x) + b₁)) + b₂)`.
 * Inputs and outputs `[B, T, D]`.
 *
 * PyTorch twin `nn.TransformerEncoderLayer(D, H, dim_feedforward, dropout, activation="gelu",
 * layer_norm_eps, batch_first=True, norm_first=True)`, the same block as T2M-GPT's `Block`
 * (`ln1`/`ln2`/`attn`/`mlp` there); the state dict loads after camelCase → snake_case:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `selfAttn.*` | `self_attn.*` | see {@link MultiHeadAttention} | |
 * | `linear1.weight`, `.bias` | `linear1.*` | `[F, D]`, `[F]` | U(±1/√D) |
 * | `linear2.weight`, `.bias` | `linear2.*` | `[D, F]`, `[D]` | U(±1/√F) |
 * | `norm1.weight`, `.bias` | `norm1.*` | `[D]` | ones, zeros |
 * | `norm2.weight`, `.bias` | `norm2.*` | `[D]` | ones, zeros |
 *
 * Dropout masks (attention weights, `dropout`, `dropout1`, `dropout2`, in PyTorch's places) come
 * from seeded streams forked from the initialisation stream; train mode only.
 *
 * @param dModel - D.
 * @param numHeads - H, a divisor of D.
 * @param options - {@link TransformerBlockOptions}.
 * @example
 * ```ts
 * const block = new TransformerBlock(64, 4, { dropout: 0.1, seed: 0 });
 * block.call(x, { causal: true }); // [B, T, 64]
 * ```
 */
export class TransformerBlock extends Module {
  readonly dModel: number;
  readonly dimFeedforward: number;
  readonly activation: Activation;
  readonly selfAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout: Dropout;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(dModel: number, numHeads: number, options: TransformerBlockOptions = {}) {
    super();
    const rng = resolveRng(options);
    const p = options.dropout ?? 0.1;
    this.activation = options.activation ?? 'gelu';
    if (!ACTIVATIONS.includes(this.activation)) {
      throw new InputError(`unknown activation '${this.activation}' (expected one of ${ACTIVATIONS.join(', ')})`, { source: 'TransformerBlock' });
    }
    this.dModel = dModel;
    this.dimFeedforward = options.dimFeedforward ?? 4 * dModel;
    const eps = options.layerNormEps ?? 1e-5;
    // Registration order = PyTorch's state-dict order.
    this.selfAttn = this.addModule('selfAttn', new MultiHeadAttention(dModel, numHeads, { dropout: p, rng }));
    this.linear1 = this.addModule('linear1', new Linear(dModel, this.dimFeedforward, { rng }));
    this.linear2 = this.addModule('linear2', new Linear(this.dimFeedforward, dModel, { rng }));
    this.norm1 = this.addModule('norm1', new LayerNorm(dModel, { eps }));
    this.norm2 = this.addModule('norm2', new LayerNorm(dModel, { eps }));
    const masks = rng.fork();
    this.dropout = this.addModule('dropout', new Dropout(p, { rng: masks }));
    this.dropout1 = this.addModule('dropout1', new Dropout(p, { rng: masks }));
    this.dropout2 = this.addModule('dropout2', new Dropout(p, { rng: masks }));
  }

  /** `[B, T, D]` → `[B, T, D]`. */
  call(x: tf.Tensor, options: TransformerCallOptions = {}): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dModel) throw new ShapeError(`expected [B, T, ${this.dModel}], got [${x.shape}]`, { source: 'TransformerBlock' });
    return tf.tidy(() => {
      const attn = this.selfAttn.call(this.norm1.call(x), { causal: options.causal ?? false, ...(options.keyPaddingMask ? { keyPaddingMask: options.keyPaddingMask } : {}) });
      const h = tf.add(x, this.dropout1.call(attn));
      const hidden = this.dropout.call(applyActivation(this.linear1.call(this.norm2.call(h)), this.activation));
      return tf.add(h, this.dropout2.call(this.linear2.call(hidden)));
    });
  }
}
