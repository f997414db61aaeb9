import * as tf from '@tensorflow/tfjs-core';
import { WeightsError, type Rng } from '@skelflow/base';

/**
 * A tree of named tensors, as PyTorch's `nn.Module` organises them: trainable parameters, buffers
 * (state that is saved but not trained: BatchNorm running statistics, ActNorm's initialised flag,
 * prior means) and child modules. Parameters and buffers are `tf.Variable`s so they can be updated
 * in place without leaking tensors. Names are dotted paths (`steps.0.coupling.net.bn.runningMean`).
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   readonly w = this.addParameter('w', tf.ones([3]));
 *   call(x: tf.Tensor) { return tf.mul(x, this.w); }
 * }
 * const m = new Scale();
 * m.namedParameters(); // [['w', Variable]]
 * ```
 */
export class Module {
  /** Train mode (BatchNorm uses batch statistics, data-dependent initialisers may run). */
  training = true;
  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  private readonly streams = new Map<string, Rng>();

  /** Registers a trainable parameter; the module owns `init` from now on. */
  protected addParameter(name: string, init: tf.Tensor): tf.Variable {
    this.checkName(name);
    const v = tf.variable(init, true);
    init.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Registers a non-trainable tensor that is saved and loaded with the weights. */
  protected addBuffer(name: string, init: tf.Tensor): tf.Variable {
    this.checkName(name);
    const v = tf.variable(init, false);
    init.dispose();
    this.buffers.set(name, v);
    return v;
  }

  /** Registers a child module under `name`. */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children.set(name, m);
    return m;
  }

  /**
   * Registers a random stream the module draws from while training (dropout masks, codebook
   * resets): a checkpoint saves its position and a resumed run restores it, so training resumes bit
   * for bit. Returns `rng`.
   */
  protected addRandomStream(name: string, rng: Rng): Rng {
    this.streams.set(name, rng);
    return rng;
  }

  /** The random streams of this module and its descendants, with dotted names (one `Rng` may appear under several). */
  namedRandomStreams(prefix = ''): [string, Rng][] {
    const out: [string, Rng][] = [];
    for (const [n, r] of this.streams) out.push([prefix + n, r]);
    for (const [n, c] of this.children) out.push(...c.namedRandomStreams(`${prefix}${n}.`));
    return out;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.') || this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new WeightsError(`invalid or duplicate member name '${name}'`, { source: this.constructor.name });
    }
  }

  /** Child modules in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** All trainable parameters of this module and its descendants, with dotted names. */
  namedParameters(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [n, v] of this.params) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** All buffers of this module and its descendants, with dotted names. */
  namedBuffers(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [n, v] of this.buffers) out.push([prefix + n, v]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Trainable parameters, in a stable order (the optimiser's state follows it). */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((s, v) => s + v.size, 0);
  }

  /** Sets train mode on this module and all descendants. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children.values()) c.train(mode);
    return this;
  }

  /** Sets eval mode (BatchNorm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by name. The tensors are the live variables: do not dispose them. */
  stateDict(): Map<string, tf.Variable> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies tensors into the parameters and buffers of the same name. Shapes must match exactly.
   * With `strict` (default) every entry of the module must be present and no extra entry may be.
   */
  loadStateDict(state: Map<string, tf.Tensor> | Record<string, tf.Tensor>, options: { strict?: boolean; source?: string } = {}): void {
    const strict = options.strict ?? true;
    const incoming = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    if (strict) {
      const missing = [...own.keys()].filter((k) => !incoming.has(k));
      const extra = [...incoming.keys()].filter((k) => !own.has(k));
      if (missing.length || extra.length) {
        throw new WeightsError(
          `state does not match the module: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`,
          { source: options.source },
        );
      }
    }
    for (const [name, v] of own) {
      const t = incoming.get(name);
      if (!t) continue;
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new WeightsError(`shape [${t.shape}] does not fit [${v.shape}]`, { source: options.source, location: name });
      }
      tf.tidy(() => v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype)));
    }
  }

  /** Frees every parameter and buffer of this module tree. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    for (const c of this.children.values()) c.dispose();
    this.params.clear();
    this.buffers.clear();
    this.children.clear();
  }
}
