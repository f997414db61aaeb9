// Float64 oracles of the layers' equations (plain loops, independent of the tfjs code), for the
// layer contract's `reference` and the hand cases.
import type { NdArray } from '@skelflow/testing';
import type { Activation } from '../src/index.js';

const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** y[r, o] = b[o] + Σ_i x[r, i]·W[o, i] over the last axis of x. */
export function linearRef(x: NdArray, w: NdArray, b: NdArray | undefined): Float64Array {
  const [out, inF] = w.shape as [number, number];
  const rows = x.data.length / inF;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let s = b ? b.data[o]! : 0;
      for (let i = 0; i < inF; i++) s += x.data[r * inF + i]! * w.data[o * inF + i]!;
      y[r * out + o] = s;
    }
  return y;
}

export function activationRef(v: number, a: Activation, slope = 0.01): number {
  switch (a) {
    case 'relu':
      return Math.max(0, v);
    case 'leakyRelu':
      return v > 0 ? v : slope * v;
    case 'elu':
      return v > 0 ? v : Math.exp(v) - 1;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'gelu':
      return 0.5 * v * (1 + erfRef(v / Math.SQRT2));
    case 'identity':
      return v;
  }
}

/** erf by its Maclaurin series (|x| < 3) or the continued fraction of erfc (|x| ≥ 3), float64-accurate. */
export function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(−a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))), evaluated backwards.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** An MLP in eval mode: Linear layers named `{i}.weight`/`{i}.bias` in `state`, in index order. */
export function mlpRef(x: NdArray, state: Record<string, NdArray>, act: Activation, final: Activation, slope = 0.01): Float64Array {
  const idx = [...new Set(Object.keys(state).map((k) => Number(k.split('.')[0])))].sort((a, b) => a - b);
  let h = x;
  idx.forEach((i, k) => {
    const w = state[`${i}.weight`]!;
    const y = linearRef(h, w, state[`${i}.bias`]);
    const a = k + 1 < idx.length ? act : final;
    for (let j = 0; j < y.length; j++) y[j] = activationRef(y[j]!, a, slope);
    h = { data: y, shape: [...h.shape.slice(0, -1), w.shape[0]!] };
  });
  return h.data;
}

/** LayerNorm over the trailing `k` axes with the biased variance. */
export function layerNormRef(x: NdArray, k: number, eps: number, w?: NdArray, b?: NdArray): Float64Array {
  const n = size(x.shape.slice(x.shape.length - k));
  const y = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / n; r++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x.data[r * n + j]!;
    mean /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (x.data[r * n + j]! - mean) ** 2;
    v /= n;
    for (let j = 0; j < n; j++) y[r * n + j] = ((x.data[r * n + j]! - mean) / Math.sqrt(v + eps)) * (w ? w.data[j]! : 1) + (b ? b.data[j]! : 0);
  }
  return y;
}

/** BatchNorm over axis 1 of [B, C, ...]: batch statistics (biased variance) in train mode, running ones in eval. */
export function batchNormRef(x: NdArray, state: Record<string, NdArray>, training: boolean, eps = 1e-5): Float64Array {
  const [bs, c] = x.shape as [number, number];
  const inner = size(x.shape.slice(2));
  const y = new Float64Array(x.data.length);
  for (let ch = 0; ch < c; ch++) {
    let mean = state.runningMean!.data[ch]!;
    let v = state.runningVar!.data[ch]!;
    if (training) {
      const vals: number[] = [];
      for (let b = 0; b < bs; b++) for (let j = 0; j < inner; j++) vals.push(x.data[(b * c + ch) * inner + j]!);
      mean = vals.reduce((s, t) => s + t, 0) / vals.length;
      v = vals.reduce((s, t) => s + (t - mean) ** 2, 0) / vals.length;
    }
    const g = state.weight ? state.weight.data[ch]! : 1;
    const beta = state.bias ? state.bias.data[ch]! : 0;
    for (let b = 0; b < bs; b++)
      for (let j = 0; j < inner; j++) {
        const i = (b * c + ch) * inner + j;
        y[i] = ((x.data[i]! - mean) / Math.sqrt(v + eps)) * g + beta;
      }
  }
  return y;
}

/** y[b, o, …] = bias[o] + Σ_i w[o, i]·x[b, i, …]. */
export function pointwiseRef(x: NdArray, w: NdArray, bias: NdArray | undefined): Float64Array {
  const [bs, cin] = x.shape as [number, number];
  const cout = w.shape[0]!;
  const inner = size(x.shape.slice(2));
  const y = new Float64Array(bs * cout * inner);
  for (let b = 0; b < bs; b++)
    for (let o = 0; o < cout; o++)
      for (let j = 0; j < inner; j++) {
        let s = bias ? bias.data[o]! : 0;
        for (let i = 0; i < cin; i++) s += w.data[o * cin + i]! * x.data[(b * cin + i) * inner + j]!;
        y[(b * cout + o) * inner + j] = s;
      }
  return y;
}

/** y[b,o,t,v] = bias[o] + Σ_i Σ_k w[o,i,k]·x[b,i,t+k−p,v], zero outside [0, T). */
export function temporalConvRef(x: NdArray, w: NdArray, bias: NdArray | undefined): Float64Array {
  const [B, Ci, T, V] = x.shape as [number, number, number, number];
  const [Co, , K] = w.shape as [number, number, number];
  const p = (K - 1) / 2;
  const y = new Float64Array(B * Co * T * V);
  for (let b = 0; b < B; b++)
    for (let o = 0; o < Co; o++)
      for (let t = 0; t < T; t++)
        for (let v = 0; v < V; v++) {
          let s = bias ? bias.data[o]! : 0;
          for (let i = 0; i < Ci; i++)
            for (let k = 0; k < K; k++) {
              const tt = t + k - p;
              if (tt >= 0 && tt < T) s += w.data[(o * Ci + i) * K + k]! * x.data[((b * Ci + i) * T + tt) * V + v]!;
            }
          y[((b * Co + o) * T + t) * V + v] = s;
        }
  return y;
}

/**
 * PyTorch's Conv1d on channels-last `[B, T, Cin]` straight from its definition:
 * y[b, t, o] = bias[o] + Σ_i Σ_j W[o, i, j]·x[b, t·s + j·d − p, i] (zero outside).
 */
export function conv1dRef(x: NdArray, w: NdArray, b: NdArray | undefined, s: number, p: number, d: number): Float64Array {
  const [bs, t, cin] = x.shape as [number, number, number];
  const [cout, , k] = w.shape as [number, number, number];
  const tOut = Math.floor((t + 2 * p - d * (k - 1) - 1) / s) + 1;
  const y = new Float64Array(bs * tOut * cout);
  for (let bi = 0; bi < bs; bi++)
    for (let to = 0; to < tOut; to++)
      for (let o = 0; o < cout; o++) {
        let acc = b ? b.data[o]! : 0;
        for (let j = 0; j < k; j++) {
          const ti = to * s + j * d - p;
          if (ti < 0 || ti >= t) continue;
          for (let i = 0; i < cin; i++) acc += w.data[(o * cin + i) * k + j]! * x.data[(bi * t + ti) * cin + i]!;
        }
        y[(bi * tOut + to) * cout + o] = acc;
      }
  return y;
}
