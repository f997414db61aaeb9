import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng, ShapeError } from '@skelflow/base';
import { normalTensor } from '@skelflow/core';
import { percentile } from '@skelflow/metrics';
import { expectThrows, forEachBackend, perturbParameters } from '@skelflow/testing';
import { frameScore, Nflowad, sequenceScores, trainFlowStage, trainNflowad, UNCALIBRATED } from '../src/index.js';

// NFlowAD's model (model-cards §4.7 items 2, 3, 5, 9): shapes, pooling, the score pipeline and the
// stage freeze, on cpu and wasm, for 2-D and 3-D input with any joint count. Small sizes: the
// PyTorch twin checks the numbers (golden.test.ts).

const small = { segLen: 6, dModel: 8, heads: 2, layers: 1, flowSteps: 2, flowHidden: 8, dropout: 0, seed: 3 } as const;

function segments(rng: Rng, n: number, c: number, t: number, v: number): Float32Array {
  const out = new Float32Array(n * c * t * v);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

function stateOf(m: { stateDict(): Map<string, tf.Variable> }, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [n, v] of m.stateDict()) if (n.startsWith(prefix)) out.set(n, v.dataSync().slice() as Float32Array);
  return out;
}

forEachBackend('@skelflow/nflowad model', () => {
  it('shapes: embedding and encoder [B, T, d], context [B, d], flow rows [B·T, d]; 3-D input with 7 joints', () => {
    const m = new Nflowad({ ...small, channels: 3, joints: 7 });
    const x = normalTensor(new Rng(1), [4, 3, 6, 7], 0, 1);
    const emb = tf.tidy(() => m.mae.embed.call(m.mae.frameVectors(x)));
    expect(emb.shape).toEqual([4, 6, 8]);
    const h = m.mae.encode(x);
    expect(h.shape).toEqual([4, 6, 8]);
    expect(m.context(h).shape).toEqual([4, 8]);
    const { rows, context } = m.flowRows(h);
    expect(rows.shape).toEqual([24, 8]);
    expect(context.shape).toEqual([24, 8]);
    // row b·T + t of the context is c_b
    const c = m.context(h).arraySync() as number[][];
    expect((context.arraySync() as number[][])[2 * 6 + 5]).toEqual(c[2]);
    expect(m.frameLogProb(h).shape).toEqual([4, 6]);
    tf.dispose([x, emb, h, rows, context]);
    m.dispose();
  });

  it('mean pooling is invariant to permuting time (no position leaks into c)', () => {
    const m = new Nflowad({ ...small, joints: 5 });
    const h = normalTensor(new Rng(2), [3, 6, 8], 0, 1);
    const perm = new Rng(4).permutation(6);
    const hp = tf.gather(h, perm, 1);
    const a = m.context(h).dataSync();
    const b = m.context(hp).dataSync();
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
    // and c is the plain mean
    const ha = h.arraySync() as number[][][];
    expect(a[8 + 3]).toBeCloseTo(ha[1]!.reduce((s, r) => s + r[3]!, 0) / 6, 6);
    tf.dispose([h, hp]);
    m.dispose();
  });

  it('frame parts: err_{t,j} = ‖x̂−x‖²/C of the unmasked reconstruction, MSE_t = mean_j, S_t and S_seq from them', () => {
    const m = new Nflowad({ ...small, joints: 5, normalise: 'none' });
    perturbParameters(m, 'nfl/parts', 0.1);
    m.eval();
    tf.tidy(() => m.scoreStats.assign(tf.tensor1d([0.3, 0.7, -20, 5])));
    const data = segments(new Rng(5), 3, 2, 6, 5);
    const parts = m.frameParts(data, { batchSize: 2 });
    const x = tf.tensor4d(data, [3, 2, 6, 5]);
    const xHat = m.mae.call(x).reconstruction.arraySync() as number[][][][];
    const xa = x.arraySync() as number[][][][];
    const err = (s: number, t: number, j: number) => ((xHat[s]![0]![t]![j]! - xa[s]![0]![t]![j]!) ** 2 + (xHat[s]![1]![t]![j]! - xa[s]![1]![t]![j]!) ** 2) / 2;
    expect(parts.jointErrors[(2 * 6 + 4) * 5 + 3]).toBeCloseTo(err(2, 4, 3), 5);
    let m24 = 0;
    for (let j = 0; j < 5; j++) m24 += err(2, 4, j) / 5;
    expect(parts.mse[2 * 6 + 4]).toBeCloseTo(m24, 5);
    const lp = m.frameLogProb(m.mae.encode(x)).dataSync();
    expect(parts.logProb[7]).toBeCloseTo(lp[7]!, 4);
    const ex = m.explainSegments(data);
    // (the statistics are a float32 buffer: 0.3 is read back as Math.fround(0.3))
    const st = [0.3, 0.7, -20, 5].map(Math.fround) as [number, number, number, number];
    expect(m.stats).toEqual(st);
    expect(ex.frames[7]).toBeCloseTo(frameScore(parts.mse[7]!, parts.logProb[7]!, 0.6, 0.4, st), 10);
    expect(ex.joints[(2 * 6 + 4) * 5 + 3]).toBeCloseTo((0.6 * (parts.jointErrors[(2 * 6 + 4) * 5 + 3]! - st[0])) / st[1], 10);
    const normality = m.scoreSegments(data);
    const seq = sequenceScores(ex.frames, 6);
    for (let s = 0; s < 3; s++) expect(normality[s]).toBeCloseTo(-seq[s]!, 10);
    // batch size does not change the numbers
    expect(Array.from(m.scoreSegments(data, { batchSize: 1 }))).toEqual(Array.from(normality));
    expectThrows(() => m.scoreSegments(new Float32Array(7)), ShapeError);
    x.dispose();
    m.dispose();
  });

  it('scoring is leak-free', () => {
    const m = new Nflowad({ ...small, joints: 5 });
    const data = segments(new Rng(6), 4, 2, 6, 5);
    m.scoreSegments(data);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.explainSegments(data, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('stage freeze: training the flow leaves the encoder and decoder bit-identical and moves the flow', async () => {
    const m = new Nflowad({ ...small, joints: 5 });
    const data = segments(new Rng(7), 8, 2, 6, 5);
    const maeBefore = stateOf(m, 'mae.');
    const flowBefore = stateOf(m, 'flow.');
    await trainFlowStage(m, data, { flowEpochs: 2, batchSize: 4, flowLr: 1e-2, seed: 1 });
    const maeAfter = stateOf(m, 'mae.');
    for (const [n, v] of maeBefore) expect(maeAfter.get(n), n).toEqual(v);
    let moved = 0;
    for (const [n, v] of stateOf(m, 'flow.')) if (!v.every((x, i) => x === flowBefore.get(n)![i])) moved++;
    expect(moved).toBeGreaterThan(0);
    m.dispose();
  });

  it('two-stage training on 3-D segments: losses fall, calibration standardises validation and sets 97th-percentile thresholds', async () => {
    const m = new Nflowad({ ...small, channels: 3, joints: 4, normalise: 'dataset' });
    expect(m.thresholds.frame).toBe(UNCALIBRATED);
    const rng = new Rng(8);
    const train = segments(rng, 24, 3, 6, 4);
    const validation = segments(rng, 6, 3, 6, 4);
    const h = await trainNflowad(m, train, { validation, maeEpochs: 6, flowEpochs: 6, batchSize: 8, maeLr: 3e-3, flowLr: 3e-3, seed: 2 });
    expect(h.mae.length).toBe(6);
    expect(h.mae.at(-1)!).toBeLessThan(h.mae[0]!);
    expect(h.flow.at(-1)!).toBeLessThan(h.flow[0]!);
    expect(h.calibration).toEqual({ segments: 6, heldOut: true });
    // the statistics are the validation frames' mean/std: S_t averages to 0 there when α = β
    const parts = m.frameParts(validation);
    const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(h.scoreStats[0]).toBeCloseTo(mean(parts.mse), 5);
    expect(h.scoreStats[2]).toBeCloseTo(mean(parts.logProb), 4);
    const ex = m.explainSegments(validation);
    expect(m.thresholds.frame).toBeCloseTo(percentile(ex.frames, 97), 5);
    expect(m.thresholds.joint).toBeCloseTo(percentile(ex.joints, 97), 5);
    expect(m.thresholds.sequence).toBeCloseTo(percentile(sequenceScores(ex.frames, 6), 97), 5);
    expect(m.thresholds.clipFraction).toBe(0.1);
    // 3 % of the validation frames lie above τ_frame (up to one frame of rounding)
    const above = ex.frames.filter((s) => s > m.thresholds.frame).length;
    expect(Math.abs(above - 0.03 * ex.frames.length)).toBeLessThanOrEqual(1);
    m.dispose();
  });
});
