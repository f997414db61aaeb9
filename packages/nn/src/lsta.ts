import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';
import { DepthwiseConv3d } from './depthwise_conv3d.js';
import { PointwiseConv } from './temporal_conv.js';

/** Options of {@link LargeKernelAttention3d}. */
export interface LargeKernelAttention3dOptions extends InitOptions {
  /** Kernel of the first (plain) depthwise convolution; default 5 (VAN). */
  localKernel?: number;
  /** Kernel of the dilated depthwise convolution; default 7 (VAN). */
  dilatedKernel?: number;
  /** Dilation of the second convolution; default 3 (VAN: k = 21 decomposed as 5 + dilated 7). */
  dilation?: number;
}

/**
 * 3-D large-kernel attention map (3DLKA): depthwise `k_l³` convolution → dilated depthwise `k_d³`
 * convolution (dilation d) → 1³ convolution, all 'same' padded (2 and 9 for VAN's 5 and 7, d = 3),
 * on `[B, C, T, H, W]`. Returns the map itself (MGNet's LSTA applies σ and the residual; VAN's own
 * LKA multiplies it with its input instead). Receptive field per axis: k_l + d·(k_d − 1) = 23.
 *
 * PyTorch twin (`bench/torch/mgnet_blocks.py` `LKA3d`; GENet `models/unamsk_encoder/van.py` `LKA`
 * with Conv3d):
 *
 * | @skelflow | PyTorch | shape |
 * | --- | --- | --- |
 * | `conv0.weight`, `conv0.bias` | `conv0.weight` `[C,1,5,5,5]`, `conv0.bias` | `[C, 5, 5, 5]`, `[C]` |
 * | `conv_spatial.weight`, `conv_spatial.bias` | `conv_spatial.weight` `[C,1,7,7,7]`, `.bias` | `[C, 7, 7, 7]`, `[C]` |
 * | `conv1.weight`, `conv1.bias` | `conv1.weight` `[C,C,1,1,1]`, `conv1.bias` | `[C, C]`, `[C]` |
 *
 * References: Guo et al., "Visual Attention Network" (2022) `LKA`; Yang et al., MGNet (ACM MM
 * 2024) Eq. for LSTA, model card §5.2.
 */
export class LargeKernelAttention3d extends Module {
  readonly channels: number;
  readonly conv0: DepthwiseConv3d;
  readonly convSpatial: DepthwiseConv3d;
  readonly conv1: PointwiseConv;

  constructor(channels: number, options: LargeKernelAttention3dOptions = {}) {
    super();
    this.channels = channels;
    const rng = resolveRng(options);
    this.conv0 = this.addModule('conv0', new DepthwiseConv3d(channels, options.localKernel ?? 5, { rng }));
    this.convSpatial = this.addModule('conv_spatial', new DepthwiseConv3d(channels, options.dilatedKernel ?? 7, { rng, dilation: options.dilation ?? 3 }));
    this.conv1 = this.addModule('conv1', new PointwiseConv(channels, channels, { rng }));
  }

  /** `[B, C, T, H, W]` → the attention map `[B, C, T, H, W]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[1] !== this.channels) {
      throw new ShapeError(`expected [B, ${this.channels}, T, H, W], got [${x.shape}]`, { source: 'LargeKernelAttention3d' });
    }
    return tf.tidy(() => this.conv1.call(this.convSpatial.call(this.conv0.call(x))));
  }
}

/** An LSTA map as an affine operator on the flattened grid ({@link Lsta.linearOperator}); the caller disposes it. */
export interface LstaOperator {
  /** `[n, n]`: map = f·matrix + bias for f `[B, n]`. */
  matrix: tf.Tensor;
  /** `[1, n]`. */
  bias: tf.Tensor;
}

/**
 * MGNet's local spatio-temporal attention (LSTA) on `[B, C, T, H, W]` token grids:
 * `f = mean_c(e_in)` (`[B, 1, T, H, W]`), `f_o = 3DLKA(f)` (one channel,
 * {@link LargeKernelAttention3d}), `e_out = e_in + e_in ⊙ σ(f_o)` with the map broadcast over the
 * channels. With every 3DLKA weight and bias 0, σ(0) = ½ and `e_out = 1.5·e_in` exactly.
 *
 * PyTorch twin: `bench/torch/mgnet_blocks.py` `LSTA`; state names `lka.conv0.weight`, … as in
 * {@link LargeKernelAttention3d}.
 *
 * References: Yang et al., "Multilevel Guidance-Exploration Network and Behavior-Scene Matching
 * Method for Human Behavior Anomaly Detection", ACM MM 2024 (LSTA; the paper's `t × c × h × w`
 * token layout is our `[B, C, T, H, W]`); model card §5.2, §5.7.1.
 *
 * @example
 * ```ts
 * const lsta = new Lsta({ seed: 0 });
 * lsta.call(tf.ones([2, 64, 12, 4, 4])); // [2, 64, 12, 4, 4]
 * ```
 */
export class Lsta extends Module {
  readonly lka: LargeKernelAttention3d;

  constructor(options: LargeKernelAttention3dOptions = {}) {
    super();
    this.lka = this.addModule('lka', new LargeKernelAttention3d(1, options));
  }

  /**
   * `[B, C, T, H, W]` → `[B, C, T, H, W]`. With `operator` (from {@link Lsta.linearOperator} for
   * this grid and the current weights) the one-channel map is one matMul instead of the convolutions.
   */
  call(x: tf.Tensor, operator?: LstaOperator): tf.Tensor {
    if (x.rank !== 5) throw new ShapeError(`expected [B, C, T, H, W], got [${x.shape}]`, { source: 'Lsta' });
    return tf.tidy(() => {
      const mean = tf.mean(x, 1, true);
      let map: tf.Tensor;
      if (operator) {
        const b = x.shape[0]!;
        const n = mean.size / b;
        if (operator.matrix.shape[0] !== n) throw new ShapeError(`the operator is for ${operator.matrix.shape[0]} grid cells, the input has ${n}`, { source: 'Lsta' });
        map = tf.reshape(tf.add(tf.matMul(tf.reshape(mean, [b, n]), operator.matrix), operator.bias), mean.shape);
      } else {
        map = this.lka.call(mean);
      }
      return tf.add(x, tf.mul(x, tf.sigmoid(map)));
    });
  }

  /**
   * The 3DLKA map of a one-channel `[T, H, W]` grid is affine in its input (convolutions and a 1³
   * convolution of one channel): `map = f·M + c` with `c = 3DLKA(0)` and row i of M =
   * `3DLKA(e_i) − c`. Built by running the convolutions once on the `n = T·H·W` unit grids (and 0);
   * then {@link Lsta.call} with it costs one `[B, n]·[n, n]` matMul — for scoring many clips with
   * fixed weights (rebuild it after the weights change). Exact up to float32 rounding.
   */
  linearOperator(grid: readonly [number, number, number]): LstaOperator {
    const [t, h, w] = grid;
    const n = t * h * w;
    return tf.tidy(() => {
      const basis = tf.reshape(tf.concat([tf.zeros([1, n]), tf.eye(n)], 0), [n + 1, 1, t, h, w]);
      const out = tf.reshape(this.lka.call(basis), [n + 1, n]);
      const bias = tf.slice(out, [0, 0], [1, n]);
      const matrix = tf.sub(tf.slice(out, [1, 0], [n, n]), bias);
      return { matrix, bias };
    });
  }
}
