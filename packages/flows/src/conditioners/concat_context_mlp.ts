import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { Module, type InitOptions } from '@skelflow/core';
import { Mlp } from '@skelflow/nn';
import type { Conditioner } from '../bijector.js';
import { checkVectors } from '../tensor_utils.js';

/** Options of {@link ConcatContextMlp}. */
export interface ConcatContextMlpOptions extends InitOptions {
  /** Hidden units per hidden layer; default 128. */
  hidden?: number;
  /** Number of hidden ReLU layers; default 2 (Glow's coupling network `NN()`: two hidden layers, zero-initialised output). */
  hiddenLayers?: number;
  /** Start the output layer at zero, so the coupling starts as (nearly) the identity, as Glow's `Conv2dZeros`; default true. */
  zeroInitOutput?: boolean;
}

/**
 * The conditioner of a conditional coupling on vectors: an MLP on the concatenation of the
 * conditioning half and the context, `net([x1, c])`, `x1` `[B, Cin]`, `c` `[B, K]` → `[B, Cout]`
 * (`Linear(Cin + K, H) → ReLU → … → Linear(H, Cout)`, the last layer zero-initialised as Glow's
 * `Conv2dZeros`, without its learned output scale). Concatenating the context is the conditional
 * Glow of Winkler et al. and NFlowAD's "conditioned on the pooled context"; unlike
 * {@link ContextMlpConditioner} it has any depth and runs on `[B, D]` as plain 2-D matMuls.
 *
 * Members: child `mlp` (an {@link Mlp}: `mlp.0.weight`, `mlp.0.bias`, `mlp.2.weight`, …, the
 * indices of PyTorch's `nn.Sequential`). PyTorch twin: `bench/torch/nflowad.py` `ConcatContextMlp`.
 *
 * References: Kingma & Dhariwal, "Glow", NeurIPS 2018 (coupling network, zero-initialised last
 * layer); Winkler et al., "Learning likelihoods with conditional normalizing flows", 2019;
 * Choueb et al., NFlowAD (Eq. 3, flow conditioned on the pooled encoder context c).
 *
 * @param inDim - size Cin of the conditioning half.
 * @param contextDim - context size K (0: no context).
 * @param outDim - output size (2·C2 for an affine coupling).
 * @param options - {@link ConcatContextMlpOptions}.
 * @example
 * ```ts
 * const net = new ConcatContextMlp(3, 5, 6, { hidden: 16, seed: 0 });
 * net.call(tf.ones([2, 3]), tf.ones([2, 5])); // [2, 6], zeros at initialisation
 * ```
 */
export class ConcatContextMlp extends Module implements Conditioner {
  readonly inDim: number;
  readonly contextDim: number;
  readonly outDim: number;
  readonly mlp: Mlp;

  constructor(inDim: number, contextDim: number, outDim: number, options: ConcatContextMlpOptions = {}) {
    super();
    const source = 'ConcatContextMlp';
    const hidden = options.hidden ?? 128;
    const layers = options.hiddenLayers ?? 2;
    for (const [name, v, min] of [['inDim', inDim, 1], ['contextDim', contextDim, 0], ['outDim', outDim, 1], ['hidden', hidden, 1], ['hiddenLayers', layers, 0]] as const) {
      if (!Number.isInteger(v) || v < min) throw new InputError(`${name} must be an integer ≥ ${min}, got ${v}`, { source });
    }
    this.inDim = inDim;
    this.contextDim = contextDim;
    this.outDim = outDim;
    const sizes = [inDim + contextDim, ...Array.from({ length: layers }, () => hidden), outDim];
    this.mlp = this.addModule('mlp', new Mlp(sizes, { ...(options.rng ? { rng: options.rng } : { seed: options.seed ?? 0 }) }));
    if (options.zeroInitOutput ?? true) {
      const last = this.mlp.linears[this.mlp.linears.length - 1]!;
      tf.tidy(() => {
        last.weight.assign(tf.zerosLike(last.weight));
        last.bias?.assign(tf.zerosLike(last.bias));
      });
    }
  }

  /** `x1` `[B, Cin]` and `context` `[B, K]` → `[B, Cout]`. */
  call(x1: tf.Tensor, context?: tf.Tensor): tf.Tensor {
    checkVectors(x1, 'ConcatContextMlp', this.inDim);
    if (this.contextDim === 0) return this.mlp.call(x1);
    if (!context) throw new InputError(`a context [B, ${this.contextDim}] is required`, { source: 'ConcatContextMlp', location: 'context' });
    if (context.rank !== 2 || context.shape[0] !== x1.shape[0] || context.shape[1] !== this.contextDim) {
      throw new ShapeError(`context must be [${x1.shape[0]}, ${this.contextDim}], got [${context.shape}]`, { source: 'ConcatContextMlp', location: 'context' });
    }
    return tf.tidy(() => this.mlp.call(tf.concat([x1, context], 1)));
  }
}
