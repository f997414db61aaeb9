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

  it('registration is idempotent across re-initialisation', async () => {
    const before = tf.getKernel('Sum', 'wasm')!.kernelFunc;
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getKernel('Sum', 'wasm')!.kernelFunc).toBe(before);
  });
});
