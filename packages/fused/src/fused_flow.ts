import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError } from '@skelflow/base';
import { compileFlow, type CompileOptions, type FusableFlow, type FusedLayout } from './compile.js';
import { backward, forward, logProbSamples } from './engine.js';
import type { FlowPlan } from './plan.js';
import { kernelModules } from './registry.js';
import { createScratch, type Scratch } from './scratch.js';
import { ScoringPool } from './scoring_pool.js';

/** Options of {@link FusedFlow.logProb}. */
export interface FusedLogProbOptions {
  /**
   * Worker threads besides the calling thread (Node only; 0 = none). Default: one fewer than the
   * machine's cores, used only when there are at least `minPerThread` samples per thread.
   */
  threads?: number;
  /** Smallest share worth sending to another thread; default 256 samples. */
  minPerThread?: number;
  /** `[N, ...contextShape]` context of a conditional flow (required when it was compiled with one). */
  context?: Float32Array | Float64Array;
}

/**
 * A flow compiled to typed-array kernels: the same function and gradients as the tensor path,
 * computed in float64 loops with no per-op dispatch, for flows whose parts all describe themselves
 * ({@link compileFlow}) to registered kernels. Used for fast scoring (optionally on worker threads)
 * and for training with hand-written backward passes. A flow compiled with a `contextShape` is
 * conditional: every call takes the matching context, which reaches the conditioner kernels.
 *
 * The compiled flow keeps its own copy of the numbers: {@link FusedFlow.pull} reads the module's
 * variables into it, {@link FusedFlow.push} writes them back (after training).
 *
 * References: Kingma & Dhariwal, "Glow", NeurIPS 2018; Hirschorn & Avidan, STG-NF, ICCV 2023.
 *
 * @example
 * ```ts
 * const fused = FusedFlow.tryCreate(model.flow, [2, 24, 18]);
 * if (fused instanceof FusedFlow) {
 *   const logp = fused.logProb(segments); // Float64Array, nats per segment
 * }
 * ```
 */
export class FusedFlow {
  readonly plan: FlowPlan;
  readonly layout: FusedLayout;
  /** Flat parameters (float32 values held as float64), in `layout.params` order. */
  readonly params: Float64Array;
  /** Gradient of the last {@link FusedFlow.lossAndGrad}, same layout as `params`. */
  readonly grads: Float64Array;
  /** Flat buffers (running statistics, flags), in `layout.buffers` order. */
  readonly buffers: Float64Array;
  private readonly ws: Scratch = createScratch();
  private pool: ScoringPool | null = null;
  private readonly eventSize: number;

  private constructor(layout: FusedLayout) {
    this.layout = layout;
    this.plan = layout.plan;
    this.params = new Float64Array(this.plan.paramCount);
    this.grads = new Float64Array(this.plan.paramCount);
    this.buffers = new Float64Array(this.plan.bufferCount);
    this.eventSize = this.plan.channels * this.plan.frames * this.plan.joints;
    this.pull();
  }

  /** Compiles `flow` over events `eventShape` (e.g. `[C, T, V]`), or returns why it cannot be fused. */
  static tryCreate(flow: FusableFlow, eventShape: readonly number[], options: CompileOptions = {}): FusedFlow | { reason: string } {
    const r = compileFlow(flow, eventShape, options);
    return r.ok ? new FusedFlow(r.layout) : { reason: r.reason };
  }

  /**
   * Reads the module's variables into the flat vectors — only those assigned since the last pull
   * or push (`assign` gives a variable new data), so repeated calls cost next to nothing.
   */
  pull(): void {
    for (const p of this.layout.params) this.pullOne(p.variable, this.params, p.offset);
    for (const b of this.layout.buffers) this.pullOne(b.variable, this.buffers, b.offset);
  }

  private readonly seen = new Map<tf.Variable, object>();

  private pullOne(v: tf.Variable, into: Float64Array, offset: number): void {
    if (this.seen.get(v) === v.dataId) return;
    into.set(v.dataSync(), offset);
    this.seen.set(v, v.dataId);
  }

  /**
   * Writes the flat vectors back into the module's variables (float32), and rounds the flat
   * vectors to what the variables now hold, so a model loaded from those variables scores the same.
   */
  push(): void {
    for (let i = 0; i < this.params.length; i++) this.params[i] = Math.fround(this.params[i]!);
    for (let i = 0; i < this.buffers.length; i++) this.buffers[i] = Math.fround(this.buffers[i]!);
    tf.tidy(() => {
      for (const p of this.layout.params) {
        p.variable.assign(tf.tensor(Float32Array.from(this.params.subarray(p.offset, p.offset + p.size)), p.variable.shape, 'float32'));
      }
      for (const b of this.layout.buffers) {
        const v = this.buffers.subarray(b.offset, b.offset + b.size);
        b.variable.assign(tf.tensor(b.variable.dtype === 'int32' ? Int32Array.from(v) : Float32Array.from(v), b.variable.shape, b.variable.dtype));
      }
    });
    for (const p of this.layout.params) this.seen.set(p.variable, p.variable.dataId);
    for (const b of this.layout.buffers) this.seen.set(b.variable, b.variable.dataId);
  }

  private count(x: ArrayLike<number>, source: string): number {
    if (x.length % this.eventSize !== 0 || x.length === 0) {
      throw new ShapeError(`data of length ${x.length} is not a positive multiple of [${this.plan.eventShape.join(', ')}]`, { source });
    }
    return x.length / this.eventSize;
  }

  /** The context as float64 `[n, K]`, checked against the plan (null for an unconditional flow). */
  private contextOf(context: ArrayLike<number> | undefined, n: number, source: string): Float64Array | null {
    const K = this.plan.contextSize;
    if (K === 0) {
      if (context !== undefined) throw new InputError('this flow was compiled without a context', { source, location: 'context' });
      return null;
    }
    if (context === undefined) throw new InputError(`this flow is conditional: pass a context of ${K} values per sample`, { source, location: 'context' });
    if (context.length !== n * K) throw new ShapeError(`context of length ${context.length} for ${n} samples of ${K} values`, { source });
    return context instanceof Float64Array ? context : Float64Array.from(context);
  }

  /**
   * log p(x) in nats for `[N, ...eventShape]` samples (eval mode: BatchNorm running statistics),
   * one sample at a time so its numbers stay in cache, split over worker threads when
   * `options.threads` allows.
   */
  logProb(x: Float32Array, options: FusedLogProbOptions = {}): Float64Array {
    const n = this.count(x, 'FusedFlow.logProb');
    const context = this.contextOf(options.context, n, 'FusedFlow.logProb');
    const out = new Float64Array(n);
    const minPer = options.minPerThread ?? 256;
    const wanted = options.threads ?? ScoringPool.defaultThreads();
    const extra = Math.max(0, Math.min(wanted, Math.floor(n / minPer) - 1));
    if (extra > 0) {
      this.pool ??= ScoringPool.create(kernelModules(this.plan));
      if (this.pool) {
        this.pool.logProb(this.plan, this.params, this.buffers, x, context, n, extra, out, (xs, cs, count, o) =>
          logProbSamples(this.plan, this.params, this.buffers, this.ws, xs, count, o, cs),
        );
        return out;
      }
    }
    logProbSamples(this.plan, this.params, this.buffers, this.ws, x, n, out, context);
    return out;
  }

  /** The latent z of `[N, ...eventShape]` samples (eval mode), float64. */
  encode(x: Float32Array, context?: Float32Array | Float64Array): Float64Array {
    const n = this.count(x, 'FusedFlow.encode');
    const c = this.contextOf(context, n, 'FusedFlow.encode');
    const input = Float64Array.from(x);
    const z = forward(this.plan, this.params, this.buffers, this.ws, input, n, null, c, false, new Float64Array(n));
    return z.slice(0, n * this.eventSize);
  }

  /** Negative log-likelihood in bits per dimension (eval mode), as `NormalizingFlow.nllBitsPerDim`. */
  nllBitsPerDim(x: Float32Array, options: FusedLogProbOptions = {}): Float64Array {
    const lp = this.logProb(x, options);
    const k = -1 / (Math.LN2 * this.eventSize);
    for (let i = 0; i < lp.length; i++) lp[i] = lp[i]! * k;
    return lp;
  }

  /**
   * One training-mode forward and backward pass on a batch: returns the mean NLL in bits per
   * dimension (the loss), leaves its gradient in {@link FusedFlow.grads}, and updates the running
   * statistics (and ActNorm's data-dependent initialisation) in {@link FusedFlow.buffers}, exactly
   * as a train-mode tensor step would.
   *
   * @param x - `[B, ...eventShape]` samples.
   * @param labels - optional `[B]` prior components (+1 / −1) for a mixture prior.
   * @param context - `[B, ...contextShape]`, required by a conditional flow.
   */
  lossAndGrad(x: Float32Array | Float64Array, labels?: ArrayLike<number>, context?: Float32Array | Float64Array): number {
    const B = this.count(x, 'FusedFlow.lossAndGrad');
    if (labels && labels.length !== B) {
      throw new InputError(`${labels.length} labels for ${B} samples`, { source: 'FusedFlow.lossAndGrad', location: 'labels' });
    }
    const c = this.contextOf(context, B, 'FusedFlow.lossAndGrad');
    const input = this.ws.get('input', B * this.eventSize);
    for (let i = 0; i < B * this.eventSize; i++) input[i] = x[i]!;
    const logp = this.ws.get('trainLogp', B);
    forward(this.plan, this.params, this.buffers, this.ws, input, B, labels ?? null, c, true, logp);
    const w = this.ws.get('weights', B);
    const k = 1 / (B * Math.LN2 * this.eventSize);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      w[b] = k;
      loss -= logp[b]! * k;
    }
    this.lastInputGrad = backward(this.plan, this.params, this.buffers, this.grads, this.ws, B, labels ?? null, c, w).subarray(0, B * this.eventSize);
    return loss;
  }

  private lastInputGrad: Float64Array | null = null;

  /**
   * The gradient of the last {@link FusedFlow.lossAndGrad}'s loss with respect to its input x,
   * `[B, ...eventShape]` (a copy), e.g. for saliency or for checking a kernel against autodiff.
   */
  inputGradient(): Float64Array {
    if (!this.lastInputGrad) throw new InputError('no lossAndGrad call yet', { source: 'FusedFlow.inputGradient' });
    return this.lastInputGrad.slice();
  }

  /** Worker threads running (started by a threaded {@link FusedFlow.logProb} call, and healthy). */
  get workerThreads(): number {
    return this.pool?.liveWorkers ?? 0;
  }

  /** Stops the worker threads, if any were started. */
  dispose(): void {
    this.pool?.close();
    this.pool = null;
  }
}
