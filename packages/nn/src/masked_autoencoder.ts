import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError, type Rng } from '@skelflow/base';
import { LearnedPositions } from './learned_positions.js';
import { Linear } from './linear.js';
import { TransformerEncoder } from './transformer_encoder.js';

/** Options of {@link MaskedAutoencoder}. */
export interface MaskedAutoencoderOptions extends InitOptions {
  /** Values per joint C (2: x, y; 3: x, y, z). */
  channels: number;
  /** Joints per frame V. */
  joints: number;
  /** Longest sequence T the learned positions cover. */
  maxLength: number;
  /** Model width d. */
  dModel: number;
  /** Attention heads (a divisor of d). */
  numHeads: number;
  /** Encoder blocks. */
  numLayers: number;
  /** Pre-LN blocks of the decoder before its linear head; 0 (default) = the linear head alone. */
  decoderLayers?: number;
  /** MLP width of every block; default 4·d. */
  dimFeedforward?: number;
  /** Dropout of every block; default 0.1. */
  dropout?: number;
  /** Fraction ρ of (frame, joint) entries masked during training; default 0.3 (NFlowAD). */
  maskRatio?: number;
}

/**
 * A seeded per-(frame, joint) Bernoulli(ρ) mask: `[B, T, V]`, 1 = masked. Drawn from `rng` in
 * (b, t, j) order, so a seed gives the same mask on every backend (tfjs's seeded ops do not).
 *
 * @example
 * ```ts
 * const mask = jointMask(new Rng(0), 2, 24, 18, 0.3); // Float32Array of 864 zeros and ones
 * ```
 */
export function jointMask(rng: Rng, batch: number, frames: number, joints: number, ratio: number): Float32Array {
  if (!(ratio >= 0 && ratio <= 1)) throw new InputError(`mask ratio must be in [0, 1], got ${ratio}`, { source: 'jointMask' });
  const out = new Float32Array(batch * frames * joints);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < ratio ? 1 : 0;
  return out;
}

/**
 * A masked motion autoencoder on whole-pose frame tokens, NFlowAD's stage 1 (Choueb et al.,
 * Signal Processing: Image Communication; model card §4.2, Eq. 1–2):
 *
 * - frame embedding `z_t = W_emb vec(x_t) + b_emb`, vec(x_t) ∈ R^{C·V} (channel-major: every
 *   joint's x, then every joint's y, …), plus learned positions;
 * - a pre-LN GELU {@link TransformerEncoder} → `h_{1:T}` `[B, T, d]`;
 * - a decoder: `decoderLayers` further pre-LN blocks (none by default) and a linear head d → C·V
 *   per frame → x̂ `[B, C, T, V]`.
 *
 * Training masks a random ρ of the (frame, joint) entries (Bernoulli per entry from a seeded
 * {@link Rng}; the card's reading of "a random fraction of the joints", as MotionBERT's
 * `add_mask` zero-fills), writes 0 into every coordinate of a masked joint, and scores the
 * reconstruction on the masked entries only:
 * `L = Σ_{(t,j) masked} ‖x̂_{t,j} − x_{t,j}‖² / (C · #masked)` (MAE convention).
 *
 * PyTorch twin (`bench/torch/nflowad.py`):
 *
 * | @skelflow | PyTorch | shape |
 * | --- | --- | --- |
 * | `embed.*` | `embed` (`nn.Linear(C·V, d)`) | `[d, C·V]`, `[d]` |
 * | `positions.weight` | `pos` (`nn.Parameter`) | `[maxLength, d]` |
 * | `encoder.*` | `encoder` (`nn.TransformerEncoder`, norm_first, GELU, final LayerNorm) | see {@link TransformerEncoder} |
 * | `decoder.*` | `decoder` (same, `decoderLayers` blocks), when present | |
 * | `head.*` | `head` (`nn.Linear(d, C·V)`) | `[C·V, d]`, `[C·V]` |
 *
 * @example
 * ```ts
 * const mae = new MaskedAutoencoder({ channels: 3, joints: 18, maxLength: 24, dModel: 64, numHeads: 4, numLayers: 2, seed: 0 });
 * const mask = jointMask(new Rng(1), 8, 24, 18, mae.maskRatio);
 * const loss = mae.maskedLoss(x, mask); // x [8, 3, 24, 18]
 * ```
 */
export class MaskedAutoencoder extends Module {
  readonly channels: number;
  readonly joints: number;
  readonly maxLength: number;
  readonly dModel: number;
  readonly maskRatio: number;
  readonly embed: Linear;
  readonly positions: LearnedPositions;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerEncoder | null;
  readonly head: Linear;

  constructor(options: MaskedAutoencoderOptions) {
    super();
    const { channels, joints, maxLength, dModel, numHeads, numLayers } = options;
    for (const [what, n] of [['channels', channels], ['joints', joints], ['maxLength', maxLength], ['dModel', dModel], ['numHeads', numHeads], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive integer, got ${n}`, { source: 'MaskedAutoencoder' });
    }
    const decoderLayers = options.decoderLayers ?? 0;
    if (!Number.isInteger(decoderLayers) || decoderLayers < 0) throw new ShapeError(`decoderLayers must be a non-negative integer, got ${decoderLayers}`, { source: 'MaskedAutoencoder' });
    this.maskRatio = options.maskRatio ?? 0.3;
    if (!(this.maskRatio >= 0 && this.maskRatio <= 1)) throw new InputError(`maskRatio must be in [0, 1], got ${this.maskRatio}`, { source: 'MaskedAutoencoder' });
    this.channels = channels;
    this.joints = joints;
    this.maxLength = maxLength;
    this.dModel = dModel;
    const rng = resolveRng(options);
    const block = { ...(options.dimFeedforward === undefined ? {} : { dimFeedforward: options.dimFeedforward }), dropout: options.dropout ?? 0.1 };
    const cv = channels * joints;
    // Registration order = the twin's state-dict order.
    this.embed = this.addModule('embed', new Linear(cv, dModel, { rng }));
    this.positions = this.addModule('positions', new LearnedPositions(maxLength, dModel, { rng }));
    this.encoder = this.addModule('encoder', new TransformerEncoder(dModel, numHeads, numLayers, { ...block, rng }));
    this.decoder = decoderLayers > 0 ? this.addModule('decoder', new TransformerEncoder(dModel, numHeads, decoderLayers, { ...block, rng })) : null;
    this.head = this.addModule('head', new Linear(dModel, cv, { rng }));
  }

  private check(x: tf.Tensor, source: string): [number, number] {
    if (x.rank !== 4 || x.shape[1] !== this.channels || x.shape[3] !== this.joints || x.shape[2]! < 1 || x.shape[2]! > this.maxLength) {
      throw new ShapeError(`expected [B, ${this.channels}, T ≤ ${this.maxLength}, ${this.joints}], got [${x.shape}]`, { source: `MaskedAutoencoder.${source}` });
    }
    return [x.shape[0]!, x.shape[2]!];
  }

  /** Poses `[B, C, T, V]` as frame vectors `[B, T, C·V]` (vec(x_t), channel-major). */
  frameVectors(x: tf.Tensor): tf.Tensor {
    const [b, t] = this.check(x, 'frameVectors');
    return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, this.channels * this.joints]));
  }

  /** Zero-fills every coordinate of the masked joints: `x` `[B, C, T, V]`, `mask` `[B, T, V]` (1 = masked). Unmasked entries are passed through unchanged. */
  applyMask(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    const [b, t] = this.check(x, 'applyMask');
    if (mask.rank !== 3 || mask.shape[0] !== b || mask.shape[1] !== t || mask.shape[2] !== this.joints) {
      throw new ShapeError(`mask must be [${b}, ${t}, ${this.joints}], got [${mask.shape}]`, { source: 'MaskedAutoencoder.applyMask' });
    }
    return tf.tidy(() => {
      const m = tf.greater(tf.tile(tf.reshape(mask, [b, 1, t, this.joints]), [1, this.channels, 1, 1]), 0.5);
      return tf.where(m, tf.zerosLike(x), x);
    });
  }

  /** Encoder output h_{1:T} `[B, T, d]` of (possibly masked) poses `[B, C, T, V]`. */
  encode(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.encoder.call(this.positions.call(this.embed.call(this.frameVectors(x)))));
  }

  /** The reconstruction x̂ `[B, C, T, V]` decoded from h `[B, T, d]`. */
  decode(h: tf.Tensor): tf.Tensor {
    if (h.rank !== 3 || h.shape[2] !== this.dModel) throw new ShapeError(`expected [B, T, ${this.dModel}], got [${h.shape}]`, { source: 'MaskedAutoencoder.decode' });
    const [b, t] = h.shape as [number, number, number];
    return tf.tidy(() => {
      const y = this.head.call(this.decoder ? this.decoder.call(h) : h); // [B, T, C·V]
      return tf.transpose(tf.reshape(y, [b, t, this.channels, this.joints]), [0, 2, 1, 3]);
    });
  }

  /** Encodes and decodes `x` `[B, C, T, V]` (unmasked: the scoring path). */
  call(x: tf.Tensor): { h: tf.Tensor; reconstruction: tf.Tensor } {
    return tf.tidy(() => {
      const h = this.encode(x);
      return { h, reconstruction: this.decode(h) };
    });
  }

  /**
   * The masked-reconstruction loss of a batch: `x` `[B, C, T, V]` masked by `mask` `[B, T, V]`
   * (1 = masked), encoded, decoded, and `Σ_{masked (t,j)} ‖x̂−x‖² / (C·#masked)` (0 when nothing is
   * masked).
   */
  maskedLoss(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const { reconstruction } = this.call(this.applyMask(x, mask));
      return maskedMse(reconstruction, x, mask);
    });
  }
}

/**
 * `Σ_{(t,j): mask=1} ‖x̂_{t,j} − x_{t,j}‖² / (C·#masked)` of `xHat`, `x` `[B, C, T, V]` and `mask`
 * `[B, T, V]`; 0 when nothing is masked.
 */
export function maskedMse(xHat: tf.Tensor, x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const [b, c, t, v] = x.shape as [number, number, number, number];
    const perEntry = tf.sum(tf.square(tf.sub(xHat, x)), 1); // [B, T, V]
    const m = tf.reshape(mask, [b, t, v]);
    const count = tf.maximum(tf.sum(m), 1);
    return tf.div(tf.sum(tf.mul(perEntry, m)), tf.mul(count, c)) as tf.Scalar;
  });
}
