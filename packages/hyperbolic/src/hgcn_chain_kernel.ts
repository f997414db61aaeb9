import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '@skelflow/base';
import type { TangentActivation } from './hyperbolic_activation.js';
import type { HgcnLayer } from './hgcn_layer.js';
import { ARTANH_CLAMP, MIN_NORM, TANH_CLAMP, type PoincareBall } from './poincare_ball.js';

// The float32 values the tensor path compares against (tfjs turns scalar operands into float32).
const MIN_SQ = Math.fround(MIN_NORM * MIN_NORM);
const MIN_DEN = Math.fround(MIN_NORM);
const TANH_MAX = Math.fround(TANH_CLAMP);
const ATANH_MAX = Math.fround(ARTANH_CLAMP);

/** Reverse-mode record of one kernel call: the backward steps (last first) and the curvature gradients. */
interface Tape {
  back: ((g: Float64Array) => Float64Array)[];
  /** ∂L/∂√c accumulated by the maps written in √c. */
  gs: number;
  /** ∂L/∂c accumulated by the Möbius addition (written in c). */
  gc: number;
}

/**
 * `y = r(√c‖x‖) · x` row by row — `expmap0` (r = tanh(z)/z) or `logmap0` (r = artanh(z)/z) — with
 * the tensor path's clamps: ‖x‖² ≥ 1e-30, tanh argument ≤ 15, artanh argument ≤ 1 − 1e-7. The
 * gradient follows tfjs's rules for the clamps (`maximum` passes it where a ≥ b, `minimum` where a ≤ b).
 */
function ratioMap(x: Float64Array, d: number, s: number, kind: 'exp' | 'log', tape: Tape): Float64Array {
  const rows = x.length / d;
  const y = new Float64Array(x.length);
  const r = new Float64Array(rows);
  const dr = new Float64Array(rows);
  const norm = new Float64Array(rows);
  const open = new Uint8Array(rows);
  for (let i = 0, o = 0; i < rows; i++, o += d) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += x[o + k]! * x[o + k]!;
    open[i] = sq >= MIN_SQ ? 1 : 0;
    const n = Math.sqrt(Math.max(sq, MIN_SQ));
    const z = s * n;
    let ri: number;
    let dri: number;
    if (kind === 'exp') {
      const th = Math.tanh(Math.min(z, TANH_MAX));
      ri = th / z;
      dri = (z <= TANH_MAX ? (1 - th * th) / z : 0) - th / (z * z);
    } else {
      const m = Math.min(z, ATANH_MAX);
      const at = Math.atanh(m);
      ri = at / z;
      dri = (z <= ATANH_MAX ? 1 / (1 - m * m) / z : 0) - at / (z * z);
    }
    r[i] = ri;
    dr[i] = dri;
    norm[i] = n;
    for (let k = 0; k < d; k++) y[o + k] = ri * x[o + k]!;
  }
  tape.back.push((gy) => {
    const gx = new Float64Array(x.length);
    for (let i = 0, o = 0; i < rows; i++, o += d) {
      let g = 0;
      for (let k = 0; k < d; k++) g += gy[o + k]! * x[o + k]!;
      const n = norm[i]!;
      tape.gs += dr[i]! * n * g;
      const coef = open[i] ? (dr[i]! * s * g) / n : 0;
      for (let k = 0; k < d; k++) gx[o + k] = r[i]! * gy[o + k]! + coef * x[o + k]!;
    }
    return gx;
  });
  return y;
}

/** `proj`: `x · min(1, ((1 − ε)/√c) / ‖x‖)` row by row. */
function projRows(x: Float64Array, d: number, s: number, eps: number, tape: Tape): Float64Array {
  const rows = x.length / d;
  const maxNorm = Math.fround(1 - eps) / s;
  const y = new Float64Array(x.length);
  const q = new Float64Array(rows);
  const norm = new Float64Array(rows);
  const active = new Uint8Array(rows);
  const open = new Uint8Array(rows);
  for (let i = 0, o = 0; i < rows; i++, o += d) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += x[o + k]! * x[o + k]!;
    open[i] = sq >= MIN_SQ ? 1 : 0;
    const n = Math.sqrt(Math.max(sq, MIN_SQ));
    const ratio = maxNorm / n;
    active[i] = 1 > ratio ? 1 : 0;
    const qi = Math.min(1, ratio);
    q[i] = qi;
    norm[i] = n;
    for (let k = 0; k < d; k++) y[o + k] = qi * x[o + k]!;
  }
  tape.back.push((gy) => {
    const gx = new Float64Array(x.length);
    for (let i = 0, o = 0; i < rows; i++, o += d) {
      if (!active[i]) {
        for (let k = 0; k < d; k++) gx[o + k] = gy[o + k]!;
        continue;
      }
      let g = 0;
      for (let k = 0; k < d; k++) g += gy[o + k]! * x[o + k]!;
      const n = norm[i]!;
      // q = M/n: ∂q/∂M = 1/n, ∂M/∂√c = −M/√c; ∂q/∂n = −M/n², ∂n/∂x = x/n.
      tape.gs += (g / n) * (-maxNorm / s);
      const coef = open[i] ? (g * -maxNorm) / (n * n * n) : 0;
      for (let k = 0; k < d; k++) gx[o + k] = q[i]! * gy[o + k]! + coef * x[o + k]!;
    }
    return gx;
  });
  return y;
}

/**
 * Möbius matvec `tanh(t)/t · artanh(√c‖x‖)/(√c‖x‖) · Mx`, `t = √c‖Mx‖ · artanh(√c‖x‖)/(√c‖x‖)`
 * (the form of {@link PoincareBall.mobiusMatvec}); `w` is `[dOut, dIn]`, its gradient goes to `gw`.
 */
function matvecRows(x: Float64Array, dIn: number, w: Float64Array, dOut: number, s: number, gw: Float64Array, tape: Tape): Float64Array {
  const rows = x.length / dIn;
  const mx = new Float64Array(rows * dOut);
  const y = new Float64Array(rows * dOut);
  const cache = new Float64Array(rows * 8);
  for (let i = 0; i < rows; i++) {
    const xo = i * dIn;
    const mo = i * dOut;
    let sqx = 0;
    for (let k = 0; k < dIn; k++) sqx += x[xo + k]! * x[xo + k]!;
    let sqm = 0;
    for (let j = 0; j < dOut; j++) {
      let acc = 0;
      const wo = j * dIn;
      for (let k = 0; k < dIn; k++) acc += w[wo + k]! * x[xo + k]!;
      mx[mo + j] = acc;
      sqm += acc * acc;
    }
    const nx = Math.sqrt(Math.max(sqx, MIN_SQ));
    const zx = s * nx;
    const mz = Math.min(zx, ATANH_MAX);
    const at = Math.atanh(mz);
    const xr = at / zx;
    const dxr = (zx <= ATANH_MAX ? 1 / (1 - mz * mz) / zx : 0) - at / (zx * zx);
    const nm = Math.sqrt(Math.max(sqm, MIN_SQ));
    const t = s * nm * xr;
    const th = Math.tanh(Math.min(t, TANH_MAX));
    const f = th / t;
    const df = (t <= TANH_MAX ? (1 - th * th) / t : 0) - th / (t * t);
    const phi = f * xr;
    for (let j = 0; j < dOut; j++) y[mo + j] = phi * mx[mo + j]!;
    const co = i * 8;
    cache[co] = nx;
    cache[co + 1] = xr;
    cache[co + 2] = dxr;
    cache[co + 3] = nm;
    cache[co + 4] = f;
    cache[co + 5] = df;
    cache[co + 6] = sqx >= MIN_SQ ? 1 : 0;
    cache[co + 7] = sqm >= MIN_SQ ? 1 : 0;
  }
  tape.back.push((gy) => {
    const gx = new Float64Array(x.length);
    const gmx = new Float64Array(dOut);
    for (let i = 0; i < rows; i++) {
      const xo = i * dIn;
      const mo = i * dOut;
      const co = i * 8;
      const nx = cache[co]!;
      const xr = cache[co + 1]!;
      const dxr = cache[co + 2]!;
      const nm = cache[co + 3]!;
      const f = cache[co + 4]!;
      const df = cache[co + 5]!;
      const phi = f * xr;
      let gphi = 0;
      for (let j = 0; j < dOut; j++) gphi += gy[mo + j]! * mx[mo + j]!;
      const gt = gphi * xr * df;
      const gxr = gphi * f + gt * s * nm;
      tape.gs += gt * nm * xr;
      const cm = cache[co + 7] ? (gt * s * xr) / nm : 0;
      for (let j = 0; j < dOut; j++) gmx[j] = phi * gy[mo + j]! + cm * mx[mo + j]!;
      const gz = gxr * dxr;
      tape.gs += gz * nx;
      const cx = cache[co + 6] ? (gz * s) / nx : 0;
      for (let k = 0; k < dIn; k++) gx[xo + k] = cx * x[xo + k]!;
      for (let j = 0; j < dOut; j++) {
        const g = gmx[j]!;
        if (g === 0) continue;
        const wo = j * dIn;
        for (let k = 0; k < dIn; k++) {
          gx[xo + k] += g * w[wo + k]!;
          gw[wo + k] += g * x[xo + k]!;
        }
      }
    }
    return gx;
  });
  return y;
}

/**
 * Möbius addition `x ⊕_c y` of every row of x with one point y `[d]` (the bias), in the form of
 * {@link PoincareBall.mobiusAdd}; the gradient of y is handed to `backY` once per backward pass.
 */
function mobiusAddRows(x: Float64Array, y: Float64Array, d: number, c: number, backY: (gy: Float64Array) => void, tape: Tape): Float64Array {
  const rows = x.length / d;
  let y2 = 0;
  for (let k = 0; k < d; k++) y2 += y[k]! * y[k]!;
  const out = new Float64Array(x.length);
  const cache = new Float64Array(rows * 5);
  for (let i = 0, o = 0; i < rows; i++, o += d) {
    let x2 = 0;
    let xy = 0;
    for (let k = 0; k < d; k++) {
      x2 += x[o + k]! * x[o + k]!;
      xy += x[o + k]! * y[k]!;
    }
    const xy2c = 2 * c * xy;
    const a = 1 + xy2c + c * y2;
    const b = 1 - c * x2;
    const den = 1 + xy2c + c * c * (x2 * y2);
    const denC = Math.max(den, MIN_DEN);
    for (let k = 0; k < d; k++) out[o + k] = (a * x[o + k]! + b * y[k]!) / denC;
    const co = i * 5;
    cache[co] = x2;
    cache[co + 1] = xy;
    cache[co + 2] = a;
    cache[co + 3] = b;
    cache[co + 4] = den >= MIN_DEN ? denC : -denC;
  }
  tape.back.push((gout) => {
    const gx = new Float64Array(x.length);
    const gyAcc = new Float64Array(d);
    let gy2Total = 0;
    for (let i = 0, o = 0; i < rows; i++, o += d) {
      const co = i * 5;
      const x2 = cache[co]!;
      const xy = cache[co + 1]!;
      const a = cache[co + 2]!;
      const b = cache[co + 3]!;
      const denSigned = cache[co + 4]!;
      const denC = Math.abs(denSigned);
      // num·gout, and the parts of the numerator
      let gnumX = 0; // ⟨gnum, x⟩
      let gnumY = 0; // ⟨gnum, y⟩
      let numDotG = 0;
      for (let k = 0; k < d; k++) {
        const g = gout[o + k]!;
        gnumX += g * x[o + k]!;
        gnumY += g * y[k]!;
        numDotG += g * (a * x[o + k]! + b * y[k]!);
      }
      gnumX /= denC;
      gnumY /= denC;
      const gden = denSigned > 0 ? -numDotG / (denC * denC) : 0;
      const ga = gnumX;
      const gb = gnumY;
      const gxy2c = ga + gden;
      tape.gc += ga * y2 - gb * x2 + gden * 2 * c * x2 * y2;
      const gy2 = ga * c + gden * c * c * x2;
      const gx2 = -gb * c + gden * c * c * y2;
      tape.gc += gxy2c * 2 * xy;
      const gxy = gxy2c * 2 * c;
      gy2Total += gy2;
      for (let k = 0; k < d; k++) {
        const gnum = gout[o + k]! / denC;
        gx[o + k] = a * gnum + 2 * x[o + k]! * gx2 + gxy * y[k]!;
        gyAcc[k] += b * gnum + gxy * x[o + k]!;
      }
    }
    for (let k = 0; k < d; k++) gyAcc[k] += 2 * y[k]! * gy2Total;
    backY(gyAcc);
    return gx;
  });
  return out;
}

/** Mixes the nodes of every group `[V, d]` with the adjacency `[V, V]` (row v = weights of v's neighbours). */
function aggregateRows(x: Float64Array, v: number, d: number, adj: Float64Array, tape: Tape): Float64Array {
  const groups = x.length / (v * d);
  const y = new Float64Array(x.length);
  for (let b = 0; b < groups; b++) {
    const go = b * v * d;
    for (let i = 0; i < v; i++) {
      const yo = go + i * d;
      for (let j = 0; j < v; j++) {
        const a = adj[i * v + j]!;
        if (a === 0) continue;
        const xo = go + j * d;
        for (let k = 0; k < d; k++) y[yo + k] += a * x[xo + k]!;
      }
    }
  }
  tape.back.push((gy) => {
    const gx = new Float64Array(x.length);
    for (let b = 0; b < groups; b++) {
      const go = b * v * d;
      for (let i = 0; i < v; i++) {
        const yo = go + i * d;
        for (let j = 0; j < v; j++) {
          const a = adj[i * v + j]!;
          if (a === 0) continue;
          const xo = go + j * d;
          for (let k = 0; k < d; k++) gx[xo + k] += a * gy[yo + k]!;
        }
      }
    }
    return gx;
  });
  return y;
}

/** The tangent activation elementwise, with tfjs's gradients (relu: 1 where x > 0; leakyRelu as max(x, 0.2x)). */
function activateRows(x: Float64Array, kind: TangentActivation, tape: Tape): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = kind === 'relu' ? (v > 0 ? v : 0) : kind === 'tanh' ? Math.tanh(v) : kind === 'leakyRelu' ? Math.max(v, Math.fround(0.2) * v) : v;
  }
  tape.back.push((gy) => {
    const gx = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const dv = kind === 'relu' ? (v > 0 ? 1 : 0) : kind === 'tanh' ? 1 - y[i]! * y[i]! : kind === 'leakyRelu' ? (v >= Math.fround(0.2) * v ? 1 : Math.fround(0.2)) : 1;
      gx[i] = gy[i]! * dv;
    }
    return gx;
  });
  return y;
}

function runBack(tape: Tape, g: Float64Array): Float64Array {
  for (let i = tape.back.length - 1; i >= 0; i--) g = tape.back[i]!(g);
  return g;
}

/** What the kernel needs of one {@link HgcnLayer}: its numbers and its activation. */
interface LayerData {
  dIn: number;
  dOut: number;
  weight: Float64Array;
  bias: Float64Array | null;
  adjacency: Float64Array;
  activation: TangentActivation;
}

const adjacencyCache = new WeakMap<HgcnLayer, Float64Array>();

function checkChain(lifted: tf.Tensor, ball: PoincareBall, layers: readonly HgcnLayer[]): number {
  const src = 'hgcnChainTangent';
  if (lifted.rank < 2) throw new ShapeError(`lifted features must be [..., V, D], got [${lifted.shape}]`, { source: src });
  const v = lifted.shape[lifted.rank - 2]!;
  let d = lifted.shape[lifted.rank - 1]!;
  layers.forEach((l, i) => {
    if (l.ball !== ball || l.act.ballIn !== ball || l.act.ballOut !== ball) throw new ShapeError(`layer ${i} is not on the given ball`, { source: src, location: `layers[${i}]` });
    if (l.numNodes !== v) throw new ShapeError(`layer ${i} has ${l.numNodes} nodes, the input ${v}`, { source: src, location: `layers[${i}]` });
    if (l.lin.inFeatures !== d) throw new ShapeError(`layer ${i} takes ${l.lin.inFeatures} features, gets ${d}`, { source: src, location: `layers[${i}]` });
    d = l.lin.outFeatures;
  });
  return d;
}

/**
 * The hyperbolic branch of an HGCN stack in one operation with a hand-written gradient:
 * `logmap0(layers(proj(expmap0(lifted))))`, where each {@link HgcnLayer} is
 * `proj(expmap0(σ(logmap0(proj(expmap0(A · logmap0(proj(proj(W ⊗ x) ⊕ proj(expmap0(b)))))))))`.
 * Exactly the composition of {@link PoincareBall} operations that {@link hgcnChainTangentReference}
 * runs op by op (same clamps, same float32 constants, tfjs's gradient rules at the clamps), but
 * computed row by row in float64 on the CPU: on tfjs that chain is ~40 elementwise kernels per
 * layer on a `[B, V, D]` tensor of a few thousand numbers, so its time is dispatch, not arithmetic.
 *
 * Differentiable in `lifted`, the curvature (through `ball.curvature()`, so a learnable ball's
 * `rawC` gets its gradient) and every layer's `lin.weight` / `lin.bias`; the adjacencies are fixed.
 * The result is float32 like every tensor; the arithmetic in float64 differs from the tensor path by
 * float32 rounding only. Works on every backend (it reads and writes plain arrays).
 *
 * @param lifted - tangent vectors at 0 `[..., V, D]` (nodes on the second-to-last axis).
 * @param ball - the ball every layer lives on.
 * @param layers - the HGCN layers, in order, all on `ball`.
 * @returns tangent vectors at 0 `[..., V, D_out]`.
 */
export function hgcnChainTangent(lifted: tf.Tensor, ball: PoincareBall, layers: readonly HgcnLayer[]): tf.Tensor {
  const dOut = checkChain(lifted, ball, layers);
  const v = lifted.shape[lifted.rank - 2]!;
  const outShape = [...lifted.shape.slice(0, -1), dOut];
  const eps = ball.eps;
  const datas: Omit<LayerData, 'weight' | 'bias'>[] = layers.map((l) => {
    let adj = adjacencyCache.get(l);
    if (!adj) {
      adj = Float64Array.from(l.adjacency.dataSync());
      adjacencyCache.set(l, adj);
    }
    return { dIn: l.lin.inFeatures, dOut: l.lin.outFeatures, adjacency: adj, activation: l.act.activation };
  });
  const params: tf.Tensor[] = [];
  for (const l of layers) {
    params.push(l.lin.weight);
    if (l.lin.bias) params.push(l.lin.bias);
  }
  return tf.tidy(() => {
    const c = ball.curvature();
    const op = tf.customGrad((...args: unknown[]) => {
      const inputs = args.slice(0, -1) as tf.Tensor[];
      const cv = inputs[1]!.dataSync()[0]!;
      const s = Math.sqrt(cv);
      const tape: Tape = { back: [], gs: 0, gc: 0 };
      let p = Float64Array.from(inputs[0]!.dataSync());
      let d = lifted.shape[lifted.rank - 1]!;
      p = projRows(ratioMap(p, d, s, 'exp', tape), d, s, eps, tape);
      const gParams: Float64Array[] = [];
      let pi = 2;
      layers.forEach((l, li) => {
        const ld = datas[li]!;
        const w = Float64Array.from(inputs[pi++]!.dataSync());
        const gw = new Float64Array(w.length);
        gParams.push(gw);
        p = projRows(matvecRows(p, ld.dIn, w, ld.dOut, s, gw, tape), ld.dOut, s, eps, tape);
        d = ld.dOut;
        if (l.lin.bias) {
          const bias = Float64Array.from(inputs[pi++]!.dataSync());
          const gb = new Float64Array(bias.length);
          gParams.push(gb);
          // hb = proj(expmap0(b)): its own small tape, run backward when the addition hands it ∂hb.
          const sub: Tape = { back: [], gs: 0, gc: 0 };
          const hb = projRows(ratioMap(bias, d, s, 'exp', sub), d, s, eps, sub);
          const backHb = (ghb: Float64Array) => {
            sub.gs = 0;
            const g = runBack(sub, ghb);
            gb.set(g);
            tape.gs += sub.gs;
          };
          p = projRows(mobiusAddRows(p, hb, d, cv, backHb, tape), d, s, eps, tape);
        }
        p = projRows(ratioMap(aggregateRows(ratioMap(p, d, s, 'log', tape), v, d, ld.adjacency, tape), d, s, 'exp', tape), d, s, eps, tape);
        p = projRows(ratioMap(activateRows(ratioMap(p, d, s, 'log', tape), ld.activation, tape), d, s, 'exp', tape), d, s, eps, tape);
      });
      const u = ratioMap(p, d, s, 'log', tape);
      return {
        value: tf.tensor(Float32Array.from(u), outShape),
        gradFunc: (dy: tf.Tensor) => {
          tape.gs = 0;
          tape.gc = 0;
          gParams.forEach((g) => g.fill(0));
          const gl = runBack(tape, Float64Array.from(dy.dataSync()));
          const gcTotal = tape.gc + tape.gs / (2 * s);
          const grads: tf.Tensor[] = [tf.tensor(Float32Array.from(gl), inputs[0]!.shape), tf.scalar(gcTotal)];
          gParams.forEach((g, i) => grads.push(tf.tensor(Float32Array.from(g), inputs[2 + i]!.shape)));
          return grads;
        },
      };
    });
    return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor)(lifted, c, ...params);
  });
}

/**
 * The naive reference of {@link hgcnChainTangent}: the same composition op by op on tensors
 * (`ball.logmap0(layer.call(…(ball.proj(ball.expmap0(lifted)))))`), differentiated by tfjs.
 *
 * @param lifted - tangent vectors at 0 `[..., V, D]`.
 * @param ball - the ball of the layers.
 * @param layers - the HGCN layers, in order.
 * @returns tangent vectors at 0 `[..., V, D_out]`.
 */
export function hgcnChainTangentReference(lifted: tf.Tensor, ball: PoincareBall, layers: readonly HgcnLayer[]): tf.Tensor {
  checkChain(lifted, ball, layers);
  return tf.tidy(() => {
    let p = ball.proj(ball.expmap0(lifted));
    for (const layer of layers) p = layer.call(p);
    return ball.logmap0(p);
  });
}
