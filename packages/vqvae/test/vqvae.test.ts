import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { initBackend } from '@skelflow/core';
import { VectorQuantizer, VectorQuantizerEma, stopGradient } from '@skelflow/vqvae';

const BACKENDS = ['cpu', 'wasm'] as const;

type V = number[];
const sq = (a: V, b: V) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
/** Brute-force nearest code in float64. */
const nearestJ = (z: V, codes: V[]) => codes.reduce((best, e, k) => (sq(z, e) < sq(z, codes[best]!) ? k : best), 0);
const randRows = (rng: Rng, n: number, d: number, s = 1) => Array.from({ length: n }, () => Array.from({ length: d }, () => s * rng.normal()));
function expectRowsClose(actual: number[][], expected: number[][], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = expected[i]![j]!;
      if (Math.abs(v - e) > tol * (1 + Math.abs(e))) throw new Error(`row ${i} col ${j}: got ${v}, expected ${e}`);
    }),
  );
}
const rows2 = (t: tf.Tensor) => t.arraySync() as number[][];

/** One EMA step in float64, as the class documents it (assignment by brute force). */
function emaStepJ(
  state: { codes: V[]; size: V; avg: V[] },
  zs: V[],
  decay: number,
  eps: number,
): { codes: V[]; size: V; avg: V[]; assign: number[] } {
  const k = state.codes.length;
  const d = state.codes[0]!.length;
  const assign = zs.map((z) => nearestJ(z, state.codes));
  const counts = new Array(k).fill(0);
  const sums = Array.from({ length: k }, () => new Array(d).fill(0));
  zs.forEach((z, n) => {
    counts[assign[n]!]++;
    z.forEach((v, j) => (sums[assign[n]!]![j] += v));
  });
  const size = state.size.map((s, i) => decay * s + (1 - decay) * counts[i]);
  const avg = state.avg.map((row, i) => row.map((v, j) => decay * v + (1 - decay) * sums[i]![j]!));
  const total = size.reduce((a, b) => a + b, 0);
  const smoothed = size.map((s) => ((s + eps) / (total + k * eps)) * total);
  return { codes: avg.map((row, i) => row.map((v) => v / smoothed[i]!)), size, avg, assign };
}

describe.each(BACKENDS)('vqvae on %s', (backend) => {
  beforeAll(async () => {
    expect(await initBackend(backend)).toBe(backend);
  });

  it('assigns the nearest code (brute force), loss = (1 + β)·mse, indices int32', () => {
    const rng = new Rng(5);
    const codes = randRows(rng, 7, 3);
    const zs = randRows(rng, 20, 3);
    const vq = new VectorQuantizer(7, 3, { beta: 0.4 });
    vq.embeddings.assign(tf.tensor2d(codes));
    const z = tf.tensor3d([0, 1, 2, 3].map((b) => zs.slice(5 * b, 5 * b + 5)));
    const { quantized, indices, loss, perplexity } = vq.call(z);
    expect(indices.dtype).toBe('int32');
    expect(indices.shape).toEqual([4, 5]);
    expect(quantized.shape).toEqual([4, 5, 3]);
    const want = zs.map((v) => nearestJ(v, codes));
    expect(Array.from(indices.dataSync())).toEqual(want);
    expectRowsClose(rows2(tf.reshape(quantized, [20, 3])), want.map((k) => codes[k]!), 1e-6);
    const mse = zs.reduce((s, v, n) => s + sq(v, codes[want[n]!]!), 0) / 60;
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(1.4 * mse, 5);
    const p = codes.map((_, k) => want.filter((w) => w === k).length / 20);
    expect(perplexity.dataSync()[0]).toBeCloseTo(Math.exp(-p.reduce((s, pk) => s + (pk > 0 ? pk * Math.log(pk) : 0), 0)), 4);
    expect(() => vq.call(tf.zeros([2, 4]))).toThrow(ShapeError);
    expect(() => new VectorQuantizer(0, 3)).toThrow(InputError);
    tf.dispose([z, quantized, indices, loss, perplexity]);
    vq.dispose();
  });

  it('straight-through: ∂quantized/∂z = I, and quantized sends no gradient to the codebook', () => {
    const rng = new Rng(6);
    const vq = new VectorQuantizer(5, 4, { rng: new Rng(1) });
    const z = tf.tensor2d(randRows(rng, 9, 4));
    const g = randRows(rng, 9, 4);
    const gt = tf.tensor2d(g);
    const dz = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(vq.call(t).quantized, gt)))(z);
    expectRowsClose(rows2(dz), g, 1e-6);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(vq.call(z).quantized, gt)) as tf.Scalar, [vq.embeddings]);
    expect(tf.max(tf.abs(grads[vq.embeddings.name]!)).dataSync()[0]).toBe(0);
    const sg = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t), 3)))(z);
    expect(tf.max(tf.abs(sg)).dataSync()[0]).toBe(0);
    tf.dispose([z, gt, dz, sg, ...Object.values(grads)]);
    vq.dispose();
  });

  it('the codebook and the encoder get the gradients of codebook + β·commitment, without gather kernels', async () => {
    const rng = new Rng(7);
    const codes = randRows(rng, 4, 2);
    const zs = randRows(rng, 12, 2);
    const beta = 0.25;
    const vq = new VectorQuantizer(4, 2);
    vq.embeddings.assign(tf.tensor2d(codes));
    const z = tf.tensor2d(zs);
    const assign = zs.map((v) => nearestJ(v, codes));
    const nd = 12 * 2;
    // d/dE_k of mean((sg z − e)²) = Σ_{n→k} 2(e_k − z_n)/(N·D); the commitment term has sg(e).
    const wantE = codes.map((e, k) => e.map((ej, j) => zs.reduce((s, v, n) => s + (assign[n] === k ? (2 * (ej - v[j]!)) / nd : 0), 0)));
    // d/dz_n of β·mean((z − sg e)²) = 2β(z_n − e_n)/(N·D).
    const wantZ = zs.map((v, n) => v.map((vj, j) => (2 * beta * (vj - codes[assign[n]!]![j]!)) / nd));
    const used = new Set<string>();
    const prof = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => vq.call(z).loss, [vq.embeddings]);
      expectRowsClose(rows2(grads[vq.embeddings.name]!), wantE, 1e-5);
      tf.dispose([value, ...Object.values(grads)]);
    });
    prof.kernelNames.forEach((n) => used.add(n));
    expect(used.has('BatchMatMul') || used.has('_FusedMatMul')).toBe(true);
    expect(used.has('GatherV2')).toBe(false);
    expect(used.has('UnsortedSegmentSum')).toBe(false);
    const dz = tf.grad((t: tf.Tensor) => vq.call(t).loss)(z);
    expectRowsClose(rows2(dz), wantZ, 1e-5);
    // one SGD step on the loss moves every used code towards its vectors
    const before = zs.reduce((s, v, n) => s + sq(v, codes[assign[n]!]!), 0);
    const { grads } = tf.variableGrads(() => vq.call(z).loss, [vq.embeddings]);
    vq.embeddings.assign(tf.sub(vq.embeddings, tf.mul(2, grads[vq.embeddings.name]!)));
    const after = rows2(vq.embeddings);
    expect(zs.reduce((s, v, n) => s + sq(v, after[assign[n]!]!), 0)).toBeLessThan(before);
    tf.dispose([z, dz, ...Object.values(grads)]);
    vq.dispose();
  });

  it('lookup(indices) = E[indices], differentiable in the codebook', () => {
    const vq = new VectorQuantizer(3, 2, { rng: new Rng(2) });
    const e = rows2(vq.embeddings);
    const idx = tf.tensor2d([[0, 2], [1, 1]], [2, 2], 'int32');
    const out = vq.lookup(idx).arraySync() as number[][][];
    expect(out).toEqual([[e[0], e[2]], [e[1], e[1]]].map((r) => r.map((v) => Array.from(new Float32Array(v!)))));
    const { grads } = tf.variableGrads(() => tf.sum(vq.lookup(idx)) as tf.Scalar, [vq.embeddings]);
    expect(rows2(grads[vq.embeddings.name]!)).toEqual([[1, 1], [2, 2], [1, 1]]);
    tf.dispose([idx, ...Object.values(grads)]);
    vq.dispose();
  });

  it('perplexity = K for a uniform assignment and 1 for a collapsed one', () => {
    const k = 6;
    const vq = new VectorQuantizer(k, 3, { rng: new Rng(3) });
    const e = rows2(vq.embeddings);
    const uniform = tf.tensor2d([...e, ...e, ...e]);
    const r1 = vq.call(uniform);
    expect(Array.from(r1.indices.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(r1.perplexity.dataSync()[0]).toBeCloseTo(k, 4);
    const collapsed = tf.tensor2d([e[2]!, e[2]!, e[2]!, e[2]!]);
    expect(vq.call(collapsed).perplexity.dataSync()[0]).toBeCloseTo(1, 5);
    const ema = new VectorQuantizerEma(k, 3, { rng: new Rng(3) }).eval();
    expect(ema.call(uniform).perplexity.dataSync()[0]).toBeCloseTo(k, 4);
    tf.dispose([uniform, collapsed]);
    vq.dispose();
    ema.dispose();
  });

  it.each([1e-5, 0.1])('EMA (ε = %s): two training steps match a hand-computed update; eval mode freezes the codebook', (eps) => {
    const codes0 = [
      [0, 0],
      [1, 1],
      [-1, 2],
    ];
    const zs1 = [
      [0.1, -0.1],
      [0.9, 1.2],
      [1.1, 0.8],
      [0.2, 0.1],
    ];
    const zs2 = [
      [-0.8, 1.7],
      [0.7, 0.9],
      [0.05, 0.3],
    ];
    const decay = 0.9;
    const vq = new VectorQuantizerEma(3, 2, { decay, eps, beta: 0.5 });
    expect(vq.parameters()).toEqual([]);
    expect(vq.namedBuffers().map(([n]) => n)).toEqual(['embedAvg', 'embeddings', 'clusterSize']);
    expect(Array.from(vq.clusterSize.dataSync())).toEqual([1, 1, 1]);
    expectRowsClose(rows2(vq.embedAvg), rows2(vq.embeddings), 0);
    vq.embeddings.assign(tf.tensor2d(codes0));
    vq.embedAvg.assign(tf.tensor2d(codes0)); // embedAvg = codebook · clusterSize (ones)

    let state: { codes: V[]; size: V; avg: V[]; assign?: number[] } = { codes: codes0, size: [1, 1, 1], avg: codes0 };
    for (const zs of [zs1, zs2]) {
      const old = state.codes;
      const next = emaStepJ(state, zs, decay, eps);
      const { quantized, indices, loss } = vq.call(tf.tensor2d(zs));
      expect(Array.from(indices.dataSync())).toEqual(next.assign);
      expectRowsClose(rows2(quantized), next.assign.map((k) => old[k]!), 1e-5); // pre-update codes
      const mse = zs.reduce((s, v, n) => s + sq(v, old[next.assign[n]!]!), 0) / (zs.length * 2);
      expect(loss.dataSync()[0]).toBeCloseTo(0.5 * mse, 5);
      expectRowsClose([Array.from(vq.clusterSize.dataSync())], [next.size], 1e-6);
      expectRowsClose(rows2(vq.embedAvg), next.avg, 1e-6);
      expectRowsClose(rows2(vq.embeddings), next.codes, 1e-5);
      state = next;
    }
    expect(state.assign).toEqual([2, 1, 0]); // the second batch uses every code
    vq.eval();
    const frozen = rows2(vq.embeddings);
    const sizes = Array.from(vq.clusterSize.dataSync());
    vq.call(tf.tensor2d(zs1));
    expect(rows2(vq.embeddings)).toEqual(frozen);
    expect(Array.from(vq.clusterSize.dataSync())).toEqual(sizes);
    // the EMA codebook is not trained by gradients: the loss only reaches the encoder
    const dz = tf.grad((t: tf.Tensor) => vq.call(t).loss)(tf.tensor2d(zs1));
    expect(dz.shape).toEqual([4, 2]);
    vq.dispose();
  });

  it('EMA dead-code reset replaces starved codes by seeded batch vectors', () => {
    const codes0 = [
      [0, 0],
      [2, 0],
      [0, 2],
      [50, 50], // never chosen
    ];
    const zs = [
      [0.1, 0.1],
      [1.9, 0.2],
      [0.1, 2.1],
      [-0.2, 0.0],
      [2.2, -0.1],
    ];
    const make = (seed: number) => {
      const vq = new VectorQuantizerEma(4, 2, { decay: 0.5, deadCodeThreshold: 0.8, rng: new Rng(seed) });
      vq.embeddings.assign(tf.tensor2d(codes0));
      vq.embedAvg.assign(tf.tensor2d(codes0));
      vq.call(tf.tensor2d(zs));
      return vq;
    };
    const vq = make(9);
    const e = rows2(vq.embeddings);
    const size = Array.from(vq.clusterSize.dataSync());
    const ref = emaStepJ({ codes: codes0, size: [1, 1, 1, 1], avg: codes0 }, zs, 0.5, 1e-5);
    expect(ref.size[3]).toBeCloseTo(0.5, 12); // 0.5·1 + 0.5·0 < 0.8: dead
    expectRowsClose(e.slice(0, 3), ref.codes.slice(0, 3), 1e-5); // live codes: plain EMA step
    expectRowsClose([size.slice(0, 3)], [ref.size.slice(0, 3)], 1e-6);
    const hit = zs.findIndex((z) => Math.abs(z[0]! - e[3]![0]!) < 1e-6 && Math.abs(z[1]! - e[3]![1]!) < 1e-6);
    expect(hit).toBeGreaterThanOrEqual(0);
    expect(size[3]).toBeCloseTo(0.8, 6);
    expectRowsClose([rows2(vq.embedAvg)[3]!], [zs[hit]!.map((v) => v * 0.8)], 1e-6);
    expect(rows2(make(9).embeddings)).toEqual(e); // same seed, same reset
    // fewer batch vectors than dead codes: sampled with replacement
    const small = new VectorQuantizerEma(4, 2, { decay: 0.5, deadCodeThreshold: 0.8, rng: new Rng(1) });
    small.embeddings.assign(tf.tensor2d(codes0));
    small.embedAvg.assign(tf.tensor2d(codes0));
    const two = [
      [0.1, 0.1],
      [0.2, 0.0],
    ];
    small.call(tf.tensor2d(two));
    rows2(small.embeddings)
      .slice(1)
      .forEach((row) => expect(two.some((z) => Math.abs(z[0]! - row[0]!) < 1e-6 && Math.abs(z[1]! - row[1]!) < 1e-6)).toBe(true));
    vq.dispose();
    small.dispose();
    expect(() => new VectorQuantizerEma(4, 2, { decay: 1 })).toThrow(InputError);
  });

  it('leaks no tensors over repeated calls (loss-based and EMA with resets)', () => {
    const vq = new VectorQuantizer(8, 3, { rng: new Rng(4) });
    const ema = new VectorQuantizerEma(8, 3, { decay: 0.5, deadCodeThreshold: 0.9, rng: new Rng(4) });
    const z = tf.tensor3d([randRows(new Rng(8), 6, 3), randRows(new Rng(9), 6, 3)]);
    const step = () => {
      const a = vq.call(z);
      const b = ema.call(z);
      const l = vq.lookup(a.indices);
      const { value, grads } = tf.variableGrads(() => tf.add(vq.call(z).loss, tf.sum(tf.square(ema.call(z).quantized))) as tf.Scalar, [vq.embeddings]);
      tf.dispose([a.quantized, a.indices, a.loss, a.perplexity, b.quantized, b.indices, b.loss, b.perplexity, l, value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(z);
    vq.dispose();
    ema.dispose();
  });
});
