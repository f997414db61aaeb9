import * as tf from '@tensorflow/tfjs-core';
import { addChannelBias, channelMatMul } from './channel_matmul.js';
import { Module, defaultInit, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** How {@link temporalConv} lowers the convolution to matrix products (all give the same values). */
export type TemporalConvMethod = 'auto' | 'toeplitz' | 'im2col';

/**
 * Temporal convolution `Conv2d(Cin → Cout, (Kt, 1), padding ((Kt−1)/2, 0), stride 1)` on
 * `[B, Cin, T, V]` as a pure function: the output keeps length T and every joint is filtered
 * independently along time.
 *
 * Not `tf.conv2d`: tfjs's wasm backend has no `Conv2DBackpropFilter`, so conv2d cannot be trained
 * there. Two lowerings to ops that have wasm kernels and gradients on every backend:
 * - `toeplitz`: the weight becomes a banded `[Cout·T, Cin·T]` matrix (`w` times a constant 0/1
 *   shift tensor, so its gradient flows back to `w`) and the whole layer is one 2-D matMul with
 *   the activations laid out `[Cin·T, B·V]`. It does T/Kt times the necessary multiply-adds but
 *   is a single well-shaped product: ~5× faster than im2col at STG-NF's size (C = 2, T = 24,
 *   Kt = 13) on wasm.
 * - `im2col`: zero-pad T, slice the Kt shifted windows, concatenate them on the (leading) channel
 *   axis and multiply by `w` as `[Cout, Kt·Cin]`. Cheaper once channels are wide.
 * `auto` picks toeplitz when `(T/Kt)·√(Cin·Cout) ≤ 16`, the crossover measured on wasm.
 * Both keep the batch out of the matMul's batch dimension: tfjs's matMul gradient mishandles an
 * implicitly broadcast batch, and stacking windows on a new axis (`tf.stack`) has a pathological
 * wasm gradient (`Unpack` of a rank-5 tensor: seconds per call at STG-NF's size).
 *
 * References: Yan et al., ST-GCN, AAAI 2018 (the `tcn` branch); Hirschorn & Avidan, STG-NF,
 * ICCV 2023 (Kt = T//2 + 1).
 *
 * @param x - `[B, Cin, T, V]`.
 * @param weight - `[Cout, Cin, Kt]`, Kt odd (PyTorch's `[Cout, Cin, Kt, 1]` reshaped).
 * @param bias - `[Cout]` or null.
 * @param method - {@link TemporalConvMethod}; default `'auto'`.
 * @returns `[B, Cout, T, V]`.
 * @example
 * ```ts
 * const y = temporalConv(tf.ones([1, 2, 24, 18]), tf.ones([3, 2, 13]), null); // [1, 3, 24, 18]
 * ```
 */
export function temporalConv(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null = null, method: TemporalConvMethod = 'auto'): tf.Tensor {
  if (x.rank !== 4 || weight.rank !== 3 || x.shape[1] !== weight.shape[1]) {
    throw new ShapeError(`expected x [B, Cin, T, V] and weight [Cout, Cin, Kt], got [${x.shape}] and [${weight.shape}]`, { source: 'temporalConv' });
  }
  const [cout, cin, kt] = weight.shape as [number, number, number];
  if (kt % 2 !== 1) throw new ShapeError(`temporal kernel must be odd for 'same' padding, got ${kt}`, { source: 'temporalConv' });
  return tf.tidy(() => {
    const [b, , t, v] = x.shape as [number, number, number, number];
    let y: tf.Tensor;
    if (kt === 1) {
      y = channelMatMul(x, tf.reshape(weight, [cout, cin]));
    } else {
      const useToeplitz = method === 'toeplitz' || (method === 'auto' && (t / kt) * Math.sqrt(cin * cout) <= 16);
      y = useToeplitz ? toeplitzConv(x, weight, b, cin, cout, t, v, kt) : im2colConv(x, weight, b, cin, cout, t, v, kt);
    }
    return bias ? addChannelBias(y, bias) : y;
  });
}

function toeplitzConv(x: tf.Tensor, w: tf.Tensor, b: number, cin: number, cout: number, t: number, v: number, kt: number): tf.Tensor {
  const p = (kt - 1) / 2;
  // shift[k][τ][s] = 1 where input step s feeds output step τ through tap k; taps that fall in the
  // zero padding simply have no entry, which is the padding.
  const shift = new Float32Array(kt * t * t);
  for (let k = 0; k < kt; k++) {
    for (let tau = 0; tau < t; tau++) {
      const s = tau + k - p;
      if (s >= 0 && s < t) shift[(k * t + tau) * t + s] = 1;
    }
  }
  const band = tf.matMul(tf.reshape(w, [cout * cin, kt]), tf.tensor2d(shift, [kt, t * t])); // [Cout·Cin, T·T]
  const m = tf.reshape(tf.transpose(tf.reshape(band, [cout, cin, t, t]), [0, 2, 1, 3]), [cout * t, cin * t]);
  if (v === 1) {
    // A joint-constant signal (STG-NF's uniform graph) is already [B, Cin·T]: no transposes.
    return tf.reshape(tf.matMul(tf.reshape(x, [b, cin * t]), tf.transpose(m)), [b, cout, t, 1]);
  }
  const cols = tf.reshape(tf.transpose(tf.reshape(x, [b, cin * t, v]), [1, 0, 2]), [cin * t, b * v]);
  const y = tf.reshape(tf.matMul(m, cols), [cout * t, b, v]);
  return tf.reshape(tf.transpose(y, [1, 0, 2]), [b, cout, t, v]);
}

function im2colConv(x: tf.Tensor, w: tf.Tensor, b: number, cin: number, cout: number, t: number, v: number, kt: number): tf.Tensor {
  const p = (kt - 1) / 2;
  const xp = tf.pad(tf.transpose(x, [1, 0, 2, 3]), [[0, 0], [0, 0], [p, p], [0, 0]]); // [Cin, B, T+2p, V]
  const windows: tf.Tensor[] = [];
  for (let k = 0; k < kt; k++) windows.push(tf.slice(xp, [0, 0, k, 0], [cin, b, t, v]));
  // Concatenating on the leading axis is a contiguous copy (and its gradient contiguous slices);
  // rows come out tap-major, k·Cin + i, so the weight is reordered to match.
  const cols = tf.reshape(tf.concat(windows, 0), [kt * cin, b * t * v]);
  const wk = tf.reshape(tf.transpose(w, [0, 2, 1]), [cout, kt * cin]);
  return tf.transpose(tf.reshape(tf.matMul(wk, cols), [cout, b, t, v]), [1, 0, 2, 3]);
}

/** Options of {@link TemporalConv}. */
export interface TemporalConvOptions extends InitOptions {
  /** Learnable bias; default true (PyTorch's Conv2d default). */
  bias?: boolean;
  /** Lowering of the convolution ({@link TemporalConvMethod}); default `'auto'`. */
  method?: TemporalConvMethod;
}

/**
 * ST-GCN's temporal convolution as a layer: `Conv2d(Cin → Cout, (Kt, 1))` with 'same' zero
 * padding and stride 1 over `[B, C, T, V]` (see {@link temporalConv} for why it is not
 * `tf.conv2d`). Trains on cpu and wasm.
 *
 * PyTorch twin `nn.Conv2d(Cin, Cout, (Kt, 1), padding=((Kt−1)/2, 0))`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[Cout, Cin, Kt]` (PyTorch `[Cout, Cin, Kt, 1]`: drop the last axis) | U(±1/√(Cin·Kt)) |
 * | `bias` | `bias` | `[Cout]` | U(±1/√(Cin·Kt)) |
 *
 * References: Yan et al., ST-GCN, AAAI 2018; Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @param inChannels - Cin.
 * @param outChannels - Cout.
 * @param kernelSize - Kt, odd.
 * @param options - {@link TemporalConvOptions}.
 * @example
 * ```ts
 * const conv = new TemporalConv(2, 2, 13, { seed: 0 });
 * const y = conv.call(tf.randomNormal([8, 2, 24, 18])); // [8, 2, 24, 18]
 * ```
 */
export class TemporalConv extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly method: TemporalConvMethod;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: TemporalConvOptions = {}) {
    super();
    if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 !== 1) {
      throw new ShapeError(`temporal kernel must be a positive odd integer, got ${kernelSize}`, { source: 'TemporalConv' });
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.method = options.method ?? 'auto';
    const rng = resolveRng(options);
    const fanIn = inChannels * kernelSize;
    this.weight = this.addParameter('weight', defaultInit(rng, [outChannels, inChannels, kernelSize], fanIn));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [outChannels], fanIn)) : null;
  }

  /** `[B, Cin, T, V]` → `[B, Cout, T, V]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`expected [B, ${this.inChannels}, T, V], got [${x.shape}]`, { source: 'TemporalConv' });
    }
    return tf.tidy(() => temporalConv(x, this.weight, this.bias, this.method));
  }
}

/**
 * A 1×1 convolution over `[B, Cin, ...]` with bias, ST-GCN's residual projection
 * ({@link channelMatMul}, so it trains on wasm and cpu).
 *
 * PyTorch twin `nn.Conv2d(Cin, Cout, 1)`:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[Cout, Cin]` (PyTorch `[Cout, Cin, 1, 1]`: reshape) | U(±1/√Cin) |
 * | `bias` | `bias` | `[Cout]` | U(±1/√Cin) |
 *
 * References: Yan et al., ST-GCN, AAAI 2018 (`residual` branch); Hirschorn & Avidan, STG-NF,
 * ICCV 2023.
 *
 * @param inChannels - Cin.
 * @param outChannels - Cout.
 * @param options - {@link TemporalConvOptions} (`bias`, `seed`, `rng`).
 * @example
 * ```ts
 * const proj = new PointwiseConv(1, 2, { seed: 0 });
 * proj.call(tf.ones([4, 1, 24, 18])); // [4, 2, 24, 18]
 * ```
 */
export class PointwiseConv extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, options: TemporalConvOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const rng = resolveRng(options);
    this.weight = this.addParameter('weight', defaultInit(rng, [outChannels, inChannels], inChannels));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [outChannels], inChannels)) : null;
  }

  /** `[B, Cin, ...]` → `[B, Cout, ...]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank < 2 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`expected [B, ${this.inChannels}, ...], got [${x.shape}]`, { source: 'PointwiseConv' });
    }
    return tf.tidy(() => {
      const y = channelMatMul(x, this.weight);
      return this.bias ? addChannelBias(y, this.bias) : y;
    });
  }
}
