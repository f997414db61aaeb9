import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, MATMUL_CHUNK, normalTensor } from '@skelflow/core';
import { Rng } from '@skelflow/base';

// The kernels register_wasm_kernels.ts installs on the wasm backend (wasm only by definition).
describe('wasm kernel registrations', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it("gather's gradient (UnsortedSegmentSum) works and equals a scatter-add", () => {
    const params = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const idx = tf.tensor1d([2, 0, 2], 'int32');
    const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, idx), tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]))))(params);
    // row 0 gets upstream row 1, row 2 gets rows 0 + 2, row 1 nothing
    expect(Array.from(g.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
  });

  it('Sum and Mean accumulate in double precision', () => {
    // 2^24 + many ones: a float32 running sum sticks at 2^24; exact sum is representable.
    const n = 4096;
    const v = new Float32Array(n).fill(1);
    v[0] = 2 ** 24;
    const x = tf.tensor1d(v);
    expect(tf.sum(x).dataSync()[0]).toBe(Math.fround(2 ** 24 + n - 1)); // a float32 running sum stays at 2^24
    const m = tf.mean(tf.reshape(tf.tensor1d(v), [64, 64]), 1).dataSync();
    expect(m[1]).toBe(1);
    expect(m[0]).toBe(Math.fround((2 ** 24 + 63) / 64));
    x.dispose();
  });

  it('Sum and Mean over random shapes (ranks 0–5, unit axes), axis sets and keepDims equal a float64 reference within one float32 rounding', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 120; c++) {
      const rank = Math.floor(rng.uniform() * 6);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rng.uniform() * 5));
      const axes = shape.map((_, i) => i).filter(() => rng.uniform() < 0.5);
      const all = rng.uniform() < 0.1;
      const keepDims = rng.uniform() < 0.5;
      const mean = rng.uniform() < 0.5;
      const size = shape.reduce((a, b) => a * b, 1);
      const v = Float32Array.from({ length: size }, () => rng.normal() * 10 ** Math.floor(rng.uniform() * 4));
      const x = tf.tensor(v, shape);
      const axis = all ? undefined : axes;
      const got = mean ? tf.mean(x, axis, keepDims) : tf.sum(x, axis, keepDims);
      const red = new Set(all ? shape.map((_, i) => i) : axes);
      const outKeep = shape.map((d, i) => (red.has(i) ? 1 : d));
      expect(got.shape, `case ${c}`).toEqual(keepDims ? outKeep : shape.filter((_, i) => !red.has(i)));
      const ref = new Float64Array(outKeep.reduce((a, b) => a * b, 1));
      const count = shape.reduce((a, d, i) => (red.has(i) ? a * d : a), 1);
      for (let e = 0; e < size; e++) {
        // The input index's coordinates → the output index (reduced coordinates dropped).
        let rem = e;
        let o = 0;
        let ostride = 1;
        for (let i = rank - 1; i >= 0; i--) {
          const ci = rem % shape[i]!;
          rem = Math.floor(rem / shape[i]!);
          if (!red.has(i)) {
            o += ci * ostride;
            ostride *= shape[i]!;
          }
        }
        ref[o] += v[e]!;
      }
      const g = got.dataSync();
      for (let i = 0; i < ref.length; i++) {
        const want = mean ? ref[i]! / count : ref[i]!;
        expect(Math.abs(g[i]! - want), `case ${c} [${shape}] axes ${all ? 'all' : axes} ${mean ? 'mean' : 'sum'}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(want) + 1e-30);
      }
      tf.dispose([x, got]);
    }
  });

  it(`long matMuls accumulate in chunks of ${MATMUL_CHUNK}: error bounded by the chunk, not by k`, () => {
    // [2^24, 1, 1, …]·[1, 1, …]: one float32 pass sticks at 2^24 (every +1 rounds away), losing
    // k − 1 = 4095; in chunks only the first chunk's ones can be lost (≤ C − 1 = 255).
    const k = 4096;
    const v = new Float32Array(k).fill(1);
    v[0] = 2 ** 24;
    for (const transposeA of [false, true]) {
      const a = transposeA ? tf.tensor2d(v, [k, 1]) : tf.tensor2d(v, [1, k]);
      const b = tf.ones([k, 1]);
      const got = tf.matMul(a, b, transposeA, false).dataSync()[0]!;
      const err = Math.abs(got - (2 ** 24 + k - 1));
      expect(err, `transposeA ${transposeA}`).toBeLessThan(MATMUL_CHUNK);
      expect(err).toBeLessThan(k / 8); // one float32 pass: 4095
      tf.dispose([a, b]);
    }
  });

  it('matMuls of every path stay within the float32 error bound of a float64 triple loop: any transposes, batch broadcast, k below, at and above the chunk', () => {
    const rng = new Rng(5);
    const u = 2 ** -24;
    const C = MATMUL_CHUNK;
    for (const [m, k, n] of [[5, 70, 7], [3, C, 9], [4, C + 3, 5], [2, 2 * C + 17, 3]] as const)
      for (const transposeA of [false, true])
        for (const transposeB of [false, true])
          for (const [batchA, batchB] of [[1, 1], [2, 2], [2, 1], [1, 3]] as const) {
            const a = normalTensor(rng, [...(batchA > 1 || batchB > 1 ? [batchA] : []), ...(transposeA ? [k, m] : [m, k])]);
            const b = normalTensor(rng, [...(batchA > 1 || batchB > 1 ? [batchB] : []), ...(transposeB ? [n, k] : [k, n])]);
            const before = tf.memory().numTensors;
            const got = tf.matMul(a, b, transposeA, transposeB);
            expect(tf.memory().numTensors).toBe(before + 1);
            const batch = Math.max(batchA, batchB);
            expect(got.shape).toEqual([...(batchA > 1 || batchB > 1 ? [batch] : []), m, n]);
            const av = a.dataSync();
            const bv = b.dataSync();
            const g = got.dataSync();
            // Chunked accumulation: γ_min(k,C)·Σ|ab| for the chunk sums, then one rounding per partial and of the result.
            const gamma = (Math.min(k, C) * u) / (1 - Math.min(k, C) * u) + (Math.ceil(k / C) + 1) * u;
            for (let t = 0; t < batch; t++)
              for (let i = 0; i < m; i++)
                for (let j = 0; j < n; j++) {
                  let s = 0;
                  let abs = 0;
                  const ao = (batchA === 1 ? 0 : t) * m * k;
                  const bo = (batchB === 1 ? 0 : t) * k * n;
                  for (let p = 0; p < k; p++) {
                    const prod = av[ao + (transposeA ? p * m + i : i * k + p)]! * bv[bo + (transposeB ? j * k + p : p * n + j)]!;
                    s += prod;
                    abs += Math.abs(prod);
                  }
                  const err = Math.abs(g[t * m * n + i * n + j]! - s);
                  expect(err, `${m}×${k}×${n} ${transposeA} ${transposeB} batch ${batchA}/${batchB}`).toBeLessThanOrEqual(gamma * abs);
                }
            tf.dispose([a, b, got]);
          }
  });

  it('registration is idempotent across re-initialisation', async () => {
    const before = tf.getKernel('Sum', 'wasm')!.kernelFunc;
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getKernel('Sum', 'wasm')!.kernelFunc).toBe(before);
  });
});
