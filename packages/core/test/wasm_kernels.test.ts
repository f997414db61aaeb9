import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, normalTensor } from '@skelflow/core';
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

  it('Sum, Mean and long matMuls accumulate in double precision', () => {
    // 2^24 + many ones: a float32 running sum sticks at 2^24; exact sum is representable.
    const n = 4096;
    const v = new Float32Array(n).fill(1);
    v[0] = 2 ** 24;
    const x = tf.tensor1d(v);
    expect(tf.sum(x).dataSync()[0]).toBe(Math.fround(2 ** 24 + n - 1)); // a float32 running sum stays at 2^24
    const rng = new Rng(3);
    const a = normalTensor(rng, [3, 200]);
    const b = normalTensor(rng, [200, 4]);
    const got = tf.matMul(a, b).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 200; k++) s += av[i * 200 + k]! * bv[k * 4 + j]!;
        expect(got[i * 4 + j]).toBe(Math.fround(s));
      }
    const m = tf.mean(tf.reshape(tf.tensor1d(v), [64, 64]), 1).dataSync();
    expect(m[1]).toBe(1);
    expect(m[0]).toBe(Math.fround((2 ** 24 + 63) / 64));
  });

  it('long matMuls equal a float64 triple loop bit for bit, for any transposes, batch broadcast and sizes not divisible by the 4×4 tile', () => {
    const rng = new Rng(5);
    for (const [m, k, n] of [[5, 70, 7], [8, 64, 4], [3, 65, 9]] as const)
      for (const transposeA of [false, true])
        for (const transposeB of [false, true])
          for (const [batchA, batchB] of [[1, 1], [2, 2], [2, 1], [1, 3]] as const) {
            const a = normalTensor(rng, [...(batchA > 1 || batchB > 1 ? [batchA] : []), ...(transposeA ? [k, m] : [m, k])]);
            const b = normalTensor(rng, [...(batchA > 1 || batchB > 1 ? [batchB] : []), ...(transposeB ? [n, k] : [k, n])]);
            const got = tf.matMul(a, b, transposeA, transposeB);
            const batch = Math.max(batchA, batchB);
            expect(got.shape).toEqual([...(batch > 1 || batchA > 1 || batchB > 1 ? [batch] : []), m, n]);
            const av = a.dataSync();
            const bv = b.dataSync();
            const g = got.dataSync();
            for (let t = 0; t < batch; t++)
              for (let i = 0; i < m; i++)
                for (let j = 0; j < n; j++) {
                  let s = 0;
                  const ao = (batchA === 1 ? 0 : t) * m * k;
                  const bo = (batchB === 1 ? 0 : t) * k * n;
                  for (let p = 0; p < k; p++) s += av[ao + (transposeA ? p * m + i : i * k + p)]! * bv[bo + (transposeB ? j * k + p : p * n + j)]!;
                  expect(g[t * m * n + i * n + j], `${m}×${k}×${n} ${transposeA} ${transposeB} batch ${batchA}/${batchB}`).toBe(Math.fround(s));
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
