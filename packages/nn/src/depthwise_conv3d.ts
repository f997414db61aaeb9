import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultInit, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/**
 * Depthwise 3-D convolution with 'same' zero padding, stride 1 and dilation d over
 * `[B, C, T, H, W]` (PyTorch's NCDHW), as a pure function:
 * `y[b, c, t, h, w] = bias[c] + Σ_{i,j,k} weight[c, i, j, k] · x[b, c, t + d·i − p_t, h + d·j − p_h, w + d·k − p_w]`
 * with `p = d·(k − 1)/2` per axis (so every kernel size must be odd).
 *
 * Not `tf.conv3d`: tfjs's wasm backend has no Conv3D backprop kernels (and no depthwise 3-D
 * convolution at all). The lowering uses ops that have wasm kernels and gradients everywhere:
 * the W axis is a per-channel banded matrix (the `kw` taps of one (i, j) kernel row times constant
 * 0/1 shift matrices, one batched matMul with the channels as the batch), the T and H taps are
 * slices of the T/H-padded input. Taps whose window lies entirely in the padding (common with
 * dilation on small token grids, e.g. MGNet's 12 × 4 × 4) are skipped: they add exact zeros.
 * Cost: `kt·kh` batched matMuls of `[C, B·T·H, W] × [C, W, W]`, fine for small grids and kernels.
 *
 * References: Guo et al., "Visual Attention Network" (VAN, 2022), `LKA` (2-D depthwise and dilated
 * depthwise convolutions); MGNet / GENet (Yang et al., ACM MM 2024), `models/unamsk_encoder/van.py`
 * (the 3-D version).
 *
 * @param x `[B, C, T, H, W]`
 * @param weight `[C, kt, kh, kw]` (PyTorch `Conv3d(C, C, k, groups=C).weight` `[C, 1, kt, kh, kw]` without axis 1)
 * @param bias `[C]` or null
 * @param dilation d ≥ 1, the same on all axes (default 1)
 * @returns `[B, C, T, H, W]`
 * @throws ShapeError for mismatched shapes or an even kernel size
 *
 * @example
 * ```ts
 * const y = depthwiseConv3d(tf.ones([2, 1, 12, 4, 4]), tf.ones([1, 7, 7, 7]), null, 3); // [2, 1, 12, 4, 4]
 * ```
 */
export function depthwiseConv3d(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null = null, dilation = 1): tf.Tensor {
  if (x.rank !== 5 || weight.rank !== 4 || weight.shape[0] !== x.shape[1]) {
    throw new ShapeError(`expected x [B, C, T, H, W] and weight [C, kt, kh, kw], got [${x.shape}] and [${weight.shape}]`, {
      source: 'depthwiseConv3d',
    });
  }
  const [c, kt, kh, kw] = weight.shape as [number, number, number, number];
  if (kt % 2 !== 1 || kh % 2 !== 1 || kw % 2 !== 1) throw new ShapeError(`kernel sizes must be odd, got ${kt}×${kh}×${kw}`, { source: 'depthwiseConv3d' });
  if (!(Number.isInteger(dilation) && dilation >= 1)) throw new ShapeError(`dilation must be an integer ≥ 1, got ${dilation}`, { source: 'depthwiseConv3d' });
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== c)) throw new ShapeError(`bias must be [${c}], got [${bias.shape}]`, { source: 'depthwiseConv3d' });
  const [b, , t, h, w] = x.shape as [number, number, number, number, number];
  const d = dilation;
  const pt = (d * (kt - 1)) / 2;
  const ph = (d * (kh - 1)) / 2;
  const pw = (d * (kw - 1)) / 2;
  return tf.tidy(() => {
    // shift[k][wIn][wOut] = 1 where input column wIn feeds output column wOut through tap k.
    const shift = new Float32Array(kw * w * w);
    for (let k = 0; k < kw; k++) {
      for (let wo = 0; wo < w; wo++) {
        const wi = wo + d * k - pw;
        if (wi >= 0 && wi < w) shift[(k * w + wi) * w + wo] = 1;
      }
    }
    const shiftT = tf.tensor2d(shift, [kw, w * w]);
    // [C, B, T + 2pt, H + 2ph, W]: channels lead, so each slice reshapes to the matMul batch.
    const xp = tf.pad(tf.transpose(x, [1, 0, 2, 3, 4]), [[0, 0], [0, 0], [pt, pt], [ph, ph], [0, 0]]);
    const terms: tf.Tensor[] = [];
    for (let i = 0; i < kt; i++) {
      const ot = d * i - pt; // input offset along T of this tap
      if (ot <= -t || ot >= t) continue; // the window is all padding
      for (let j = 0; j < kh; j++) {
        const oh = d * j - ph;
        if (oh <= -h || oh >= h) continue;
        const win = tf.reshape(tf.slice(xp, [0, 0, d * i, d * j, 0], [c, b, t, h, w]), [c, b * t * h, w]);
        const row = tf.reshape(tf.slice(weight, [0, i, j, 0], [c, 1, 1, kw]), [c, kw]);
        const band = tf.reshape(tf.matMul(row, shiftT), [c, w, w]); // [C, Win, Wout]
        terms.push(tf.matMul(win, band)); // [C, B·T·H, W]
      }
    }
    let y = terms.length === 0 ? tf.zeros([c, b * t * h, w]) : terms.length === 1 ? terms[0]! : tf.addN(terms);
    y = tf.transpose(tf.reshape(y, [c, b, t, h, w]), [1, 0, 2, 3, 4]);
    return bias ? tf.add(y, tf.reshape(bias, [1, c, 1, 1, 1])) : y;
  });
}

/** Options of {@link DepthwiseConv3d}. */
export interface DepthwiseConv3dOptions extends InitOptions {
  /** Dilation on all three axes; default 1. */
  dilation?: number;
  /** Learnable bias; default true (PyTorch's default). */
  bias?: boolean;
}

/**
 * {@link depthwiseConv3d} as a layer: PyTorch's `nn.Conv3d(C, C, k, padding=d·(k−1)/2,
 * dilation=d, groups=C)`. Trains on cpu and wasm.
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[C, k, k, k]` (PyTorch `[C, 1, k, k, k]`: drop axis 1) | U(±1/√(k³)) |
 * | `bias` | `bias` | `[C]` | U(±1/√(k³)) |
 *
 * References: Guo et al., VAN (2022) `LKA`; Yang et al., MGNet (ACM MM 2024), GENet `van.py`.
 *
 * @example
 * ```ts
 * const dw = new DepthwiseConv3d(1, 7, { dilation: 3, seed: 0 });
 * dw.call(tf.ones([2, 1, 12, 4, 4])); // [2, 1, 12, 4, 4]
 * ```
 */
export class DepthwiseConv3d extends Module {
  readonly channels: number;
  readonly kernelSize: number;
  readonly dilation: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(channels: number, kernelSize: number, options: DepthwiseConv3dOptions = {}) {
    super();
    if (!(Number.isInteger(kernelSize) && kernelSize >= 1 && kernelSize % 2 === 1)) {
      throw new ShapeError(`kernel size must be a positive odd integer, got ${kernelSize}`, { source: 'DepthwiseConv3d' });
    }
    this.channels = channels;
    this.kernelSize = kernelSize;
    this.dilation = options.dilation ?? 1;
    const rng = resolveRng(options);
    const fanIn = kernelSize ** 3;
    this.weight = this.addParameter('weight', defaultInit(rng, [channels, kernelSize, kernelSize, kernelSize], fanIn));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [channels], fanIn)) : null;
  }

  /** `[B, C, T, H, W]` → `[B, C, T, H, W]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[1] !== this.channels) {
      throw new ShapeError(`expected [B, ${this.channels}, T, H, W], got [${x.shape}]`, { source: 'DepthwiseConv3d' });
    }
    return depthwiseConv3d(x, this.weight, this.bias, this.dilation);
  }
}
