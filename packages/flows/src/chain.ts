import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import type { Fusable, FusedPlanContext, PlanNode } from '@skelflow/fused';
import type { Bijector, BijectorModule, ForwardResult, InverseResult } from './bijector.js';
import { checkChannelsFirst } from './tensor_utils.js';

/**
 * Composition of bijectors: `forward` applies them in array order, `inverse` in reverse order, and
 * the log-determinants add up (chain rule). Each step receives the same `context`. The steps are
 * registered as child modules `0`, `1`, … so their weights get stable dotted names
 * (`3.logs`, `5.net.weight`).
 *
 * References: Dinh et al., "NICE", ICLR 2015 workshop (composition of couplings);
 * Kingma & Dhariwal, "Glow", NeurIPS 2018 (the actnorm → 1×1 conv → coupling step).
 *
 * @param steps - bijectors in the data → latent order.
 * @example
 * ```ts
 * const flow = new Chain([new ActNorm(2), new ReverseChannels(), new AdditiveCoupling(net)]);
 * const { y, logDet } = flow.forward(x); // x: [B, 2, T, V]
 * const { x: back } = flow.inverse(y);
 * ```
 */
export class Chain extends Module implements Bijector, Fusable {
  readonly steps: readonly BijectorModule[];

  constructor(steps: BijectorModule[]) {
    super();
    steps.forEach((s, i) => this.addModule(String(i), s));
    this.steps = [...steps];
  }

  forward(x: tf.Tensor, context?: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'Chain');
    return tf.tidy(() => {
      let y = x;
      let logDet: tf.Tensor = tf.zeros([x.shape[0]!]);
      for (const step of this.steps) {
        const r = step.forward(y, context);
        y = r.y;
        logDet = tf.add(logDet, r.logDet);
      }
      // An empty chain must still hand out a tensor the caller may dispose independently of x.
      return { y: y === x ? tf.clone(x) : y, logDet };
    });
  }

  inverse(y: tf.Tensor, context?: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'Chain');
    return tf.tidy(() => {
      let x = y;
      let logDet: tf.Tensor = tf.zeros([y.shape[0]!]);
      for (let i = this.steps.length - 1; i >= 0; i--) {
        const r = this.steps[i]!.inverse(x, context);
        x = r.x;
        logDet = tf.add(logDet, r.logDet);
      }
      return { x: x === y ? tf.clone(y) : x, logDet };
    });
  }

  /** The fused engine's description of the chain: its steps' plans, flattened (nested chains included). */
  fusedPlan(ctx: FusedPlanContext): PlanNode[] {
    return this.steps.flatMap((s, i) => ctx.describe(s, String(i)));
  }

}
