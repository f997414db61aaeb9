import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { Rng } from '@skelflow/base';
import { sliceInto } from '../src/wasm_data_movement_kernels.js';

// The zero-copy Identity and the in-place Slice / SplitV / Unpack registered on wasm (wasm_data_movement_kernels.ts) against a naive
// index-by-index oracle written here, on random shapes, begins and sizes of ranks 0–6 and every
// numeric dtype; and the registered kernels against the same oracle through tfjs's ops.

/** Naive oracle: out[i] = x[begin + unravel(i)] via explicit multi-indices. */
function naiveSlice(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const total = size.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let rem = i;
    let off = 0;
    let stride = 1;
    const idx = new Array<number>(shape.length);
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = rem % size[k]!;
      rem = Math.floor(rem / size[k]!);
    }
    for (let k = shape.length - 1; k >= 0; k--) {
      off += (begin[k]! + idx[k]!) * stride;
      stride *= shape[k]!;
    }
    out.push(x[off]!);
  }
  return out;
}

function randomCase(rng: Rng): { shape: number[]; begin: number[]; size: number[] } {
  const rank = Math.floor(rng.uniform() * 7);
  const shape = Array.from({ length: rank }, () => 1 + Math.floor(rng.uniform() * 5));
  const begin = shape.map((d) => Math.floor(rng.uniform() * d));
  const size = shape.map((d, k) => (rng.uniform() < 0.4 ? d - begin[k]! : Math.floor(rng.uniform() * (d - begin[k]! + 1))));
  // Sometimes take whole trailing axes (the contiguous-block path), sometimes a zero size.
  if (rng.uniform() < 0.5) for (let k = Math.floor(rng.uniform() * rank); k < rank; k++) (begin[k] = 0), (size[k] = shape[k]!);
  return { shape, begin, size };
}

describe('wasm Identity / Slice / SplitV / Unpack without needless copies', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    // The registered kernels are ours (marked), not tfjs-wasm's originals.
    for (const name of ['Identity', 'Slice', 'SplitV', 'Unpack']) expect((tf.getKernel(name, 'wasm')!.kernelFunc as unknown as Record<symbol, unknown>)[Symbol.for('skelflow.wasmDataMovementKernel')]).toBe(true);
  });

  it('sliceInto equals the naive oracle on 300 random cases (ranks 0–6, empty slices included)', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 300; c++) {
      const { shape, begin, size } = randomCase(rng);
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n }, (_, i) => i + 0.5);
      const out = new Float32Array(size.reduce((a, b) => a * b, 1));
      sliceInto(x, shape, begin, size, out);
      expect(Array.from(out)).toEqual(naiveSlice(x, shape, begin, size));
    }
  });

  it('tf.slice, tf.split and tf.unstack on wasm equal the oracle for float32, int32 and bool, and leak nothing', () => {
    const rng = new Rng(12);
    const before = tf.memory().numTensors;
    for (let c = 0; c < 60; c++) {
      const { shape, begin, size } = randomCase(rng);
      if (shape.length === 0) continue;
      const n = shape.reduce((a, b) => a * b, 1);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const vals = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 ? 1 : 0 : dtype === 'int32' ? i - 7 : i * 0.25));
        const x = tf.tensor(vals, shape, dtype);
        const s = tf.slice(x, begin, size);
        expect(Array.from(s.dataSync())).toEqual(naiveSlice(vals, shape, begin, size));
        const axis = Math.floor(rng.uniform() * shape.length);
        const d = shape[axis]!;
        const cut = Math.floor(rng.uniform() * (d + 1));
        const parts = tf.split(x, [cut, d - cut], axis);
        const rows = tf.unstack(x, axis);
        let at = 0;
        for (const [p, len] of [[parts[0]!, cut], [parts[1]!, d - cut]] as const) {
          const b = shape.map((_, k) => (k === axis ? at : 0));
          const sz = shape.map((v, k) => (k === axis ? len : v));
          expect(Array.from(p.dataSync())).toEqual(naiveSlice(vals, shape, b, sz));
          at += len;
        }
        rows.forEach((r, i) => {
          const b = shape.map((_, k) => (k === axis ? i : 0));
          const sz = shape.map((v, k) => (k === axis ? 1 : v));
          expect(r.shape).toEqual(shape.filter((_, k) => k !== axis));
          expect(Array.from(r.dataSync())).toEqual(naiveSlice(vals, shape, b, sz));
        });
        tf.dispose([x, s, ...parts, ...rows]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Identity (tf.clone, saved tensors) shares the buffer: values equal, each side disposable alone, no leak', () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = tf.clone(x);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    const d = tf.clone(c);
    c.dispose();
    const d1 = tf.add(d, 1);
    expect(Array.from(d1.dataSync())).toEqual([2, 3, 4, 5, 6, 7]);
    tf.dispose([d, d1]);
    const init = tf.tensor1d([1, 2]);
    const next = tf.tensor1d([5, 6]);
    const v = tf.variable(init);
    const snapshot = tf.clone(v);
    v.assign(next);
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2]); // assign replaces the buffer, never writes into it
    tf.dispose([v, snapshot, init, next]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('the gradient of a slice (a pad) is unchanged', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [0, 1], [2, 2]), 2)))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 2, 2, 0, 2, 2]);
    tf.dispose([x, g]);
  });
});
