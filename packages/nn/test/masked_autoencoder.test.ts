import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { expectThrows, forEachBackend, onBackend } from '@skelflow/testing';
import { MaskedAutoencoder, jointMask, maskedMse } from '../src/index.js';

// NFlowAD's masked motion autoencoder (model-cards §4.7 property 1, §4.2 masking and shapes), on
// cpu and wasm. The reconstruction and its training step are checked against the PyTorch twin in
// examples/nflowad/test/golden.test.ts.

const B = 3;
const C = 3;
const T = 6;
const V = 5;

function mae(seed = 0): MaskedAutoencoder {
  return new MaskedAutoencoder({ channels: C, joints: V, maxLength: 8, dModel: 8, numHeads: 2, numLayers: 1, dimFeedforward: 16, dropout: 0, seed });
}

describe('jointMask', () => {
  it('masked fraction → ρ within a 4.5σ binomial bound, per-entry Bernoulli', () => {
    for (const rho of [0.3, 0.05, 0.5]) {
      const n = 20000;
      const m = jointMask(new Rng(7), 10, 100, 20, rho);
      expect(m.length).toBe(n);
      let k = 0;
      for (const v of m) {
        expect(v === 0 || v === 1).toBe(true);
        k += v;
      }
      const sd = Math.sqrt(n * rho * (1 - rho));
      expect(Math.abs(k - n * rho)).toBeLessThan(4.5 * sd);
    }
  });

  it('is the same for the same seed and differs for another; ρ 0 and 1 are all-or-nothing', () => {
    expect(jointMask(new Rng(3), 2, 24, 18, 0.3)).toEqual(jointMask(new Rng(3), 2, 24, 18, 0.3));
    expect(jointMask(new Rng(3), 2, 24, 18, 0.3)).not.toEqual(jointMask(new Rng(4), 2, 24, 18, 0.3));
    expect(jointMask(new Rng(3), 1, 4, 4, 0).every((v) => v === 0)).toBe(true);
    expect(jointMask(new Rng(3), 1, 4, 4, 1).every((v) => v === 1)).toBe(true);
    expectThrows(() => jointMask(new Rng(3), 1, 4, 4, 1.5), InputError, /mask ratio/);
  });
});

forEachBackend('@skelflow/nn MaskedAutoencoder', (backend) => {
  it('masked entries are exactly 0 (every channel), unmasked entries bit-identical to the input', () => {
    const m = mae();
    const x = normalTensor(new Rng(1), [B, C, T, V], 0, 1);
    const maskArr = jointMask(new Rng(2), B, T, V, 0.3);
    const mask = tf.tensor3d(maskArr, [B, T, V]);
    const y = m.applyMask(x, mask);
    const xs = x.dataSync();
    const ys = y.dataSync();
    let masked = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < V; j++) {
            const i = ((b * C + c) * T + t) * V + j;
            if (maskArr[(b * T + t) * V + j] === 1) {
              expect(Object.is(ys[i], 0)).toBe(true);
              masked++;
            } else expect(ys[i]).toBe(xs[i]);
          }
        }
      }
    }
    expect(masked).toBeGreaterThan(0);
    tf.dispose([x, mask, y]);
    m.dispose();
  });

  it('the same seed gives the same mask and the same masked input on cpu and wasm', async () => {
    const maskHere = jointMask(new Rng(11), B, T, V, 0.3);
    const other = backend === 'cpu' ? 'wasm' : 'cpu';
    const maskThere = await onBackend(other, () => jointMask(new Rng(11), B, T, V, 0.3));
    expect(maskThere).toEqual(maskHere);
    const masked = (): Float32Array =>
      tf.tidy(() => {
        const m = mae();
        const out = m.applyMask(normalTensor(new Rng(1), [B, C, T, V], 0, 1), tf.tensor3d(maskHere, [B, T, V])).dataSync() as Float32Array;
        m.dispose();
        return out;
      });
    const here = masked();
    expect(await onBackend(other, masked)).toEqual(here);
  });

  it('maskedMse hand case: Σ over masked (t,j) of ‖x̂−x‖² / (C·#masked)', () => {
    // One sample, C = 2, T = 1, V = 3: joint errors (1, 2) → 5, (0, 0) → 0, (3, 0) → 9; mask joints 0 and 2.
    const x = tf.zeros([1, 2, 1, 3]);
    const xHat = tf.tensor4d([1, 0, 3, 2, 0, 0], [1, 2, 1, 3]);
    const mask = tf.tensor3d([1, 0, 1], [1, 1, 3]);
    expect(maskedMse(xHat, x, mask).dataSync()[0]).toBeCloseTo((5 + 9) / (2 * 2), 6);
    // Unmasked errors do not count; nothing masked → 0.
    expect(maskedMse(xHat, x, tf.tensor3d([0, 1, 0], [1, 1, 3])).dataSync()[0]).toBe(0);
    expect(maskedMse(xHat, x, tf.zeros([1, 1, 3])).dataSync()[0]).toBe(0);
  });

  it('shapes: embedding and encoder [B, T, d], reconstruction [B, C, T, V]; channel-major frame vectors', () => {
    const m = new MaskedAutoencoder({ channels: C, joints: V, maxLength: 8, dModel: 8, numHeads: 2, numLayers: 1, decoderLayers: 1, dropout: 0, seed: 0 });
    const x = normalTensor(new Rng(1), [B, C, T, V], 0, 1);
    const { h, reconstruction } = m.call(x);
    expect(h.shape).toEqual([B, T, 8]);
    expect(reconstruction.shape).toEqual([B, C, T, V]);
    const f = m.frameVectors(x);
    expect(f.shape).toEqual([B, T, C * V]);
    // vec(x_t)[c·V + j] = x[b, c, t, j]
    const xa = x.arraySync() as number[][][][];
    const fa = f.arraySync() as number[][][];
    expect(fa[1]![4]![2 * V + 3]).toBe(xa[1]![2]![4]![3]);
    expectThrows(() => m.call(tf.zeros([1, 2, T, V])), ShapeError);
    tf.dispose([x, h, reconstruction, f]);
    m.dispose();
  });

  it('the masked loss is leak-free and its gradient reaches every parameter', () => {
    const m = mae(3);
    m.train();
    const x = normalTensor(new Rng(5), [B, C, T, V], 0, 1);
    const mask = tf.tensor3d(jointMask(new Rng(6), B, T, V, 0.3), [B, T, V]);
    const params = m.parameters();
    const { grads } = tf.variableGrads(() => m.maskedLoss(x, mask), params);
    for (const p of params) expect(tf.max(tf.abs(grads[p.name]!)).dataSync()[0], p.name).toBeGreaterThan(0);
    tf.dispose(Object.values(grads));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.maskedLoss(x, mask).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
    m.dispose();
  });
});
