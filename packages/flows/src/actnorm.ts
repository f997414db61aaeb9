import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@skelflow/core';
import type { FusedPlanContext } from '@skelflow/fused';
import { actnormKernel, type ActNormPlan } from './kernels/actnorm_kernel.js';
import type { Bijector, ForwardResult, InverseResult } from './bijector.js';
import { channelVector, checkChannelsFirst, positionsPerChannel, repeatPerSample } from './tensor_utils.js';

/** Options of {@link ActNorm}. */
export interface ActNormOptions {
  /**
   * Target standard deviation of the data-dependent initialisation (Glow's and STG-NF's
   * `actnorm_scale`): `logs = log(scale / (std + 1e-6))`. Default 1.
   */
  scale?: number;
}

/**
 * Activation normalisation: a per-channel affine map `y = (x + bias) · exp(logs)` over axis 1 of
 * `[B, C, ...rest]`, with log|det| = Σ logs · prod(rest) per sample.
 *
 * Batch normalisation is not invertible per sample, so Glow instead initialises `bias` and `logs`
 * from the first training batch (zero mean, unit population std per channel) and then trains them
 * as ordinary parameters. That first-batch initialisation happens on the first `forward` in train
 * mode while the `initialized` buffer is 0 (never on `inverse`, unlike PyTorch's Glow, which would
 * initialise from latents; nor in eval mode, where PyTorch raises and this layer keeps its current
 * values). The flag is a buffer so that saved weights are not re-initialised on load. Weights
 * loaded from a checkpoint without the flag (PyTorch's Glow and STG-NF keep it as a plain
 * attribute) need {@link ActNorm.markInitialized}, or the next training batch overwrites them.
 *
 * Members: parameters `bias` `[C]`, `logs` `[C]`; buffer `initialized` (scalar float 0/1).
 * PyTorch's `ActNorm2d` stores `bias`/`logs` as `[1, C, 1, 1]`: reshape to `[C]` when loading.
 *
 * References: Kingma & Dhariwal, "Glow: Generative Flow with Invertible 1×1 Convolutions",
 * NeurIPS 2018; Hirschorn & Avidan, "Normalizing Flows for Human Pose Anomaly Detection"
 * (STG-NF), ICCV 2023 (`modules_pose.py` `ActNorm2d`).
 *
 * @param channels - number of channels C.
 * @param options - {@link ActNormOptions}.
 * @example
 * ```ts
 * const an = new ActNorm(2);
 * const { y } = an.forward(x); // train mode, first call: y has per-channel mean 0, std 1
 * an.eval();
 * const { x: back } = an.inverse(y);
 * ```
 */
export class ActNorm extends Module implements Bijector {
  readonly channels: number;
  readonly scale: number;
  readonly bias: tf.Variable;
  readonly logs: tf.Variable;
  /** 1 once `bias`/`logs` hold trained or data-initialised values, else 0. */
  readonly initialized: tf.Variable;

  constructor(channels: number, options: ActNormOptions = {}) {
    super();
    this.channels = channels;
    this.scale = options.scale ?? 1;
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.logs = this.addParameter('logs', tf.zeros([channels]));
    this.initialized = this.addBuffer('initialized', tf.scalar(0));
  }

  /** Whether the data-dependent initialisation has run or been skipped (reads the buffer). */
  get isInitialized(): boolean {
    return this.initialized.dataSync()[0] !== 0;
  }

  /** Declares `bias`/`logs` as final (after loading a checkpoint), so no batch overwrites them. */
  markInitialized(): void {
    tf.tidy(() => this.initialized.assign(tf.scalar(1)));
  }

  /**
   * Sets `bias = −mean(x)` and `logs = log(scale / (std(x) + 1e-6))` per channel, with the
   * population std over every axis but 1 (as STG-NF's `initialize_parameters`), and marks the
   * layer initialised. Runs regardless of train mode; `forward` calls it once in train mode.
   */
  initializeFrom(x: tf.Tensor): void {
    checkChannelsFirst(x, 'ActNorm', this.channels);
    tf.tidy(() => {
      const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
      const mean = tf.mean(x, axes);
      const variance = tf.mean(tf.square(tf.sub(x, channelVector(mean, x))), axes);
      this.bias.assign(tf.neg(mean));
      this.logs.assign(tf.log(tf.div(tf.scalar(this.scale), tf.add(tf.sqrt(variance), 1e-6))));
      this.initialized.assign(tf.scalar(1));
    });
  }

  forward(x: tf.Tensor): ForwardResult {
    checkChannelsFirst(x, 'ActNorm', this.channels);
    if (this.training && !this.isInitialized) this.initializeFrom(x);
    return tf.tidy(() => {
      const y = tf.mul(tf.add(x, channelVector(this.bias, x)), channelVector(tf.exp(this.logs), x));
      return { y, logDet: this.logDet(x, 1) };
    });
  }

  inverse(y: tf.Tensor): InverseResult {
    checkChannelsFirst(y, 'ActNorm', this.channels);
    return tf.tidy(() => {
      const x = tf.sub(tf.mul(y, channelVector(tf.exp(tf.neg(this.logs)), y)), channelVector(this.bias, y));
      return { x, logDet: this.logDet(y, -1) };
    });
  }

  private logDet(like: tf.Tensor, sign: 1 | -1): tf.Tensor {
    return repeatPerSample(tf.mul(tf.sum(this.logs), sign * positionsPerChannel(like)), like.shape[0]!);
  }

  /** The fused engine's description of this layer (runs on {@link actnormKernel}). */
  fusedPlan(ctx: FusedPlanContext): ActNormPlan {
    return {
      kind: actnormKernel.kind as 'actnorm',
      channels: this.channels,
      bias: ctx.param(this.bias),
      logs: ctx.param(this.logs),
      initialized: ctx.buffer(this.initialized),
      scale: this.scale,
    };
  }

}
