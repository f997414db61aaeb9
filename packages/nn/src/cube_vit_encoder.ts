import * as tf from '@tensorflow/tfjs-core';
import { Module, resolveRng, type InitOptions } from '@skelflow/core';
import { InputError, ShapeError } from '@skelflow/base';
import { LearnedPositions } from './learned_positions.js';
import { Linear } from './linear.js';
import { Lsta, type LargeKernelAttention3dOptions, type LstaOperator } from './lsta.js';
import { applyPatchMask } from './patch_mask.js';
import { TransformerEncoder } from './transformer_encoder.js';

/** Cube size `[pt, ph, pw]` of a video cube embedding (MGNet / VideoMAE: 2 × 8 × 8 … here any divisor). */
export type CubeSize = readonly [number, number, number];

function checkCube(shape: readonly number[], cube: CubeSize, source: string): [number, number, number, number, number] {
  if (shape.length !== 5) throw new ShapeError(`expected [B, T, H, W, C], got [${shape}]`, { source });
  const [b, T, H, W, C] = shape as [number, number, number, number, number];
  const [pt, ph, pw] = cube;
  if (T % pt !== 0 || H % ph !== 0 || W % pw !== 0) {
    throw new ShapeError(`a ${pt}×${ph}×${pw} cube does not tile [T, H, W] = [${T}, ${H}, ${W}]`, { source });
  }
  return [b, T, H, W, C];
}

/**
 * Non-overlapping cube patchify (a reshape and one transpose, no convolution, so it trains on
 * wasm and cpu): `[B, T, H, W, C]` → `[B, P, pt·ph·pw·C]` with `P = (T/pt)(H/ph)(W/pw)` tokens in
 * `(t, h, w)` row-major order and the features of a token in `(dt, dh, dw, c)` row-major order.
 * Token `(i, j, k)` feature `(a, b, d, c)` is pixel `x[·, i·pt + a, j·ph + b, k·pw + d, c]`. A
 * `Linear` on the result equals a `Conv3d(C, D, cube, stride = cube)` whose weight is the Linear's
 * reshaped `[D, pt, ph, pw, C]` → permuted `[D, C, pt, ph, pw]` (VideoMAE's `PatchEmbed`).
 *
 * @example
 * ```ts
 * patchifyCubes(tf.zeros([2, 24, 32, 32, 3]), [2, 8, 8]).shape; // [2, 192, 384]
 * ```
 */
export function patchifyCubes(x: tf.Tensor, cube: CubeSize): tf.Tensor {
  const [b, T, H, W, C] = checkCube(x.shape, cube, 'patchifyCubes');
  const [pt, ph, pw] = cube;
  const [t, h, w] = [T / pt, H / ph, W / pw];
  return tf.tidy(() => {
    // Rank 6 at most (tfjs kernels): [B·t, pt, h, ph, w, pw·C] → [B·t, h, w, pt, ph, pw·C].
    const r = tf.reshape(x, [b * t, pt, h, ph, w, pw * C]);
    return tf.reshape(tf.transpose(r, [0, 2, 4, 1, 3, 5]), [b, t * h * w, pt * ph * pw * C]);
  });
}

/** The inverse of {@link patchifyCubes}: `[B, P, pt·ph·pw·C]` → `[B, T, H, W, C]` for a `[t, h, w]` token grid. */
export function unpatchifyCubes(tokens: tf.Tensor, cube: CubeSize, grid: readonly [number, number, number], channels: number): tf.Tensor {
  const [pt, ph, pw] = cube;
  const [t, h, w] = grid;
  if (tokens.rank !== 3 || tokens.shape[1] !== t * h * w || tokens.shape[2] !== pt * ph * pw * channels) {
    throw new ShapeError(`expected [B, ${t * h * w}, ${pt * ph * pw * channels}], got [${tokens.shape}]`, { source: 'unpatchifyCubes' });
  }
  const b = tokens.shape[0]!;
  return tf.tidy(() => {
    const r = tf.reshape(tokens, [b * t, h, w, pt, ph, pw * channels]);
    return tf.reshape(tf.transpose(r, [0, 3, 1, 4, 2, 5]), [b, t * pt, h * ph, w * pw, channels]);
  });
}

/** Options of {@link CubeVitEncoder}. */
export interface CubeVitEncoderOptions extends InitOptions {
  /** Cube `[pt, ph, pw]`; default `[2, 8, 8]` (MGNet's). */
  cube?: CubeSize;
  /** Token width D; default 32. */
  dim?: number;
  /** Attention heads (a divisor of D); default 4. */
  heads?: number;
  /** Transformer blocks; default 1. */
  layers?: number;
  /** MLP width of a block; default 2·D. */
  dimFeedforward?: number;
  /** Dropout of the blocks; default 0 (deterministic training). */
  dropout?: number;
  /** One LSTA module on the token grid after the Transformer; default true (MGNet's head H_B). */
  lsta?: boolean;
  /** Kernels of the LSTA's 3DLKA (default VAN's 5³ → 7³ dilation 3). */
  lstaKernels?: LargeKernelAttention3dOptions;
}

/** Options of one {@link CubeVitEncoder.call}. */
export interface CubeVitCallOptions {
  /**
   * Spatial patch mask(s) (`drawPatchMask`, `(H/ph)·(W/pw)` patches, 1 = hidden): the masked
   * pixels become 0 in every frame before the embedding (MGNet level 2; one mask for all clips or one per clip).
   */
  mask?: Uint8Array | readonly Uint8Array[];
  /** The LSTA's map as a matrix ({@link CubeVitEncoder.lstaOperator}), for scoring with fixed weights. */
  lstaOperator?: LstaOperator;
}

/**
 * MGNet's exploration (student) encoder on pseudo-RGB person crops `[B, T, H, W, C]`: cube
 * embedding (2 × 8 × 8 cubes → {@link patchifyCubes} → `Linear(pt·ph·pw·C, D)`), learned positions
 * over the `P = t·h·w` tokens, a small ViT with joint space-time attention ({@link TransformerEncoder},
 * pre-LN, final LayerNorm), then (default) one {@link Lsta} on the token grid `[B, D, t, h, w]`.
 * Output: tokens `e_b` `[B, P, D]`, `(t, h, w)` row-major. Optional patch masking of the input,
 * the same mask in every frame (level 2's mask encoder; the complementary mask at test).
 *
 * PyTorch twin (`bench/torch/mgnet_blocks.py` `CubeViT`):
 *
 * | @skelflow | PyTorch | shape |
 * | --- | --- | --- |
 * | `embed.weight`, `embed.bias` | `embed.weight`, `embed.bias` (`nn.Linear` on the patchified cubes) | `[D, pt·ph·pw·C]`, `[D]` |
 * | `pos.weight` | `pos` | `[P, D]` |
 * | `vit.layers.<i>.*`, `vit.norm.*` | `vit.layers.<i>.*` (`nn.TransformerEncoderLayer`, `norm_first`), `vit.norm` | see `TransformerBlock` |
 * | `lsta.lka.*` | `lsta.lka.*` | see {@link Lsta} |
 *
 * References: Yang et al., "Multilevel Guidance-Exploration Network and Behavior-Scene Matching
 * Method for Human Behavior Anomaly Detection", ACM MM 2024 (cube embedding, RGB encoder, LSTA,
 * masking); Tong et al., VideoMAE (NeurIPS 2022) cube embedding; model card §5.2, §5.6.
 *
 * @example
 * ```ts
 * const enc = new CubeVitEncoder([24, 32, 32, 3], { dim: 32, seed: 0 });
 * enc.call(crops).shape;                       // [B, 192, 32]
 * enc.call(crops, { mask: drawPatchMask(rng, 16) });
 * ```
 */
export class CubeVitEncoder extends Module {
  /** `[T, H, W, C]` of one clip. */
  readonly inputShape: readonly [number, number, number, number];
  readonly cube: CubeSize;
  /** Token grid `[t, h, w]`. */
  readonly grid: readonly [number, number, number];
  /** P = t·h·w. */
  readonly tokens: number;
  readonly dim: number;
  readonly embed: Linear;
  readonly pos: LearnedPositions;
  readonly vit: TransformerEncoder;
  readonly lsta: Lsta | null;

  constructor(inputShape: readonly [number, number, number, number], options: CubeVitEncoderOptions = {}) {
    super();
    const cube = options.cube ?? [2, 8, 8];
    const [T, H, W, C] = inputShape;
    if (![...inputShape, ...cube].every((v) => Number.isInteger(v) && v >= 1)) {
      throw new InputError(`input shape and cube must be positive integers, got [${inputShape}] and [${cube}]`, { source: 'CubeVitEncoder' });
    }
    checkCube([1, T, H, W, C], cube, 'CubeVitEncoder');
    const dim = options.dim ?? 32;
    const rng = resolveRng(options);
    this.inputShape = [T, H, W, C];
    this.cube = [cube[0], cube[1], cube[2]];
    this.grid = [T / cube[0], H / cube[1], W / cube[2]];
    this.tokens = this.grid[0] * this.grid[1] * this.grid[2];
    this.dim = dim;
    this.embed = this.addModule('embed', new Linear(cube[0] * cube[1] * cube[2] * C, dim, { rng }));
    this.pos = this.addModule('pos', new LearnedPositions(this.tokens, dim, { rng }));
    this.vit = this.addModule(
      'vit',
      new TransformerEncoder(dim, options.heads ?? 4, options.layers ?? 1, { rng, dimFeedforward: options.dimFeedforward ?? 2 * dim, dropout: options.dropout ?? 0 }),
    );
    this.lsta = (options.lsta ?? true) ? this.addModule('lsta', new Lsta({ ...(options.lstaKernels ?? {}), rng })) : null;
  }

  /** Crops `[B, T, H, W, C]` → tokens `[B, P, D]`. */
  call(x: tf.Tensor, options: CubeVitCallOptions = {}): tf.Tensor {
    const [T, H, W, C] = this.inputShape;
    if (x.rank !== 5 || x.shape[1] !== T || x.shape[2] !== H || x.shape[3] !== W || x.shape[4] !== C) {
      throw new ShapeError(`expected [B, ${T}, ${H}, ${W}, ${C}], got [${x.shape}]`, { source: 'CubeVitEncoder' });
    }
    return tf.tidy(() => {
      const input = options.mask ? applyPatchMask(x, options.mask, this.grid[1], this.grid[2]) : x;
      const e = this.vit.call(this.pos.call(this.embed.call(patchifyCubes(input, this.cube))));
      if (!this.lsta) return e;
      const b = x.shape[0]!;
      const [t, h, w] = this.grid;
      // [B, P, D] → [B, D, t, h, w] (LSTA's layout) → back.
      const g = tf.transpose(tf.reshape(e, [b, t, h, w, this.dim]), [0, 4, 1, 2, 3]);
      return tf.reshape(tf.transpose(this.lsta.call(g, options.lstaOperator), [0, 2, 3, 4, 1]), [b, this.tokens, this.dim]);
    });
  }

  /** The LSTA map of the token grid as an affine operator (`Lsta.linearOperator`), or `undefined` without LSTA. The caller disposes it. */
  lstaOperator(): LstaOperator | undefined {
    return this.lsta ? this.lsta.linearOperator(this.grid) : undefined;
  }
}
