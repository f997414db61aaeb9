import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';
import { LayerNorm } from './layer_norm.js';
import { TransformerBlock, type TransformerBlockOptions, type TransformerCallOptions } from './transformer_block.js';

/** Options of {@link TransformerEncoder}. */
export interface TransformerEncoderOptions extends TransformerBlockOptions {
  /** A LayerNorm after the last block (needed with pre-LN blocks); default true. */
  finalNorm?: boolean;
}

/**
 * A stack of pre-LN {@link TransformerBlock}s followed by a final LayerNorm (GPT-2's `ln_f`; a pre-LN
 * stack leaves its residual stream un-normalised otherwise). `[B, T, D]` → `[B, T, D]`; masks as in
 * {@link TransformerCallOptions}.
 *
 * PyTorch twin `nn.TransformerEncoder(nn.TransformerEncoderLayer(..., batch_first=True,
 * norm_first=True), num_layers, norm=nn.LayerNorm(D), enable_nested_tensor=False)`:
 *
 * | @skelflow | PyTorch | shape |
 * | --- | --- | --- |
 * | `layers.{i}.*` | `layers.{i}.*` | see {@link TransformerBlock} |
 * | `norm.weight`, `norm.bias` | `norm.weight`, `norm.bias` | `[D]` |
 *
 * Blocks initialise one after another from one seeded stream.
 *
 * @param dModel - D.
 * @param numHeads - H, a divisor of D.
 * @param numLayers - number of blocks (≥ 1).
 * @param options - {@link TransformerEncoderOptions}.
 * @example
 * ```ts
 * const enc = new TransformerEncoder(128, 4, 2, { dropout: 0.1, seed: 0 });
 * enc.call(x, { keyPaddingMask: pad }); // [B, T, 128]
 * ```
 */
export class TransformerEncoder extends Module {
  readonly dModel: number;
  readonly layers: TransformerBlock[] = [];
  readonly norm: LayerNorm | null;

  constructor(dModel: number, numHeads: number, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new ShapeError(`numLayers must be a positive integer, got ${numLayers}`, { source: 'TransformerEncoder' });
    this.dModel = dModel;
    const rng = resolveRng(options);
    for (let i = 0; i < numLayers; i++) this.layers.push(new TransformerBlock(dModel, numHeads, { ...options, rng }));
    this.addModule('layers', new BlockList(this.layers));
    this.norm = (options.finalNorm ?? true) ? this.addModule('norm', new LayerNorm(dModel, { eps: options.layerNormEps ?? 1e-5 })) : null;
  }

  /** `[B, T, D]` → `[B, T, D]`. */
  call(x: tf.Tensor, options: TransformerCallOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const block of this.layers) h = block.call(h, options);
      return this.norm ? this.norm.call(h) : tf.clone(h);
    });
  }
}

/** The blocks under `layers.{i}` (PyTorch's `ModuleList` naming). */
class BlockList extends Module {
  constructor(blocks: readonly Module[]) {
    super();
    blocks.forEach((b, i) => this.addModule(String(i), b));
  }
}
