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
  /** Eval-mode log p of `n` samples from a float32 array, in chunks of `chunk` (cache-sized). */
  logProbChunked(plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, chunk: number, out: Float64Array): void;
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
    // Uniform partitions: y = Σ_k a_k (W_k Σ_v x + V b_k) at every joint.
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
    temporalConv(P, net.tcnWeight, net.tcnBias, r, cv, B, cout, T, kt);
    const q = ws.get(key + 'q', B * cout * T);
    bnForward(net.bn2, P, S, cv, q, train ? ws.get(key + 'xh2', B * cout * T) : null, B, T, V, train, ws.get(key + 'inv2', cout));
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
          for (let t = 0; t < T; t++) {
            let acc = 0;
            for (let j = 0; j < kt; j++) acc += P[w0 + j]! * r[ri + t + j]!;
            cv[out + t] = cv[out + t]! + acc;
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
    const dcv = ws.get(key + 'dcv', B * cout * T);
    bnBackward(net.bn2, P, G, dq, ws.get(key + 'xh2', 0), dcv, B, T, true, ws.get(key + 'inv2', 0));
    const r = ws.get(key + 'r', 0);
    const dr = ws.get(key + 'dr', B * cout * T);
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
            let sw = 0;
            // Output t reads padded input t + j, i.e. unpadded t + j − pad.
            for (let t = 0; t < T; t++) sw += dcv[d0 + t]! * r[ri + t + j]!;
            G[w0 + j] = G[w0 + j]! + sw;
            const lo = Math.max(0, pad - j);
            const hi = Math.min(T, T + pad - j);
            for (let t = lo; t < hi; t++) dr[di + t + j - pad] = dr[di + t + j - pad]! + w * dcv[d0 + t]!;
          }
        }
      }
    }
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
        const xi = (b * cin + i) * N;
        for (let t = 0; t < T; t++) {
          let ds = 0;
          for (let c = 0; c < cout; c++) ds += weff[c * cin + i]! * dg[(b * cout + c) * T + t]!;
          const o = xi + t * V;
          for (let v = 0; v < V; v++) dx[o + v] = dx[o + v]! + ds;
        }
      }
    }
  }

  // ---------------------------------------------------------------- bijectors
  function actnormForward(L: ActNormPlan, P: Float64Array, S: Float64Array, x: Float64Array, y: Float64Array, B: number, N: number, ld: Float64Array, train: boolean): void {
    const C = L.channels;
    if (train && S[L.initialized] === 0) {
      // Data-dependent initialisation (Glow): zero mean, unit (population) std per channel.
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
    plan.layers.forEach((L, i) => {
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
    const z = L === 0 ? ws.get('input', 0) : ws.get(`act${L}`, 0);
    let dcur = ws.get('d0', B * D);
    let dnext = ws.get('d1', B * D);
    const eps = plan.prior.varianceEps;
    const wld = ws.get('wld', B);
    for (let b = 0; b < B; b++) {
      // loss = Σ_b w_b·(−log p_b): ∂/∂z = w_b (z − μ)/σ², ∂/∂logdet_b = −w_b.
      wld[b] = -w[b]!;
      for (let e = 0; e < D; e++) {
        const ls = priorLogStd(plan, S, e);
        dcur[b * D + e] = (w[b]! * (z[b * D + e]! - priorMean(plan, S, labels, b, e))) / (Math.exp(2 * ls) + eps);
      }
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

  /**
   * The conditioner's joint-constant part for one sample: q[o, t] (temporal branch after its
   * BatchNorm) plus the residual's constant, from the conditioning channels at offsets `off`.
   */
  function conditionerRows(
    net: StgcnUniformPlan, k: CouplingEval, za: Float64Array, off: Int32Array, al: Float64Array, be: Float64Array, T: number, V: number,
    sums: Float64Array, r: Float64Array, q: Float64Array,
  ): void {
    const { cin, cout, kt } = net;
    const pad = (kt - 1) >> 1;
    const TP = T + 2 * pad;
    for (let i = 0; i < cin; i++) {
      const o = off[i]!;
      const a = al[i]!;
      const b = be[i]! * V;
      for (let t = 0; t < T; t++) {
        let acc = 0;
        const rr = o + t * V;
        for (let v = 0; v < V; v++) acc += za[rr + v]!;
        sums[i * T + t] = a * acc + b;
      }
    }
    for (let c = 0; c < cout; c++) {
      const ro = c * TP;
      for (let p = 0; p < pad; p++) {
        r[ro + p] = 0;
        r[ro + pad + T + p] = 0;
      }
      for (let t = 0; t < T; t++) {
        let g = k.beff[c]!;
        for (let i = 0; i < cin; i++) g += k.weff[c * cin + i]! * sums[i * T + t]!;
        const u = g * k.a1[c]! + k.b1[c]!;
        r[ro + pad + t] = u > 0 ? u : 0;
      }
    }
    // Accumulate tap by tap (axpy over t): independent sums per frame instead of one long
    // dependent chain per output, several times faster on a scalar core.
    for (let o = 0; o < cout; o++) {
      const qo = o * T;
      q.fill(k.cb[o]!, qo, qo + T);
      for (let i = 0; i < cout; i++) {
        const w0 = (o * cout + i) * kt;
        const ri = i * TP;
        for (let j = 0; j < kt; j++) {
          const w = k.w[w0 + j]!;
          const rj = ri + j;
          for (let t = 0; t < T; t++) q[qo + t] = q[qo + t]! + w * r[rj + t]!;
        }
      }
      const a2 = k.a2[o]!;
      const b2 = k.b2[o]! + k.rd[o]!;
      for (let t = 0; t < T; t++) q[qo + t] = q[qo + t]! * a2 + b2;
    }
  }

  /**
   * STG-NF's coupling on one sample in one pass per element: one conditioning and one
   * transformed channel, a 1 → 2 ST-GCN conditioner, sigmoid(raw + 2) + 1e-6 scale. Returns Σ log s.
   */
  function coupling1x1Sigmoid2(
    L: AffineCouplingPlan, k: CouplingEval, za: Float64Array, o1: number, o2: number, q: Float64Array, T: number, V: number,
    al1: number, be1: number, al2: number, be2: number,
  ): number {
    // cross layout: channel 0 is the shift, 1 the raw scale; half: the same for c2 = 1. The
    // channels are stored as x = al·stored + be (ActNorm applied lazily); the affine of the
    // conditioning channel folds into the residual's coefficients, the other's into the update.
    const ra0 = k.ra[0]! * al1;
    const ra1 = k.ra[1]! * al1;
    const rb0 = k.ra[0]! * be1;
    const rb1 = k.ra[1]! * be1;
    const relu = L.net.finalRelu;
    const shiftFirst = L.order === 'shiftThenScale';
    let logdet = 0;
    for (let t = 0; t < T; t++) {
      const q0 = q[t]! + rb0;
      const q1 = q[T + t]! + 2 + rb1;
      let prod = 1;
      const r0 = t * V;
      for (let v = 0; v < V; v++) {
        const x1 = za[o1 + r0 + v]!;
        let sh = q0 + ra0 * x1;
        let a = q1 + ra1 * x1;
        if (relu) {
          if (sh < 0) sh = 0;
          if (a < 2) a = 2;
        }
        const e = expNeg(a >= 0 ? a : -a);
        const sc = (a >= 0 ? 1 / (1 + e) : e / (1 + e)) + 1e-6;
        const i2 = o2 + r0 + v;
        const x2 = al2 * za[i2]! + be2;
        za[i2] = shiftFirst ? (x2 + sh) * sc : x2 * sc + sh;
        prod *= sc;
      }
      logdet += Math.log(prod);
    }
    return logdet;
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
        const qv = q[o * T + t]!;
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
    const C = plan.channels;
    const T = plan.frames;
    const V = plan.joints;
    const N = T * V;
    const D = C * N;
    const za = ws.get('sample', D);
    let off = new Int32Array(C);
    let tmp = new Int32Array(C);
    const condOff = new Int32Array(C);
    let maxCout = 1;
    let maxPad = 0;
    const prep = plan.layers.map((L) => {
      if (L.kind === 'affine') {
        maxCout = Math.max(maxCout, L.net.cout, L.net.cin);
        maxPad = Math.max(maxPad, (L.net.kt - 1) >> 1);
        return prepareCoupling(L.net, P, S, V);
      }
      return null;
    });
    const perms = plan.layers.map((L) => (L.kind === 'permute' ? permutation(L, S) : null));
    const sums = ws.get('evalSums', maxCout * T);
    const r = ws.get('evalR', maxCout * (T + 2 * maxPad));
    const q = ws.get('evalQ', maxCout * T);
    const h = ws.get('evalH', maxCout * N);
    let actnormLogdet = 0;
    for (const L of plan.layers) if (L.kind === 'actnorm') for (let c = 0; c < L.channels; c++) actnormLogdet += P[L.logs + c]! * N;
    const pr = plan.prior;
    // Channel c of the current tensor is al[c]·za[off[c] + i] + be[c]: ActNorm only updates
    // (al, be), permutations relabel, a coupling folds them into its reads and writes.
    let al = new Float64Array(C);
    let be = new Float64Array(C);
    let alTmp = new Float64Array(C);
    let beTmp = new Float64Array(C);
    const expLogs = plan.layers.map((L) => (L.kind === 'actnorm' ? Array.from({ length: C }, (_, c) => Math.exp(P[L.logs + c]!)) : null));
    const materialise = (): void => {
      for (let c = 0; c < C; c++) {
        const a = al[c]!;
        const b = be[c]!;
        if (a === 1 && b === 0) continue;
        const o = off[c]!;
        for (let i = 0; i < N; i++) za[o + i] = a * za[o + i]! + b;
        al[c] = 1;
        be[c] = 0;
      }
    };
    for (let s = 0; s < n; s++) {
      za.set(x.subarray(s * D, (s + 1) * D));
      for (let c = 0; c < C; c++) {
        off[c] = c * N;
        al[c] = 1;
        be[c] = 0;
      }
      let logdet = actnormLogdet;
      for (let li = 0; li < plan.layers.length; li++) {
        const L = plan.layers[li]!;
        if (L.kind === 'actnorm') {
          const e = expLogs[li]!;
          for (let c = 0; c < C; c++) {
            al[c] = al[c]! * e[c]!;
            be[c] = (be[c]! + P[L.bias + c]!) * e[c]!;
          }
        } else if (L.kind === 'permute') {
          const perm = perms[li]!;
          for (let c = 0; c < C; c++) {
            tmp[c] = off[perm[c]!]!;
            alTmp[c] = al[perm[c]!]!;
            beTmp[c] = be[perm[c]!]!;
          }
          [off, tmp] = [tmp, off];
          [al, alTmp] = [alTmp, al];
          [be, beTmp] = [beTmp, be];
        } else {
          const k = prep[li]!;
          for (let i = 0; i < L.c1; i++) condOff[i] = off[i]!;
          if (L.c1 === 1 && C === 2 && L.scaleFn === 'sigmoid2') {
            conditionerRows(L.net, k, za, condOff, al, be, T, V, sums, r, q);
            logdet += coupling1x1Sigmoid2(L, k, za, off[0]!, off[1]!, q, T, V, al[0]!, be[0]!, al[1]!, be[1]!);
            al[1] = 1;
            be[1] = 0;
          } else {
            materialise();
            conditionerRows(L.net, k, za, condOff, al, be, T, V, sums, r, q);
            logdet += couplingGeneralEval(L, k, za, off, q, T, V, h);
          }
        }
      }
      materialise();
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

  function logProbChunked(plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, chunk: number, out: Float64Array): void {
    const D = plan.channels * plan.frames * plan.joints;
    const buf = ws.get('chunk', chunk * D);
    const lp = ws.get('chunkLogp', chunk);
    for (let s = 0; s < n; s += chunk) {
      const b = Math.min(chunk, n - s);
      for (let i = 0; i < b * D; i++) buf[i] = x[s * D + i]!;
      forward(plan, P, S, ws, buf, b, null, false, lp);
      for (let i = 0; i < b; i++) out[s + i] = lp[i]!;
    }
  }

  return { forward, backward, logProbChunked, logProbSamples, createScratch };
}
