// Float64 oracles of the MGNet blocks (plain loops, the definitions written out — a PyTorch3D-style
// naive convolution — independent of the tfjs lowering).
import type { NdArray } from '@skelflow/testing';

/**
 * Naive depthwise 3-D convolution, 'same' zero padding p = d(k−1)/2, stride 1:
 * y[b,c,t,h,w] = bias[c] + Σ_{i,j,k} W[c,i,j,k]·x[b,c,t+d·i−pt,h+d·j−ph,w+d·k−pw] (0 outside).
 */
export function depthwiseConv3dRef(x: NdArray, w: NdArray, bias: NdArray | undefined, d: number): Float64Array {
  const [B, C, T, H, W] = x.shape as [number, number, number, number, number];
  const [, kt, kh, kw] = w.shape as [number, number, number, number];
  const pt = (d * (kt - 1)) / 2;
  const ph = (d * (kh - 1)) / 2;
  const pw = (d * (kw - 1)) / 2;
  const y = new Float64Array(B * C * T * H * W);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++)
          for (let q = 0; q < W; q++) {
            let s = bias ? bias.data[c]! : 0;
            for (let i = 0; i < kt; i++) {
              const ti = t + d * i - pt;
              if (ti < 0 || ti >= T) continue;
              for (let j = 0; j < kh; j++) {
                const hj = h + d * j - ph;
                if (hj < 0 || hj >= H) continue;
                for (let k = 0; k < kw; k++) {
                  const wk = q + d * k - pw;
                  if (wk < 0 || wk >= W) continue;
                  s += w.data[((c * kt + i) * kh + j) * kw + k]! * x.data[((((b * C + c) * T + ti) * H + hj) * W + wk)]!;
                }
              }
            }
            y[((((b * C + c) * T + t) * H + h) * W + q)] = s;
          }
  return y;
}

/** 1×1×1 convolution over axis 1 of [B, Cin, ...]: y[b,o,·] = bias[o] + Σ_i W[o,i] x[b,i,·]. */
export function pointwiseRef(x: NdArray, w: NdArray, bias: NdArray): Float64Array {
  const [B, Cin] = x.shape as [number, number];
  const Cout = w.shape[0]!;
  const n = x.data.length / (B * Cin);
  const y = new Float64Array(B * Cout * n);
  for (let b = 0; b < B; b++)
    for (let o = 0; o < Cout; o++)
      for (let p = 0; p < n; p++) {
        let s = bias.data[o]!;
        for (let i = 0; i < Cin; i++) s += w.data[o * Cin + i]! * x.data[(b * Cin + i) * n + p]!;
        y[(b * Cout + o) * n + p] = s;
      }
  return y;
}

/** The 3DLKA map from a state dict with prefix (`''` or `'lka.'`). */
export function lkaRef(x: NdArray, s: Record<string, NdArray>, prefix: string, dilation = 3): Float64Array {
  const a = depthwiseConv3dRef(x, s[`${prefix}conv0.weight`]!, s[`${prefix}conv0.bias`], 1);
  const b = depthwiseConv3dRef({ data: a, shape: x.shape }, s[`${prefix}conv_spatial.weight`]!, s[`${prefix}conv_spatial.bias`], dilation);
  return pointwiseRef({ data: b, shape: x.shape }, s[`${prefix}conv1.weight`]!, s[`${prefix}conv1.bias`]!);
}

/** LSTA: e + e·σ(LKA(mean_c e)). */
export function lstaRef(x: NdArray, s: Record<string, NdArray>, dilation = 3): Float64Array {
  const [B, C] = x.shape as [number, number];
  const n = x.data.length / (B * C);
  const mean = new Float64Array(B * n);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let p = 0; p < n; p++) mean[b * n + p] += x.data[(b * C + c) * n + p]! / C;
  const map = lkaRef({ data: mean, shape: [B, 1, ...x.shape.slice(2)] }, s, 'lka.', dilation);
  const y = new Float64Array(x.data.length);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < n; p++) {
        const v = x.data[(b * C + c) * n + p]!;
        y[(b * C + c) * n + p] = v + v / (1 + Math.exp(-map[b * n + p]!));
      }
  return y;
}

function unit(v: ArrayLike<number>, off: number, d: number): number[] {
  let s = 0;
  for (let k = 0; k < d; k++) s += v[off + k]! ** 2;
  const n = Math.sqrt(s);
  return Array.from({ length: d }, (_, k) => v[off + k]! / n);
}

/** Cosine-softmax addressing weights [N, M]. */
export function addressRef(q: NdArray, items: NdArray): Float64Array {
  const [N, D] = q.shape as [number, number];
  const M = items.shape[0]!;
  const w = new Float64Array(N * M);
  for (let n = 0; n < N; n++) {
    const qu = unit(q.data, n * D, D);
    const s = Array.from({ length: M }, (_, i) => {
      const mu = unit(items.data, i * D, D);
      return qu.reduce((a, v, k) => a + v * mu[k]!, 0);
    });
    const mx = Math.max(...s);
    const e = s.map((v) => Math.exp(v - mx));
    const z = e.reduce((a, v) => a + v, 0);
    for (let i = 0; i < M; i++) w[n * M + i] = e[i]! / z;
  }
  return w;
}

/** Memory read-out [N, D] = address · items. */
export function memoryReadRef(q: NdArray, items: NdArray): Float64Array {
  const [N, D] = q.shape as [number, number];
  const M = items.shape[0]!;
  const w = addressRef(q, items);
  const y = new Float64Array(N * D);
  for (let n = 0; n < N; n++) for (let i = 0; i < M; i++) for (let k = 0; k < D; k++) y[n * D + k] += w[n * M + i]! * items.data[i * D + k]!;
  return y;
}
