import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { Module } from '@skelflow/core';

/**
 * Smallest norm any formula divides by, as in HGCN and geoopt (`clamp_min(1e-15)`). It is applied
 * to the *squared* norm (1e-30, a normal float32 number) before the square root: clamping ‖x‖ after
 * `sqrt` would still back-propagate `0 · ∞ = NaN` through `sqrt` at x = 0 (see the README).
 */
export const MIN_NORM = 1e-15;
/** Upper clamp of `tanh` arguments (HGCN `tanh(x.clamp(-15, 15))`). */
export const TANH_CLAMP = 15;
/**
 * Upper clamp of `artanh` arguments for float32: geoopt's `1 − 1e-7` (rounds to 1 − 2⁻²³ in
 * float32). HGCN's `1 − 1e-15` rounds to exactly 1.0 in float32 and would return ∞; hyptorch's
 * `1 − 1e-5` would cap distances below what points inside the ε = 4e-3 ball can legitimately reach.
 */
export const ARTANH_CLAMP = 1 - 1e-7;
/** Boundary margin of {@link PoincareBall.proj} for float32 (HGCN `eps[float32]`, geoopt `_project`). */
export const PROJ_EPS_FLOAT32 = 4e-3;

/** Options of {@link PoincareBall}. */
export interface PoincareBallOptions {
  /** Curvature magnitude c > 0 (the ball has sectional curvature −c and radius 1/√c). Default 1. */
  c?: number;
  /**
   * Learn c. It is stored as a raw parameter `rawC = log(exp(c) − 1)` and used as
   * `c = softplus(rawC)`, as geoopt's `PoincareBall(learnable=True)`, so it stays positive.
   * Default false.
   */
  learnable?: boolean;
  /** Boundary margin of {@link PoincareBall.proj}: points are kept within `(1 − eps)/√c`. Default 4e-3. */
  eps?: number;
}

/** ‖x‖ over the last axis with keepDims, clamped to ≥ {@link MIN_NORM} through the squared norm. */
function clampedNorm(x: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), MIN_NORM * MIN_NORM));
}

/** ⟨x, y⟩ over the last axis with keepDims. */
function dot(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(x, y), -1, true);
}

/** tanh(z)/z for z ≥ MIN_NORM·√c (no z = 0 division), with the tanh argument clamped. */
function tanhRatio(z: tf.Tensor): tf.Tensor {
  return tf.div(tf.tanh(tf.minimum(z, TANH_CLAMP)), z);
}

/** artanh(z)/z for z > 0, with the artanh argument clamped to {@link ARTANH_CLAMP}. */
function artanhRatio(z: tf.Tensor): tf.Tensor {
  return tf.div(tf.atanh(tf.minimum(z, ARTANH_CLAMP)), z);
}

/** softplus⁻¹(c) = log(exp(c) − 1), computed without overflow for large c. */
function inverseSoftplus(c: number): number {
  return c > 20 ? c + Math.log(-Math.expm1(-c)) : Math.log(Math.expm1(c));
}

/**
 * The Poincaré ball of curvature −c (c > 0): the open ball of radius 1/√c in ℝᵈ with the metric
 * `λ_x² ‖·‖²`, `λ_x = 2 / (1 − c‖x‖²)`. Every method works on the last axis and broadcasts over
 * the others, and is differentiable on the cpu and wasm backends (no gather, einsum or conv).
 *
 * The formulas follow HGCN's `manifolds/poincare.py` and geoopt's `stereographic/math.py`, with
 * the float32 safeguards of the reference: norms clamped to ≥ 1e-15 before any division, `tanh`
 * arguments clamped to ≤ 15, `artanh` arguments to ≤ 1 − 1e-7, and {@link PoincareBall.proj} with
 * ε = 4e-3. float32 `tanh` saturates to exactly 1 near 9–10, so `expmap0` of a long vector lands
 * *on* the boundary: call `proj` after `expmap`, `mobiusAdd` and `mobiusMatvec` (the layers of this
 * package do). The maximum distance from the origin after `proj` is then `(2/√c)·artanh(0.996) ≈
 * 6.2/√c`.
 *
 * Members: with `learnable`, the trainable scalar parameter `rawC` (c = softplus(rawC)); none
 * otherwise.
 *
 * References: Ganea, Bécigneul & Hofmann, "Hyperbolic Neural Networks", NeurIPS 2018;
 * Chami, Ying, Ré & Leskovec, "Hyperbolic Graph Convolutional Neural Networks" (HGCN), NeurIPS 2019;
 * Kochurov, Karimov & Kozlukov, geoopt (learnable curvature via softplus).
 *
 * @param options - {@link PoincareBallOptions}, or the curvature c as a number.
 * @example
 * ```ts
 * const ball = new PoincareBall({ c: 1 });
 * const x = ball.expmap0(tf.tensor([[0.3, -0.2]]));      // tangent vector at 0 → point
 * const d = ball.dist(x, ball.expmap0(tf.tensor([[0.1, 0.5]])));
 * const learn = new PoincareBall({ c: 0.5, learnable: true }); // learn.parameters() = [rawC]
 * ```
 */
export class PoincareBall extends Module {
  readonly learnable: boolean;
  readonly eps: number;
  /** softplus⁻¹(c) when learnable, else null. */
  readonly rawC: tf.Variable | null;
  private readonly fixedC: number;

  constructor(options: PoincareBallOptions | number = {}) {
    super();
    const o = typeof options === 'number' ? { c: options } : options;
    const c = o.c ?? 1;
    if (!(Number.isFinite(c) && c > 0)) throw new InputError(`curvature c must be a finite number > 0, got ${c}`, { source: 'PoincareBall' });
    const eps = o.eps ?? PROJ_EPS_FLOAT32;
    if (!(eps > 0 && eps < 1)) throw new InputError(`eps must be in (0, 1), got ${eps}`, { source: 'PoincareBall' });
    this.eps = eps;
    this.learnable = o.learnable ?? false;
    this.fixedC = c;
    this.rawC = this.learnable ? this.addParameter('rawC', tf.scalar(inverseSoftplus(c))) : null;
  }

  /** The current curvature magnitude c as a number (reads the parameter when learnable). */
  get c(): number {
    return this.rawC ? tf.tidy(() => tf.softplus(this.rawC!).dataSync()[0]!) : this.fixedC;
  }

  /** c as a scalar tensor; differentiable in `rawC` when learnable. The caller owns it. */
  curvature(): tf.Scalar {
    return this.rawC ? (tf.softplus(this.rawC) as tf.Scalar) : tf.scalar(this.fixedC);
  }

  /**
   * Conformal factor `λ_x = 2 / (1 − c‖x‖²)` (denominator clamped to ≥ 1e-15).
   *
   * @param x - points `[..., d]`.
   * @param keepDims - keep the reduced last axis as size 1. Default false (`[...]`).
   */
  lambda(x: tf.Tensor, keepDims = false): tf.Tensor {
    return tf.tidy(() => {
      const l = this.lambdaKeep(x, this.curvature());
      return keepDims ? l : tf.squeeze(l, [-1]);
    });
  }

  /**
   * Möbius addition `x ⊕_c y = ((1 + 2c⟨x,y⟩ + c‖y‖²) x + (1 − c‖x‖²) y) / (1 + 2c⟨x,y⟩ +
   * c²‖x‖²‖y‖²)`, denominator clamped to ≥ 1e-15. Neither commutative nor associative, but
   * left-cancelling: `(−x) ⊕ (x ⊕ y) = y`.
   *
   * @param x - points `[..., d]`.
   * @param y - points `[..., d]` (broadcast against x).
   */
  mobiusAdd(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    this.checkSameDim(x, y, 'mobiusAdd');
    return tf.tidy(() => this.mobiusAddC(x, y, this.curvature()));
  }

  /**
   * Exponential map at the origin, `expmap0(u) = tanh(√c‖u‖) · u / (√c‖u‖)`: tangent vectors at 0
   * → points of the ball. Not projected (see {@link PoincareBall.proj}).
   *
   * @param u - tangent vectors `[..., d]`.
   */
  expmap0(u: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.expmap0C(u, tf.sqrt(this.curvature())));
  }

  /**
   * Logarithmic map at the origin, `logmap0(y) = artanh(√c‖y‖) · y / (√c‖y‖)`: points → tangent
   * vectors at 0. Inverse of {@link PoincareBall.expmap0}.
   *
   * @param y - points `[..., d]`.
   */
  logmap0(y: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.logmap0C(y, tf.sqrt(this.curvature())));
  }

  /**
   * Exponential map at x, `expmap_x(u) = x ⊕_c [tanh(√c λ_x‖u‖/2) · u / (√c‖u‖)]`. Not projected.
   *
   * @param x - base points `[..., d]`.
   * @param u - tangent vectors at x `[..., d]`.
   */
  expmap(x: tf.Tensor, u: tf.Tensor): tf.Tensor {
    this.checkSameDim(x, u, 'expmap');
    return tf.tidy(() => {
      const c = this.curvature();
      const sqrtC = tf.sqrt(c);
      const halfLambda = tf.div(this.lambdaKeep(x, c), 2);
      // tanh(z)/(√c‖u‖) · u = tanh(z)/z · λ_x/2 · u with z = √c λ_x ‖u‖ / 2: no tiny divisor.
      const z = tf.mul(tf.mul(sqrtC, halfLambda), clampedNorm(u));
      const second = tf.mul(tf.mul(tanhRatio(z), halfLambda), u);
      return this.mobiusAddC(x, second, c);
    });
  }

  /**
   * Logarithmic map at x, `logmap_x(y) = (2 / (√c λ_x)) · artanh(√c‖w‖) · w/‖w‖` with
   * `w = (−x) ⊕_c y`. Inverse of {@link PoincareBall.expmap} at the same x.
   *
   * @param x - base points `[..., d]`.
   * @param y - points `[..., d]`.
   */
  logmap(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
    this.checkSameDim(x, y, 'logmap');
    return tf.tidy(() => {
      const c = this.curvature();
      const sqrtC = tf.sqrt(c);
      const w = this.mobiusAddC(tf.neg(x), y, c);
      const z = tf.mul(sqrtC, clampedNorm(w));
      // (2/(√c λ)) artanh(z) w/‖w‖ = (2/λ) · artanh(z)/z · w.
      return tf.mul(tf.mul(tf.div(2, this.lambdaKeep(x, c)), artanhRatio(z)), w);
    });
  }

  /**
   * Möbius matrix–vector product `M ⊗_c x = (1/√c) tanh((‖Mx‖/‖x‖) artanh(√c‖x‖)) · Mx/‖Mx‖`
   * (HGCN `mobius_matvec`), 0 where Mx = 0. Computed as `tanh(t)/t · artanh(√c‖x‖)/(√c‖x‖) · Mx`
   * with t the tanh argument, which is algebraically equal, has no small divisor and is exactly 0
   * where Mx = 0, so no `where` is needed (a `where` does not stop NaN gradients of the unused
   * branch). Not projected.
   *
   * @param m - matrix `[dOut, dIn]` (PyTorch `nn.Linear.weight` layout; the product is `x · Mᵀ`).
   * @param x - points `[..., dIn]`.
   * @returns points `[..., dOut]`.
   */
  mobiusMatvec(m: tf.Tensor, x: tf.Tensor): tf.Tensor {
    if (m.rank !== 2) throw new ShapeError(`matrix must be [dOut, dIn], got [${m.shape}]`, { source: 'PoincareBall.mobiusMatvec' });
    if (x.rank < 1 || x.shape[x.rank - 1] !== m.shape[1]) {
      throw new ShapeError(`x [${x.shape}] does not end in dIn = ${m.shape[1]}`, { source: 'PoincareBall.mobiusMatvec' });
    }
    return tf.tidy(() => {
      const sqrtC = tf.sqrt(this.curvature());
      const dIn = m.shape[1]!;
      const mx = tf.reshape(tf.matMul(tf.reshape(x, [-1, dIn]), m, false, true), [...x.shape.slice(0, -1), m.shape[0]!]);
      const xr = artanhRatio(tf.mul(sqrtC, clampedNorm(x)));
      const t = tf.mul(tf.mul(sqrtC, clampedNorm(mx)), xr);
      return tf.mul(tf.mul(tanhRatio(t), xr), mx);
    });
  }

  /**
   * Geodesic distance `d_c(x, y) = (2/√c) · artanh(√c ‖(−x) ⊕_c y‖)`. Symmetric; equals
   * `λ_x ‖logmap_x(y)‖`, and `d_c(0, expmap0(u)) = 2‖u‖` for every c (λ_0 = 2).
   *
   * @param x - points `[..., d]`.
   * @param y - points `[..., d]`.
   * @param keepDims - keep the reduced last axis as size 1. Default false.
   */
  dist(x: tf.Tensor, y: tf.Tensor, keepDims = false): tf.Tensor {
    this.checkSameDim(x, y, 'dist');
    return tf.tidy(() => {
      const c = this.curvature();
      const sqrtC = tf.sqrt(c);
      const z = tf.mul(sqrtC, clampedNorm(this.mobiusAddC(tf.neg(x), y, c)));
      const d = tf.div(tf.mul(2, tf.atanh(tf.minimum(z, ARTANH_CLAMP))), sqrtC);
      return keepDims ? d : tf.squeeze(d, [-1]);
    });
  }

  /**
   * Projection into the ball: where `‖x‖ > (1 − ε)/√c`, `x ← x · (1 − ε)/(√c‖x‖)`; other points
   * are returned unchanged. Written as `x · min(1, maxNorm/‖x‖)` (no `where`), so its gradient is
   * finite everywhere, including x = 0.
   *
   * @param x - points `[..., d]`.
   */
  proj(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.projC(x, tf.sqrt(this.curvature())));
  }

  // ---- internal forms taking c (or √c) as a tensor, without tidy --------------------------------

  private lambdaKeep(x: tf.Tensor, c: tf.Tensor): tf.Tensor {
    const den = tf.maximum(tf.sub(1, tf.mul(c, tf.sum(tf.square(x), -1, true))), MIN_NORM);
    return tf.div(2, den);
  }

  private mobiusAddC(x: tf.Tensor, y: tf.Tensor, c: tf.Tensor): tf.Tensor {
    const x2 = tf.sum(tf.square(x), -1, true);
    const y2 = tf.sum(tf.square(y), -1, true);
    const xy2c = tf.mul(tf.mul(2, c), dot(x, y));
    const a = tf.add(tf.add(1, xy2c), tf.mul(c, y2));
    const b = tf.sub(1, tf.mul(c, x2));
    const num = tf.add(tf.mul(a, x), tf.mul(b, y));
    const den = tf.add(tf.add(1, xy2c), tf.mul(tf.square(c), tf.mul(x2, y2)));
    return tf.div(num, tf.maximum(den, MIN_NORM));
  }

  private expmap0C(u: tf.Tensor, sqrtC: tf.Tensor): tf.Tensor {
    return tf.mul(tanhRatio(tf.mul(sqrtC, clampedNorm(u))), u);
  }

  private logmap0C(y: tf.Tensor, sqrtC: tf.Tensor): tf.Tensor {
    return tf.mul(artanhRatio(tf.mul(sqrtC, clampedNorm(y))), y);
  }

  private projC(x: tf.Tensor, sqrtC: tf.Tensor): tf.Tensor {
    const maxNorm = tf.div(1 - this.eps, sqrtC);
    return tf.mul(x, tf.minimum(1, tf.div(maxNorm, clampedNorm(x))));
  }

  private checkSameDim(a: tf.Tensor, b: tf.Tensor, what: string): void {
    if (a.rank < 1 || b.rank < 1 || a.shape[a.rank - 1] !== b.shape[b.rank - 1]) {
      throw new ShapeError(`last axes differ: [${a.shape}] vs [${b.shape}]`, { source: `PoincareBall.${what}` });
    }
  }
}
