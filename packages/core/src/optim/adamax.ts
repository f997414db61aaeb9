import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';

/** Options of {@link Adamax} and {@link Adam}. */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch's coupled `weight_decay`). Default 0. */
  weightDecay?: number;
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
export class Adamax implements Optimizer {
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly m: tf.Variable[];
  private readonly u: tf.Variable[];
  private t = 0;

  constructor(private readonly vars: tf.Variable[], options: AdamOptions = {}) {
    this.lr = options.lr ?? 2e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
    this.u = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  step(grads: tf.Tensor[]): void {
    this.t += 1;
    const clr = this.lr / (1 - this.beta1 ** this.t);
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        let g = grads[i]!;
        if (this.weightDecay !== 0) g = tf.add(g, tf.mul(v, this.weightDecay));
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const u = tf.maximum(tf.mul(this.u[i]!, this.beta2), tf.add(tf.abs(g), this.eps));
        this.m[i]!.assign(m);
        this.u[i]!.assign(u);
        v.assign(tf.sub(v, tf.mul(tf.div(m, u), clr)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.u]) t.dispose();
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
export class Adam implements Optimizer {
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(private readonly vars: tf.Variable[], options: AdamOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  step(grads: tf.Tensor[]): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** this.t);
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        let g = grads[i]!;
        if (this.weightDecay !== 0) g = tf.add(g, tf.mul(p, this.weightDecay));
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
