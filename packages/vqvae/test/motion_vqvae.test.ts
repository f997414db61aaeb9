import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { InputError, Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { forEachBackend } from '@skelflow/testing';
import { MotionVqVae, trainMotionVqVae, VectorQuantizerEma } from '@skelflow/vqvae';

// T2M-GPT's codebook rule (card §2.7 items 3–5) and the motion VQ-VAE around it, on cpu and wasm.

const col = (t: tf.Tensor) => Array.from(t.dataSync());

function handCaseQuantizer(): VectorQuantizerEma {
  // μ = 0.5; codebook {e0 = 0, e1 = 10} (1-D); sums S = {0, 10}; counts n = {1, 1}.
  const vq = new VectorQuantizerEma(2, 1, { decay: 0.5, rule: 't2m-gpt', rng: new Rng(0) });
  vq.embeddings.assign(tf.tensor2d([[0], [10]]));
  vq.embedAvg.assign(tf.tensor2d([[0], [10]]));
  vq.clusterSize.assign(tf.tensor1d([1, 1]));
  return vq;
}

forEachBackend('motion VQ-VAE', () => {
  it("T2M-GPT's EMA rule on the card's hand case: batch {1, 2, 9}", () => {
    const vq = handCaseQuantizer();
    const out = vq.call(tf.tensor2d([[1], [2], [9]]));
    expect(col(out.indices)).toEqual([0, 0, 1]);
    expect(col(vq.embedAvg)).toEqual([1.5, 9.5]);
    expect(col(vq.clusterSize)).toEqual([1.5, 1.0]);
    expect(col(vq.embeddings)).toEqual([1.0, 9.5]);
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it("T2M-GPT's dead-code rule on the card's hand case: batch {1, 2, 3} revives code 1 from the batch, statistics kept", () => {
    const vq = handCaseQuantizer();
    const out = vq.call(tf.tensor2d([[1], [2], [3]]));
    expect(col(out.indices)).toEqual([0, 0, 0]);
    expect(col(vq.clusterSize)).toEqual([2.0, 0.5]); // 0.5 < 1: code 1 is dead
    expect(col(vq.embedAvg)).toEqual([3, 5]); // T2M-GPT does not reset the statistics
    const codes = col(vq.embeddings);
    expect(codes[0]).toBe(1.5);
    expect([1, 2, 3]).toContain(codes[1]);
    expect(codes[1]).toBe(2); // row 1 of the batch, T2M-GPT's `_tile(x)[:K]`
    tf.dispose(Object.values(out));
    vq.dispose();
  });

  it('the Laplace rule stays the default, and eval mode freezes the T2M-GPT codebook', () => {
    expect(new VectorQuantizerEma(2, 1).rule).toBe('laplace');
    expect(() => new VectorQuantizerEma(2, 1, { rule: 'x' as 'laplace' })).toThrow(InputError);
    const vq = handCaseQuantizer().eval();
    tf.dispose(Object.values(vq.call(tf.tensor2d([[1], [2], [3]]))));
    expect(col(vq.embeddings)).toEqual([0, 10]);
    vq.dispose();
  });

  it('initialises the codebook from the first training batch (tiled with 0.01/√D noise when smaller than K)', () => {
    const vq = new VectorQuantizerEma(3, 2, { rule: 't2m-gpt', initFromFirstBatch: true, rng: new Rng(1) });
    const big = [[1, 2], [3, 4], [5, 6], [7, 8]];
    tf.dispose(Object.values(vq.eval().call(tf.tensor2d(big)))); // eval: no initialisation
    expect(col(vq.initialized!)).toEqual([0]);
    vq.train();
    const out = vq.call(tf.tensor2d(big));
    expect(col(vq.initialized!)).toEqual([1]);
    expect(col(out.indices)).toEqual([0, 1, 2, 2]); // assigned against the first-batch codes
    // After the step: codes 0..2 used (counts ≥ 1), e = m/N with m, N updated from ones / rows 0..2.
    const codes = vq.embeddings.arraySync() as number[][];
    expect(codes[0]![0]).toBeCloseTo(1, 5);
    expect(codes[1]![1]).toBeCloseTo(4, 5);
    expect(codes[2]![0]).toBeCloseTo((0.99 * 5 + 0.01 * 12) / (0.99 + 0.02), 5);
    tf.dispose(Object.values(out));
    const small = new VectorQuantizerEma(5, 2, { rule: 't2m-gpt', initFromFirstBatch: true, rng: new Rng(2) });
    small.embeddings.assign(tf.zeros([5, 2]));
    tf.dispose(Object.values(small.eval().call(tf.tensor2d([[9, 9]]))));
    small.train();
    const before = (small as unknown as { tiledRows: (x: tf.Tensor2D) => tf.Tensor2D }).tiledRows(tf.tensor2d([[1, -1], [2, -2]]));
    const rows = before.arraySync() as number[][];
    rows.forEach((r, i) => {
      const base = i % 2 === 0 ? [1, -1] : [2, -2];
      r.forEach((v, j) => {
        expect(Math.abs(v - base[j]!)).toBeLessThan(6 * (0.01 / Math.sqrt(2)));
        expect(v).not.toBe(base[j]);
      });
    });
    tf.dispose(before);
    vq.dispose();
    small.dispose();
  });

  it('assigns each latent step to the brute-force nearest code; 24 frames give 12 tokens with down_t = 1', () => {
    const m = new MotionVqVae({ inChannels: 6, width: 8, codeDim: 4, numCodes: 5, depth: 2, seed: 3 });
    m.eval();
    const x = normalTensor(new Rng(4), [3, 24, 6]);
    const ze = m.encode(x);
    expect(ze.shape).toEqual([3, 12, 4]);
    const tok = m.tokens(x);
    expect(tok.shape).toEqual([3, 12]);
    expect(tok.dtype).toBe('int32');
    const z = ze.arraySync() as number[][][];
    const e = m.quantizer.embeddings.arraySync() as number[][];
    const want = z.flatMap((seq) => seq.map((v) => e.reduce((best, c, k) => (dist(v, c) < dist(v, e[best]!) ? k : best), 0)));
    expect(col(tok)).toEqual(want);
    expect(m.tokensPerSequence(24)).toBe(12);
    expect(() => m.encode(tf.zeros([1, 23, 6]))).toThrow(ShapeError);
    tf.dispose([x, ze, tok]);
    m.dispose();
  });

  it('straight-through: ∂loss/∂z_e flows through z_q unchanged and the codebook gets no gradient (it is a buffer, EMA-only)', () => {
    const m = new MotionVqVae({ inChannels: 4, width: 6, codeDim: 3, numCodes: 4, depth: 1, seed: 5 });
    m.eval();
    const params = m.parameters();
    expect(params).not.toContain(m.quantizer.embeddings);
    const g = normalTensor(new Rng(6), [2, 4, 3]);
    const ze = normalTensor(new Rng(7), [2, 4, 3]);
    const dz = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(m.quantizer.call(z).quantized, g)))(ze);
    expect(col(dz)).toEqual(col(g));
    expect(m.quantizer.embeddings.trainable).toBe(false);
    // Every trainable parameter's gradient exists, and none of them is the codebook.
    const x = normalTensor(new Rng(8), [2, 8, 4]);
    const { grads } = tf.variableGrads(() => m.forward(x).loss, params);
    expect(Object.keys(grads).sort()).toEqual(params.map((p) => p.name).sort());
    tf.dispose([g, ze, dz, x, ...Object.values(grads)]);
    m.dispose();
  });

  it('the loss is recon + λ_v·velocity + β_c·commitment (hand-checked from the returned tensors)', () => {
    const m = new MotionVqVae({ inChannels: 4, width: 6, codeDim: 3, numCodes: 4, depth: 1, seed: 8, commitment: 0.3, velocity: 0.7 });
    m.eval();
    const x = normalTensor(new Rng(9), [2, 8, 4]);
    const o = m.forward(x);
    const xs = x.arraySync() as number[][][];
    const rs = o.recon.arraySync() as number[][][];
    let rec = 0;
    let vel = 0;
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 8; t++)
        for (let c = 0; c < 4; c++) {
          rec += (xs[b]![t]![c]! - rs[b]![t]![c]!) ** 2 / 64;
          if (t > 0) vel += (xs[b]![t]![c]! - xs[b]![t - 1]![c]! - (rs[b]![t]![c]! - rs[b]![t - 1]![c]!)) ** 2 / 56;
        }
    const zs = o.ze.arraySync() as number[][][];
    const codes = m.quantizer.embeddings.arraySync() as number[][];
    const idx = col(o.indices);
    let commit = 0;
    zs.flat().forEach((v, i) => v.forEach((vj, j) => (commit += (vj - codes[idx[i]!]![j]!) ** 2 / 24)));
    expect(o.reconLoss.dataSync()[0]).toBeCloseTo(rec, 5);
    expect(o.velocityLoss.dataSync()[0]).toBeCloseTo(vel, 5);
    expect(o.commitLoss.dataSync()[0]).toBeCloseTo(commit, 5);
    expect(o.loss.dataSync()[0]).toBeCloseTo(rec + 0.7 * vel + 0.3 * commit, 4);
    tf.dispose([x, ...Object.values(o)]);
    m.dispose();
  });

  it('trains (loss falls), reports perplexity and active codes per epoch, and leaks no tensors', async () => {
    const rng = new Rng(10);
    const n = 24;
    const t = 8;
    const data = new Float32Array(n * t * 4);
    // Two motion "primitives": sine and ramp, with noise.
    for (let s = 0; s < n; s++)
      for (let f = 0; f < t; f++)
        for (let c = 0; c < 4; c++) data[(s * t + f) * 4 + c] = (s % 2 ? Math.sin(f + c) : (f - 4) / 4) + 0.05 * rng.normal();
    const m = new MotionVqVae({ inChannels: 4, width: 8, codeDim: 4, numCodes: 6, depth: 1, seed: 11 });
    const stats = await trainMotionVqVae(m, data, t, { epochs: 1, batchSize: 8, lr: 3e-3, seed: 1 });
    const before = tf.memory().numTensors;
    const more = await trainMotionVqVae(m, data, t, { epochs: 5, batchSize: 8, lr: 3e-3, seed: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(more[more.length - 1]!.loss).toBeLessThan(stats[0]!.loss);
    for (const s of [...stats, ...more]) {
      expect(s.activeCodes).toBeGreaterThanOrEqual(1);
      expect(s.activeCodes).toBeLessThanOrEqual(6);
      expect(s.perplexity).toBeGreaterThanOrEqual(1 - 1e-9);
      expect(s.perplexity).toBeLessThanOrEqual(s.activeCodes + 1e-9);
    }
    expect(m.training).toBe(false);
    await expect(trainMotionVqVae(m, data.subarray(0, 5), t)).rejects.toThrow(InputError);
    m.dispose();
  });
});

function dist(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
}
