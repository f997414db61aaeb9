import { registerConditionerKernel, type ConditionerPlan } from '@skelflow/fused';
import { gemmABt, transposeInto } from './gemm.js';

// The fused engine's kernel of ConcatContextMlp (conditioners/concat_context_mlp.ts) on vectors:
// a₀ = [x1, c] per sample, a_{l+1} = relu(W_l·a_l + b_l), h = W_last·a_last + b_last. The
// activations stay in scratch for the backward pass.

/** A {@link ConcatContextMlp} as fused-engine plan data. */
export interface ConcatMlpPlan extends ConditionerPlan {
  kind: 'concat-mlp';
  contextSize: number;
  /** `[cin + K, hidden…, cout]`. */
  sizes: number[];
  /** Parameter offsets of each Linear's weight `[out, in]` and bias `[out]`. */
  weights: number[];
  biases: number[];
}

/** The registered conditioner kernel of `'concat-mlp'` plans (vectors: one position per sample). */
export const concatMlpKernel = registerConditionerKernel<ConcatMlpPlan>({
  kind: 'concat-mlp',
  module: import.meta.url,
  forward(net, a) {
    const { cin, contextSize: K, sizes } = net;
    const { B, P } = a;
    if (a.dims.N !== 1) throw new Error(`concat-mlp: runs on vectors (one position per sample), got ${a.dims.N}`);
    if (K > 0 && (!a.context || a.context.length < B * K)) throw new Error(`concat-mlp: expected a context of ${K} values per sample`);
    const in0 = sizes[0]!;
    const a0 = a.ws.get(a.key + 'a0', B * in0);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < cin; i++) a0[b * in0 + i] = a.x1[b * cin + i]!;
      for (let k = 0; k < K; k++) a0[b * in0 + cin + k] = a.context![b * K + k]!;
    }
    let prev = a0;
    const layers = sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      const nin = sizes[l]!;
      const nout = sizes[l + 1]!;
      const last = l === layers - 1;
      const out = last ? a.h : a.ws.get(`${a.key}a${l + 1}`, B * nout);
      // out = prev·Wᵀ + bias, then ReLU on hidden layers.
      gemmABt(prev, 0, B, P, net.weights[l]!, nout, nin, out, 0, false);
      const bo = net.biases[l]!;
      for (let b = 0; b < B; b++) {
        for (let o = 0; o < nout; o++) {
          const q = b * nout + o;
          const v = bo >= 0 ? out[q]! + P[bo + o]! : out[q]!;
          out[q] = last || v > 0 ? v : 0;
        }
      }
      prev = out;
    }
  },
  backward(net, a) {
    const { cin, sizes } = net;
    const { B, P, G } = a;
    const layers = sizes.length - 1;
    // δ of the current layer's output, [B, nout]; starts as dh.
    let delta = a.dh;
    for (let l = layers - 1; l >= 0; l--) {
      const nin = sizes[l]!;
      const nout = sizes[l + 1]!;
      const input = a.ws.get(l === 0 ? a.key + 'a0' : `${a.key}a${l}`, 0);
      const wo = net.weights[l]!;
      const bo = net.biases[l]!;
      if (bo >= 0) {
        for (let b = 0; b < B; b++) for (let o = 0; o < nout; o++) G[bo + o] = G[bo + o]! + delta[b * nout + o]!;
      }
      // dW += δᵀ·input (inner index: the batch), dIn = δ·W (inner index: the outputs).
      const dt = a.ws.get(`${a.key}dt`, nout * B);
      const it = a.ws.get(`${a.key}it`, nin * B);
      transposeInto(delta, 0, B, nout, dt);
      transposeInto(input, 0, B, nin, it);
      gemmABt(dt, 0, nout, it, 0, nin, B, G, wo, true);
      const wt = a.ws.get(`${a.key}wt`, nin * nout);
      transposeInto(P, wo, nout, nin, wt);
      const dIn = a.ws.get(`${a.key}d${l}`, B * nin);
      gemmABt(delta, 0, B, wt, 0, nin, nout, dIn, 0, false);
      if (l > 0) {
        // Through the ReLU that produced `input` (post-activation > 0 ⇔ pre-activation > 0).
        for (let q = 0; q < B * nin; q++) if (!(input[q]! > 0)) dIn[q] = 0;
      }
      delta = dIn;
    }
    const in0 = sizes[0]!;
    for (let b = 0; b < B; b++) for (let i = 0; i < cin; i++) a.dx1[b * cin + i] = delta[b * in0 + i]!;
  },
});
