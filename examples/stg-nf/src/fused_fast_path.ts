import type { BatchNormPlan } from '@skelflow/nn';
import { actnormInit, permutation, type ActNormPlan, type AffineCouplingPlan, type DiagonalPriorPlan, type ClassConditionalGaussianPriorPlan, type PermutePlan } from '@skelflow/flows';
import { registerFastPath, type FlowPlan, type Scratch } from '@skelflow/fused';
import { prepareStgcnEval, tcnBranchBackward, tcnBranchForward, temporalConv2, type StgcnUniformPlan } from '@skelflow/graph';

// STG-NF's fused fast path: the fused engine runs any flow layer by layer; this path recognises
// STG-NF-shaped steps (two channels; ActNorm → permutation → coupling with a 1 → 2 ReLU ST-GCN
// conditioner and the sigmoid(·+2) scale) and runs them with the steps folded together:
//  - scoring: one segment at a time through every step in one loop nest (the segment stays in
//    L1), ActNorm a lazy per-channel affine, the permutation an offset swap, eval BatchNorms and
//    the residual folded into constants, joint sums reused from the previous step's writes, one
//    logarithm per step, sigmoid from a Taylor table (no exp, no division);
//  - training: two passes over the batch per step forward and two backward; the residual
//    BatchNorm's batch statistics and backward follow from sums of its single input channel.

const LOG_2PI = Math.log(2 * Math.PI);

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

/** One flow step of the shape STG-NF uses, recognised for the fused training path. */
export interface StgNfStep {
  an: ActNormPlan;
  pm: PermutePlan;
  cp: AffineCouplingPlan & { net: StgcnUniformPlan };
}

/**
 * The plan as a list of [ActNorm, permutation, affine coupling] steps on two channels, with a
 * 1 → 2 channel ReLU ST-GCN conditioner (residual conv or none) and the sigmoid(·+2) scale, or
 * null. Those steps train with two passes over the data per step forward and two backward:
 * ActNorm and the permutation fold into per-channel constants, and the residual BatchNorm's
 * statistics follow from the moments of its one input channel.
 */
export function stgNfSteps(plan: FlowPlan): StgNfStep[] | null {
  const L = plan.layers;
  if (plan.channels !== 2 || plan.contextSize !== 0 || L.length === 0 || L.length % 3 !== 0) return null;
  if (plan.prior.kind !== 'class-gaussian' && plan.prior.kind !== 'diagonal') return null;
  const steps: StgNfStep[] = [];
  for (let i = 0; i < L.length; i += 3) {
    const an = L[i] as ActNormPlan;
    const pm = L[i + 1] as PermutePlan;
    const cp = L[i + 2] as StgNfStep['cp'];
    if (an.kind !== 'actnorm' || pm.kind !== 'permute' || cp.kind !== 'affine' || cp.net.kind !== 'stgcn-uniform') return null;
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

/**
 * Train-mode forward of {@link stgNfSteps} steps: adds each sample's log-determinant to `ld`,
 * updates running statistics (and runs ActNorm's initialisation), keeps what
 * {@link stgNfTrainBackward} needs in `ws`, and returns z.
 */
export function stgNfTrainForward(steps: StgNfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float64Array, B: number, ld: Float64Array): Float64Array {
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
          // Branch-free table sigmoid, as in stgNfEvalSamples.
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

/** Backward of {@link stgNfTrainForward}: `dz` (consumed) → gradients in G; returns the gradient with respect to the input. */
export function stgNfTrainBackward(steps: StgNfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, G: Float64Array, ws: Scratch, B: number, dz: Float64Array, wld: Float64Array): Float64Array {
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
  return dY;
}

/**
 * Eval-mode log p for plans of {@link stgNfSteps} shape: one sample at a time through all steps
 * in one loop nest with every constant in locals (ActNorm kept as a lazy per-channel affine, the
 * permutation as a channel swap, BatchNorms and the residual folded), about twice as fast as the
 * layer-generic sample loop.
 */
export function stgNfEvalSamples(steps: StgNfStep[], plan: FlowPlan, P: Float64Array, S: Float64Array, ws: Scratch, x: Float32Array, n: number, out: Float64Array): void {
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
    const prep = prepareStgcnEval(net, P, S, V);
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
  const pr = plan.prior as ClassConditionalGaussianPriorPlan | DiagonalPriorPlan;
  const sigT = SIG_TABLE;
  const za = ws.get('stgNfSample', D);
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
    if (pr.kind === 'class-gaussian') {
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

/**
 * The registered fast path (name `'stg-nf'`): claims plans of {@link stgNfSteps} shape without a
 * context over a Gaussian prior, for training (forward and backward) and scoring.
 */
export const stgNfFastPath = registerFastPath<StgNfStep[]>({
  name: 'stg-nf',
  module: import.meta.url,
  claim: stgNfSteps,
  trainForward(steps, a) {
    // The backward pass reads the first step's input from the scratch.
    const input = a.ws.get('input', a.B * 2 * a.plan.frames * a.plan.joints);
    if (input !== a.x) input.set(a.x.subarray(0, a.B * 2 * a.plan.frames * a.plan.joints));
    return stgNfTrainForward(steps, a.plan, a.P, a.S, a.ws, input, a.B, a.ld);
  },
  trainBackward(steps, a) {
    return stgNfTrainBackward(steps, a.plan, a.P, a.S, a.G, a.ws, a.B, a.dz, a.wld);
  },
  evalSamples(steps, a) {
    stgNfEvalSamples(steps, a.plan, a.P, a.S, a.ws, a.x, a.n, a.out);
  },
});
