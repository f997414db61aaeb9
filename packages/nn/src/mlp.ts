import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError } from '@skelflow/base';
import { ACTIVATIONS, applyActivation, type Activation } from './activation.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';

/** Options of {@link Mlp}. */
export interface MlpOptions extends InitOptions {
  /** Activation after every hidden Linear; default `'relu'`. */
  activation?: Activation;
  /** Negative slope of `leakyRelu`; default 0.01 (PyTorch's). */
  leakySlope?: number;
  /** Activation after the last Linear; default none (`'identity'`). */
  finalActivation?: Activation;
  /** Drop probability after every hidden activation (not after the output); default 0 = no Dropout layers. */
  dropout?: number;
  /** Learnable biases in every Linear; default true. */
  bias?: boolean;
}

/**
 * A stack of {@link Linear} layers on the last axis with an activation between them:
 * `sizes = [in, h1, …, out]` gives `Linear(in, h1) → act → [Dropout] → … → Linear(hk, out) →
 * [finalActivation]`. Inputs `[..., in]`, outputs `[..., out]`.
 *
 * PyTorch twin: the equivalent `nn.Sequential` (normflows' `nets.MLP(layers, leaky)` holds it as
 * `net`). Children are named by their index in that Sequential, so its `state_dict()` loads as is:
 *
 * | @skelflow | PyTorch `nn.Sequential` | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `{i}.weight` | `{i}.weight` | `[sizes[k+1], sizes[k]]` | U(±1/√sizes[k]) |
 * | `{i}.bias` | `{i}.bias` | `[sizes[k+1]]` | U(±1/√sizes[k]) |
 *
 * where `i` is the Sequential index of the k-th Linear: `i = k·2` without dropout, `k·3` with it
 * (Linear, activation, Dropout per hidden layer). Linears are initialised in order from one
 * seeded stream; Dropout masks come from a stream forked from it.
 *
 * @param sizes - `[in, hidden…, out]`, at least two entries.
 * @param options - {@link MlpOptions}.
 * @example
 * ```ts
 * const mlp = new Mlp([4, 16, 16, 2], { activation: 'tanh', dropout: 0.1, seed: 0 });
 * mlp.call(tf.ones([8, 4])); // [8, 2]
 * mlp.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '3.weight', …, '6.bias']
 * ```
 */
export class Mlp extends Module {
  readonly sizes: number[];
  readonly activation: Activation;
  readonly leakySlope: number;
  readonly finalActivation: Activation;
  /** The Linear layers in order. */
  readonly linears: Linear[] = [];
  /** The Dropout after each hidden activation (empty without dropout). */
  readonly dropouts: Dropout[] = [];

  constructor(sizes: number[], options: MlpOptions = {}) {
    super();
    if (sizes.length < 2) throw new InputError(`an MLP needs [in, …, out], got [${sizes}]`, { source: 'Mlp' });
    this.sizes = [...sizes];
    this.activation = options.activation ?? 'relu';
    this.finalActivation = options.finalActivation ?? 'identity';
    for (const a of [this.activation, this.finalActivation]) {
      if (!ACTIVATIONS.includes(a)) throw new InputError(`unknown activation '${a}' (expected one of ${ACTIVATIONS.join(', ')})`, { source: 'Mlp' });
    }
    this.leakySlope = options.leakySlope ?? 0.01;
    const p = options.dropout ?? 0;
    const rng = resolveRng(options);
    const maskRng = p > 0 ? rng.fork() : null;
    const stride = p > 0 ? 3 : 2;
    for (let k = 0; k + 1 < sizes.length; k++) {
      const linear = new Linear(sizes[k]!, sizes[k + 1]!, { rng, bias: options.bias ?? true });
      this.linears.push(this.addModule(String(k * stride), linear));
      if (maskRng && k + 2 < sizes.length) this.dropouts.push(this.addModule(String(k * stride + 2), new Dropout(p, { rng: maskRng })));
    }
  }

  /** `[..., in]` → `[..., out]`. */
  call(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      this.linears.forEach((linear, k) => {
        h = linear.call(h);
        if (k + 1 < this.linears.length) {
          h = applyActivation(h, this.activation, this.leakySlope);
          const drop = this.dropouts[k];
          if (drop) h = drop.call(h);
        } else if (this.finalActivation !== 'identity') {
          h = applyActivation(h, this.finalActivation, this.leakySlope);
        }
      });
      return h;
    });
  }
}
