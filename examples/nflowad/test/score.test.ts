import { describe, expect, it } from 'vitest';
import { percentile } from '@skelflow/metrics';
import { explainParts, fitScoreStats, fitThresholds, frameScore, IDENTITY_STATS, jointScore, sequenceScores, standardiseFrames, datasetStats, standardiseDataset } from '../src/index.js';

// Hand cases of NFlowAD's score equations (model-cards §4.3, §4.7 items 5–6): no tensors.

describe('NFlowAD score', () => {
  it('hand case: MSE 0.5, log p −10, no standardisation → S = 0.6·0.5 + 0.4·10 = 4.3', () => {
    expect(frameScore(0.5, -10, 0.6, 0.4, IDENTITY_STATS)).toBeCloseTo(4.3, 12);
  });

  it('standardised terms: S_t = α(MSE−μ)/σ − β(log p−μ)/σ; joint term α(err−μ)/σ', () => {
    // μ_mse 0.25, σ_mse 0.5, μ_lp −20, σ_lp 4: MSE 0.75 → z 1; log p −28 → z −2; S = 0.6 + 0.8.
    expect(frameScore(0.75, -28, 0.6, 0.4, [0.25, 0.5, -20, 4])).toBeCloseTo(1.4, 12);
    expect(jointScore(1.25, 0.6, [0.25, 0.5, -20, 4])).toBeCloseTo(1.2, 12);
  });

  it('standardised on the validation frames: each term has mean 0 there (card §4.7 item 5)', () => {
    const mse = Float64Array.from([0.1, 0.3, 0.2, 0.9, 0.5, 0.4]);
    const logProb = Float64Array.from([-10, -12, -9, -30, -11, -15]);
    const stats = fitScoreStats({ mse, logProb, jointErrors: new Float64Array(12) });
    let zm = 0;
    let zl = 0;
    for (let i = 0; i < 6; i++) {
      zm += (mse[i]! - stats[0]) / stats[1];
      zl += (logProb[i]! - stats[2]) / stats[3];
    }
    expect(Math.abs(zm)).toBeLessThan(1e-12);
    expect(Math.abs(zl)).toBeLessThan(1e-12);
    // the frame mean of S over validation is then 0 as well
    const ex = explainParts({ mse, logProb, jointErrors: new Float64Array(12) }, 2, 0.6, 0.4, stats);
    expect(Math.abs(ex.frames.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  });

  it('S_seq = mean_t S_t; explainParts maps joint errors one to one', () => {
    expect(Array.from(sequenceScores(Float64Array.from([1, 2, 3, 10, 20, 30]), 3))).toEqual([2, 20]);
    const ex = explainParts({ mse: Float64Array.from([1.5]), logProb: Float64Array.from([-2]), jointErrors: Float64Array.from([1, 2]) }, 2, 0.6, 0.4, IDENTITY_STATS);
    expect(ex.frames[0]).toBeCloseTo(0.6 * 1.5 + 0.4 * 2, 12);
    expect(Array.from(ex.joints)).toEqual([0.6, 1.2]);
    // the joint terms average to the frame's reconstruction term
    expect((ex.joints[0]! + ex.joints[1]!) / 2).toBeCloseTo(0.6 * 1.5, 12);
  });

  it('percentile is NumPy linear interpolation: 1…100 at 97 → 97.03; thresholds per level', () => {
    // np.percentile(np.arange(1, 101), 97) == 97.03
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 97)).toBeCloseTo(97.03, 10);
    // frames = 1…100 as 25 segments × 4 frames; joints = frames·2 interleaved
    const th = fitThresholds({ frames: v, joints: Float64Array.from(v, (x) => 2 * x) }, 4, 97, 0.1);
    expect(th.frame).toBeCloseTo(97.03, 10);
    expect(th.joint).toBeCloseTo(2 * 97.03, 10);
    // segment means 2.5, 6.5, …, 98.5 (25 values): np.percentile(np.arange(25)*4+2.5, 97) = 95.62
    expect(th.sequence).toBeCloseTo(95.62, 10);
    expect(th.clipFraction).toBe(0.1);
  });
});

describe('NFlowAD normalisation', () => {
  it('per-frame standardisation: every frame centred per channel, unit std over its centred coordinates', () => {
    // one segment, C 2, T 2, V 3
    const data = Float32Array.from([0, 2, 4, 10, 10, 10, /* y */ 1, 1, 4, 5, 6, 7]);
    const out = standardiseFrames(data, 1, 2, 2, 3);
    // frame 0: x 0,2,4 → −2,0,2; y 1,1,4 → −1,−1,2; ss = 8 + 6 = 14 over 6 → sd √(14/6)
    const sd0 = Math.sqrt(14 / 6);
    expect(out[0]).toBeCloseTo(-2 / sd0, 6);
    expect(out[8]).toBeCloseTo(2 / sd0, 6);
    // frame 1: x constant 10 → 0; y 5,6,7 → −1,0,1; sd √(2/6)
    expect(out[3]).toBeCloseTo(0, 6);
    expect(out[11]).toBeCloseTo(1 / Math.sqrt(2 / 6), 5);
    // a frame with no spread is only centred
    expect(Array.from(standardiseFrames(Float32Array.from([3, 3]), 1, 1, 1, 2))).toEqual([0, 0]);
  });

  it('dataset standardisation: per (channel, joint) mean and std over all frames', () => {
    // N 1, C 1, T 2, V 2: joint 0 values 1, 3; joint 1 values 5, 5
    const data = Float32Array.from([1, 5, 3, 5]);
    const { mean, std } = datasetStats(data, 1, 1, 2, 2);
    expect(Array.from(mean)).toEqual([2, 5]);
    expect(Array.from(std)).toEqual([1, 1]);
    expect(Array.from(standardiseDataset(data, 1, 1, 2, 2, mean, std))).toEqual([-1, 0, 1, 0]);
  });
});
