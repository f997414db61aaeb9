// The flat-array twin of adamax.ts, for the fused engine's training loop (no tensors, no tfjs).
import { checkSlot, type OptimizerState } from './optimizer.js';

/** Options of {@link FusedAdamax}; defaults are PyTorch's `torch.optim.Adamax` (lr 2e-3). */
export interface FusedAdamaxOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * Adamax on a flat parameter vector, with PyTorch's update (`exp_inf = max(β₂·exp_inf, |g| + ε)`,
 * step `lr/(1 − β₁ᵗ) · m/exp_inf`), for training on flat vectors (e.g. `@skelflow/fused`'s `FusedFlow`). Parameters are rounded to
 * float32 after every step, so they always equal what the tensor variables hold after a push.
 *
 * References: Kingma & Ba, "Adam", ICLR 2015 (Adamax, §7.1); PyTorch `torch.optim.Adamax`.
 *
 * @param size - number of parameters.
 * @example
 * ```ts
 * const opt = new FusedAdamax(fused.params.length, { lr: 5e-4 });
 * fused.lossAndGrad(batch);
 * opt.step(fused.params, fused.grads);
 * ```
 */
export class FusedAdamax {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: Float64Array;
  private readonly u: Float64Array;
  private t = 0;

  constructor(size: number, options: FusedAdamaxOptions = {}) {
    this.lr = options.lr ?? 2e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.m = new Float64Array(size);
    this.u = new Float64Array(size);
  }

  /** A copy of the step count and the moments `m`, `u` (what a resumed run needs). */
  getState(): OptimizerState {
    return { t: this.t, slots: { m: this.m.slice(), u: this.u.slice() } };
  }

  /** Restores {@link FusedAdamax.getState}'s output. */
  setState(state: OptimizerState): void {
    this.m.set(checkSlot(state, 'm', this.m.length));
    this.u.set(checkSlot(state, 'u', this.u.length));
    this.t = state.t;
  }

  step(params: Float64Array, grads: Float64Array): void {
    this.t += 1;
    const clr = this.lr / (1 - this.beta1 ** this.t);
    const { beta1, beta2, eps, weightDecay } = this;
    for (let i = 0; i < params.length; i++) {
      const g = weightDecay !== 0 ? grads[i]! + weightDecay * params[i]! : grads[i]!;
      const m = beta1 * this.m[i]! + (1 - beta1) * g;
      const a = Math.abs(g) + eps;
      const u = Math.max(beta2 * this.u[i]!, a);
      this.m[i] = m;
      this.u[i] = u;
      params[i] = Math.fround(params[i]! - clr * (m / u));
    }
  }
}
