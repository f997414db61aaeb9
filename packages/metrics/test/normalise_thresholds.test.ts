// Normalisation, percentiles and thresholds against hand-computed and numpy-documented values.
import { describe, expect, it } from 'vitest';
import { applyThreshold, calibrationStats, MetricsInputError, minMaxNormalise, percentile, percentileThreshold, zNormalise } from '@skelflow/metrics';
import { rng } from './helpers';

const msg = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MetricsInputError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('minMaxNormalise', () => {
  it('maps min to 0 and max to 1', () => {
    expect(Array.from(minMaxNormalise([2, 4, 3]))).toEqual([0, 1, 0.5]);
    expect(Array.from(minMaxNormalise(Float32Array.from([-1, 1, 0])))).toEqual([0, 1, 0.5]);
  });
  it('rejects constant, empty and non-finite input', () => {
    expect(msg(() => minMaxNormalise([3, 3]))).toBe('x: is constant (3): min-max normalisation is undefined');
    expect(msg(() => minMaxNormalise([]))).toBe('x: is empty');
    expect(msg(() => minMaxNormalise([1, NaN]))).toBe('x index 1: score must be a finite number, got NaN');
  });
});

describe('calibrationStats / zNormalise', () => {
  it('population statistics (ddof 0)', () => {
    const s = calibrationStats([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(s.count).toBe(4);
  });
  it('z-normalises against the calibration set, not the input', () => {
    expect(Array.from(zNormalise([3, 5], [1, 3]))).toEqual([1, 3]);
    expect(Array.from(zNormalise([3, 5], { mean: 2, std: 1, count: 2 }))).toEqual([1, 3]);
  });
  it('calibration scores become mean 0, std 1', () => {
    const r = rng(1);
    const cal = Array.from({ length: 1000 }, () => r() * 7 + 100);
    const z = calibrationStats(zNormalise(cal, cal));
    expect(Math.abs(z.mean)).toBeLessThan(1e-12);
    expect(Math.abs(z.std - 1)).toBeLessThan(1e-12);
  });
  it('rejects a calibration set without spread', () => {
    expect(msg(() => zNormalise([1], [2, 2, 2]))).toMatch(/^calibration: standard deviation must be finite and > 0, got 0/);
    expect(msg(() => zNormalise([1], []))).toBe('calibration: is empty');
  });
});

describe('percentile (numpy linear)', () => {
  it('NFlowAD card §4.7 (6): the 97th percentile of 1…100 is 97.03, as np.percentile(np.arange(1, 101), 97) prints', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 97)).toBeCloseTo(97.03, 12);
    expect(percentileThreshold(values, 97)).toBeCloseTo(97.03, 12);
  });
  it('numpy documentation example: percentile([[10, 7, 4], [3, 2, 1]], 50) = 3.5', () => {
    expect(percentile([10, 7, 4, 3, 2, 1], 50)).toBe(3.5);
  });
  it('hand-computed interpolation and the extremes', () => {
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75); // position 0.75
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([5], 37)).toBe(5);
    expect(percentile([0, 10], 90)).toBe(9);
  });
  it('is monotone in q', () => {
    const r = rng(2);
    const v = Array.from({ length: 57 }, () => r());
    let prev = -Infinity;
    for (let q = 0; q <= 100; q += 0.5) {
      const p = percentile(v, q);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
  });
  it('rejects q outside [0, 100] and empty input', () => {
    expect(msg(() => percentile([1], 101))).toBe('q: percentile must be in [0, 100], got 101');
    expect(msg(() => percentileThreshold([], 90))).toBe('calibration: is empty');
  });
});

describe('percentileThreshold / applyThreshold', () => {
  it('flags frames strictly above the threshold', () => {
    const t = percentileThreshold([0.1, 0.2, 0.3, 0.4, 0.5], 75);
    expect(t).toBeCloseTo(0.4, 15);
    const d = applyThreshold([0.35, 0.45, t, Infinity], t);
    expect(d.flaggedFrames).toEqual([1, 3]);
    expect(Array.from(d.flags)).toEqual([0, 1, 0, 1]);
    expect(d.fraction).toBe(0.5);
  });
  it('a q-th percentile threshold flags about (100 - q)% of fresh normal data', () => {
    const r = rng(3);
    const cal = Array.from({ length: 20000 }, () => r());
    const test = Array.from({ length: 20000 }, () => r());
    const d = applyThreshold(test, percentileThreshold(cal, 95));
    expect(Math.abs(d.fraction - 0.05)).toBeLessThan(0.01);
  });
  it('rejects a NaN score or threshold', () => {
    expect(msg(() => applyThreshold([0, NaN], 1))).toBe('scores index 1: score must be a number, got NaN');
    expect(msg(() => applyThreshold([0], NaN))).toBe('threshold: must be a number, got NaN');
  });
});
