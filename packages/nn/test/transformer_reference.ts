// Float64 oracles of the Transformer blocks' equations: plain loops, one head at a time, no
// reshape/transpose tricks (independent of the batched-heads tfjs code they check).
import type { NdArray } from '@skelflow/testing';
import { activationRef, layerNormRef, linearRef } from './reference.js';

/** Options of {@link mhaRef}. */
export interface MhaRefOptions {
  heads: number;
  causal?: boolean;
  /** `[B·Tk]` row-major, nonzero = padded key. */
  padding?: ArrayLike<number>;
}

const nd = (data: Float64Array, shape: number[]): NdArray => ({ data, shape });

/**
 * softmax((x W_qʰ + b_qʰ)(s W_kʰ + b_kʰ)ᵀ/√d_h + M)(s W_vʰ + b_vʰ) per head h and batch b, heads
 * concatenated, then W_o, b_o. `x` `[B, Tq, D]`, `s` `[B, Tk, D]`; state under `prefix`
 * (`inProjWeight`, `inProjBias`, `outProj.weight`, `outProj.bias`). Masked scores are dropped from
 * the softmax (−∞); a fully masked row is uniform (as our layer documents).
 */
export function mhaRef(x: NdArray, s: NdArray, state: Record<string, NdArray>, prefix: string, o: MhaRefOptions): Float64Array {
  const [B, Tq, D] = x.shape as [number, number, number];
  const Tk = s.shape[1]!;
  const H = o.heads;
  const dh = D / H;
  const W = state[`${prefix}inProjWeight`]!.data;
  const bIn = state[`${prefix}inProjBias`]?.data;
  const proj = (src: NdArray, T: number, part: number) => {
    // [B, T, D] rows times rows part·D … (part+1)·D of W.
    const out = new Float64Array(B * T * D);
    for (let r = 0; r < B * T; r++)
      for (let c = 0; c < D; c++) {
        let acc = bIn ? bIn[part * D + c]! : 0;
        for (let i = 0; i < D; i++) acc += src.data[r * D + i]! * W[(part * D + c) * D + i]!;
        out[r * D + c] = acc;
      }
    return out;
  };
  const q = proj(x, Tq, 0);
  const k = proj(s, Tk, 1);
  const v = proj(s, Tk, 2);
  const concat = new Float64Array(B * Tq * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++) {
        const allowed: boolean[] = [];
        const scores: number[] = [];
        for (let j = 0; j < Tk; j++) {
          const masked = (o.causal && j > i) || (o.padding !== undefined && o.padding[b * Tk + j] !== 0);
          allowed.push(!masked);
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q[(b * Tq + i) * D + h * dh + c]! * k[(b * Tk + j) * D + h * dh + c]!;
          scores.push(dot / Math.sqrt(dh));
        }
        const any = allowed.some((a) => a);
        const use = allowed.map((a) => a || !any);
        const max = Math.max(...scores.filter((_, j) => use[j]));
        const w = scores.map((sc, j) => (use[j] ? Math.exp(sc - max) : 0));
        const z = w.reduce((a, b2) => a + b2, 0);
        for (let c = 0; c < dh; c++) {
          let acc = 0;
          for (let j = 0; j < Tk; j++) acc += (w[j]! / z) * v[(b * Tk + j) * D + h * dh + c]!;
          concat[(b * Tq + i) * D + h * dh + c] = acc;
        }
      }
  return linearRef(nd(concat, [B, Tq, D]), state[`${prefix}outProj.weight`]!, state[`${prefix}outProj.bias`]);
}

/** Pre-LN block (eval): h = x + MHA(LN₁ x); y = h + W₂ gelu(W₁ LN₂ h + b₁) + b₂. */
export function blockRef(x: NdArray, state: Record<string, NdArray>, prefix: string, o: MhaRefOptions, eps = 1e-5): Float64Array {
  const D = x.shape[2]!;
  const n1 = nd(layerNormRef(x, 1, eps, state[`${prefix}norm1.weight`], state[`${prefix}norm1.bias`]), x.shape);
  const a = mhaRef(n1, n1, state, `${prefix}selfAttn.`, o);
  const h = x.data.map((v, i) => v + a[i]!);
  const n2 = nd(layerNormRef(nd(h, x.shape), 1, eps, state[`${prefix}norm2.weight`], state[`${prefix}norm2.bias`]), x.shape);
  const hid = linearRef(n2, state[`${prefix}linear1.weight`]!, state[`${prefix}linear1.bias`]).map((v) => activationRef(v, 'gelu'));
  const F = hid.length / (x.data.length / D);
  const m = linearRef(nd(hid, [...x.shape.slice(0, -1), F]), state[`${prefix}linear2.weight`]!, state[`${prefix}linear2.bias`]);
  return h.map((v, i) => v + m[i]!);
}

/** Stack of {@link blockRef} (`layers.{i}.`) then the final LayerNorm (`norm.`), eval mode. */
export function encoderRef(x: NdArray, state: Record<string, NdArray>, prefix: string, layers: number, o: MhaRefOptions, eps = 1e-5): Float64Array {
  let h = x;
  for (let l = 0; l < layers; l++) h = nd(blockRef(h, state, `${prefix}layers.${l}.`, o, eps), x.shape);
  return layerNormRef(h, 1, eps, state[`${prefix}norm.weight`], state[`${prefix}norm.bias`]);
}

/**
 * Logits `[B, L, K]` of the token model (eval) from its state: ids = [BOS = K, t_0…t_{L−2}],
 * x = E[ids] + P[0…L−1], causal encoder, head without bias.
 */
export function tokenLogitsRef(tokens: number[][], state: Record<string, NdArray>, K: number, layers: number, heads: number): Float64Array {
  const B = tokens.length;
  const L = tokens[0]!.length;
  const E = state['tokenEmbedding.weight']!;
  const P = state['positionEmbedding.weight']!;
  const D = E.shape[1]!;
  const x = new Float64Array(B * L * D);
  for (let b = 0; b < B; b++)
    for (let j = 0; j < L; j++) {
      const id = j === 0 ? K : tokens[b]![j - 1]!;
      for (let c = 0; c < D; c++) x[(b * L + j) * D + c] = E.data[id * D + c]! + P.data[j * D + c]!;
    }
  const h = encoderRef(nd(x, [B, L, D]), state, 'encoder.', layers, { heads, causal: true });
  return linearRef(nd(h, [B, L, D]), state['head.weight']!, undefined);
}
