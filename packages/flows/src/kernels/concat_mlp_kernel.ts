import { registerConditionerKernel, type ConditionerPlan } from '@skelflow/fused';

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
      const wo = net.weights[l]!;
      const bo = net.biases[l]!;
      for (let b = 0; b < B; b++) {
        for (let o = 0; o < nout; o++) {
          let s = bo >= 0 ? P[bo + o]! : 0;
          const wr = wo + o * nin;
          const ar = b * nin;
          for (let i = 0; i < nin; i++) s += P[wr + i]! * prev[ar + i]!;
          out[b * nout + o] = last || s > 0 ? s : 0;
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
      const dIn = a.ws.get(`${a.key}d${l}`, B * nin);
      dIn.fill(0, 0, B * nin);
      for (let b = 0; b < B; b++) {
        const ar = b * nin;
        for (let o = 0; o < nout; o++) {
          const g = delta[b * nout + o]!;
          if (g === 0) continue;
          if (bo >= 0) G[bo + o] = G[bo + o]! + g;
          const wr = wo + o * nin;
          for (let i = 0; i < nin; i++) {
            G[wr + i] = G[wr + i]! + g * input[ar + i]!;
            dIn[ar + i] = dIn[ar + i]! + P[wr + i]! * g;
          }
        }
      }
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
