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
  /** Scratch arrays taken from the pool by this call, handed back when it is done. */
  owned: Float64Array[];
  /** ∂L/∂√c accumulated by the maps written in √c. */
  gs: number;
  /** ∂L/∂c accumulated by the Möbius addition (written in c). */
  gc: number;
}

/**
 * Scratch arrays reused across calls, by length. A call's intermediate arrays (a few MB at batch
 * 256, ×5 for AWAM's stacked copies) would otherwise be fresh ArrayBuffers each time, and V8 answers
 * that much external memory with full garbage collections of the whole (large) tfjs heap. An array
 * that is never handed back (a recorded forward pass whose backward never runs) is simply collected.
 */
const pool = new Map<number, Float64Array[]>();
let pooledBytes = 0;
const POOL_LIMIT_BYTES = 256 * 1024 * 1024;

/** A Float64Array of length n from the pool (contents undefined unless `zero`), owned by `tape`. */
function take(tape: Tape, n: number, zero = false): Float64Array {
  const free = pool.get(n);
  let a = free?.pop();
  if (a) {
    pooledBytes -= a.byteLength;
    if (zero) a.fill(0);
  } else a = new Float64Array(n);
  tape.owned.push(a);
  return a;
}

/** Hands every array `tape` took back to the pool. */
function release(tape: Tape): void {
  for (const a of tape.owned) {
    if (pooledBytes + a.byteLength > POOL_LIMIT_BYTES) break;
    let free = pool.get(a.length);
    if (!free) pool.set(a.length, (free = []));
    free.push(a);
    pooledBytes += a.byteLength;
  }
  tape.owned = [];
}

/**
 * `y = r(√c‖x‖) · x` row by row — `expmap0` (r = tanh(z)/z) or `logmap0` (r = artanh(z)/z) — with
 * the tensor path's clamps: ‖x‖² ≥ 1e-30, tanh argument ≤ 15, artanh argument ≤ 1 − 1e-7. The
 * gradient follows tfjs's rules for the clamps (`maximum` passes it where a ≥ b, `minimum` where a ≤ b).
 */
function ratioMap(x: Float64Array, d: number, s: number, kind: 'exp' | 'log', tape: Tape): Float64Array {
  const rows = x.length / d;
  const y = take(tape, x.length);
  const r = take(tape, rows);
  const dr = take(tape, rows);
  const norm = take(tape, rows);
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
    const gx = take(tape, x.length);
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
  const y = take(tape, x.length);
  const q = take(tape, rows);
  const norm = take(tape, rows);
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
    const gx = take(tape, x.length);
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
 * `logmap0(proj(expmap0(x)))` in closed form: `x · min(1, τ/‖x‖)` row by row with
 * `τ = artanh(1 − ε)/√c`. expmap0 maps a tangent vector of norm n to a point of norm tanh(√c n)/√c,
 * proj caps that at (1 − ε)/√c (i.e. caps √c n at artanh(1 − ε)) and logmap0 maps it back along
 * the same direction, so the composition only clamps the tangent norm. The two transcendental
 * functions cancel exactly (the tensor path gets them back up to float32 rounding).
 */
function clampRows(x: Float64Array, d: number, s: number, kappa: number, tape: Tape): Float64Array {
  const rows = x.length / d;
  const tau = kappa / s;
  const y = take(tape, x.length);
  const q = take(tape, rows);
  const norm = take(tape, rows);
  for (let i = 0, o = 0; i < rows; i++, o += d) {
    let sq = 0;
    for (let k = 0; k < d; k++) sq += x[o + k]! * x[o + k]!;
    const n = Math.sqrt(sq);
    const qi = n > tau ? tau / n : 1;
    q[i] = qi;
    norm[i] = n;
    if (qi === 1) for (let k = 0; k < d; k++) y[o + k] = x[o + k]!;
    else for (let k = 0; k < d; k++) y[o + k] = qi * x[o + k]!;
  }
  tape.back.push((gy) => {
    const gx = take(tape, x.length);
    for (let i = 0, o = 0; i < rows; i++, o += d) {
      const qi = q[i]!;
      if (qi === 1) {
        for (let k = 0; k < d; k++) gx[o + k] = gy[o + k]!;
        continue;
      }
      let g = 0;
      for (let k = 0; k < d; k++) g += gy[o + k]! * x[o + k]!;
      const n = norm[i]!;
      // y = τ x/n: ∂/∂τ = x/n with ∂τ/∂√c = −τ/√c; ∂/∂x = (τ/n)(I − x xᵀ/n²).
      tape.gs += (g / n) * (-tau / s);
      const coef = -(qi * g) / (n * n);
      for (let k = 0; k < d; k++) gx[o + k] = qi * gy[o + k]! + coef * x[o + k]!;
    }
    return gx;
  });
  return y;
}

/** `x · Wᵀ` row by row (`w` `[dOut, dIn]`, PyTorch layout); the gradient of w goes to `gw`. */
function linearRows(x: Float64Array, dIn: number, w: Float64Array, dOut: number, gw: Float64Array, tape: Tape): Float64Array {
  const rows = x.length / dIn;
  const y = take(tape, rows * dOut);
  for (let i = 0; i < rows; i++) {
    const xo = i * dIn;
    const yo = i * dOut;
    for (let j = 0; j < dOut; j++) {
      let acc = 0;
      const wo = j * dIn;
      for (let k = 0; k < dIn; k++) acc += w[wo + k]! * x[xo + k]!;
      y[yo + j] = acc;
    }
  }
  tape.back.push((gy) => {
    const gx = take(tape, x.length, true);
    for (let i = 0; i < rows; i++) {
      const xo = i * dIn;
      const yo = i * dOut;
      for (let j = 0; j < dOut; j++) {
        const g = gy[yo + j]!;
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
  const out = take(tape, x.length);
  const cache = take(tape, rows * 5);
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
    const gx = take(tape, x.length);
    const gyAcc = take(tape, d, true);
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
  const y = take(tape, x.length, true);
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
    const gx = take(tape, x.length, true);
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
  const y = take(tape, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = kind === 'relu' ? (v > 0 ? v : 0) : kind === 'tanh' ? Math.tanh(v) : kind === 'leakyRelu' ? Math.max(v, Math.fround(0.2) * v) : v;
  }
  tape.back.push((gy) => {
    const gx = take(tape, x.length);
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
 * The same function as {@link hgcnChainTangentReference}, which runs that composition op by op on
 * tensors, in fewer and cheaper steps, computed row by row in float64 on the CPU with a
 * hand-written gradient:
 *
 * - Möbius matvec through the tangent space: `W ⊗_c x = expmap0(W · logmap0(x))` (Ganea et al.,
 *   eq. 27), and for x = proj(expmap0(t)), `logmap0(x)` is t with its norm capped at
 *   `artanh(1 − ε)/√c` — so `logmap0 ∘ proj ∘ expmap0` (between the aggregation and the
 *   activation, after the activation, at the input) is a norm clamp, without tanh or artanh;
 * - what remains per layer and node is one expmap0 + proj, the Möbius bias addition + proj, one
 *   logmap0, the adjacency product and the activation.
 *
 * The clamps and float32 constants are the tensor path's, and at the clamps the gradient follows
 * tfjs's rules (`maximum` passes it where a ≥ b, `minimum` where a ≤ b). On tfjs the op-by-op
 * chain is ~40 elementwise kernels per layer on a `[B, V, D]` tensor of a few thousand numbers.
 *
 * Differentiable in `lifted`, the curvature (through `ball.curvature()`, so a learnable ball's
 * `rawC` gets its gradient) and every layer's `lin.weight` / `lin.bias`; the adjacencies are fixed.
 * The result is float32 like every tensor; it differs from the tensor path by float32 rounding
 * (where the tensor path computes artanh(tanh(z)) near the boundary, it is the less accurate one).
 * Works on every backend (it reads and writes plain arrays).
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
  const kappa = Math.atanh(Math.fround(1 - eps));
  const datas: Omit<LayerData, 'weight' | 'bias'>[] = layers.map((l) => {
    let adj = adjacencyCache.get(l);
    if (!adj) {
      adj = new Float64Array(l.adjacency.dataSync());
      adjacencyCache.set(l, adj);
    }
    return { dIn: l.lin.inFeatures, dOut: l.lin.outFeatures, adjacency: adj, activation: l.act.activation };
  });
  const params: tf.Tensor[] = [];
  for (const l of layers) {
    params.push(l.lin.weight);
    if (l.lin.bias) params.push(l.lin.bias);
  }
  // Whether a gradient tape records this call (tfjs's own test, as its kernels use it): without one the
  // intermediate arrays go back to the pool as soon as the value is out.
  const recording = (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
  return tf.tidy(() => {
    const c = ball.curvature();
    const op = tf.customGrad((...args: unknown[]) => {
      const inputs = args.slice(0, -1) as tf.Tensor[];
      const cv = inputs[1]!.dataSync()[0]!;
      const s = Math.sqrt(cv);
      const tape: Tape = { back: [], owned: [], gs: 0, gc: 0 };
      const subs: Tape[] = [];
      // Tangent form of the chain (see clampRows): W ⊗ proj(expmap0(t)) = expmap0(W · clamp(t)), and
      // logmap0 ∘ proj ∘ expmap0 = clamp, so each layer costs one tanh and one artanh per node.
      let t: Float64Array = new Float64Array(inputs[0]!.dataSync());
      let d = lifted.shape[lifted.rank - 1]!;
      const gParams: Float64Array[] = [];
      let pi = 2;
      layers.forEach((l, li) => {
        const ld = datas[li]!;
        const w = new Float64Array(inputs[pi++]!.dataSync());
        const gw = new Float64Array(w.length);
        gParams.push(gw);
        t = linearRows(clampRows(t, d, s, kappa, tape), ld.dIn, w, ld.dOut, gw, tape);
        d = ld.dOut;
        if (l.lin.bias) {
          const bias = new Float64Array(inputs[pi++]!.dataSync());
          const gb = new Float64Array(bias.length);
          gParams.push(gb);
          // hb = proj(expmap0(b)): its own small tape, run backward when the addition hands it ∂hb.
          const sub: Tape = { back: [], owned: [], gs: 0, gc: 0 };
          subs.push(sub);
          const hb = projRows(ratioMap(bias, d, s, 'exp', sub), d, s, eps, sub);
          const backHb = (ghb: Float64Array) => {
            sub.gs = 0;
            const g = runBack(sub, ghb);
            gb.set(g);
            tape.gs += sub.gs;
          };
          const mv = projRows(ratioMap(t, d, s, 'exp', tape), d, s, eps, tape);
          t = ratioMap(projRows(mobiusAddRows(mv, hb, d, cv, backHb, tape), d, s, eps, tape), d, s, 'log', tape);
        } else {
          t = clampRows(t, d, s, kappa, tape);
        }
        t = activateRows(clampRows(aggregateRows(t, v, d, ld.adjacency, tape), d, s, kappa, tape), ld.activation, tape);
      });
      const u = clampRows(t, d, s, kappa, tape);
      const value = tf.tensor(new Float32Array(u), outShape);
      const done = () => {
        release(tape);
        subs.forEach(release);
        tape.back = [];
      };
      if (!recording) done();
      return {
        value,
        gradFunc: (dy: tf.Tensor) => {
          if (tape.back.length === 0) throw new Error('hgcnChainTangent: the gradient of one forward pass was asked for twice');
          tape.gs = 0;
          tape.gc = 0;
          gParams.forEach((g) => g.fill(0));
          const gl = runBack(tape, new Float64Array(dy.dataSync()));
          const gcTotal = tape.gc + tape.gs / (2 * s);
          const grads: tf.Tensor[] = [tf.tensor(new Float32Array(gl), inputs[0]!.shape), tf.scalar(gcTotal)];
          gParams.forEach((g, i) => grads.push(tf.tensor(new Float32Array(g), inputs[2 + i]!.shape)));
          done();
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
