import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError, type Rng } from '@skelflow/base';
import type { Activation } from './activation.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { LearnedPositions } from './learned_positions.js';
import { Linear } from './linear.js';
import { sinusoidalPositions } from './sinusoidal_positions.js';
import { TransformerEncoder } from './transformer_encoder.js';

/** Options of {@link AutoregressiveTokenModel}. */
export interface AutoregressiveTokenModelOptions extends InitOptions {
  /** K, the vocabulary (codebook) size; tokens are 0…K−1 and index K is the BOS token. */
  numTokens: number;
  /** L_max, the longest token sequence; the position table has L_max + 1 rows (BOS + L_max). */
  maxLength: number;
  /** D, the model width. */
  dModel: number;
  /** H, attention heads (a divisor of D). */
  numHeads: number;
  /** Number of Transformer blocks. */
  numLayers: number;
  /** MLP hidden width; default 4·D. */
  dimFeedforward?: number;
  /** Drop probability on the embeddings, attention weights, MLP and residual branches; default 0.1. */
  dropout?: number;
  /** MLP activation; default `'gelu'`. */
  activation?: Activation;
  /** `'learned'` (default, GPT's and T2M-GPT's) or `'sinusoidal'` (fixed, no parameters). */
  positions?: 'learned' | 'sinusoidal';
}

/**
 * Which state {@link AutoregressiveTokenModel.hidden} returns for token j:
 * - `'predicting'` (default): the final-LN state at the input position that *predicts* token j — it
 *   has read BOS, t₀…t_{j−1} and not t_j; the one the head turns into p(t_j | t_<j). This is the card's
 *   h_i (model-cards §2.2: the causal Transformer over (BOS, k₁…k_{N−1}) gives p(k_i | k_<i) and
 *   hidden h_i, and c_i = Linear(h_i) conditions the frames of token i).
 * - `'after'`: the state *after* reading token j (BOS, t₀…t_j), from one more position (needs
 *   L ≤ maxLength, which the position table allows).
 */
export type HiddenAlignment = 'predicting' | 'after';

/** Options of {@link AutoregressiveTokenModel.sample}. */
export interface TokenSampleOptions {
  /** Logits are divided by it; 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Sample among the k most likely tokens only (ties at the k-th logit are kept); default all. */
  topK?: number;
}

/**
 * A GPT-style autoregressive prior over token sequences (Radford et al., "Improving Language
 * Understanding by Generative Pre-Training", 2018; T2M-GPT, Zhang et al., CVPR 2023,
 * `models/t2m_trans.py`, without its text condition), MSG-Flow's semantic prior (model-cards §2.2
 * [B]): `p(t) = Π_j p(t_j | BOS, t_0…t_{j−1})`.
 *
 * Teacher forcing: for tokens t `[B, L]` the input is `[BOS, t_0…t_{L−2}]` (BOS = index K), token
 * embedding + position embedding (learned or {@link sinusoidalPositions}) → dropout → causal
 * {@link TransformerEncoder} (pre-LN blocks + final LN) → linear head (no bias) to K logits; the
 * logits at position j score t_j. Per-token NLL is `−log softmax(logits_j)[t_j]` in nats.
 *
 * PyTorch twin (`bench/torch/transformer.py`, `TokenModel`), names after camelCase → snake_case:
 *
 * | @skelflow | PyTorch | shape | initialisation |
 * | --- | --- | --- | --- |
 * | `tokenEmbedding.weight` | `token_embedding.weight` (`nn.Embedding(K + 1, D)`) | `[K + 1, D]` | N(0, 1) |
 * | `positionEmbedding.weight` | `position_embedding.weight` | `[L_max + 1, D]` | N(0, 0.02²) (learned only) |
 * | `encoder.layers.{i}.*`, `encoder.norm.*` | `encoder.*` | see {@link TransformerEncoder} | |
 * | `head.weight` | `head.weight` (`nn.Linear(D, K, bias=False)`) | `[K, D]` | U(±1/√D) |
 *
 * @example
 * ```ts
 * const prior = new AutoregressiveTokenModel({ numTokens: 512, maxLength: 12, dModel: 128, numHeads: 4, numLayers: 2, seed: 0 });
 * const loss = prior.loss(tokens);            // scalar, mean nats per token
 * const nll = prior.nll(tokens);              // [B, 12]
 * const h = prior.hidden(tokens);             // [B, 12, 128], h[:, j] predicts t_j
 * const s = prior.sample(8, 12, new Rng(1), { temperature: 1, topK: 50 }); // int32 [8, 12]
 * ```
 */
export class AutoregressiveTokenModel extends Module {
  readonly numTokens: number;
  readonly maxLength: number;
  readonly dModel: number;
  /** The BOS index, K. */
  readonly bos: number;
  readonly positionKind: 'learned' | 'sinusoidal';
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: LearnedPositions | null;
  readonly drop: Dropout;
  readonly encoder: TransformerEncoder;
  readonly head: Linear;
  private readonly fixedPositions: tf.Tensor | null;

  constructor(options: AutoregressiveTokenModelOptions) {
    super();
    const { numTokens, maxLength, dModel, numHeads, numLayers } = options;
    for (const [what, n] of [['numTokens', numTokens], ['maxLength', maxLength], ['dModel', dModel]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'AutoregressiveTokenModel' });
    }
    this.positionKind = options.positions ?? 'learned';
    if (this.positionKind !== 'learned' && this.positionKind !== 'sinusoidal') {
      throw new InputError(`positions must be 'learned' or 'sinusoidal', got '${String(this.positionKind)}'`, { source: 'AutoregressiveTokenModel' });
    }
    this.numTokens = numTokens;
    this.maxLength = maxLength;
    this.dModel = dModel;
    this.bos = numTokens;
    const rng = resolveRng(options);
    const p = options.dropout ?? 0.1;
    this.tokenEmbedding = this.addModule('tokenEmbedding', new Embedding(numTokens + 1, dModel, { rng }));
    this.positionEmbedding = this.positionKind === 'learned' ? this.addModule('positionEmbedding', new LearnedPositions(maxLength + 1, dModel, { rng })) : null;
    this.fixedPositions = this.positionKind === 'sinusoidal' ? sinusoidalPositions(maxLength + 1, dModel) : null;
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder(dModel, numHeads, numLayers, {
        rng,
        dropout: p,
        ...(options.dimFeedforward !== undefined ? { dimFeedforward: options.dimFeedforward } : {}),
        ...(options.activation !== undefined ? { activation: options.activation } : {}),
      }),
    );
    this.head = this.addModule('head', new Linear(dModel, numTokens, { rng, bias: false }));
    this.drop = this.addModule('drop', new Dropout(p, { rng: rng.fork() }));
  }

  /** The teacher-forcing input `[BOS, t_0…t_{L−2}]` `[B, L]` int32 of tokens `[B, L]`. */
  teacherInput(tokens: tf.Tensor): tf.Tensor {
    const [B, L] = this.checkTokens(tokens, this.maxLength);
    return tf.tidy(() => {
      const bos = tf.fill([B, 1], this.bos, 'int32');
      const ids = tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32');
      return L === 1 ? bos : tf.concat([bos, tf.slice(ids, [0, 0], [B, L - 1])], 1);
    });
  }

  /** Final-LN states `[B, T, D]` of a BOS-led id sequence `[B, T]` (T ≤ L_max + 1), causal. */
  states(ids: tf.Tensor): tf.Tensor {
    const T = ids.shape[1]!;
    return tf.tidy(() => {
      let x = this.tokenEmbedding.call(ids);
      x = this.positionEmbedding ? this.positionEmbedding.call(x) : tf.add(x, tf.slice(this.fixedPositions!, [0, 0], [T, this.dModel]));
      return this.encoder.call(this.drop.call(x), { causal: true });
    });
  }

  /** Logits `[B, L, K]`: row j scores t_j given t_<j (teacher forcing). */
  logits(tokens: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.head.call(this.states(this.teacherInput(tokens))));
  }

  /** Per-token negative log-likelihood `[B, L]` in nats: `−log p(t_j | BOS, t_<j)`. */
  nll(tokens: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const logits = this.logits(tokens);
      const [B, L] = tokens.shape as [number, number];
      const target = tf.oneHot(tf.reshape(tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32'), [B * L]), this.numTokens);
      const logp = tf.logSoftmax(tf.reshape(logits, [B * L, this.numTokens]));
      return tf.reshape(tf.neg(tf.sum(tf.mul(logp, target), -1)), [B, L]);
    });
  }

  /** Mean per-token NLL over the batch and positions (nats), the training loss (card §2.3 L_AR). */
  loss(tokens: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mean(this.nll(tokens)) as tf.Scalar);
  }

  /** Hidden states `[B, L, D]` aligned to the tokens as {@link HiddenAlignment} says (after the final LN). */
  hidden(tokens: tf.Tensor, options: { alignment?: HiddenAlignment } = {}): tf.Tensor {
    const alignment = options.alignment ?? 'predicting';
    if (alignment === 'predicting') return tf.tidy(() => this.states(this.teacherInput(tokens)));
    if (alignment !== 'after') throw new InputError(`alignment must be 'predicting' or 'after', got '${String(alignment)}'`, { source: 'AutoregressiveTokenModel' });
    const [B, L] = this.checkTokens(tokens, this.maxLength);
    return tf.tidy(() => {
      const ids = tf.concat([tf.fill([B, 1], this.bos, 'int32'), tokens.dtype === 'int32' ? tokens : tf.cast(tokens, 'int32')], 1);
      return tf.slice(this.states(ids), [0, 1, 0], [B, L, this.dModel]);
    });
  }

  /**
   * Draws `n` sequences of `length` tokens, one position at a time from p(t_j | BOS, t_<j), with
   * the uniforms taken from `rng` (one per token, sequence by sequence), so a seed gives the same
   * tokens on every backend. Runs in eval mode (no dropout) and restores the mode.
   * Returns int32 `[n, length]`.
   */
  sample(n: number, length: number, rng: Rng, options: TokenSampleOptions = {}): tf.Tensor {
    if (!Number.isInteger(n) || n < 1) throw new InputError(`n must be a positive integer, got ${n}`, { source: 'AutoregressiveTokenModel.sample' });
    if (!Number.isInteger(length) || length < 1 || length > this.maxLength) {
      throw new InputError(`length must be in 1…${this.maxLength}, got ${length}`, { source: 'AutoregressiveTokenModel.sample' });
    }
    const temperature = options.temperature ?? 1;
    const topK = options.topK ?? this.numTokens;
    if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new InputError(`temperature must be ≥ 0, got ${temperature}`, { source: 'AutoregressiveTokenModel.sample' });
    if (!Number.isInteger(topK) || topK < 1) throw new InputError(`topK must be a positive integer, got ${topK}`, { source: 'AutoregressiveTokenModel.sample' });
    const wasTraining = this.training;
    this.eval();
    const K = this.numTokens;
    const out = new Int32Array(n * length);
    try {
      for (let j = 0; j < length; j++) {
        const last = tf.tidy(() => {
          const prefix = tf.tensor2d(idsWithBos(out, n, length, j, this.bos), [n, j + 1], 'int32');
          const h = tf.slice(this.states(prefix), [0, j, 0], [n, 1, this.dModel]);
          return this.head.call(tf.reshape(h, [n, this.dModel]));
        });
        const logits = last.dataSync();
        last.dispose();
        for (let s = 0; s < n; s++) out[s * length + j] = drawToken(logits.subarray(s * K, (s + 1) * K), temperature, topK, rng);
      }
    } finally {
      this.train(wasTraining);
    }
    return tf.tensor2d(out, [n, length], 'int32');
  }

  override dispose(): void {
    this.fixedPositions?.dispose();
    super.dispose();
  }

  /** Checks tokens `[B, L]` (1 ≤ L ≤ maxLen, integers in 0…K−1) and returns [B, L]. */
  private checkTokens(tokens: tf.Tensor, maxLen: number): [number, number] {
    if (tokens.rank !== 2 || tokens.shape[1]! < 1 || tokens.shape[1]! > maxLen || tokens.shape[0]! < 1) {
      throw new ShapeError(`tokens must be [B, L] with 1 ≤ L ≤ ${maxLen}, got [${tokens.shape}]`, { source: 'AutoregressiveTokenModel', location: 'tokens' });
    }
    const v = tokens.dataSync();
    for (let i = 0; i < v.length; i++) {
      const t = v[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= this.numTokens) {
        throw new InputError(`token ${t} is not an integer in 0…${this.numTokens - 1}`, { source: 'AutoregressiveTokenModel', location: `tokens entry ${i}` });
      }
    }
    return [tokens.shape[0]!, tokens.shape[1]!];
  }
}

/** `[n, j + 1]` ids: BOS then the first j drawn tokens of each sequence. */
function idsWithBos(drawn: Int32Array, n: number, length: number, j: number, bos: number): Int32Array {
  const ids = new Int32Array(n * (j + 1));
  for (let s = 0; s < n; s++) {
    ids[s * (j + 1)] = bos;
    for (let i = 0; i < j; i++) ids[s * (j + 1) + 1 + i] = drawn[s * length + i]!;
  }
  return ids;
}

/** One categorical draw from `logits / temperature` restricted to the top k, in float64. */
export function drawToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const K = logits.length;
  let best = 0;
  for (let i = 1; i < K; i++) if (logits[i]! > logits[best]!) best = i;
  const u = rng.uniform(); // always consumed, so greedy and sampled runs stay in step
  if (temperature === 0) return best;
  let threshold = -Infinity;
  if (topK < K) threshold = Array.from(logits).sort((a, b) => b - a)[topK - 1]!;
  const w = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < K; i++) {
    if (logits[i]! >= threshold) {
      w[i] = Math.exp((logits[i]! - logits[best]!) / temperature);
      total += w[i]!;
    }
  }
  let acc = 0;
  const target = u * total;
  for (let i = 0; i < K; i++) {
    acc += w[i]!;
    if (w[i]! > 0 && target < acc) return i;
  }
  return best;
}
