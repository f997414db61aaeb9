import { bnAffine, bnBackward, bnForward, type BatchNormPlan } from '@skelflow/nn';
import { registerConditionerKernel, type ConditionerPlan, type Scratch } from '@skelflow/fused';

// The fused engine's kernel of an ST-GCN block with a uniform adjacency (StgcnBlock.fusedPlan):
// the graph product is then a sum over joints, so the whole graph/temporal branch runs on
// joint sums `[B, C, T]` and only the residual and the output touch every joint.

/**
 * An ST-GCN block whose every adjacency partition is constant (`A[k] = a_k·11ᵀ`), so the graph
 * product is a sum over joints and the temporal branch is joint-independent.
 */
export interface StgcnUniformPlan extends ConditionerPlan {
  kind: 'stgcn-uniform';
  /** Temporal kernel (odd). */
  kt: number;
  /** a_k of each partition. */
  partitions: number[];
  gcnWeight: number;
  gcnBias: number;
  bn1: BatchNormPlan;
  tcnWeight: number;
  tcnBias: number;
  bn2: BatchNormPlan;
  residual: 'none' | 'identity' | 'conv';
  resWeight: number;
  resBias: number;
  resBn: BatchNormPlan | null;
  finalRelu: boolean;
  /** Channels Cc of the per-frame context (`[Cc, T]` per sample, broadcast over joints); 0 or absent: none. */
  contextChannels?: number;
  /** `[cout, Cc]` context projection added to the graph-conv output, −1 (or absent) without. */
  ctxGcn?: number;
  /** `[cout, Cc]` context projection added to the residual conv output, −1 (or absent) without. */
  ctxRes?: number;
}

/** Whether the plan takes a context, which the flow then passes as `[B, Cc·T]`. */
function hasContext(net: StgcnUniformPlan): boolean {
  return (net.contextChannels ?? 0) > 0;
}

function checkContext(net: StgcnUniformPlan, context: Float64Array | null, B: number, T: number): Float64Array {
  const k = (net.contextChannels ?? 0) * T;
  if (!context || context.length < B * k) throw new Error(`stgcn-uniform: expected a context of ${k} values per sample`);
  return context;
}

/** out[b, o, t] += Σ_j W[o, j]·ctx[b, j, t] for a `[cout, Cc]` projection at offset `w` (joint-constant). */
function addContextProjection(P: Float64Array, w: number, cout: number, cc: number, ctx: Float64Array, out: Float64Array, B: number, T: number): void {
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < cout; o++) {
      const oo = (b * cout + o) * T;
      for (let j = 0; j < cc; j++) {
        const wj = P[w + o * cc + j]!;
        if (wj === 0) continue;
        const cj = (b * cc + j) * T;
        for (let t = 0; t < T; t++) out[oo + t] = out[oo + t]! + wj * ctx[cj + t]!;
      }
    }
  }
}

/** G[w + o·Cc + j] += Σ_b Σ_t d[b, o, t]·ctx[b, j, t]. */
function contextProjectionGrad(G: Float64Array, w: number, cout: number, cc: number, ctx: Float64Array, d: Float64Array, B: number, T: number): void {
  for (let o = 0; o < cout; o++) {
    for (let j = 0; j < cc; j++) {
      let acc = 0;
      for (let b = 0; b < B; b++) {
        const dd = (b * cout + o) * T;
        const cj = (b * cc + j) * T;
        for (let t = 0; t < T; t++) acc += d[dd + t]! * ctx[cj + t]!;
      }
      G[w + o * cc + j] = G[w + o * cc + j]! + acc;
    }
  }
}

export function stgcnForward(
  net: StgcnUniformPlan, P: Float64Array, S: Float64Array, x: Float64Array, h: Float64Array,
  B: number, T: number, V: number, train: boolean, ws: Scratch, key: string, context: Float64Array | null = null,
): void {
  const { cin, cout } = net;
  const N = T * V;
  const sums = ws.get(key + 'S', B * cin * T);
  sumJoints(x, sums, B * cin, T, V);
  const q = tcnBranchForward(net, P, S, sums, B, T, V, train, ws, key, context);
  if (net.residual === 'conv') {
    const rr = ws.get(key + 'rr', B * cout * N);
    residualConv(net, P, x, rr, B, N);
    if (hasContext(net) && (net.ctxRes ?? -1) >= 0) {
      const ctx = checkContext(net, context, B, T);
      const cr = ws.get(key + 'cr', B * cout * T);
      cr.fill(0, 0, B * cout * T);
      addContextProjection(P, net.ctxRes!, cout, net.contextChannels!, ctx, cr, B, T);
      for (let r = 0; r < B * cout * T; r++) {
        const c = cr[r]!;
        for (let v = 0; v < V; v++) rr[r * V + v] = rr[r * V + v]! + c;
      }
    }
    bnForward(net.resBn as BatchNormPlan, P, S, rr, rr, train ? ws.get(key + 'xhr', B * cout * N) : null, B, N, 1, train, ws.get(key + 'invr', cout));
    addJointConstant(q, rr, h, B * cout, T, V, net.finalRelu);
  } else if (net.residual === 'identity') {
    addJointConstant(q, x, h, B * cout, T, V, net.finalRelu);
  } else {
    broadcastJoints(q, h, B * cout, T, V, net.finalRelu);
  }
}

/**
 * The joint-constant part of a uniform ST-GCN block, from the joint sums `sums` `[B, cin, T]`:
 * graph conv (Σ_k a_k (W_k·s + V b_k)), BatchNorm, ReLU, temporal conv, BatchNorm → q `[B, cout, T]`.
 * With a context, the projection `ctxGcn·c` is added to the graph-conv output before BatchNorm.
 * Keeps what {@link tcnBranchBackward} needs under `key`.
 */
export function tcnBranchForward(
  net: StgcnUniformPlan, P: Float64Array, S: Float64Array, sums: Float64Array, B: number, T: number, V: number,
  train: boolean, ws: Scratch, key: string, context: Float64Array | null = null,
): Float64Array {
  const { cin, cout, kt } = net;
  const pad = (kt - 1) >> 1;
  const weff = ws.get(key + 'weff', cout * cin);
  const beff = ws.get(key + 'beff', cout);
  effectiveGcn(net, P, V, weff, beff);
  const g = ws.get(key + 'g', B * cout * T);
  channelMix(weff, beff, sums, g, B, cin, cout, T);
  if (hasContext(net) && (net.ctxGcn ?? -1) >= 0) addContextProjection(P, net.ctxGcn!, cout, net.contextChannels!, checkContext(net, context, B, T), g, B, T);
  const u = ws.get(key + 'u', B * cout * T);
  bnForward(net.bn1, P, S, g, u, train ? ws.get(key + 'xh1', B * cout * T) : null, B, T, V, train, ws.get(key + 'inv1', cout));
  const r = ws.get(key + 'r', B * cout * (T + 2 * pad));
  reluPadded(u, r, B * cout, T, pad);
  const cv = ws.get(key + 'cv', B * cout * T);
  if (cout === 2) temporalConv2(P, net.tcnWeight, net.tcnBias, r, cv, B, T, kt);
  else temporalConv(P, net.tcnWeight, net.tcnBias, r, cv, B, cout, T, kt);
  const q = ws.get(key + 'q', B * cout * T);
  bnForward(net.bn2, P, S, cv, q, train ? ws.get(key + 'xh2', B * cout * T) : null, B, T, V, train, ws.get(key + 'inv2', cout));
  return q;
}

/** s[r, t] = Σ_v x[r, t, v]. */
export function sumJoints(x: Float64Array, s: Float64Array, rows: number, T: number, V: number): void {
  for (let r = 0; r < rows * T; r++) {
    let acc = 0;
    const o = r * V;
    for (let v = 0; v < V; v++) acc += x[o + v]!;
    s[r] = acc;
  }
}

export function effectiveGcn(net: StgcnUniformPlan, P: Float64Array, V: number, weff: Float64Array, beff: Float64Array): void {
  const { cin, cout } = net;
  weff.fill(0, 0, cout * cin);
  for (let c = 0; c < cout; c++) {
    let bsum = 0;
    for (let k = 0; k < net.partitions.length; k++) {
      const a = net.partitions[k]!;
      if (net.gcnBias >= 0) bsum += a * V * P[net.gcnBias + k * cout + c]!;
      for (let i = 0; i < cin; i++) weff[c * cin + i] = weff[c * cin + i]! + a * P[net.gcnWeight + (k * cout + c) * cin + i]!;
    }
    beff[c] = bsum;
  }
}

/** g[b, c, t] = beff_c + Σ_i weff[c, i]·s[b, i, t]. */
export function channelMix(weff: Float64Array, beff: Float64Array, s: Float64Array, g: Float64Array, B: number, cin: number, cout: number, T: number): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < cout; c++) {
      const o = (b * cout + c) * T;
      g.fill(beff[c]!, o, o + T);
      for (let i = 0; i < cin; i++) {
        const w = weff[c * cin + i]!;
        const si = (b * cin + i) * T;
        for (let t = 0; t < T; t++) g[o + t] = g[o + t]! + w * s[si + t]!;
      }
    }
  }
}

/** r = relu(u) with `pad` zeros on both ends of every row. */
export function reluPadded(u: Float64Array, r: Float64Array, rows: number, T: number, pad: number): void {
  const TP = T + 2 * pad;
  for (let row = 0; row < rows; row++) {
    const o = row * TP;
    r.fill(0, o, o + pad);
    r.fill(0, o + pad + T, o + TP);
    for (let t = 0; t < T; t++) {
      const val = u[row * T + t]!;
      r[o + pad + t] = val > 0 ? val : 0;
    }
  }
}

/** {@link temporalConv} for two channels: four independent sums per frame, 1.5 loads per multiply-add. */
export function temporalConv2(P: Float64Array, w: number, bias: number, r: Float64Array, cv: Float64Array, B: number, T: number, kt: number): void {
  const TP = T + kt - 1;
  const c0 = bias >= 0 ? P[bias]! : 0;
  const c1 = bias >= 0 ? P[bias + 1]! : 0;
  for (let b = 0; b < B; b++) {
    const r0 = b * 2 * TP;
    const r1 = r0 + TP;
    const o0 = b * 2 * T;
    const o1 = o0 + T;
    for (let t = 0; t < T; t++) {
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let j = 0; j < kt; j++) {
        const x0 = r[r0 + t + j]!;
        const x1 = r[r1 + t + j]!;
        s00 += P[w + j]! * x0;
        s01 += P[w + kt + j]! * x1;
        s10 += P[w + 2 * kt + j]! * x0;
        s11 += P[w + 3 * kt + j]! * x1;
      }
      cv[o0 + t] = c0 + s00 + s01;
      cv[o1 + t] = c1 + s10 + s11;
    }
  }
}

/** cv[b, o, t] = bias_o + Σ_i Σ_j W[o, i, j]·r[b, i, t + j] over zero-padded rows r. */
export function temporalConv(P: Float64Array, w: number, bias: number, r: Float64Array, cv: Float64Array, B: number, C: number, T: number, kt: number): void {
  const TP = T + kt - 1;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < C; o++) {
      const out = (b * C + o) * T;
      cv.fill(bias >= 0 ? P[bias + o]! : 0, out, out + T);
      for (let i = 0; i < C; i++) {
        const w0 = w + (o * C + i) * kt;
        const ri = (b * C + i) * TP;
        // Tap by tap over t: independent multiply-adds, not one dependent chain per output.
        for (let j = 0; j < kt; j++) {
          const wj = P[w0 + j]!;
          const rj = ri + j;
          for (let t = 0; t < T; t++) cv[out + t] = cv[out + t]! + wj * r[rj + t]!;
        }
      }
    }
  }
}

/** rr[b, o, n] = bias_o + Σ_i W[o, i]·x[b, i, n] (1×1 convolution). */
export function residualConv(net: StgcnUniformPlan, P: Float64Array, x: Float64Array, rr: Float64Array, B: number, N: number): void {
  const { cin, cout } = net;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < cout; o++) {
      const bias = net.resBias >= 0 ? P[net.resBias + o]! : 0;
      const out = (b * cout + o) * N;
      rr.fill(bias, out, out + N);
      for (let i = 0; i < cin; i++) {
        const w = P[net.resWeight + o * cin + i]!;
        const xi = (b * cin + i) * N;
        for (let n = 0; n < N; n++) rr[out + n] = rr[out + n]! + w * x[xi + n]!;
      }
    }
  }
}

/** h[r, t, v] = act(q[r, t] + e[r, t, v]) over `rows` rows of T×V. */
export function addJointConstant(q: Float64Array, e: Float64Array, h: Float64Array, rows: number, T: number, V: number, relu: boolean): void {
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) {
      const qv = q[r * T + t]!;
      const o = (r * T + t) * V;
      if (relu) {
        for (let v = 0; v < V; v++) {
          const val = qv + e[o + v]!;
          h[o + v] = val > 0 ? val : 0;
        }
      } else {
        for (let v = 0; v < V; v++) h[o + v] = qv + e[o + v]!;
      }
    }
  }
}

/** h[r, t, v] = act(q[r, t]) over `rows` rows of T×V. */
export function broadcastJoints(q: Float64Array, h: Float64Array, rows: number, T: number, V: number, relu: boolean): void {
  for (let r = 0; r < rows * T; r++) {
    const qv = q[r]!;
    const val = relu && qv < 0 ? 0 : qv;
    h.fill(val, r * V, r * V + V);
  }
}

/** dx `[B, cin, T, V]` (overwritten) from dh (consumed: overwritten), accumulating into G. */
export function stgcnBackward(
  net: StgcnUniformPlan, P: Float64Array, G: Float64Array, x: Float64Array, h: Float64Array, dh: Float64Array, dx: Float64Array,
  B: number, T: number, V: number, ws: Scratch, key: string, context: Float64Array | null = null,
): void {
  const { cin, cout } = net;
  const N = T * V;
  if (net.finalRelu) for (let i = 0; i < B * cout * N; i++) if (!(h[i]! > 0)) dh[i] = 0;
  const dq = ws.get(key + 'dq', B * cout * T);
  for (let bo = 0; bo < B * cout; bo++) {
    for (let t = 0; t < T; t++) {
      let acc = 0;
      const o = bo * N + t * V;
      for (let v = 0; v < V; v++) acc += dh[o + v]!;
      dq[bo * T + t] = acc;
    }
  }
  if (net.residual === 'conv') {
    bnBackward(net.resBn as BatchNormPlan, P, G, dh, ws.get(key + 'xhr', 0), dh, B, N, true, ws.get(key + 'invr', 0));
    if (hasContext(net) && (net.ctxRes ?? -1) >= 0) {
      // The context term is joint-constant: its gradient reads the joint sums of ∂rr.
      const dr = ws.get(key + 'dcr', B * cout * T);
      for (let r = 0; r < B * cout * T; r++) {
        let acc = 0;
        for (let v = 0; v < V; v++) acc += dh[r * V + v]!;
        dr[r] = acc;
      }
      contextProjectionGrad(G, net.ctxRes!, cout, net.contextChannels!, checkContext(net, context, B, T), dr, B, T);
    }
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < cin; i++) {
        const xi = (b * cin + i) * N;
        for (let n = 0; n < N; n++) dx[xi + n] = 0;
      }
      for (let o = 0; o < cout; o++) {
        const d0 = (b * cout + o) * N;
        let sb = 0;
        for (let n = 0; n < N; n++) sb += dh[d0 + n]!;
        if (net.resBias >= 0) G[net.resBias + o] = G[net.resBias + o]! + sb;
        for (let i = 0; i < cin; i++) {
          const xi = (b * cin + i) * N;
          const w = P[net.resWeight + o * cin + i]!;
          let sw = 0;
          for (let n = 0; n < N; n++) {
            sw += dh[d0 + n]! * x[xi + n]!;
            dx[xi + n] = dx[xi + n]! + w * dh[d0 + n]!;
          }
          G[net.resWeight + o * cin + i] = G[net.resWeight + o * cin + i]! + sw;
        }
      }
    }
  } else if (net.residual === 'identity') {
    dx.set(dh.subarray(0, B * cin * N));
  } else {
    dx.fill(0, 0, B * cin * N);
  }
  const dS = ws.get(key + 'dS', B * cin * T);
  tcnBranchBackward(net, P, G, dq, dS, B, T, V, ws, key, context);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < cin; i++) {
      const xi = (b * cin + i) * N;
      for (let t = 0; t < T; t++) {
        const ds = dS[(b * cin + i) * T + t]!;
        const o = xi + t * V;
        for (let v = 0; v < V; v++) dx[o + v] = dx[o + v]! + ds;
      }
    }
  }
}

/** Backward of {@link temporalConv}: weight and bias gradients into G, dr (zeroed here) from dcv. */
export function temporalConvBackward(net: StgcnUniformPlan, P: Float64Array, G: Float64Array, r: Float64Array, dcv: Float64Array, dr: Float64Array, B: number, T: number, kt: number): void {
  const cout = net.cout;
  const pad = (kt - 1) >> 1;
  const TP = T + 2 * pad;
  dr.fill(0, 0, B * cout * T);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < cout; o++) {
      const d0 = (b * cout + o) * T;
      if (net.tcnBias >= 0) {
        let sb = 0;
        for (let t = 0; t < T; t++) sb += dcv[d0 + t]!;
        G[net.tcnBias + o] = G[net.tcnBias + o]! + sb;
      }
      for (let i = 0; i < cout; i++) {
        const w0 = net.tcnWeight + (o * cout + i) * kt;
        const ri = (b * cout + i) * TP;
        const di = (b * cout + i) * T;
        for (let j = 0; j < kt; j++) {
          const w = P[w0 + j]!;
          // Output t reads padded input t + j, i.e. unpadded t + j − pad. Four partial sums.
          let sA = 0;
          let sB = 0;
          let sC = 0;
          let sD = 0;
          let t = 0;
          for (; t + 3 < T; t += 4) {
            sA += dcv[d0 + t]! * r[ri + t + j]!;
            sB += dcv[d0 + t + 1]! * r[ri + t + 1 + j]!;
            sC += dcv[d0 + t + 2]! * r[ri + t + 2 + j]!;
            sD += dcv[d0 + t + 3]! * r[ri + t + 3 + j]!;
          }
          for (; t < T; t++) sA += dcv[d0 + t]! * r[ri + t + j]!;
          G[w0 + j] = G[w0 + j]! + (sA + sB + sC + sD);
          const lo = Math.max(0, pad - j);
          const hi = Math.min(T, T + pad - j);
          for (let t = lo; t < hi; t++) dr[di + t + j - pad] = dr[di + t + j - pad]! + w * dcv[d0 + t]!;
        }
      }
    }
  }
}

/** {@link temporalConvBackward} for two channels, with every sum over frames kept in locals. */
export function temporalConv2Backward(
  P: Float64Array, G: Float64Array, w: number, bias: number, r: Float64Array, dcv: Float64Array, dr: Float64Array,
  B: number, T: number, kt: number, ws: Scratch,
): void {
  const pad = (kt - 1) >> 1;
  const TP = T + 2 * pad;
  const gw = ws.get('tc2.gw', 4 * kt);
  gw.fill(0, 0, 4 * kt);
  let gb0 = 0;
  let gb1 = 0;
  for (let b = 0; b < B; b++) {
    const r0 = b * 2 * TP;
    const r1 = r0 + TP;
    const d0 = b * 2 * T;
    const d1 = d0 + T;
    for (let t = 0; t < T; t++) {
      gb0 += dcv[d0 + t]!;
      gb1 += dcv[d1 + t]!;
    }
    for (let j = 0; j < kt; j++) {
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let t = 0; t < T; t++) {
        const g0 = dcv[d0 + t]!;
        const g1 = dcv[d1 + t]!;
        const x0 = r[r0 + t + j]!;
        const x1 = r[r1 + t + j]!;
        s00 += g0 * x0;
        s01 += g0 * x1;
        s10 += g1 * x0;
        s11 += g1 * x1;
      }
      gw[j] = gw[j]! + s00;
      gw[kt + j] = gw[kt + j]! + s01;
      gw[2 * kt + j] = gw[2 * kt + j]! + s10;
      gw[3 * kt + j] = gw[3 * kt + j]! + s11;
    }
    // dr[i, u] = Σ_o Σ_j W[o, i, j]·dcv[o, u − j + pad] over the frames that exist.
    for (let u = 0; u < T; u++) {
      let a0 = 0;
      let a1 = 0;
      const jlo = Math.max(0, u + pad - (T - 1));
      const jhi = Math.min(kt - 1, u + pad);
      for (let j = jlo; j <= jhi; j++) {
        const t = u - j + pad;
        const g0 = dcv[d0 + t]!;
        const g1 = dcv[d1 + t]!;
        a0 += P[w + j]! * g0 + P[w + 2 * kt + j]! * g1;
        a1 += P[w + kt + j]! * g0 + P[w + 3 * kt + j]! * g1;
      }
      dr[d0 + u] = a0;
      dr[d1 + u] = a1;
    }
  }
  for (let i = 0; i < 4 * kt; i++) G[w + i] = G[w + i]! + gw[i]!;
  if (bias >= 0) {
    G[bias] = G[bias]! + gb0;
    G[bias + 1] = G[bias + 1]! + gb1;
  }
}

/**
 * Backward of {@link tcnBranchForward} (train mode): from dq `[B, cout, T]` accumulates the
 * branch's parameter gradients into G and writes dS `[B, cin, T]`, the gradient with respect to
 * the joint sums (so every joint of sample b, frame t gets dS[b, i, t]).
 */
export function tcnBranchBackward(
  net: StgcnUniformPlan, P: Float64Array, G: Float64Array, dq: Float64Array, dS: Float64Array, B: number, T: number, V: number,
  ws: Scratch, key: string, context: Float64Array | null = null,
): void {
  const { cin, cout, kt } = net;
  const dcv = ws.get(key + 'dcv', B * cout * T);
  bnBackward(net.bn2, P, G, dq, ws.get(key + 'xh2', 0), dcv, B, T, true, ws.get(key + 'inv2', 0));
  const r = ws.get(key + 'r', 0);
  const dr = ws.get(key + 'dr', B * cout * T);
  if (cout === 2) temporalConv2Backward(P, G, net.tcnWeight, net.tcnBias, r, dcv, dr, B, T, kt, ws);
  else temporalConvBackward(net, P, G, r, dcv, dr, B, T, kt);
  const u = ws.get(key + 'u', 0);
  for (let i = 0; i < B * cout * T; i++) if (!(u[i]! > 0)) dr[i] = 0;
  const dg = ws.get(key + 'dg', B * cout * T);
  bnBackward(net.bn1, P, G, dr, ws.get(key + 'xh1', 0), dg, B, T, true, ws.get(key + 'inv1', 0));
  if (hasContext(net) && (net.ctxGcn ?? -1) >= 0) contextProjectionGrad(G, net.ctxGcn!, cout, net.contextChannels!, checkContext(net, context, B, T), dg, B, T);
  const sums = ws.get(key + 'S', 0);
  const weff = ws.get(key + 'weff', 0);
  for (let c = 0; c < cout; c++) {
    let sdg = 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) sdg += dg[(b * cout + c) * T + t]!;
    for (let k = 0; k < net.partitions.length; k++) {
      const a = net.partitions[k]!;
      if (net.gcnBias >= 0) G[net.gcnBias + k * cout + c] = G[net.gcnBias + k * cout + c]! + a * V * sdg;
    }
    for (let i = 0; i < cin; i++) {
      let s = 0;
      for (let b = 0; b < B; b++) {
        const d0 = (b * cout + c) * T;
        const s0 = (b * cin + i) * T;
        for (let t = 0; t < T; t++) s += dg[d0 + t]! * sums[s0 + t]!;
      }
      for (let k = 0; k < net.partitions.length; k++) {
        const idx = net.gcnWeight + (k * cout + c) * cin + i;
        G[idx] = G[idx]! + net.partitions[k]! * s;
      }
    }
  }
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < cin; i++) {
      for (let t = 0; t < T; t++) {
        let ds = 0;
        for (let c = 0; c < cout; c++) ds += weff[c * cin + i]! * dg[(b * cout + c) * T + t]!;
        dS[(b * cin + i) * T + t] = ds;
      }
    }
  }
}

/** Eval-mode constants of an ST-GCN block (BatchNorms and the residual folded), once per call. */
export interface StgcnEval {
  weff: Float64Array;
  beff: Float64Array;
  a1: Float64Array;
  b1: Float64Array;
  w: Float64Array;
  cb: Float64Array;
  a2: Float64Array;
  b2: Float64Array;
  /** Residual folded with its BatchNorm: r_o = Σ_i ra[o, i]·x_i + rd_o. */
  ra: Float64Array;
  rd: Float64Array;
  /** Scale of the residual BatchNorm (1 without one): the context's residual term is scaled by it. */
  ar: Float64Array;
}

/** Folds the eval-mode constants of a block (effective graph weights, BatchNorm affines, residual) once per call. */
export function prepareStgcnEval(net: StgcnUniformPlan, P: Float64Array, S: Float64Array, V: number): StgcnEval {
  const { cin, cout, kt } = net;
  const weff = new Float64Array(cout * cin);
  const beff = new Float64Array(cout);
  effectiveGcn(net, P, V, weff, beff);
  const [a1, b1] = bnAffine(net.bn1, P, S);
  const [a2, b2] = bnAffine(net.bn2, P, S);
  const w = P.slice(net.tcnWeight, net.tcnWeight + cout * cout * kt);
  const cb = new Float64Array(cout);
  for (let o = 0; o < cout; o++) cb[o] = net.tcnBias >= 0 ? P[net.tcnBias + o]! : 0;
  const ra = new Float64Array(cout * cin);
  const rd = new Float64Array(cout);
  let arOut = new Float64Array(cout).fill(1);
  if (net.residual === 'conv') {
    const [ar, br] = bnAffine(net.resBn as BatchNormPlan, P, S);
    arOut = Float64Array.from(ar);
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < cin; i++) ra[o * cin + i] = P[net.resWeight + o * cin + i]! * ar[o]!;
      rd[o] = (net.resBias >= 0 ? P[net.resBias + o]! : 0) * ar[o]! + br[o]!;
    }
  } else if (net.residual === 'identity') {
    for (let o = 0; o < cout; o++) ra[o * cin + o] = 1;
  }
  return { weff, beff, a1, b1, w, cb, a2, b2, ra, rd, ar: arOut };
}

/**
 * The registered conditioner kernel of `'stgcn-uniform'` plans: forward and hand-written backward
 * (train-mode BatchNorms with PyTorch's running statistics), and a one-sample eval path with the
 * BatchNorms and the residual folded into per-channel constants. A block with context channels
 * reads the flow's context (`[Cc, T]` per sample) in every path; one without ignores it, as the
 * tensor block does.
 */
export const stgcnUniformKernel = registerConditionerKernel<StgcnUniformPlan>({
  kind: 'stgcn-uniform',
  module: import.meta.url,
  forward(net, a) {
    stgcnForward(net, a.P, a.S, a.x1, a.h, a.B, a.dims.T, a.dims.V, a.train, a.ws, a.key, a.context);
  },
  backward(net, a) {
    stgcnBackward(net, a.P, a.G, a.x1, a.h, a.dh, a.dx1, a.B, a.dims.T, a.dims.V, a.ws, a.key, a.context);
  },
  evalPrepare(net, P, S, dims) {
    return prepareStgcnEval(net, P, S, dims.V);
  },
  evalSample(net, prep, a) {
    const k = prep as StgcnEval;
    const { T, V, N } = a.dims;
    const { cin, cout } = net;
    const { za, off, h } = a;
    // The joint-constant part, as in training with a batch of one (eval mode), then h per element.
    const sums = a.ws.get('stgcn.evalSums', cin * T);
    for (let i = 0; i < cin; i++) {
      const o = off[i]!;
      for (let t = 0; t < T; t++) {
        let acc = 0;
        for (let v = 0; v < V; v++) acc += za[o + t * V + v]!;
        sums[i * T + t] = acc;
      }
    }
    const q = tcnBranchForward(net, a.P, a.S, sums, 1, T, V, false, a.ws, 'stgcn.eval.', a.context);
    if (hasContext(net) && (net.ctxRes ?? -1) >= 0) {
      // The residual's context term r_o(t) = ar_o·Σ_j W[o, j]·c[j, t], joint-constant: folded into q.
      const cr = a.ws.get('stgcn.evalCr', cout * T);
      cr.fill(0, 0, cout * T);
      addContextProjection(a.P, net.ctxRes!, cout, net.contextChannels!, checkContext(net, a.context, 1, T), cr, 1, T);
      for (let o = 0; o < cout; o++) for (let t = 0; t < T; t++) q[o * T + t] = q[o * T + t]! + k.ar[o]! * cr[o * T + t]!;
    }
    for (let o = 0; o < cout; o++) {
      for (let t = 0; t < T; t++) {
        const qv = q[o * T + t]! + k.rd[o]!;
        for (let v = 0; v < V; v++) {
          const n = t * V + v;
          let val = qv;
          for (let i = 0; i < cin; i++) val += k.ra[o * cin + i]! * za[off[i]! + n]!;
          h[o * N + n] = net.finalRelu && val < 0 ? 0 : val;
        }
      }
    }
  },
});
