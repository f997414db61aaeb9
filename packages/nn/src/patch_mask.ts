import * as tf from '@tensorflow/tfjs-core';
import { InputError, ShapeError, type Rng } from '@skelflow/base';

/**
 * A spatial patch mask shared by every frame of a clip (MGNet level 2, BEiT/VideoMAE "tube"
 * masking): exactly ⌊P/2⌋ of the P patches of a frame's grid are masked (1), the rest visible (0),
 * drawn from `rng` (a uniformly random subset: the first ⌊P/2⌋ of a seeded permutation). The same
 * mask applies to every frame, so a hidden patch cannot be copied from a neighbouring frame.
 *
 * References: Yang et al., MGNet (ACM MM 2024), masking at γ = 50 % "the same for every frame";
 * Tong et al., VideoMAE (NeurIPS 2022) tube masking; model card §5.2, §5.7.2.
 *
 * @param rng the seeded stream (`@skelflow/base` `Rng`)
 * @param patches P ≥ 1, patches per frame (`(H/ph)·(W/pw)`)
 * @param ratio fraction masked, default 0.5 (⌊ratio·P⌋ patches)
 * @returns `Uint8Array(P)`, 1 = masked
 *
 * @example
 * ```ts
 * const mask = drawPatchMask(new Rng(7), 16); // eight 1s
 * const other = complementMask(mask);          // the other eight
 * ```
 */
export function drawPatchMask(rng: Rng, patches: number, ratio = 0.5): Uint8Array {
  if (!(Number.isInteger(patches) && patches >= 1) || !(ratio >= 0 && ratio <= 1)) {
    throw new InputError(`patches must be a positive integer and ratio in [0, 1], got ${patches} and ${ratio}`, { source: 'drawPatchMask' });
  }
  const mask = new Uint8Array(patches);
  for (const i of rng.permutation(patches).slice(0, Math.floor(ratio * patches))) mask[i] = 1;
  return mask;
}

/** The complementary mask (¬MASK): every patch masked by exactly one of `mask` and its complement. */
export function complementMask(mask: Uint8Array): Uint8Array {
  return mask.map((v) => 1 - v);
}

/**
 * Applies per-clip patch masks to crops `[B, T, H, W, C]`: the pixels of masked patches (a
 * `gridH × gridW` grid of `H/gridH × W/gridW` patches) become 0 in every frame. Differentiable
 * (a multiply by a constant keep-mask).
 *
 * @param x `[B, T, H, W, C]`
 * @param masks one `Uint8Array(gridH·gridW)` per clip (row-major patches), or one for all clips
 * @param gridH patches per column; `gridW` per row (H and W must divide evenly)
 * @returns `[B, T, H, W, C]`
 */
export function applyPatchMask(x: tf.Tensor, masks: Uint8Array | readonly Uint8Array[], gridH: number, gridW: number): tf.Tensor {
  if (x.rank !== 5) throw new ShapeError(`expected [B, T, H, W, C], got [${x.shape}]`, { source: 'applyPatchMask' });
  const [b, , h, w] = x.shape as [number, number, number, number, number];
  if (h % gridH !== 0 || w % gridW !== 0) throw new ShapeError(`a ${gridH}×${gridW} grid does not divide ${h}×${w}`, { source: 'applyPatchMask' });
  const list = masks instanceof Uint8Array ? [masks] : masks;
  if (list.length !== 1 && list.length !== b) throw new ShapeError(`${list.length} masks for a batch of ${b}`, { source: 'applyPatchMask' });
  const ph = h / gridH;
  const pw = w / gridW;
  const keep = new Float32Array(list.length * h * w);
  list.forEach((m, k) => {
    if (m.length !== gridH * gridW) throw new ShapeError(`mask ${k} has ${m.length} patches, the grid ${gridH * gridW}`, { source: 'applyPatchMask' });
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) keep[(k * h + r) * w + c] = m[Math.floor(r / ph) * gridW + Math.floor(c / pw)] ? 0 : 1;
  });
  return tf.tidy(() => tf.mul(x, tf.tensor(keep, [list.length, 1, h, w, 1])));
}
