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


/**
 * The linear part of one layer between tangent spaces, fused row by row:
 * `logmap0(proj(proj(expmap0(W · clamp(x))) ⊕_c hb))` with the bias point hb, or `clamp(W · clamp(x))`
 * without a bias (then logmap0 ∘ proj ∘ expmap0 is the clamp). Each step is the tensor path's
 * (`clampRows` and `ratioMap`/`projRows` above, {@link PoincareBall.mobiusAdd}'s form with its
 * 1e-15 denominator clamp), written on one row's locals: one pass over the rows instead of seven,
 * and the backward pass recomputes the row's intermediates from its input instead of storing them.
 */
function hyperbolicLinearRows(
  x: Float64Array,
  dIn: number,
  w: Float64Array,
  d: number,
  hb: Float64Array | null,
  s: number,
  c: number,
  eps: number,
  kappa: number,
  gw: Float64Array,
  backHb: (ghb: Float64Array) => void,
  tape: Tape,
): Float64Array {
  const rows = x.length / dIn;
  const tau = kappa / s;
  const maxNorm = Math.fround(1 - eps) / s;
  let y2 = 0;
  if (hb) for (let k = 0; k < d; k++) y2 += hb[k]! * hb[k]!;
  const out = take(tape, rows * d);
  const c1 = new Float64Array(dIn);
  const m = new Float64Array(d);
  const e = new Float64Array(d);
  const p = new Float64Array(d);
  const a = new Float64Array(d);
  const p2 = new Float64Array(d);
  // Scalars of the current row, set by `row` (forward) and read by the backward pass.
  // Held in an object, not in `let`s the closures capture: a double stored into a captured variable
  // is boxed in a fresh heap number on every store (measured 2× slower on this loop); an object's
  // double field is updated in place.
  const rs = { n0: 0, q0: 1, nm: 0, openM: false, r1: 0, dr1: 0, ne: 0, openE: false, q2: 1, actE: false,
    x2: 0, xy: 0, A: 0, Bc: 0, den: 0, denC: 0, na: 0, openA: false, q3: 1, actA: false,
    n4: 0, open4: false, r4: 0, dr4: 0, nT: 0, qT: 1 };
  const row = (i: number, t1: Float64Array, to: number) => {
    const xo = i * dIn;
    let sq = 0;
    for (let k = 0; k < dIn; k++) sq += x[xo + k]! * x[xo + k]!;
    rs.n0 = Math.sqrt(sq);
    rs.q0 = rs.n0 > tau ? tau / rs.n0 : 1;
    for (let k = 0; k < dIn; k++) c1[k] = rs.q0 * x[xo + k]!;
    for (let j = 0; j < d; j++) {
      let acc = 0;
      const wo = j * dIn;
      for (let k = 0; k < dIn; k++) acc += w[wo + k]! * c1[k]!;
      m[j] = acc;
    }
    if (!hb) {
      sq = 0;
      for (let k = 0; k < d; k++) sq += m[k]! * m[k]!;
      rs.nT = Math.sqrt(sq);
      rs.qT = rs.nT > tau ? tau / rs.nT : 1;
      for (let k = 0; k < d; k++) t1[to + k] = rs.qT * m[k]!;
      return;
    }
    // expmap0
    sq = 0;
    for (let k = 0; k < d; k++) sq += m[k]! * m[k]!;
    rs.openM = sq >= MIN_SQ;
    rs.nm = Math.sqrt(Math.max(sq, MIN_SQ));
    const zm = s * rs.nm;
    const th = Math.tanh(Math.min(zm, TANH_MAX));
    rs.r1 = th / zm;
    rs.dr1 = (zm <= TANH_MAX ? (1 - th * th) / zm : 0) - th / (zm * zm);
    for (let k = 0; k < d; k++) e[k] = rs.r1 * m[k]!;
    // proj
    sq = 0;
    for (let k = 0; k < d; k++) sq += e[k]! * e[k]!;
    rs.openE = sq >= MIN_SQ;
    rs.ne = Math.sqrt(Math.max(sq, MIN_SQ));
    const ratioE = maxNorm / rs.ne;
    rs.actE = 1 > ratioE;
    rs.q2 = Math.min(1, ratioE);
    for (let k = 0; k < d; k++) p[k] = rs.q2 * e[k]!;
    // Möbius addition with hb
    rs.x2 = 0;
    rs.xy = 0;
    for (let k = 0; k < d; k++) {
      rs.x2 += p[k]! * p[k]!;
      rs.xy += p[k]! * hb[k]!;
    }
    const xy2c = 2 * c * rs.xy;
    rs.A = 1 + xy2c + c * y2;
    rs.Bc = 1 - c * rs.x2;
    rs.den = 1 + xy2c + c * c * (rs.x2 * y2);
    rs.denC = Math.max(rs.den, MIN_DEN);
    for (let k = 0; k < d; k++) a[k] = (rs.A * p[k]! + rs.Bc * hb[k]!) / rs.denC;
    // proj
    sq = 0;
    for (let k = 0; k < d; k++) sq += a[k]! * a[k]!;
    rs.openA = sq >= MIN_SQ;
    rs.na = Math.sqrt(Math.max(sq, MIN_SQ));
    const ratioA = maxNorm / rs.na;
    rs.actA = 1 > ratioA;
    rs.q3 = Math.min(1, ratioA);
    for (let k = 0; k < d; k++) p2[k] = rs.q3 * a[k]!;
    // logmap0
    sq = 0;
    for (let k = 0; k < d; k++) sq += p2[k]! * p2[k]!;
    rs.open4 = sq >= MIN_SQ;
    rs.n4 = Math.sqrt(Math.max(sq, MIN_SQ));
    const z4 = s * rs.n4;
    const mz = Math.min(z4, ATANH_MAX);
    const at = Math.atanh(mz);
    rs.r4 = at / z4;
    rs.dr4 = (z4 <= ATANH_MAX ? 1 / (1 - mz * mz) / z4 : 0) - at / (z4 * z4);
    for (let k = 0; k < d; k++) t1[to + k] = rs.r4 * p2[k]!;
  };
  for (let i = 0; i < rows; i++) row(i, out, i * d);
  tape.back.push((gt) => {
    const gx = take(tape, x.length);
    const scratch = new Float64Array(d);
    const gv = new Float64Array(d);
    const ga = new Float64Array(d);
    const gc1 = new Float64Array(dIn);
    const gyAcc = new Float64Array(d);
    let gy2Total = 0;
    for (let i = 0; i < rows; i++) {
      row(i, scratch, 0);
      const go = i * d;
      // gv := ∂L/∂m
      if (!hb) {
        if (rs.qT === 1) for (let k = 0; k < d; k++) gv[k] = gt[go + k]!;
        else {
          let g = 0;
          for (let k = 0; k < d; k++) g += gt[go + k]! * m[k]!;
          tape.gs += (g / rs.nT) * (-tau / s);
          const coef = -(rs.qT * g) / (rs.nT * rs.nT);
          for (let k = 0; k < d; k++) gv[k] = rs.qT * gt[go + k]! + coef * m[k]!;
        }
      } else {
        // logmap0: gt → ∂p2 (in gv)
        let g = 0;
        for (let k = 0; k < d; k++) g += gt[go + k]! * p2[k]!;
        tape.gs += rs.dr4 * rs.n4 * g;
        let coef = rs.open4 ? (rs.dr4 * s * g) / rs.n4 : 0;
        for (let k = 0; k < d; k++) gv[k] = rs.r4 * gt[go + k]! + coef * p2[k]!;
        // proj: ∂p2 → ∂a (in ga)
        if (rs.actA) {
          g = 0;
          for (let k = 0; k < d; k++) g += gv[k]! * a[k]!;
          tape.gs += (g / rs.na) * (-maxNorm / s);
          coef = rs.openA ? (g * -maxNorm) / (rs.na * rs.na * rs.na) : 0;
          for (let k = 0; k < d; k++) ga[k] = rs.q3 * gv[k]! + coef * a[k]!;
        } else ga.set(gv);
        // Möbius addition: ∂a → ∂p (in gv), ∂hb accumulated
        let gnumX = 0;
        let gnumY = 0;
        let numDotG = 0;
        for (let k = 0; k < d; k++) {
          gnumX += ga[k]! * p[k]!;
          gnumY += ga[k]! * hb[k]!;
          numDotG += ga[k]! * (rs.A * p[k]! + rs.Bc * hb[k]!);
        }
        gnumX /= rs.denC;
        gnumY /= rs.denC;
        const gden = rs.den >= MIN_DEN ? -numDotG / (rs.denC * rs.denC) : 0;
        const gxy2c = gnumX + gden;
        tape.gc += gnumX * y2 - gnumY * rs.x2 + gden * 2 * c * rs.x2 * y2 + gxy2c * 2 * rs.xy;
        gy2Total += gnumX * c + gden * c * c * rs.x2;
        const gx2 = -gnumY * c + gden * c * c * y2;
        const gxy = gxy2c * 2 * c;
        for (let k = 0; k < d; k++) {
          const gnum = ga[k]! / rs.denC;
          gv[k] = rs.A * gnum + 2 * p[k]! * gx2 + gxy * hb[k]!;
          gyAcc[k] += rs.Bc * gnum + gxy * p[k]!;
        }
        // proj: ∂p → ∂e (in ga)
        if (rs.actE) {
          g = 0;
          for (let k = 0; k < d; k++) g += gv[k]! * e[k]!;
          tape.gs += (g / rs.ne) * (-maxNorm / s);
          coef = rs.openE ? (g * -maxNorm) / (rs.ne * rs.ne * rs.ne) : 0;
          for (let k = 0; k < d; k++) ga[k] = rs.q2 * gv[k]! + coef * e[k]!;
        } else ga.set(gv);
        // expmap0: ∂e → ∂m (in gv)
        g = 0;
        for (let k = 0; k < d; k++) g += ga[k]! * m[k]!;
        tape.gs += rs.dr1 * rs.nm * g;
        coef = rs.openM ? (rs.dr1 * s * g) / rs.nm : 0;
        for (let k = 0; k < d; k++) gv[k] = rs.r1 * ga[k]! + coef * m[k]!;
      }
      // linear: ∂m → ∂c1, ∂W
      gc1.fill(0);
      for (let j = 0; j < d; j++) {
        const gj = gv[j]!;
        if (gj === 0) continue;
        const wo = j * dIn;
        for (let k = 0; k < dIn; k++) {
          gc1[k] += gj * w[wo + k]!;
          gw[wo + k] += gj * c1[k]!;
        }
      }
      // input clamp: ∂c1 → ∂x
      const xo = i * dIn;
      if (rs.q0 === 1) for (let k = 0; k < dIn; k++) gx[xo + k] = gc1[k]!;
      else {
        let g = 0;
        for (let k = 0; k < dIn; k++) g += gc1[k]! * x[xo + k]!;
        tape.gs += (g / rs.n0) * (-tau / s);
        const coef = -(rs.q0 * g) / (rs.n0 * rs.n0);
        for (let k = 0; k < dIn; k++) gx[xo + k] = rs.q0 * gc1[k]! + coef * x[xo + k]!;
      }
    }
    if (hb) {
      for (let k = 0; k < d; k++) gyAcc[k] += 2 * hb[k]! * gy2Total;
      backHb(gyAcc);
    }
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

/** What the kernel needs of one {@link HgcnLayer} besides its parameters: sizes, adjacency, activation. */
interface LayerData {
  dIn: number;
  dOut: number;
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
  const datas: LayerData[] = layers.map((l) => {
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
        let hb: Float64Array | null = null;
        let backHb: (ghb: Float64Array) => void = () => {};
        if (l.lin.bias) {
          const bias = new Float64Array(inputs[pi++]!.dataSync());
          const gb = new Float64Array(bias.length);
          gParams.push(gb);
          // hb = proj(expmap0(b)): its own small tape, run backward when the addition hands it ∂hb.
          const sub: Tape = { back: [], owned: [], gs: 0, gc: 0 };
          subs.push(sub);
          hb = projRows(ratioMap(bias, ld.dOut, s, 'exp', sub), ld.dOut, s, eps, sub);
          backHb = (ghb: Float64Array) => {
            sub.gs = 0;
            const g = runBack(sub, ghb);
            gb.set(g);
            tape.gs += sub.gs;
          };
        }
        t = hyperbolicLinearRows(t, ld.dIn, w, ld.dOut, hb, s, cv, eps, kappa, gw, backHb, tape);
        d = ld.dOut;
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
