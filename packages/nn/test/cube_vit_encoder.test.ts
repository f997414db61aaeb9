import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { forEachBackend, layerContract, perturbParameters, type LayerCase, type NdArray } from '@skelflow/testing';
import { CubeVitEncoder, complementMask, drawPatchMask, patchifyCubes, unpatchifyCubes } from '../src/index.js';
import { lstaRef } from './mgnet_reference.js';
import { linearRef } from './reference.js';
import { encoderRef } from './transformer_reference.js';

// MGNet's student encoder: cube patchify → Linear → learned positions → pre-LN ViT → LSTA on the
// token grid. The float64 reference below is plain index arithmetic (no reshape/transpose), so the
// token and feature order of patchifyCubes is checked independently of its implementation.

/** Naive patchify: token (i, j, k) feature (a, b, d, c) = x[·, i·pt + a, j·ph + b, k·pw + d, c]. */
function patchifyRef(x: NdArray, cube: readonly number[]): NdArray {
  const [B, T, H, W, C] = x.shape as [number, number, number, number, number];
  const [pt, ph, pw] = cube as [number, number, number];
  const [t, h, w] = [T / pt, H / ph, W / pw];
  const F = pt * ph * pw * C;
  const out = new Float64Array(B * t * h * w * F);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < t; i++)
      for (let j = 0; j < h; j++)
        for (let k = 0; k < w; k++)
          for (let a = 0; a < pt; a++)
            for (let bb = 0; bb < ph; bb++)
              for (let d = 0; d < pw; d++)
                for (let c = 0; c < C; c++) {
                  const token = ((b * t + i) * h + j) * w + k;
                  const f = ((a * ph + bb) * pw + d) * C + c;
                  out[token * F + f] = x.data[(((b * T + i * pt + a) * H + j * ph + bb) * W + k * pw + d) * C + c]!;
                }
  return { data: out, shape: [B, t * h * w, F] };
}

/** The whole encoder in float64: patchify, mask (pixels of hidden patches → 0), Linear, positions, ViT, LSTA. */
function encoderCubeRef(x: NdArray, s: Record<string, NdArray>, cube: readonly number[], heads: number, layers: number, lsta: boolean, mask?: Uint8Array): Float64Array {
  const [B, T, H, W, C] = x.shape as [number, number, number, number, number];
  const [pt, ph, pw] = cube as [number, number, number];
  const [t, h, w] = [T / pt, H / ph, W / pw];
  let input = x;
  if (mask) {
    const data = x.data.slice();
    for (let b = 0; b < B; b++)
      for (let f = 0; f < T; f++)
        for (let r = 0; r < H; r++)
          for (let q = 0; q < W; q++)
            if (mask[Math.floor(r / ph) * w + Math.floor(q / pw)]) for (let c = 0; c < C; c++) data[(((b * T + f) * H + r) * W + q) * C + c] = 0;
    input = { data, shape: x.shape };
  }
  const p = patchifyRef(input, cube);
  const D = s['embed.weight']!.shape[0]!;
  const P = t * h * w;
  const e = linearRef(p, s['embed.weight']!, s['embed.bias']);
  for (let b = 0; b < B; b++) for (let n = 0; n < P; n++) for (let d = 0; d < D; d++) e[(b * P + n) * D + d] += s['pos.weight']!.data[n * D + d]!;
  const v = encoderRef({ data: e, shape: [B, P, D] }, s, 'vit.', layers, { heads });
  if (!lsta) return v;
  // [B, P, D] → [B, D, t, h, w], LSTA, back.
  const g = new Float64Array(v.length);
  for (let b = 0; b < B; b++) for (let n = 0; n < P; n++) for (let d = 0; d < D; d++) g[(b * D + d) * P + n] = v[(b * P + n) * D + d]!;
  const lstaState = Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('lsta.')).map(([k, a]) => [k.slice(5), a]));
  const y = lstaRef({ data: g, shape: [B, D, t, h, w] }, lstaState, 2);
  const out = new Float64Array(v.length);
  for (let b = 0; b < B; b++) for (let n = 0; n < P; n++) for (let d = 0; d < D; d++) out[(b * P + n) * D + d] = y[(b * D + d) * P + n]!;
  return out;
}

const D = 8;
const CUBE = [2, 2, 2] as const;
const SMALL_LKA = { localKernel: 3, dilatedKernel: 3, dilation: 2 };
const MASK = Uint8Array.from([1, 0, 0, 1]);

function blockState(prefix: string, F: number): Record<string, number[]> {
  return {
    [`${prefix}selfAttn.inProjWeight`]: [3 * D, D],
    [`${prefix}selfAttn.inProjBias`]: [3 * D],
    [`${prefix}selfAttn.outProj.weight`]: [D, D],
    [`${prefix}selfAttn.outProj.bias`]: [D],
    [`${prefix}linear1.weight`]: [F, D],
    [`${prefix}linear1.bias`]: [F],
    [`${prefix}linear2.weight`]: [D, F],
    [`${prefix}linear2.bias`]: [D],
    [`${prefix}norm1.weight`]: [D],
    [`${prefix}norm1.bias`]: [D],
    [`${prefix}norm2.weight`]: [D],
    [`${prefix}norm2.bias`]: [D],
  };
}

const encoderState = (lsta: boolean) => ({
  'embed.weight': [D, 16],
  'embed.bias': [D],
  'pos.weight': [8, D],
  ...blockState('vit.layers.0.', 16),
  'vit.norm.weight': [D],
  'vit.norm.bias': [D],
  ...(lsta
    ? {
        'lsta.lka.conv0.weight': [1, 3, 3, 3],
        'lsta.lka.conv0.bias': [1],
        'lsta.lka.conv_spatial.weight': [1, 3, 3, 3],
        'lsta.lka.conv_spatial.bias': [1],
        'lsta.lka.conv1.weight': [1, 1],
        'lsta.lka.conv1.bias': [1],
      }
    : {}),
});

const make = (lsta: boolean) => (seed: number) => {
  const m = new CubeVitEncoder([4, 4, 4, 2], { cube: CUBE, dim: D, heads: 2, layers: 1, dimFeedforward: 16, lsta, lstaKernels: SMALL_LKA, seed });
  perturbParameters(m, seed, 0.2);
  return m;
};

layerContract('@skelflow/nn CubeVitEncoder', [
  {
    name: 'CubeVitEncoder (cube 2×2×2, D 8, 1 block, LSTA 3³ → 3³ d2) on [2, 4, 4, 4, 2]',
    make: make(true),
    inputs: [[2, 4, 4, 4, 2]],
    output: [2, 8, D],
    train: 'same',
    gradTolerance: 1e-3,
    state: { parameters: encoderState(true) },
    reference: ([x], s) => encoderCubeRef(x!, s, CUBE, 2, 1, true),
  } satisfies LayerCase<CubeVitEncoder>,
  {
    name: 'CubeVitEncoder without LSTA, patch mask [1, 0, 0, 1] shared across frames',
    make: make(false),
    inputs: [[2, 4, 4, 4, 2]],
    output: [2, 8, D],
    forward: (m, [x]) => m.call(x!, { mask: MASK }),
    train: 'same',
    gradTolerance: 1e-3, // float32 central differences through two LayerNorms
    state: { parameters: encoderState(false) },
    reference: ([x], s) => encoderCubeRef(x!, s, CUBE, 2, 1, false, MASK),
  } satisfies LayerCase<CubeVitEncoder>,
]);

forEachBackend('patchifyCubes / CubeVitEncoder hand cases', () => {
  it('token order (t, h, w) and feature order (dt, dh, dw, c): hand case on [1, 2, 2, 4, 1] with cube 1×2×2', () => {
    // x[f, r, q] = 100 f + 10 r + q: frame 0 rows 0–1, columns 0–3; frame 1 likewise.
    const vals = [];
    for (let f = 0; f < 2; f++) for (let r = 0; r < 2; r++) for (let q = 0; q < 4; q++) vals.push(100 * f + 10 * r + q);
    const x = tf.tensor(vals, [1, 2, 2, 4, 1]);
    const p = patchifyCubes(x, [1, 2, 2]);
    expect(p.shape).toEqual([1, 4, 4]);
    // Tokens: (f 0, cols 0–1), (f 0, cols 2–3), (f 1, cols 0–1), (f 1, cols 2–3); features row-major in the cube.
    expect(Array.from(p.dataSync())).toEqual([0, 1, 10, 11, 2, 3, 12, 13, 100, 101, 110, 111, 102, 103, 112, 113]);
    tf.dispose([x, p]);
  });

  it('unpatchifyCubes inverts patchifyCubes exactly (MGNet sizes [2, 24, 32, 32, 3], cube 2×8×8) and matches the naive loop', () => {
    const x = normalTensor(new Rng('patchify'), [2, 24, 32, 32, 3]);
    const p = patchifyCubes(x, [2, 8, 8]);
    expect(p.shape).toEqual([2, 192, 384]);
    const ref = patchifyRef({ data: Float64Array.from(x.dataSync()), shape: x.shape }, [2, 8, 8]);
    expect(Array.from(p.dataSync())).toEqual(Array.from(ref.data, Math.fround));
    const back = unpatchifyCubes(p, [2, 8, 8], [12, 4, 4], 3);
    expect(back.shape).toEqual(x.shape);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, p, back]);
  });

  it('a hidden patch does not reach the embedding of its tokens in any frame; MASK and ¬MASK hide each patch once', () => {
    const enc = new CubeVitEncoder([4, 4, 4, 2], { cube: CUBE, dim: D, heads: 2, lsta: false, seed: 3 });
    const mask = drawPatchMask(new Rng(5), 4);
    const other = complementMask(mask);
    expect(Array.from(mask, (m, i) => m + other[i]!)).toEqual([1, 1, 1, 1]);
    const x = normalTensor(new Rng('mask-x'), [1, 4, 4, 4, 2]);
    // Changing the pixels of a hidden patch (in every frame) leaves the output unchanged.
    const hidden = mask.indexOf(1);
    const keep = new Float32Array(4 * 4 * 4 * 2).fill(0);
    for (let f = 0; f < 4; f++) for (let r = 0; r < 4; r++) for (let q = 0; q < 4; q++) if (Math.floor(r / 2) * 2 + Math.floor(q / 2) === hidden) for (let c = 0; c < 2; c++) keep[((f * 4 + r) * 4 + q) * 2 + c] = 1;
    const x2 = tf.add(x, tf.mul(tf.tensor(keep, [1, 4, 4, 4, 2]), 5));
    const [a, b, c, d] = [enc.call(x, { mask }), enc.call(x2, { mask }), enc.call(x2, { mask: other }), enc.call(x, { mask: other })];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // Under ¬MASK the same patch is visible, so the change shows.
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(c, d))));
    expect(diff.dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, x2, a, b, c, d, diff]);
    enc.dispose();
  });

  it('MGNet default sizes: [2, 24, 32, 32, 3] → [2, 192, 32], no leaked tensor over repeated calls and gradients', () => {
    const enc = new CubeVitEncoder([24, 32, 32, 3], { seed: 1 });
    const x = normalTensor(new Rng('x'), [2, 24, 32, 32, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const y = enc.call(x);
      expect(y.shape).toEqual([2, 192, 32]);
      y.dispose();
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.call(x))) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    enc.dispose();
  });
});

describe('CubeVitEncoder errors', () => {
  it('rejects a cube that does not tile the input and a wrong input shape', () => {
    expect(() => new CubeVitEncoder([5, 32, 32, 3])).toThrow(/does not tile/);
    const enc = new CubeVitEncoder([4, 8, 8, 3], { dim: 8, heads: 2, lsta: false, seed: 0 });
    const x = tf.zeros([1, 4, 8, 8, 1]);
    expect(() => enc.call(x)).toThrow(/expected \[B, 4, 8, 8, 3\]/);
    x.dispose();
    enc.dispose();
  });
});

forEachBackend('Lsta.linearOperator', () => {
  it('the affine operator gives the convolution path’s output (VAN kernels on the 12 × 4 × 4 grid), for Lsta and the encoder', () => {
    const enc = new CubeVitEncoder([24, 32, 32, 3], { dim: 8, heads: 2, seed: 4 });
    perturbParameters(enc.lsta!, 4, 0.3);
    const x = normalTensor(new Rng('op-x'), [3, 24, 32, 32, 3]);
    const op = enc.lstaOperator()!;
    expect(op.matrix.shape).toEqual([192, 192]);
    let before = 0;
    for (let rep = 0; rep < 3; rep++) {
      if (rep === 1) before = tf.memory().numTensors; // after the first call (kernel set-up)
      const [a, b] = [enc.call(x), enc.call(x, { lstaOperator: op })];
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
      expect(d.dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([a, b, d]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, op.matrix, op.bias]);
    enc.dispose();
  });
});
