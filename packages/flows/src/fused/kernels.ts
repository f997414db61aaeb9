import type { ActNormPlan, AffineCouplingPlan, BatchNormPlan, FlowPlan, PermutePlan, StgcnUniformPlan } from '@skelflow/core';

/** Grow-on-demand float64 scratch arrays, keyed by name. */
export interface Scratch {
  get(key: string, size: number): Float64Array;
}

/** The typed-array kernels of the fused engine (see {@link createFusedKernels}). */
export interface FusedKernels {
  /**
   * Forward pass of `B` samples `x` (`[B, C, T, V]`, float64). Writes log p(x) in nats to `logp`
   * and returns the latent z (a scratch array, valid until the next call). `train` uses batch
   * statistics, updates running statistics, runs ActNorm's data-dependent initialisation, and
   * keeps every intermediate for {@link FusedKernels.backward}.
   */
  forward(
    plan: FlowPlan,
    P: Float64Array,
    S: Float64Array,
    ws: Scratch,
    x: Float64Array,
    B: number,
    labels: ArrayLike<number> | null,
    train: boolean,
    logp: Float64Array,
  ): Float64Array;
  /**
   * Gradient of `Σ_b w_b·(−log p(x_b))` with respect to every parameter, written to `G` (zeroed
   * first), after a `forward(..., train = true)` call on the same batch.
   */
  backward(plan: FlowPlan, P: Float64Array, S: Float64Array, G: Float64Array, ws: Scratch, B: number, labels: ArrayLike<number> | null, w: Float64Array): void;
  /**
   * Eval-mode log p of `n` float32 samples, one sample at a time (the fast scoring path; same
   * function as `forward(..., train = false)`).
   */
  logProbSamples(plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, out: Float64Array): void;
  createScratch(): Scratch;
}

/**
 * Builds the fused engine's kernels: plain loops over float64 arrays for the layers of a
 * Glow-style flow (ActNorm, channel permutation, affine coupling with a uniform-adjacency ST-GCN
 * conditioner, Gaussian priors), forward and hand-written backward.
 *
 * Why: these flows have a few hundred parameters and 1–2 channel tensors, so a tensor library
 * spends its time launching thousands of tiny kernels, not computing. One pass per layer over
 * typed arrays does the same arithmetic without that overhead, in double precision.
 *
 * The function is self-contained on purpose — it references nothing outside its body but
 * JavaScript built-ins — so its source text can start a worker thread (`fn.toString()`).
 */
export function createFusedKernels(): FusedKernels {
  const LOG_2PI = Math.log(2 * Math.PI);
  // e^{−x} for x ≥ 0 from a table of e^{−i/64} and a degree-5 Taylor factor on [0, 1/64): relative
  // error < 1e-11, about 4× faster than Math.exp in V8, which dominates the coupling's cost.
  const EXP_STEPS = 64;
  const EXP_LIMIT = 40; // e^{−40} < 5e-18: below double precision next to 1
  const EXP_TABLE = new Float64Array(EXP_STEPS * EXP_LIMIT + 1);
  for (let i = 0; i < EXP_TABLE.length; i++) EXP_TABLE[i] = Math.exp(-i / EXP_STEPS);

  // sigmoid on [0, 24) at steps of 1/32 as Taylor coefficients (value, first derivative, second/2,
  // third/6) per node, 24 KB so it stays in L1: the cubic step's error is below
  // max|fourth derivative|/24 * (1/32)^4 < 6e-9. Beyond 24, sigmoid is 1 to within 4e-11.
  const SIG_STEPS = 32;
  const SIG_LAST = SIG_STEPS * 24;
  // One extra node (1, 0, 0, 0) at 24: clamping the argument there gives 1 without a branch.
  const SIG_TABLE = new Float64Array(4 * SIG_LAST + 4);
  SIG_TABLE[4 * SIG_LAST] = 1;
  for (let i = 0; i < SIG_LAST; i++) {
    const s = 1 / (1 + Math.exp(-i / SIG_STEPS));
    const d1 = s * (1 - s);
    SIG_TABLE[4 * i] = s;
    SIG_TABLE[4 * i + 1] = d1;
    SIG_TABLE[4 * i + 2] = (d1 * (1 - 2 * s)) / 2;
    SIG_TABLE[4 * i + 3] = (d1 * (1 - 6 * s + 6 * s * s)) / 6;
  }

  function expNeg(x: number): number {
    if (x >= EXP_LIMIT) return 0;
    if (!(x >= 0)) return Math.exp(-x); // negative or NaN: the exact routine
    const y = x * EXP_STEPS;
    const i = y | 0;
    const r = (y - i) * (1 / EXP_STEPS);
    return EXP_TABLE[i]! * (1 - r * (1 - r * (0.5 - r * (1 / 6 - r * (1 / 24 - r * (1 / 120))))));
  }

  function createScratch(): Scratch {
    const store = new Map<string, Float64Array>();
    return {
      get(key: string, size: number): Float64Array {
        let a = store.get(key);
        if (!a || a.length < size) {
          a = new Float64Array(Math.max(size, 1));
          store.set(key, a);
        }
        return a;
      },
    };
  }

  // ---------------------------------------------------------------- BatchNorm over [B, C, M]
  /**
   * Normalises x `[B, C, M]` per channel into `out` (may alias x). `replicas`: each value stands
   * for that many equal elements (joint-constant tensors), which changes only the unbiased count of
   * the running variance. Stores 1/√(σ²+ε) per channel in `inv` and, in train mode, x̂ in `xhat`.
   */
  function bnForward(
    bn: BatchNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, out: Float64Array, xhat: Float64Array | null,
    B: number, M: number, replicas: number, train: boolean, inv: Float64Array,
  ): void {
    const C = bn.channels;
    for (let c = 0; c < C; c++) {
      let mean: number;
      let variance: number;
      if (train) {
        let sum = 0;
        for (let b = 0; b < B; b++) {
          const o = (b * C + c) * M;
          for (let m = 0; m < M; m++) sum += x[o + m]!;
        }
        mean = sum / (B * M);
        let sq = 0;
        for (let b = 0; b < B; b++) {
          const o = (b * C + c) * M;
          for (let m = 0; m < M; m++) {
            const d = x[o + m]! - mean;
            sq += d * d;
          }
        }
        variance = sq / (B * M);
        const n = B * M * replicas;
        const mom = bn.momentum;
        S[bn.runningMean + c] = (1 - mom) * S[bn.runningMean + c]! + mom * mean;
        S[bn.runningVar + c] = (1 - mom) * S[bn.runningVar + c]! + mom * (n > 1 ? (variance * n) / (n - 1) : variance);
      } else {
        mean = S[bn.runningMean + c]!;
        variance = S[bn.runningVar + c]!;
      }
      const iv = 1 / Math.sqrt(variance + bn.eps);
      inv[c] = iv;
      const alpha = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * iv;
      const beta = (bn.bias >= 0 ? P[bn.bias + c]! : 0) - mean * alpha;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * M;
        if (xhat) for (let m = 0; m < M; m++) xhat[o + m] = (x[o + m]! - mean) * iv;
        for (let m = 0; m < M; m++) out[o + m] = x[o + m]! * alpha + beta;
      }
    }
    if (train) S[bn.numBatchesTracked] = S[bn.numBatchesTracked]! + 1;
  }

  /** Backward of {@link bnForward}: `dx` (may alias dy) from `dy`; accumulates dγ, dβ into G. */
  function bnBackward(
    bn: BatchNormPlan, P: Float64Array, G: Float64Array, dy: Float64Array, xhat: Float64Array, dx: Float64Array,
    B: number, M: number, train: boolean, inv: Float64Array,
  ): void {
    const C = bn.channels;
    for (let c = 0; c < C; c++) {
      let sdy = 0;
      let sdyx = 0;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * M;
        for (let m = 0; m < M; m++) {
          sdy += dy[o + m]!;
          sdyx += dy[o + m]! * xhat[o + m]!;
        }
      }
      if (bn.weight >= 0) G[bn.weight + c] = G[bn.weight + c]! + sdyx;
      if (bn.bias >= 0) G[bn.bias + c] = G[bn.bias + c]! + sdy;
      const k = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * inv[c]!;
      const count = B * M;
      const mdy = train ? sdy / count : 0;
      const mdyx = train ? sdyx / count : 0;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * M;
        for (let m = 0; m < M; m++) dx[o + m] = k * (dy[o + m]! - mdy - xhat[o + m]! * mdyx);
      }
    }
  }

  // ---------------------------------------------------------------- ST-GCN, uniform adjacency
  function stgcnForward(
    net: StgcnUniformPlan, P: Float64Array, S: Float64Array, x: Float64Array, h: Float64Array,
    B: number, T: number, V: number, train: boolean, ws: Scratch, key: string,
  ): void {
    const { cin, cout, kt } = net;
    const pad = (kt - 1) >> 1;
    const N = T * V;
    const sums = ws.get(key + 'S', B * cin * T);
    sumJoints(x, sums, B * cin, T, V);
    const q = tcnBranchForward(net, P, S, sums, B, T, V, train, ws, key);
    if (net.residual === 'conv') {
      const rr = ws.get(key + 'rr', B * cout * N);
      residualConv(net, P, x, rr, B, N);
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
   * Keeps what {@link tcnBranchBackward} needs under `key`.
   */
  function tcnBranchForward(
    net: StgcnUniformPlan, P: Float64Array, S: Float64Array, sums: Float64Array, B: number, T: number, V: number,
    train: boolean, ws: Scratch, key: string,
  ): Float64Array {
    const { cin, cout, kt } = net;
    const pad = (kt - 1) >> 1;
    const weff = ws.get(key + 'weff', cout * cin);
    const beff = ws.get(key + 'beff', cout);
    effectiveGcn(net, P, V, weff, beff);
    const g = ws.get(key + 'g', B * cout * T);
    channelMix(weff, beff, sums, g, B, cin, cout, T);
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
  function sumJoints(x: Float64Array, s: Float64Array, rows: number, T: number, V: number): void {
    for (let r = 0; r < rows * T; r++) {
      let acc = 0;
      const o = r * V;
      for (let v = 0; v < V; v++) acc += x[o + v]!;
      s[r] = acc;
    }
  }

  function effectiveGcn(net: StgcnUniformPlan, P: Float64Array, V: number, weff: Float64Array, beff: Float64Array): void {
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
  function channelMix(weff: Float64Array, beff: Float64Array, s: Float64Array, g: Float64Array, B: number, cin: number, cout: number, T: number): void {
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
  function reluPadded(u: Float64Array, r: Float64Array, rows: number, T: number, pad: number): void {
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
  function temporalConv2(P: Float64Array, w: number, bias: number, r: Float64Array, cv: Float64Array, B: number, T: number, kt: number): void {
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
  function temporalConv(P: Float64Array, w: number, bias: number, r: Float64Array, cv: Float64Array, B: number, C: number, T: number, kt: number): void {
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
  function residualConv(net: StgcnUniformPlan, P: Float64Array, x: Float64Array, rr: Float64Array, B: number, N: number): void {
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
  function addJointConstant(q: Float64Array, e: Float64Array, h: Float64Array, rows: number, T: number, V: number, relu: boolean): void {
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
  function broadcastJoints(q: Float64Array, h: Float64Array, rows: number, T: number, V: number, relu: boolean): void {
    for (let r = 0; r < rows * T; r++) {
      const qv = q[r]!;
      const val = relu && qv < 0 ? 0 : qv;
      h.fill(val, r * V, r * V + V);
    }
  }

  /** dx `[B, cin, T, V]` (overwritten) from dh (consumed: overwritten), accumulating into G. */
  function stgcnBackward(
    net: StgcnUniformPlan, P: Float64Array, G: Float64Array, x: Float64Array, h: Float64Array, dh: Float64Array, dx: Float64Array,
    B: number, T: number, V: number, ws: Scratch, key: string,
  ): void {
    const { cin, cout, kt } = net;
    const pad = (kt - 1) >> 1;
    const TP = T + 2 * pad;
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
    tcnBranchBackward(net, P, G, dq, dS, B, T, V, ws, key);
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
  function temporalConvBackward(net: StgcnUniformPlan, P: Float64Array, G: Float64Array, r: Float64Array, dcv: Float64Array, dr: Float64Array, B: number, T: number, kt: number): void {
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
  function temporalConv2Backward(
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
  function tcnBranchBackward(
    net: StgcnUniformPlan, P: Float64Array, G: Float64Array, dq: Float64Array, dS: Float64Array, B: number, T: number, V: number,
    ws: Scratch, key: string,
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

  // ---------------------------------------------------------------- bijectors
  function actnormForward(L: ActNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, y: Float64Array, B: number, N: number, ld: Float64Array, train: boolean): void {
    const C = L.channels;
    if (train && S[L.initialized] === 0) actnormInit(L, P, S, x, B, N);
    let sumLogs = 0;
    for (let c = 0; c < C; c++) sumLogs += P[L.logs + c]!;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        const e = Math.exp(P[L.logs + c]!);
        const bias = P[L.bias + c]!;
        const o = (b * C + c) * N;
        for (let n = 0; n < N; n++) y[o + n] = (x[o + n]! + bias) * e;
      }
      ld[b] = ld[b]! + sumLogs * N;
    }
  }

  /** Glow's data-dependent initialisation: zero mean, unit (population) std per channel of x. */
  function actnormInit(L: ActNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, B: number, N: number): void {
    const C = L.channels;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) sum += x[(b * C + c) * N + n]!;
      const mean = sum / (B * N);
      let sq = 0;
      for (let b = 0; b < B; b++) {
        for (let n = 0; n < N; n++) {
          const d = x[(b * C + c) * N + n]! - mean;
          sq += d * d;
        }
      }
      P[L.bias + c] = Math.fround(-mean);
      P[L.logs + c] = Math.fround(Math.log(L.scale / (Math.sqrt(sq / (B * N)) + 1e-6)));
    }
    S[L.initialized] = 1;
  }

  function actnormBackward(L: ActNormPlan, P: Float64Array, G: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array, B: number, N: number, wld: Float64Array): void {
    const C = L.channels;
    let swld = 0;
    for (let b = 0; b < B; b++) swld += wld[b]!;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(P[L.logs + c]!);
      let sdy = 0;
      let sdyy = 0;
      for (let b = 0; b < B; b++) {
        const o = (b * C + c) * N;
        for (let n = 0; n < N; n++) {
          const g = dy[o + n]!;
          sdy += g;
          sdyy += g * y[o + n]!;
          dx[o + n] = g * e;
        }
      }
      G[L.bias + c] = G[L.bias + c]! + sdy * e;
      G[L.logs + c] = G[L.logs + c]! + sdyy + N * swld;
    }
  }

  function permutation(L: PermutePlan, S: Float64Array): number[] {
    if (L.permBuffer < 0) return L.perm;
    const p: number[] = [];
    for (let c = 0; c < L.channels; c++) p.push(S[L.permBuffer + c]! | 0);
    return p;
  }

  function permuteForward(L: PermutePlan, S: Float64Array, x: Float64Array, y: Float64Array, B: number, N: number): void {
    const C = L.channels;
    const perm = permutation(L, S);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) y.set(x.subarray((b * C + perm[c]!) * N, (b * C + perm[c]! + 1) * N), (b * C + c) * N);
    }
  }

  function permuteBackward(L: PermutePlan, S: Float64Array, dy: Float64Array, dx: Float64Array, B: number, N: number): void {
    const C = L.channels;
    const perm = permutation(L, S);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) dx.set(dy.subarray((b * C + c) * N, (b * C + c + 1) * N), (b * C + perm[c]!) * N);
    }
  }

  function couplingForward(
    L: AffineCouplingPlan, P: Float64Array, S: Float64Array, x: Float64Array, y: Float64Array,
    B: number, T: number, V: number, ld: Float64Array, train: boolean, ws: Scratch, key: string,
  ): void {
    const C = L.channels;
    const c1 = L.c1;
    const c2 = C - c1;
    const N = T * V;
    const x1 = ws.get(key + 'x1', B * c1 * N);
    for (let b = 0; b < B; b++) {
      const part = x.subarray(b * C * N, (b * C + c1) * N);
      x1.set(part, b * c1 * N);
      y.set(part, b * C * N);
    }
    const h = ws.get(key + 'h', B * 2 * c2 * N);
    stgcnForward(L.net, P, S, x1, h, B, T, V, train, ws, key + 'net.');
    const s = ws.get(key + 's', B * c2 * N);
    const dl = ws.get(key + 'dl', B * c2 * N); // d log s / d raw, for the backward pass
    const cross = L.layout === 'cross';
    const shiftFirst = L.order === 'shiftThenScale';
    const bound = L.bound;
    for (let b = 0; b < B; b++) {
      let logdet = 0;
      for (let j = 0; j < c2; j++) {
        const sh = cross ? (b * 2 * c2 + 2 * j) * N : (b * 2 * c2 + j) * N;
        const rw = cross ? sh + N : (b * 2 * c2 + c2 + j) * N;
        const xo = (b * C + c1 + j) * N;
        const so = (b * c2 + j) * N;
        if (L.scaleFn === 'sigmoid2') {
          logdet += sigmoid2Rows(h, sh, rw, x, y, xo, s, dl, so, T, V, shiftFirst);
        } else {
          logdet += expScaleRows(L.scaleFn === 'exp', L.bound, h, sh, rw, x, y, xo, s, dl, so, N, shiftFirst);
        }
      }
      ld[b] = ld[b]! + logdet;
    }
  }

  /**
   * STG-NF's scale s = sigmoid(raw + 2) + 1e-6 on one channel: writes y2, s and dlog s/draw and
   * returns Σ log s, as log Π s per row (s ∈ (1e-6, 1]: one logarithm per row, not per element).
   */
  function sigmoid2Rows(
    h: Float64Array, sh: number, rw: number, x: Float64Array, y: Float64Array, xo: number,
    s: Float64Array, dl: Float64Array, so: number, T: number, V: number, shiftFirst: boolean,
  ): number {
    let logdet = 0;
    for (let t = 0; t < T; t++) {
      let prod = 1;
      const r0 = t * V;
      for (let v = 0; v < V; v++) {
        const n = r0 + v;
        const a = h[rw + n]! + 2;
        const e = expNeg(a >= 0 ? a : -a);
        const sig = a >= 0 ? 1 / (1 + e) : e / (1 + e);
        const sc = sig + 1e-6;
        s[so + n] = sc;
        dl[so + n] = (sig * (1 - sig)) / sc;
        y[xo + n] = shiftFirst ? (x[xo + n]! + h[sh + n]!) * sc : x[xo + n]! * sc + h[sh + n]!;
        prod *= sc;
        if (prod < 1e-250) {
          logdet += Math.log(prod);
          prod = 1;
        }
      }
      logdet += Math.log(prod);
    }
    return logdet;
  }

  /** Scale exp(raw) (`isExp`) or exp(c·tanh(raw/c)) (soft clamp) on one channel; returns Σ log s. */
  function expScaleRows(
    isExp: boolean, bound: number, h: Float64Array, sh: number, rw: number, x: Float64Array, y: Float64Array, xo: number,
    s: Float64Array, dl: Float64Array, so: number, N: number, shiftFirst: boolean,
  ): number {
    let logdet = 0;
    for (let n = 0; n < N; n++) {
      const raw = h[rw + n]!;
      let ls: number;
      if (isExp) {
        ls = raw;
        dl[so + n] = 1;
      } else {
        const th = Math.tanh(raw / bound);
        ls = bound * th;
        dl[so + n] = 1 - th * th;
      }
      const sc = Math.exp(ls);
      s[so + n] = sc;
      y[xo + n] = shiftFirst ? (x[xo + n]! + h[sh + n]!) * sc : x[xo + n]! * sc + h[sh + n]!;
      logdet += ls;
    }
    return logdet;
  }

  function couplingBackward(
    L: AffineCouplingPlan, P: Float64Array, G: Float64Array, x: Float64Array, dy: Float64Array, dx: Float64Array,
    B: number, T: number, V: number, wld: Float64Array, ws: Scratch, key: string,
  ): void {
    const C = L.channels;
    const c1 = L.c1;
    const c2 = C - c1;
    const N = T * V;
    const h = ws.get(key + 'h', 0);
    const s = ws.get(key + 's', 0);
    const dl = ws.get(key + 'dl', 0);
    const dh = ws.get(key + 'dh', B * 2 * c2 * N);
    const cross = L.layout === 'cross';
    const shiftFirst = L.order === 'shiftThenScale';
    for (let b = 0; b < B; b++) {
      const w = wld[b]!;
      for (let j = 0; j < c2; j++) {
        const sh = cross ? (b * 2 * c2 + 2 * j) * N : (b * 2 * c2 + j) * N;
        const rw = cross ? sh + N : (b * 2 * c2 + c2 + j) * N;
        const xo = (b * C + c1 + j) * N;
        const so = (b * c2 + j) * N;
        for (let n = 0; n < N; n++) {
          const g = dy[xo + n]!;
          const sc = s[so + n]!;
          const x2 = x[xo + n]!;
          dx[xo + n] = g * sc;
          let ds: number;
          if (shiftFirst) {
            dh[sh + n] = g * sc;
            ds = g * (x2 + h[sh + n]!);
          } else {
            dh[sh + n] = g;
            ds = g * x2;
          }
          // ds/draw = s · dlog s/draw for every scale function.
          dh[rw + n] = dl[so + n]! * (ds * sc + w);
        }
      }
    }
    const x1 = ws.get(key + 'x1', 0);
    const dx1 = ws.get(key + 'dx1', B * c1 * N);
    stgcnBackward(L.net, P, G, x1, h, dh, dx1, B, T, V, ws, key + 'net.');
    for (let b = 0; b < B; b++) {
      const o = b * C * N;
      const o1 = b * c1 * N;
      for (let n = 0; n < c1 * N; n++) dx[o + n] = dy[o + n]! + dx1[o1 + n]!;
    }
  }

  // ---------------------------------------------------------------- prior
  function priorMean(plan: FlowPlan, S: Float64Array, labels: ArrayLike<number> | null, b: number, e: number): number {
    const pr = plan.prior;
    if (pr.kind === 'gmm') return S[pr.radius]! * (labels ? labels[b]! : 1);
    return S[pr.mean + (pr.meanSize === 1 ? 0 : e)]!;
  }

  function priorLogStd(plan: FlowPlan, S: Float64Array, e: number): number {
    const pr = plan.prior;
    if (pr.kind === 'gmm') return 0;
    return S[pr.logStd + (pr.logStdSize === 1 ? 0 : e)]!;
  }

  // ---------------------------------------------------------------- STG-NF steps, train mode
  /** One flow step of the shape STG-NF uses, recognised for the fused training path. */
  interface StgnfStep {
    an: ActNormPlan;
    pm: PermutePlan;
    cp: AffineCouplingPlan;
  }

  /**
   * The plan as a list of [ActNorm, permutation, affine coupling] steps on two channels, with a
   * 1 → 2 channel ReLU ST-GCN conditioner (residual conv or none) and the sigmoid(·+2) scale, or
   * null. Those steps train with two passes over the data per step forward and two backward:
   * ActNorm and the permutation fold into per-channel constants, and the residual BatchNorm's
   * statistics follow from the moments of its one input channel.
   */
  function stgnfSteps(plan: FlowPlan): StgnfStep[] | null {
    const L = plan.layers;
    if (plan.channels !== 2 || L.length === 0 || L.length % 3 !== 0) return null;
    const steps: StgnfStep[] = [];
    for (let i = 0; i < L.length; i += 3) {
      const an = L[i]!;
      const pm = L[i + 1]!;
      const cp = L[i + 2]!;
      if (an.kind !== 'actnorm' || pm.kind !== 'permute' || cp.kind !== 'affine') return null;
      const net = cp.net;
      if (cp.c1 !== 1 || cp.scaleFn !== 'sigmoid2' || net.cin !== 1 || net.cout !== 2 || !net.finalRelu || net.residual === 'identity') return null;
      steps.push({ an, pm, cp });
    }
    return steps;
  }

  /**
   * ActNorm and the permutation of one STG-NF-shaped step as two per-channel affines on the step's
   * input X: the conditioning channel is x1 = e1·X[p0] + c1, the transformed one x2 = e2·X[p1] + c2.
   */
  function stepAffine(an: ActNormPlan, pm: PermutePlan, P: Float64Array, S: Float64Array): { p0: number; p1: number; e1: number; c1: number; e2: number; c2: number } {
    const perm = permutation(pm, S);
    const p0 = perm[0]!;
    const p1 = perm[1]!;
    const e1 = Math.exp(P[an.logs + p0]!);
    const e2 = Math.exp(P[an.logs + p1]!);
    return { p0, p1, e1, c1: P[an.bias + p0]! * e1, e2, c2: P[an.bias + p1]! * e2 };
  }

  function stgnfTrainForward(steps: StgnfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float64Array, B: number, ld: Float64Array): Float64Array {
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const BN = B * N;
    let X = x;
    for (let k = 0; k < steps.length; k++) {
      const { an, pm, cp } = steps[k]!;
      const net = cp.net;
      const key = `F${k}.`;
      if (S[an.initialized] === 0) actnormInit(an, P, S, X, B, N);
      const { p0, p1, e1, c1, e2, c2 } = stepAffine(an, pm, P, S);
      // Pass A: joint sums of x1 = e1·X[p0] + c1, and its moments (shifted by a sample value).
      const sums = ws.get(key + 'S', B * T);
      const shift = X[p0 * N]!;
      let m1 = 0;
      let m2 = 0;
      for (let b = 0; b < B; b++) {
        const o = (b * 2 + p0) * N;
        for (let t = 0; t < T; t++) {
          let acc = 0;
          let sq = 0;
          const r = o + t * V;
          for (let v = 0; v < V; v++) {
            const d = X[r + v]! - shift;
            acc += d;
            sq += d * d;
          }
          m1 += acc;
          m2 += sq;
          sums[b * T + t] = e1 * (acc + V * shift) + V * c1;
        }
      }
      const meanX = m1 / BN;
      const mom = ws.get(key + 'mom', 2);
      const mean1 = e1 * (meanX + shift) + c1;
      const var1 = e1 * e1 * Math.max(0, m2 / BN - meanX * meanX);
      mom[0] = mean1;
      mom[1] = var1;
      const q = tcnBranchForward(net, P, S, sums, B, T, V, true, ws, key);
      // Residual 1×1 conv + train-mode BatchNorm as res_o = ra_o·(x1 − mean1) + β_o.
      let ra0 = 0;
      let ra1 = 0;
      let rd0 = 0;
      let rd1 = 0;
      if (net.residual === 'conv') {
        const bn = net.resBn as BatchNormPlan;
        const invr = ws.get(key + 'invr', 2);
        const n = BN;
        for (let o = 0; o < 2; o++) {
          const w = P[net.resWeight + o]!;
          const bias = net.resBias >= 0 ? P[net.resBias + o]! : 0;
          const mean = w * mean1 + bias;
          const variance = w * w * var1;
          S[bn.runningMean + o] = (1 - bn.momentum) * S[bn.runningMean + o]! + bn.momentum * mean;
          S[bn.runningVar + o] = (1 - bn.momentum) * S[bn.runningVar + o]! + bn.momentum * (n > 1 ? (variance * n) / (n - 1) : variance);
          const iv = 1 / Math.sqrt(variance + bn.eps);
          invr[o] = iv;
          const ra = (bn.weight >= 0 ? P[bn.weight + o]! : 1) * w * iv;
          const rd = (bn.bias >= 0 ? P[bn.bias + o]! : 0) - ra * mean1;
          if (o === 0) [ra0, rd0] = [ra, rd];
          else [ra1, rd1] = [ra, rd];
        }
        S[bn.numBatchesTracked] = S[bn.numBatchesTracked]! + 1;
      }
      // Pass B: the coupling, element by element; keeps s, the shift and dlog s/draw (0 where
      // the ReLU cut the raw scale) for the backward pass.
      const Y = ws.get(`F${k + 1}.X`, B * 2 * N);
      const SC = ws.get(key + 'sc', BN);
      const SH = ws.get(key + 'sh', BN);
      const DL = ws.get(key + 'dl', BN);
      const shiftFirst = cp.order === 'shiftThenScale';
      let logsSum = 0;
      for (let c = 0; c < 2; c++) logsSum += P[an.logs + c]!;
      for (let b = 0; b < B; b++) {
        const o1 = (b * 2 + p0) * N;
        const o2 = (b * 2 + p1) * N;
        const y1 = b * 2 * N;
        const y2 = y1 + N;
        const cb = b * N;
        let logdet = logsSum * N;
        for (let t = 0; t < T; t++) {
          const q0 = q[(b * 2) * T + t]! + rd0;
          const q1 = q[(b * 2 + 1) * T + t]! + rd1;
          let prod = 1;
          for (let v = 0; v < V; v++) {
            const i = t * V + v;
            const x1 = e1 * X[o1 + i]! + c1;
            const x2 = e2 * X[o2 + i]! + c2;
            const pre0 = q0 + ra0 * x1;
            const sh = 0.5 * (pre0 + Math.abs(pre0));
            const pre1 = q1 + ra1 * x1;
            const a = 2 + 0.5 * (pre1 + Math.abs(pre1));
            // Branch-free table sigmoid, as in stgnfEvalSamples.
            const y = Math.min(a * SIG_STEPS, SIG_LAST);
            const yi = y | 0;
            const ii = yi * 4;
            const f = (y - yi) * (1 / SIG_STEPS);
            const sig = SIG_TABLE[ii]! + f * (SIG_TABLE[ii + 1]! + f * (SIG_TABLE[ii + 2]! + f * SIG_TABLE[ii + 3]!));
            const sc = sig + 1e-6;
            Y[y1 + i] = x1;
            Y[y2 + i] = shiftFirst ? (x2 + sh) * sc : x2 * sc + sh;
            SC[cb + i] = sc;
            SH[cb + i] = sh;
            DL[cb + i] = pre1 > 0 ? (sig * (1 - sig)) / sc : 0;
            prod *= sc;
          }
          logdet += Math.log(prod);
        }
        ld[b] = ld[b]! + logdet;
      }
      X = Y;
    }
    return X;
  }

  /** Backward of {@link stgnfTrainForward}: `dz` (consumed) → gradients in G. */
  function stgnfTrainBackward(steps: StgnfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, G: Float64Array, ws: Scratch, B: number, dz: Float64Array, wld: Float64Array): void {
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const BN = B * N;
    let dY = dz;
    let dX = ws.get('stgnf.dX', B * 2 * N);
    let swld = 0;
    for (let b = 0; b < B; b++) swld += wld[b]!;
    const dP0 = ws.get('stgnf.dpre0', BN);
    const dP1 = ws.get('stgnf.dpre1', BN);
    const dq = ws.get('stgnf.dq', B * 2 * T);
    const dS = ws.get('stgnf.dS', B * T);
    for (let k = steps.length - 1; k >= 0; k--) {
      const { an, pm, cp } = steps[k]!;
      const net = cp.net;
      const key = `F${k}.`;
      const X = k === 0 ? ws.get('input', 0) : ws.get(`F${k}.X`, 0);
      const { p0, p1, e1, c1, e2, c2 } = stepAffine(an, pm, P, S);
      const mom = ws.get(key + 'mom', 0);
      const mean1 = mom[0]!;
      const var1 = mom[1]!;
      const SC = ws.get(key + 'sc', 0);
      const SH = ws.get(key + 'sh', 0);
      const DL = ws.get(key + 'dl', 0);
      const shiftFirst = cp.order === 'shiftThenScale';
      // Pass C: the coupling's backward; sums for the residual BatchNorm and ActNorm of x2.
      let sd0 = 0;
      let sd1 = 0;
      let sdx0 = 0;
      let sdx1 = 0;
      let g2Sum = 0;
      let g2y = 0;
      for (let b = 0; b < B; b++) {
        const w = wld[b]!;
        const o1 = (b * 2 + p0) * N;
        const o2 = (b * 2 + p1) * N;
        const dy2 = b * 2 * N + N;
        const cb = b * N;
        for (let t = 0; t < T; t++) {
          let acc0 = 0;
          let acc1 = 0;
          for (let v = 0; v < V; v++) {
            const i = t * V + v;
            const g = dY[dy2 + i]!;
            const sc = SC[cb + i]!;
            const sh = SH[cb + i]!;
            const x1 = e1 * X[o1 + i]! + c1;
            const x2 = e2 * X[o2 + i]! + c2;
            let dsh: number;
            let ds: number;
            if (shiftFirst) {
              dsh = g * sc;
              ds = g * (x2 + sh);
            } else {
              dsh = g;
              ds = g * x2;
            }
            const d0 = sh > 0 ? dsh : 0;
            const d1 = DL[cb + i]! * (ds * sc + w);
            acc0 += d0;
            acc1 += d1;
            const xc = x1 - mean1;
            sdx0 += d0 * xc;
            sdx1 += d1 * xc;
            dP0[cb + i] = d0;
            dP1[cb + i] = d1;
            const dx2 = g * sc;
            g2Sum += dx2;
            g2y += dx2 * x2;
            dX[o2 + i] = dx2 * e2;
          }
          dq[(b * 2) * T + t] = acc0;
          dq[(b * 2 + 1) * T + t] = acc1;
          sd0 += acc0;
          sd1 += acc1;
        }
      }
      // Residual BatchNorm + 1×1 conv backward from the sums: x̂_o = c_o (x1 − mean1).
      let al0 = 0;
      let al1 = 0;
      let kConst = 0;
      let kLin = 0;
      if (net.residual === 'conv') {
        const bn = net.resBn as BatchNormPlan;
        const invr = ws.get(key + 'invr', 0);
        const sd = [sd0, sd1];
        const sdx = [sdx0, sdx1];
        for (let o = 0; o < 2; o++) {
          const w = P[net.resWeight + o]!;
          const c = invr[o]! * w;
          const gamma = bn.weight >= 0 ? P[bn.weight + o]! : 1;
          const kr = gamma * invr[o]!;
          const M = sd[o]! / BN;
          const Q = (c * sdx[o]!) / BN;
          if (bn.weight >= 0) G[bn.weight + o] = G[bn.weight + o]! + c * sdx[o]!;
          if (bn.bias >= 0) G[bn.bias + o] = G[bn.bias + o]! + sd[o]!;
          // Σ drr·x1 with drr = kr (dpre − M − c (x1 − mean1) Q). Σ drr, the conv bias's gradient,
          // is exactly 0 (the batch mean removes the bias), so G keeps its zero there.
          G[net.resWeight + o] = G[net.resWeight + o]! + kr * (sdx[o]! - c * Q * BN * var1);
          const alpha = w * kr;
          if (o === 0) al0 = alpha;
          else al1 = alpha;
          kConst -= alpha * M;
          kLin -= alpha * c * Q;
        }
      }
      tcnBranchBackward(net, P, G, dq, dS, B, T, V, ws, key);
      // Pass D: dx1 = direct + residual + graph-conv paths; ActNorm of x1.
      let g1Sum = 0;
      let g1y = 0;
      for (let b = 0; b < B; b++) {
        const o1 = (b * 2 + p0) * N;
        const dy1 = b * 2 * N;
        const cb = b * N;
        for (let t = 0; t < T; t++) {
          const ds = dS[b * T + t]! + kConst;
          for (let v = 0; v < V; v++) {
            const i = t * V + v;
            const x1 = e1 * X[o1 + i]! + c1;
            const d = dY[dy1 + i]! + al0 * dP0[cb + i]! + al1 * dP1[cb + i]! + kLin * (x1 - mean1) + ds;
            g1Sum += d;
            g1y += d * x1;
            dX[o1 + i] = d * e1;
          }
        }
      }
      G[an.bias + p0] = G[an.bias + p0]! + g1Sum * e1;
      G[an.logs + p0] = G[an.logs + p0]! + g1y + N * swld;
      G[an.bias + p1] = G[an.bias + p1]! + g2Sum * e2;
      G[an.logs + p1] = G[an.logs + p1]! + g2y + N * swld;
      const t = dY;
      dY = dX;
      dX = t;
    }
  }

  /**
   * Eval-mode log p for plans of {@link stgnfSteps} shape: one sample at a time through all steps
   * in one loop nest with every constant in locals (ActNorm kept as a lazy per-channel affine, the
   * permutation as a channel swap, BatchNorms and the residual folded), about twice as fast as the
   * layer-generic sample loop.
   */
  function stgnfEvalSamples(steps: StgnfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, out: Float64Array): void {
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const D = 2 * N;
    const K = steps.length;
    // Per step: 24 scalars, then the temporal kernel (4·kt).
    const STRIDE = 24;
    let maxKt = 1;
    for (const st of steps) maxKt = Math.max(maxKt, st.cp.net.kt);
    const C = new Float64Array(K * (STRIDE + 4 * maxKt));
    const stepStride = STRIDE + 4 * maxKt;
    let actnormLogdet = 0;
    for (let k = 0; k < K; k++) {
      const { an, pm, cp } = steps[k]!;
      const net = cp.net;
      const prep = prepareCoupling(net, P, S, V);
      const perm = permutation(pm, S);
      const o = k * stepStride;
      C[o] = Math.exp(P[an.logs]!);
      C[o + 1] = Math.exp(P[an.logs + 1]!);
      C[o + 2] = P[an.bias]!;
      C[o + 3] = P[an.bias + 1]!;
      C[o + 4] = perm[0]!; // which input channel becomes the conditioning one
      C[o + 5] = prep.weff[0]!;
      C[o + 6] = prep.weff[1]!;
      C[o + 7] = prep.beff[0]!;
      C[o + 8] = prep.beff[1]!;
      C[o + 9] = prep.a1[0]!;
      C[o + 10] = prep.a1[1]!;
      C[o + 11] = prep.b1[0]!;
      C[o + 12] = prep.b1[1]!;
      C[o + 13] = prep.cb[0]!;
      C[o + 14] = prep.cb[1]!;
      C[o + 15] = prep.a2[0]!;
      C[o + 16] = prep.a2[1]!;
      C[o + 17] = prep.b2[0]! + prep.rd[0]!;
      C[o + 18] = prep.b2[1]! + prep.rd[1]! + 2;
      C[o + 19] = prep.ra[0]!;
      C[o + 20] = prep.ra[1]!;
      C[o + 21] = net.kt;
      C[o + 22] = cp.order === 'shiftThenScale' ? 1 : 0;
      for (let i = 0; i < 4 * net.kt; i++) C[o + STRIDE + i] = prep.w[i]!;
      actnormLogdet += (P[an.logs]! + P[an.logs + 1]!) * N;
    }
    const pr = plan.prior;
    const sigT = SIG_TABLE;
    const za = ws.get('stgnfSample', D);
    const r = new Float64Array(2 * (T + maxKt - 1));
    const cv = new Float64Array(2 * T);
    const q0 = new Float64Array(T);
    const q1 = new Float64Array(T);
    const rowSums = new Float64Array(T);
    for (let s = 0; s < n; s++) {
      let rowSumsOf = -1;
      for (let i = 0, j = s * D; i < D; i++, j++) za[i] = x[j]!;
      // Channel c is al_c·za[off_c + i] + be_c.
      let offA = 0;
      let offB = N;
      let alA = 1;
      let beA = 0;
      let alB = 1;
      let beB = 0;
      let logdet = actnormLogdet;
      for (let k = 0; k < K; k++) {
        const o = k * stepStride;
        // ActNorm on both channels (A = channel 0, B = channel 1 of the input).
        alA *= C[o]!;
        beA = (beA + C[o + 2]!) * C[o]!;
        alB *= C[o + 1]!;
        beB = (beB + C[o + 3]!) * C[o + 1]!;
        // Permutation: the conditioning channel is input channel C[o + 4].
        let o1: number, o2: number, al1: number, be1: number, al2: number, be2: number;
        if (C[o + 4] === 0) {
          [o1, al1, be1, o2, al2, be2] = [offA, alA, beA, offB, alB, beB];
        } else {
          [o1, al1, be1, o2, al2, be2] = [offB, alB, beB, offA, alA, beA];
        }
        const kt = C[o + 21]!;
        const p = (kt - 1) >> 1;
        const TP = T + kt - 1;
        const w00 = C[o + 5]!;
        const w10 = C[o + 6]!;
        const bb0 = C[o + 7]!;
        const bb1 = C[o + 8]!;
        const a10 = C[o + 9]!;
        const a11 = C[o + 10]!;
        const b10 = C[o + 11]!;
        const b11 = C[o + 12]!;
        const bv = be1 * V;
        r.fill(0, 0, 2 * TP);
        // Joint sums of the stored conditioning channel: kept from the previous step when that
        // step wrote this channel (with the reverse permutation, always after the first step).
        if (rowSumsOf !== o1) {
          for (let t = 0; t < T; t++) {
            let accA = 0;
            let accB = 0;
            const rr = o1 + t * V;
            let v = 0;
            for (; v + 1 < V; v += 2) {
              accA += za[rr + v]!;
              accB += za[rr + v + 1]!;
            }
            if (v < V) accA += za[rr + v]!;
            rowSums[t] = accA + accB;
          }
        }
        for (let t = 0; t < T; t++) {
          const sum = al1 * rowSums[t]! + bv;
          const u0 = (w00 * sum + bb0) * a10 + b10;
          const u1 = (w10 * sum + bb1) * a11 + b11;
          r[p + t] = u0 > 0 ? u0 : 0;
          r[TP + p + t] = u1 > 0 ? u1 : 0;
        }
        // The temporal conv (bias C[o + 13..14]) then BatchNorm and the residual's constant; q1
        // includes the +2 of sigmoid(raw + 2).
        temporalConv2(C, o + STRIDE, o + 13, r, cv, 1, T, kt);
        const a20 = C[o + 15]!;
        const a21 = C[o + 16]!;
        const b20 = C[o + 17]!;
        const b21 = C[o + 18]!;
        for (let t = 0; t < T; t++) {
          q0[t] = cv[t]! * a20 + b20;
          q1[t] = cv[T + t]! * a21 + b21;
        }
        const ra0 = C[o + 19]! * al1;
        const ra1 = C[o + 20]! * al1;
        const rb0 = C[o + 19]! * be1;
        const rb1 = C[o + 20]! * be1;
        const shiftFirst = C[o + 22] === 1;
        // Σ log s as the log of one product per step (s ∈ (1e-6, 1]; renormalised if it gets small).
        let prod = 1;
        for (let t = 0; t < T; t++) {
          const Q0 = q0[t]! + rb0;
          const Q1 = q1[t]! + rb1;
          let rowSum = 0;
          const i1 = o1 + t * V;
          const i2 = o2 + t * V;
          // Two joints per iteration: two independent dependency chains for the scheduler.
          let prodB = 1;
          let rowSumB = 0;
          let v = 0;
          for (; v + 1 < V; v += 2) {
            const x1 = za[i1 + v]!;
            const x1b = za[i1 + v + 1]!;
            // Branch-free ReLUs ((u + |u|)/2 is exact): their signs are data, i.e. unpredictable.
            const u0 = Q0 + ra0 * x1;
            const u0b = Q0 + ra0 * x1b;
            const sh = 0.5 * (u0 + Math.abs(u0));
            const shb = 0.5 * (u0b + Math.abs(u0b));
            const u1 = Q1 + ra1 * x1 - 2;
            const u1b = Q1 + ra1 * x1b - 2;
            // sigmoid(a), a >= 2, by a cubic Taylor step from the nearest node below (no exp, no
            // division, no branch); a ≥ 24 is clamped onto the last node, 1 (1 − sigmoid < 4e-11).
            const y = Math.min((2 + 0.5 * (u1 + Math.abs(u1))) * SIG_STEPS, SIG_LAST);
            const yb = Math.min((2 + 0.5 * (u1b + Math.abs(u1b))) * SIG_STEPS, SIG_LAST);
            const yi = y | 0;
            const yib = yb | 0;
            const ii = yi * 4;
            const iib = yib * 4;
            const f = (y - yi) * (1 / SIG_STEPS);
            const fb = (yb - yib) * (1 / SIG_STEPS);
            const sc = sigT[ii]! + f * (sigT[ii + 1]! + f * (sigT[ii + 2]! + f * sigT[ii + 3]!)) + 1e-6;
            const scb = sigT[iib]! + fb * (sigT[iib + 1]! + fb * (sigT[iib + 2]! + fb * sigT[iib + 3]!)) + 1e-6;
            const x2 = al2 * za[i2 + v]! + be2;
            const x2b = al2 * za[i2 + v + 1]! + be2;
            const out = shiftFirst ? (x2 + sh) * sc : x2 * sc + sh;
            const outb = shiftFirst ? (x2b + shb) * scb : x2b * scb + shb;
            za[i2 + v] = out;
            za[i2 + v + 1] = outb;
            rowSum += out;
            rowSumB += outb;
            prod *= sc;
            prodB *= scb;
          }
          for (; v < V; v++) {
            const x1 = za[i1 + v]!;
            const u0 = Q0 + ra0 * x1;
            const sh = 0.5 * (u0 + Math.abs(u0));
            const u1 = Q1 + ra1 * x1 - 2;
            const y = Math.min((2 + 0.5 * (u1 + Math.abs(u1))) * SIG_STEPS, SIG_LAST);
            const yi = y | 0;
            const ii = yi * 4;
            const f = (y - yi) * (1 / SIG_STEPS);
            const sc = sigT[ii]! + f * (sigT[ii + 1]! + f * (sigT[ii + 2]! + f * sigT[ii + 3]!)) + 1e-6;
            const x2 = al2 * za[i2 + v]! + be2;
            const out = shiftFirst ? (x2 + sh) * sc : x2 * sc + sh;
            za[i2 + v] = out;
            rowSum += out;
            prod *= sc;
          }
          rowSum += rowSumB;
          prod *= prodB;
          rowSums[t] = rowSum;
          if (prod < 1e-200) {
            logdet += Math.log(prod);
            prod = 1;
          }
        }
        logdet += Math.log(prod);
        rowSumsOf = o2;
        // Output channel 0 is the conditioning channel, 1 the transformed one (now materialised).
        offA = o1;
        alA = al1;
        beA = be1;
        offB = o2;
        alB = 1;
        beB = 0;
      }
      let acc = 0;
      if (pr.kind === 'gmm') {
        const mu = S[pr.radius]!;
        let sq = 0;
        for (let i = 0; i < N; i++) {
          const d = alA * za[offA + i]! + beA - mu;
          const d2 = alB * za[offB + i]! + beB - mu;
          sq += d * d + d2 * d2;
        }
        acc = -0.5 * (sq / (1 + pr.varianceEps) + D * LOG_2PI);
      } else {
        for (let c = 0; c < 2; c++) {
          const off = c === 0 ? offA : offB;
          const al = c === 0 ? alA : alB;
          const be = c === 0 ? beA : beB;
          for (let i = 0; i < N; i++) {
            const e = c * N + i;
            const ls = S[pr.logStd + (pr.logStdSize === 1 ? 0 : e)]!;
            const d = al * za[off + i]! + be - S[pr.mean + (pr.meanSize === 1 ? 0 : e)]!;
            acc += -0.5 * (2 * ls + (d * d) / (Math.exp(2 * ls) + pr.varianceEps) + LOG_2PI);
          }
        }
      }
      out[s] = acc + logdet;
    }
  }

  // ---------------------------------------------------------------- drivers
  function forward(
    plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float64Array, B: number,
    labels: ArrayLike<number> | null, train: boolean, logp: Float64Array,
  ): Float64Array {
    const C = plan.channels;
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const D = C * N;
    const ld = ws.get('logdet', B);
    ld.fill(0, 0, B);
    let cur = x;
    const fast = train ? stgnfSteps(plan) : null;
    if (fast) {
      const input = ws.get('input', B * D);
      if (input !== x) input.set(x.subarray(0, B * D));
      cur = stgnfTrainForward(fast, plan, P, S, ws, input, B, ld);
    } else plan.layers.forEach((L, i) => {
      // Train mode keeps every layer's output for the backward pass; eval mode ping-pongs.
      const out = ws.get(train ? `act${i + 1}` : `pp${i & 1}`, B * D);
      const key = train ? `L${i}.` : `${L.kind}.`;
      if (L.kind === 'actnorm') actnormForward(L, P, S, cur, out, B, N, ld, train);
      else if (L.kind === 'permute') permuteForward(L, S, cur, out, B, N);
      else couplingForward(L, P, S, cur, out, B, T, V, ld, train, ws, key);
      cur = out;
    });
    const eps = plan.prior.varianceEps;
    for (let b = 0; b < B; b++) {
      let acc = 0;
      const o = b * D;
      if (plan.prior.kind === 'gmm') {
        const mu = priorMean(plan, S, labels, b, 0);
        let sq = 0;
        for (let e = 0; e < D; e++) {
          const d = cur[o + e]! - mu;
          sq += d * d;
        }
        acc = -0.5 * (sq / (1 + eps) + D * LOG_2PI);
      } else {
        for (let e = 0; e < D; e++) {
          const ls = priorLogStd(plan, S, e);
          const d = cur[o + e]! - priorMean(plan, S, labels, b, e);
          acc += -0.5 * (2 * ls + (d * d) / (Math.exp(2 * ls) + eps) + LOG_2PI);
        }
      }
      logp[b] = acc + ld[b]!;
    }
    return cur;
  }

  function backward(
    plan: FlowPlan, P: Float64Array, S: Float64Array, G: Float64Array, ws: Scratch, B: number,
    labels: ArrayLike<number> | null, w: Float64Array,
  ): void {
    const C = plan.channels;
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const D = C * N;
    G.fill(0);
    const L = plan.layers.length;
    const fast = stgnfSteps(plan);
    const z = L === 0 ? ws.get('input', 0) : fast ? ws.get(`F${L / 3}.X`, 0) : ws.get(`act${L}`, 0);
    let dcur = ws.get('d0', B * D);
    let dnext = ws.get('d1', B * D);
    const eps = plan.prior.varianceEps;
    const wld = ws.get('wld', B);
    for (let b = 0; b < B; b++) {
      // loss = Σ_b w_b·(−log p_b): ∂/∂z = w_b (z − μ)/σ², ∂/∂logdet_b = −w_b.
      wld[b] = -w[b]!;
      if (plan.prior.kind === 'gmm') {
        const mu = priorMean(plan, S, labels, b, 0);
        const k = w[b]! / (1 + eps);
        for (let e = 0; e < D; e++) dcur[b * D + e] = k * (z[b * D + e]! - mu);
      } else {
        for (let e = 0; e < D; e++) {
          const ls = priorLogStd(plan, S, e);
          dcur[b * D + e] = (w[b]! * (z[b * D + e]! - priorMean(plan, S, labels, b, e))) / (Math.exp(2 * ls) + eps);
        }
      }
    }
    if (fast) {
      stgnfTrainBackward(fast, plan, P, S, G, ws, B, dcur, wld);
      return;
    }
    for (let i = L - 1; i >= 0; i--) {
      const layer = plan.layers[i]!;
      const input = i === 0 ? ws.get('input', 0) : ws.get(`act${i}`, 0);
      if (layer.kind === 'actnorm') actnormBackward(layer, P, G, ws.get(`act${i + 1}`, 0), dcur, dnext, B, N, wld);
      else if (layer.kind === 'permute') permuteBackward(layer, S, dcur, dnext, B, N);
      else couplingBackward(layer, P, G, input, dcur, dnext, B, T, V, wld, ws, `L${i}.`);
      const t = dcur;
      dcur = dnext;
      dnext = t;
    }
  }

  // ---------------------------------------------------------------- eval, one sample at a time
  /** Eval-mode constants of one coupling's conditioner, folded once per call. */
  interface CouplingEval {
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
  }

  function bnAffine(bn: BatchNormPlan, P: Float64Array, S: Float64Array): [Float64Array, Float64Array] {
    const a = new Float64Array(bn.channels);
    const b = new Float64Array(bn.channels);
    for (let c = 0; c < bn.channels; c++) {
      const iv = 1 / Math.sqrt(S[bn.runningVar + c]! + bn.eps);
      a[c] = (bn.weight >= 0 ? P[bn.weight + c]! : 1) * iv;
      b[c] = (bn.bias >= 0 ? P[bn.bias + c]! : 0) - S[bn.runningMean + c]! * a[c]!;
    }
    return [a, b];
  }

  function prepareCoupling(net: StgcnUniformPlan, P: Float64Array, S: Float64Array, V: number): CouplingEval {
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
    if (net.residual === 'conv') {
      const [ar, br] = bnAffine(net.resBn as BatchNormPlan, P, S);
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) ra[o * cin + i] = P[net.resWeight + o * cin + i]! * ar[o]!;
        rd[o] = (net.resBias >= 0 ? P[net.resBias + o]! : 0) * ar[o]! + br[o]!;
      }
    } else if (net.residual === 'identity') {
      for (let o = 0; o < cout; o++) ra[o * cin + o] = 1;
    }
    return { weff, beff, a1, b1, w, cb, a2, b2, ra, rd };
  }

  /** Any coupling on one sample: materialises h per element, then applies the scale and shift. */
  function couplingGeneralEval(
    L: AffineCouplingPlan, k: CouplingEval, za: Float64Array, off: Int32Array, q: Float64Array, T: number, V: number, h: Float64Array,
  ): number {
    const net = L.net;
    const { cin, cout } = net;
    const N = T * V;
    const c2 = L.channels - L.c1;
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
    const cross = L.layout === 'cross';
    const shiftFirst = L.order === 'shiftThenScale';
    let logdet = 0;
    for (let j = 0; j < c2; j++) {
      const sh = cross ? 2 * j * N : j * N;
      const rw = cross ? sh + N : (c2 + j) * N;
      const xo = off[L.c1 + j]!;
      for (let n = 0; n < N; n++) {
        const raw = h[rw + n]!;
        let ls: number;
        let sc: number;
        if (L.scaleFn === 'sigmoid2') {
          const a = raw + 2;
          const e = expNeg(a >= 0 ? a : -a);
          sc = (a >= 0 ? 1 / (1 + e) : e / (1 + e)) + 1e-6;
          ls = Math.log(sc);
        } else {
          ls = L.scaleFn === 'exp' ? raw : L.bound * Math.tanh(raw / L.bound);
          sc = Math.exp(ls);
        }
        za[xo + n] = shiftFirst ? (za[xo + n]! + h[sh + n]!) * sc : za[xo + n]! * sc + h[sh + n]!;
        logdet += ls;
      }
    }
    return logdet;
  }

  /**
   * Eval-mode log p of `n` float32 samples, one sample at a time through every layer: the
   * sample's numbers stay in cache, ActNorm is applied in place, permutations only relabel the
   * channels, and BatchNorms and residual convolutions are folded into per-channel constants.
   */
  function logProbSamples(plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, out: Float64Array): void {
    const steps = stgnfSteps(plan);
    if (steps) {
      stgnfEvalSamples(steps, plan, P, S, ws, x, n, out);
      return;
    }
    const C = plan.channels;
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const D = C * N;
    const za = ws.get('sample', D);
    let off = new Int32Array(C);
    let tmp = new Int32Array(C);
    let maxC = 1;
    const prep = plan.layers.map((L) => {
      if (L.kind !== 'affine') return null;
      maxC = Math.max(maxC, L.net.cout, L.net.cin);
      return prepareCoupling(L.net, P, S, V);
    });
    const perms = plan.layers.map((L) => (L.kind === 'permute' ? permutation(L, S) : null));
    const sums = ws.get('evalSums', maxC * T);
    const h = ws.get('evalH', maxC * N);
    let actnormLogdet = 0;
    for (const L of plan.layers) if (L.kind === 'actnorm') for (let c = 0; c < L.channels; c++) actnormLogdet += P[L.logs + c]! * N;
    const pr = plan.prior;
    for (let s = 0; s < n; s++) {
      for (let i = 0, j = s * D; i < D; i++, j++) za[i] = x[j]!;
      for (let c = 0; c < C; c++) off[c] = c * N;
      let logdet = actnormLogdet;
      for (let li = 0; li < plan.layers.length; li++) {
        const L = plan.layers[li]!;
        if (L.kind === 'actnorm') {
          for (let c = 0; c < C; c++) {
            const e = Math.exp(P[L.logs + c]!);
            const b = P[L.bias + c]!;
            const o = off[c]!;
            for (let i = 0; i < N; i++) za[o + i] = (za[o + i]! + b) * e;
          }
        } else if (L.kind === 'permute') {
          // Relabel the channels instead of moving them.
          const perm = perms[li]!;
          for (let c = 0; c < C; c++) tmp[c] = off[perm[c]!]!;
          [off, tmp] = [tmp, off];
        } else {
          // The conditioner's joint-constant part, as in training with a batch of one (eval mode).
          for (let i = 0; i < L.c1; i++) {
            const o = off[i]!;
            for (let t = 0; t < T; t++) {
              let acc = 0;
              for (let v = 0; v < V; v++) acc += za[o + t * V + v]!;
              sums[i * T + t] = acc;
            }
          }
          const q = tcnBranchForward(L.net, P, S, sums, 1, T, V, false, ws, 'eval.');
          logdet += couplingGeneralEval(L, prep[li]!, za, off, q, T, V, h);
        }
      }
      let acc = 0;
      if (pr.kind === 'gmm') {
        const mu = S[pr.radius]!;
        let sq = 0;
        for (let i = 0; i < D; i++) {
          const d = za[i]! - mu;
          sq += d * d;
        }
        acc = -0.5 * (sq / (1 + pr.varianceEps) + D * LOG_2PI);
      } else {
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < N; i++) {
            const e = c * N + i;
            const ls = S[pr.logStd + (pr.logStdSize === 1 ? 0 : e)]!;
            const d = za[off[c]! + i]! - S[pr.mean + (pr.meanSize === 1 ? 0 : e)]!;
            acc += -0.5 * (2 * ls + (d * d) / (Math.exp(2 * ls) + pr.varianceEps) + LOG_2PI);
          }
        }
      }
      out[s] = acc + logdet;
    }
  }


  return { forward, backward, logProbSamples, createScratch };
}
