import * as tf from '@tensorflow/tfjs-core';
import { checkSlot, type Optimizer, type OptimizerState } from './optimizer.js';

/** Options of {@link Adamax} and {@link Adam}. */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch's coupled `weight_decay`). Default 0. */
  weightDecay?: number;
}

/** State shared by the Adam family: two moment buffers per variable and the step count. */
abstract class MomentOptimizer implements Optimizer {
  lr: number;
  protected readonly beta1: number;
  protected readonly beta2: number;
  protected readonly eps: number;
  protected readonly weightDecay: number;
  protected readonly first: tf.Variable[];
  protected readonly second: tf.Variable[];
  protected t = 0;

  constructor(protected readonly vars: tf.Variable[], options: AdamOptions, defaultLr: number) {
    this.lr = options.lr ?? defaultLr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    // tf.variable shares the initial tensor's data but not its handle: dispose the handle.
    const zeros = (v: tf.Variable) => tf.tidy(() => tf.variable(tf.zerosLike(v), false));
    this.first = vars.map(zeros);
    this.second = vars.map(zeros);
  }

  /** The gradient with PyTorch's coupled L2 penalty added. */
  protected decayed(g: tf.Tensor, v: tf.Variable): tf.Tensor {
    return this.weightDecay !== 0 ? tf.add(g, tf.mul(v, this.weightDecay)) : g;
  }

  abstract step(grads: tf.Tensor[]): void;

  /** Step count and the two moments (`m`, `u`), every variable flattened and concatenated. */
  getState(): OptimizerState {
    const flat = (vs: tf.Variable[]) => {
      const out = new Float64Array(vs.reduce((n, v) => n + v.size, 0));
      let o = 0;
      for (const v of vs) {
        const d = v.dataSync();
        out.set(d, o);
        o += d.length;
      }
      return out;
    };
    return { t: this.t, slots: { m: flat(this.first), u: flat(this.second) } };
  }

  /** Restores {@link getState}'s output. */
  setState(state: OptimizerState): void {
    const size = this.vars.reduce((n, v) => n + v.size, 0);
    for (const [name, vs] of [['m', this.first], ['u', this.second]] as const) {
      const s = checkSlot(state, name, size);
      let o = 0;
      for (const v of vs) {
        v.assign(tf.tensor(Float32Array.from(s.subarray(o, o + v.size)), v.shape, 'float32'));
        o += v.size;
      }
    }
    this.t = state.t;
  }

  dispose(): void {
    for (const t of [...this.first, ...this.second]) t.dispose();
  }
}

/**
 * Adamax with PyTorch's exact update (`torch.optim.Adamax`), which STG-NF trains with:
 * `m ← β1·m + (1−β1)·g`, `u ← max(β2·u, |g| + ε)`, `θ ← θ − lr/(1−β1ᵗ) · m/u`.
 * tfjs's `adamax` adds ε after the max and decays the learning rate differently.
 *
 * References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (§7.1).
 *
 * @param vars - the variables to train (e.g. `module.parameters()`).
 * @param options - lr (default 2e-3 as PyTorch), beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0.
 * @example
 * ```ts
 * const opt = new Adamax(model.parameters(), { lr: 5e-4 });
 * const { grads } = tf.variableGrads(() => loss(), model.parameters());
 * opt.step(model.parameters().map((v) => grads[v.name]!));
 * ```
 */
export class Adamax extends MomentOptimizer {
  constructor(vars: tf.Variable[], options: AdamOptions = {}) {
    super(vars, options, 2e-3);
  }

  step(grads: tf.Tensor[]): void {
    this.t += 1;
    const clr = this.lr / (1 - this.beta1 ** this.t);
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        const g = this.decayed(grads[i]!, v);
        const m = tf.add(tf.mul(this.first[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const u = tf.maximum(tf.mul(this.second[i]!, this.beta2), tf.add(tf.abs(g), this.eps));
        this.first[i]!.assign(m);
        this.second[i]!.assign(u);
        v.assign(tf.sub(v, tf.mul(tf.div(m, u), clr)));
      });
    });
  }
}

/**
 * Adam with PyTorch's exact update (`torch.optim.Adam`, bias-corrected, ε added to the corrected
 * denominator): `θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`.
 *
 * References: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
 *
 * @param vars - the variables to train.
 * @param options - lr (default 1e-3), beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0.
 * @example
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export class Adam extends MomentOptimizer {
  constructor(vars: tf.Variable[], options: AdamOptions = {}) {
    super(vars, options, 1e-3);
  }

  step(grads: tf.Tensor[]): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** this.t);
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = this.decayed(grads[i]!, p);
        const m = tf.add(tf.mul(this.first[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.second[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.first[i]!.assign(m);
        this.second[i]!.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
      });
    });
  }
}
