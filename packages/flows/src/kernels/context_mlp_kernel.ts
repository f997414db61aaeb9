import { registerConditionerKernel, type ConditionerPlan, type Dims } from '@skelflow/fused';

// The fused engine's kernel of ContextMlpConditioner (conditioners/context_mlp.ts): per sample b
// and position n, pre = W₁·x1[b, :, n] + (U·c_b + b₁), h = W₂·relu(pre) + b₂. The context term is
// computed once per sample and shared by its N positions.

/** A {@link ContextMlpConditioner}-shaped MLP as fused-engine plan data (parameter offsets). */
export interface ContextMlpPlan extends ConditionerPlan {
  kind: 'context-mlp';
  hidden: number;
  contextSize: number;
  /** `[H, cin]`. */
  w1: number;
  /** `[H, K]`, −1 without context. */
  u1: number;
  b1: number;
  /** `[cout, H]`. */
  w2: number;
  b2: number;
}

/** Per-sample hidden bias `hb[b, j] = b₁[j] + Σ_k U[j, k]·c[b, k]`. */
function hiddenBias(net: ContextMlpPlan, P: Float64Array, context: Float64Array | null, B: number, hb: Float64Array): void {
  const H = net.hidden;
  const K = net.contextSize;
  if (K > 0 && (!context || context.length < B * K)) throw new Error(`context-mlp: expected a context of ${K} values per sample`);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      let acc = P[net.b1 + j]!;
      for (let k = 0; k < K; k++) acc += P[net.u1 + j * K + k]! * context![b * K + k]!;
      hb[b * H + j] = acc;
    }
  }
}

/** h `[B, cout, N]` from x1 `[B, cin, N]`; keeps the pre-activations `[B, H, N]` under `key`. */
function mlpForward(net: ContextMlpPlan, P: Float64Array, x1: Float64Array, h: Float64Array, pre: Float64Array, hb: Float64Array, B: number, dims: Dims): void {
  const { cin, cout, hidden: H } = net;
  const N = dims.N;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const o = (b * H + j) * N;
      pre.fill(hb[b * H + j]!, o, o + N);
      for (let i = 0; i < cin; i++) {
        const w = P[net.w1 + j * cin + i]!;
        const xi = (b * cin + i) * N;
        for (let n = 0; n < N; n++) pre[o + n] = pre[o + n]! + w * x1[xi + n]!;
      }
    }
    for (let c = 0; c < cout; c++) {
      const o = (b * cout + c) * N;
      h.fill(P[net.b2 + c]!, o, o + N);
      for (let j = 0; j < H; j++) {
        const w = P[net.w2 + c * H + j]!;
        const pj = (b * H + j) * N;
        for (let n = 0; n < N; n++) {
          const a = pre[pj + n]!;
          if (a > 0) h[o + n] = h[o + n]! + w * a;
        }
      }
    }
  }
}

/** The registered conditioner kernel of `'context-mlp'` plans (no one-sample path: the coupling runs it on a batch of one). */
export const contextMlpKernel = registerConditionerKernel<ContextMlpPlan>({
  kind: 'context-mlp',
  module: import.meta.url,
  forward(net, a) {
    const pre = a.ws.get(a.key + 'pre', a.B * net.hidden * a.dims.N);
    const hb = a.ws.get(a.key + 'hb', a.B * net.hidden);
    hiddenBias(net, a.P, a.context, a.B, hb);
    mlpForward(net, a.P, a.x1, a.h, pre, hb, a.B, a.dims);
  },
  backward(net, a) {
    const { cin, cout, hidden: H, contextSize: K } = net;
    const { B, P, G, x1, dh, dx1 } = a;
    const N = a.dims.N;
    const pre = a.ws.get(a.key + 'pre', 0);
    const dpre = a.ws.get(a.key + 'dpre', B * H * N);
    dx1.fill(0, 0, B * cin * N);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < cout; c++) {
        const o = (b * cout + c) * N;
        let sb = 0;
        for (let n = 0; n < N; n++) sb += dh[o + n]!;
        G[net.b2 + c] = G[net.b2 + c]! + sb;
      }
      for (let j = 0; j < H; j++) {
        const pj = (b * H + j) * N;
        // dpre = relu'(pre)·Σ_c W₂[c, j]·dh[c]; W₂'s gradient from the same pass.
        for (let n = 0; n < N; n++) dpre[pj + n] = 0;
        for (let c = 0; c < cout; c++) {
          const w = P[net.w2 + c * H + j]!;
          const o = (b * cout + c) * N;
          let sw = 0;
          for (let n = 0; n < N; n++) {
            const p = pre[pj + n]!;
            if (p > 0) {
              sw += dh[o + n]! * p;
              dpre[pj + n] = dpre[pj + n]! + w * dh[o + n]!;
            }
          }
          G[net.w2 + c * H + j] = G[net.w2 + c * H + j]! + sw;
        }
        let sd = 0;
        for (let n = 0; n < N; n++) sd += dpre[pj + n]!;
        G[net.b1 + j] = G[net.b1 + j]! + sd;
        for (let k = 0; k < K; k++) G[net.u1 + j * K + k] = G[net.u1 + j * K + k]! + sd * a.context![b * K + k]!;
        for (let i = 0; i < cin; i++) {
          const w = P[net.w1 + j * cin + i]!;
          const xi = (b * cin + i) * N;
          let sw = 0;
          for (let n = 0; n < N; n++) {
            sw += dpre[pj + n]! * x1[xi + n]!;
            dx1[xi + n] = dx1[xi + n]! + w * dpre[pj + n]!;
          }
          G[net.w1 + j * cin + i] = G[net.w1 + j * cin + i]! + sw;
        }
      }
    }
  },
});
