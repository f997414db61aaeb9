import type * as tf from '@tensorflow/tfjs-core';
import { InputError } from '@skelflow/base';
import { AffineCoupling } from './affine_coupling.js';
import type { ForwardResult, InverseResult } from './bijector.js';
import { ConcatContextMlp, type ConcatContextMlpOptions } from './conditioners/concat_context_mlp.js';
import { checkVectors } from './tensor_utils.js';

/** Options of {@link ConditionalAffineCoupling}: those of its {@link ConcatContextMlp} conditioner. */
export type ConditionalAffineCouplingOptions = ConcatContextMlpOptions;

/**
 * Glow's affine coupling on vectors with a context: `h = [h_a, h_b]` with `h_a` the first ⌊D/2⌋
 * values, `(shift, raw) = net([h_a, c])` (the first D − ⌊D/2⌋ outputs are the shift, the rest the
 * raw scale — PyTorch's `chunk(2, dim=1)`), `scale = sigmoid(raw + 2) + 1e-6`,
 * `h_b' = (h_b + shift) · scale` (shift before scale, as Glow's code and STG-NF), `h_a' = h_a`;
 * log|det| = Σ log scale per sample. `net` is a {@link ConcatContextMlp} whose last layer starts at
 * zero, so a new coupling is the elementwise scale sigmoid(2) ≈ 0.88 of `h_b`.
 *
 * An {@link AffineCoupling} (`paramLayout: 'half'`, `scaleFn: 'sigmoid2'`,
 * `order: 'shiftThenScale'`) that checks for `[B, D]` inputs and builds its conditioner.
 * Members: child `net` (`net.mlp.0.weight`, …). PyTorch twin: `bench/torch/nflowad.py`
 * `ConditionalAffineCoupling` (same names).
 *
 * References: Kingma & Dhariwal, "Glow", NeurIPS 2018 (Table 1, affine coupling; the code's
 * sigmoid(·+2) scale); Dinh et al., "Real NVP", ICLR 2017; Choueb et al., NFlowAD (Eq. 3–4:
 * z_t = f_θ(h_t; c)); Hirschorn & Avidan, STG-NF, ICCV 2023 (shift-then-scale).
 *
 * @param dim - vector size D ≥ 2.
 * @param contextDim - context size K (0: unconditional).
 * @param options - {@link ConditionalAffineCouplingOptions} (`hidden`, `hiddenLayers`, `seed`/`rng`).
 * @example
 * ```ts
 * const coupling = new ConditionalAffineCoupling(6, 4, { hidden: 32, seed: 1 });
 * const { y, logDet } = coupling.forward(h, c); // h [B, 6], c [B, 4]
 * const { x: back } = coupling.inverse(y, c);
 * ```
 */
export class ConditionalAffineCoupling extends AffineCoupling {
  readonly dim: number;
  readonly contextDim: number;

  constructor(dim: number, contextDim: number, options: ConditionalAffineCouplingOptions = {}) {
    if (!Number.isInteger(dim) || dim < 2) throw new InputError(`dim must be an integer ≥ 2, got ${dim}`, { source: 'ConditionalAffineCoupling' });
    const split = Math.floor(dim / 2);
    super(new ConcatContextMlp(split, contextDim, 2 * (dim - split), options), { split, paramLayout: 'half', scaleFn: 'sigmoid2', order: 'shiftThenScale' });
    this.dim = dim;
    this.contextDim = contextDim;
  }

  override forward(x: tf.Tensor, context?: tf.Tensor): ForwardResult {
    checkVectors(x, 'ConditionalAffineCoupling', this.dim);
    return super.forward(x, context);
  }

  override inverse(y: tf.Tensor, context?: tf.Tensor): InverseResult {
    checkVectors(y, 'ConditionalAffineCoupling', this.dim);
    return super.inverse(y, context);
  }
}
