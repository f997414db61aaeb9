import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultInit, resolveRng, type InitOptions } from '@skelflow/core';
import { ShapeError } from '@skelflow/base';

/** Geometry of {@link conv1d}: PyTorch's `Conv1d` arguments. */
export interface Conv1dGeometry {
  /** Step between output positions; default 1. */
  stride?: number;
  /** Zeros added at both ends of the time axis; default 0. */
  padding?: number;
  /** Spacing of the taps; default 1. */
  dilation?: number;
}

/** Output length of a 1-D convolution, PyTorch's `⌊(T + 2p − d(k − 1) − 1)/s⌋ + 1`. */
export function conv1dOutputLength(t: number, kernel: number, g: Conv1dGeometry = {}): number {
  const s = g.stride ?? 1;
  const p = g.padding ?? 0;
  const d = g.dilation ?? 1;
  return Math.floor((t + 2 * p - d * (kernel - 1) - 1) / s) + 1;
}

/**
 * A 1-D convolution over the time axis of channels-last sequences, `[B, T, Cin]` → `[B, T', Cout]`,
 * with PyTorch `Conv1d`'s stride, zero padding and dilation (cross-correlation, as PyTorch).
 *
 * Lowered to ops that have gradients on tfjs's wasm backend (which has no conv backprop filter):
 * pad the time axis, slice the `k` dilated windows, concatenate them on the channel axis
 * (im2col: `[B·T'', k·Cin]`) and multiply by the weight reordered to `[k·Cin, Cout]`, one 2-D
 * matMul. A stride s > 1 computes the stride-1 output and keeps every s-th row through a reshape
 * and a slice (no strided slice, whose gradient is a scatter): s× the multiply-adds of that layer,
 * which at T2M-GPT's one strided layer per level is cheaper than s window sets.
 *
 * @param x - `[B, T, Cin]`.
 * @param weight - `[Cout, Cin, k]` (PyTorch's layout).
 * @param bias - `[Cout]` or null.
 * @returns `[B, T', Cout]`, T' = {@link conv1dOutputLength}.
 * @example
 * ```ts
 * conv1d(tf.ones([2, 24, 36]), tf.ones([64, 36, 4]), null, { stride: 2, padding: 1 }); // [2, 12, 64]
 * ```
 */
export function conv1d(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null = null, g: Conv1dGeometry = {}): tf.Tensor {
  if (x.rank !== 3 || weight.rank !== 3 || x.shape[2] !== weight.shape[1]) {
    throw new ShapeError(`expected x [B, T, Cin] and weight [Cout, Cin, k], got [${x.shape}] and [${weight.shape}]`, { source: 'conv1d' });
  }
  const [b, t, cin] = x.shape as [number, number, number];
  const [cout, , k] = weight.shape as [number, number, number];
  const s = g.stride ?? 1;
  const p = g.padding ?? 0;
  const d = g.dilation ?? 1;
  const tOut = conv1dOutputLength(t, k, g);
  if (!(tOut >= 1)) throw new ShapeError(`a kernel of ${k} (dilation ${d}) does not fit ${t} frames with padding ${p}`, { source: 'conv1d' });
  return tf.tidy(() => {
    const xp = p > 0 ? tf.pad(x, [[0, 0], [p, p], [0, 0]]) : x;
    const full = t + 2 * p - d * (k - 1); // stride-1 output length
    const windows: tf.Tensor[] = [];
    for (let j = 0; j < k; j++) windows.push(tf.slice(xp, [0, j * d, 0], [b, full, cin]));
    const cols = k === 1 ? windows[0]! : tf.concat(windows, 2); // [B, full, k·Cin], tap-major
    const wk = tf.reshape(tf.transpose(weight, [2, 1, 0]), [k * cin, cout]);
    let y = tf.reshape(tf.matMul(tf.reshape(cols, [b * full, k * cin]), wk), [b, full, cout]);
    if (s > 1) {
      const need = tOut * s;
      if (need > full) y = tf.pad(y, [[0, 0], [0, need - full], [0, 0]]);
      else if (need < full) y = tf.slice(y, [0, 0, 0], [b, need, cout]);
      y = tf.reshape(tf.slice(tf.reshape(y, [b, tOut, s, cout]), [0, 0, 0, 0], [b, tOut, 1, cout]), [b, tOut, cout]);
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/** Options of {@link Conv1d}. */
export interface Conv1dOptions extends InitOptions, Conv1dGeometry {
  /** Learnable bias; default true (PyTorch's default). */
  bias?: boolean;
}

/**
 * PyTorch's `nn.Conv1d(Cin, Cout, k, stride, padding, dilation)` on channels-last sequences
 * `[B, T, Cin]` → `[B, T', Cout]` (see {@link conv1d} for the lowering). Trains on cpu and wasm.
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `weight` | `weight` | `[Cout, Cin, k]` | U(±1/√(Cin·k)) |
 * | `bias` | `bias` | `[Cout]` | U(±1/√(Cin·k)) |
 *
 * PyTorch runs `Conv1d` on `[B, C, T]`; transpose once at the ends of a network, not per layer.
 *
 * @example
 * ```ts
 * const down = new Conv1d(64, 64, 4, { stride: 2, padding: 1, seed: 0 });
 * down.call(tf.ones([8, 24, 64])); // [8, 12, 64]
 * ```
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly geometry: Required<Conv1dGeometry>;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dOptions = {}) {
    super();
    for (const [what, n] of [['inChannels', inChannels], ['outChannels', outChannels], ['kernelSize', kernelSize]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'Conv1d' });
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.geometry = { stride: options.stride ?? 1, padding: options.padding ?? 0, dilation: options.dilation ?? 1 };
    const rng = resolveRng(options);
    const fanIn = inChannels * kernelSize;
    this.weight = this.addParameter('weight', defaultInit(rng, [outChannels, inChannels, kernelSize], fanIn));
    this.bias = (options.bias ?? true) ? this.addParameter('bias', defaultInit(rng, [outChannels], fanIn)) : null;
  }

  /** `[B, T, Cin]` → `[B, T', Cout]`. */
  call(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inChannels) {
      throw new ShapeError(`expected [B, T, ${this.inChannels}], got [${x.shape}]`, { source: 'Conv1d' });
    }
    return tf.tidy(() => conv1d(x, this.weight, this.bias, this.geometry));
  }
}
