// gaussianFilter1d / movingAverage: SciPy's documented outputs, hand-computed values, an
// independent formulation of the boundary extension, and properties.
import { describe, expect, it } from 'vitest';
import { gaussianFilter1d, gaussianKernel1d, MetricsInputError, movingAverage } from '@skelflow/metrics';
import { gaussian, rng } from './helpers';

type Mode = 'reflect' | 'mirror' | 'nearest' | 'wrap' | 'constant';

/**
 * The extended signal built the way SciPy's docs draw it, by concatenating whole copies:
 * reflect  `... d c b a | a b c d | d c b a ...` (blocks alternate reversed / forward),
 * mirror   `... c b | a b c d | c b ...` (period 2n - 2: x without its last then reversed without its last),
 * wrap     `... a b c d | a b c d ...`,
 * nearest / constant pad with the edge value / cval.
 * Returns a lookup for any integer position.
 */
function extendedByBlocks(x: number[], mode: Mode, cval: number, reach: number): (j: number) => number {
  const n = x.length;
  let period: number[];
  if (mode === 'reflect') period = [...x, ...[...x].reverse()];
  else if (mode === 'mirror') period = n === 1 ? [x[0]] : [...x.slice(0, n - 1), ...[...x].reverse().slice(0, n - 1)];
  else if (mode === 'wrap') period = [...x];
  else period = [];
  // Concatenate enough whole periods on both sides of the original.
  const copies = period.length === 0 ? 0 : Math.ceil(reach / period.length) + 1;
  const left: number[] = [];
  for (let c = 0; c < copies; c++) left.push(...period);
  const line = [...left, ...left];
  const origin = left.length; // line[origin + j] for j in [-left.length, left.length)
  return (j: number) => {
    if (j >= 0 && j < n) return x[j];
    if (mode === 'nearest') return j < 0 ? x[0] : x[n - 1];
    if (mode === 'constant') return cval;
    return line[origin + j];
  };
}

/** Direct definition: sum over taps, kernel computed here from the Gaussian density. */
function directGaussian(x: number[], sigma: number, mode: Mode, cval = 0, truncate = 4): number[] {
  const radius = Math.floor(truncate * sigma + 0.5);
  const raw: number[] = [];
  for (let k = -radius; k <= radius; k++) raw.push(Math.exp((-k * k) / (2 * sigma * sigma)));
  const total = raw.reduce((a, b) => a + b, 0);
  const at = extendedByBlocks(x, mode, cval, radius + x.length);
  return x.map((_, i) => {
    let s = 0;
    for (let k = -radius; k <= radius; k++) s += (raw[k + radius] / total) * at(i + k);
    return s;
  });
}

describe('gaussianFilter1d', () => {
  it("reproduces SciPy's documented example (sigma 1 and sigma 4, n = 5 < radius 16)", () => {
    // scipy.ndimage.gaussian_filter1d docstring, printed to 8 decimals.
    const one = [1.42704095, 2.06782203, 3.0, 3.93217797, 4.57295905];
    const four = [2.91948343, 2.95023502, 3.0, 3.04976498, 3.08051657];
    const got1 = gaussianFilter1d([1, 2, 3, 4, 5], 1);
    const got4 = gaussianFilter1d([1, 2, 3, 4, 5], 4);
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(got1[i] - one[i])).toBeLessThan(5e-9);
      expect(Math.abs(got4[i] - four[i])).toBeLessThan(5e-9);
    }
  });

  it('matches a hand computation with radius 1', () => {
    // Kernel [e, 1, e] / (1 + 2e) with e = exp(-1/2); reflect pads [1, 0] to [1 | 1, 0 | 0].
    const e = Math.exp(-0.5);
    const got = gaussianFilter1d([1, 0], 1, { radius: 1 });
    expect(got[0]).toBeCloseTo((1 + e) / (1 + 2 * e), 15);
    expect(got[1]).toBeCloseTo(e / (1 + 2 * e), 15);
  });

  it('a single sample stays itself under reflect (every extension is the sample)', () => {
    // Exactly SciPy's value: scipy.ndimage.gaussian_filter1d(np.array([3.5]), 5) = 3.5000000000000004
    // (the normalised kernel's weights do not sum to exactly 1 in float64); one ulp from the sample.
    expect(Array.from(gaussianFilter1d([3.5], 5))).toEqual([3.5000000000000004]);
    expect(Math.abs(gaussianFilter1d([3.5], 5)[0]! - 3.5)).toBeLessThanOrEqual(Number.EPSILON * 2);
  });

  const modes: Mode[] = ['reflect', 'mirror', 'nearest', 'wrap', 'constant'];
  for (const mode of modes) {
    it(`equals the direct definition with block-built extension (mode ${mode})`, () => {
      const r = rng(7);
      for (const n of [1, 2, 3, 5, 8, 13, 40, 200]) {
        for (const sigma of [0.5, 1, 2.3, 7]) {
          const x = Array.from({ length: n }, () => gaussian(r) * 3 + 1);
          const want = directGaussian(x, sigma, mode, 0.7);
          const got = gaussianFilter1d(x, sigma, { mode, cval: 0.7 });
          for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12);
        }
      }
    });
  }

  it('truncate and radius follow SciPy: radius = int(truncate * sigma + 0.5)', () => {
    const impulse = new Array(61).fill(0);
    impulse[30] = 1;
    const support = (y: Float64Array) => y.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
    expect(support(gaussianFilter1d(impulse, 1))).toBe(9); // radius 4
    expect(support(gaussianFilter1d(impulse, 1.125))).toBe(11); // int(5.0) = 5
    expect(support(gaussianFilter1d(impulse, 1.1))).toBe(9); // int(4.9) = 4
    expect(support(gaussianFilter1d(impulse, 2, { truncate: 1 }))).toBe(5); // int(2.5) = 2
    expect(support(gaussianFilter1d(impulse, 2, { radius: 3 }))).toBe(7);
  });

  it('kernel: symmetric, sums to 1, Gaussian ratios', () => {
    const w = gaussianKernel1d(2, 8);
    expect(w.length).toBe(17);
    expect(Math.abs(w.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-15);
    for (let k = 0; k < 8; k++) expect(w[k]).toBe(w[16 - k]);
    expect(w[9] / w[8]).toBeCloseTo(Math.exp(-1 / 8), 14);
  });

  it('properties: constants stay constant; wrap preserves the sum; linear ramps survive away from the edges', () => {
    for (const mode of ['reflect', 'mirror', 'nearest', 'wrap'] as const) {
      const y = gaussianFilter1d(new Array(17).fill(2.5), 3, { mode });
      for (const v of y) expect(Math.abs(v - 2.5)).toBeLessThan(1e-14);
    }
    const r = rng(3);
    const x = Array.from({ length: 50 }, () => r());
    const y = gaussianFilter1d(x, 2, { mode: 'wrap' });
    expect(Math.abs(y.reduce((a, b) => a + b, 0) - x.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    const ramp = Array.from({ length: 60 }, (_, i) => 0.5 * i - 3);
    const z = gaussianFilter1d(ramp, 2); // radius 8
    for (let i = 8; i < 52; i++) expect(Math.abs(z[i] - ramp[i])).toBeLessThan(1e-12);
  });

  it('is linear', () => {
    const r = rng(4);
    const a = Array.from({ length: 30 }, () => r());
    const b = Array.from({ length: 30 }, () => r());
    const fa = gaussianFilter1d(a, 1.5);
    const fb = gaussianFilter1d(b, 1.5);
    const fab = gaussianFilter1d(a.map((v, i) => 2 * v - 3 * b[i]), 1.5);
    for (let i = 0; i < 30; i++) expect(Math.abs(fab[i] - (2 * fa[i] - 3 * fb[i]))).toBeLessThan(1e-13);
  });

  it('sigma 0 returns a copy; empty input returns empty; typed arrays work', () => {
    expect(Array.from(gaussianFilter1d([1, 5, 2], 0))).toEqual([1, 5, 2]);
    expect(gaussianFilter1d([], 3).length).toBe(0);
    expect(Array.from(gaussianFilter1d(Float32Array.from([1, 2, 3, 4, 5]), 1))).toEqual(Array.from(gaussianFilter1d([1, 2, 3, 4, 5], 1)));
  });

  it('errors name the argument and index', () => {
    const msg = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsInputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(msg(() => gaussianFilter1d([1, NaN], 1))).toBe('x index 1: sample must be a finite number, got NaN');
    expect(msg(() => gaussianFilter1d([1, Infinity], 1))).toBe('x index 1: sample must be a finite number, got Infinity');
    expect(msg(() => gaussianFilter1d([1], -1))).toBe('sigma: must be a finite number >= 0, got -1');
    expect(msg(() => gaussianFilter1d([1], 1, { mode: 'grid' as never }))).toMatch(/^options\.mode: unknown boundary mode grid/);
    expect(msg(() => gaussianFilter1d([1], 1, { radius: 1.5 }))).toBe('options.radius: must be an integer >= 0, got 1.5');
  });
});

describe('movingAverage', () => {
  it("reproduces SciPy's uniform_filter1d documented example", () => {
    // uniform_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3) -> [4, 3, 4, 1, 4, 6, 6, 3] (integer output, truncated)
    const got = movingAverage([2, 8, 0, 4, 1, 9, 9, 0], 3);
    expect(Array.from(got, Math.trunc)).toEqual([4, 3, 4, 1, 4, 6, 6, 3]);
    const exact = [12 / 3, 10 / 3, 12 / 3, 5 / 3, 14 / 3, 19 / 3, 18 / 3, 9 / 3];
    for (let i = 0; i < 8; i++) expect(got[i]).toBeCloseTo(exact[i], 14);
  });

  it('even windows follow SciPy (window of i covers i - w/2 .. i + w/2 - 1)', () => {
    // w = 2, reflect: out[i] = (x[i-1] + x[i]) / 2, x[-1] = x[0]
    expect(Array.from(movingAverage([2, 4, 8], 2))).toEqual([2, 3, 6]);
  });

  it('trailing window is causal', () => {
    expect(Array.from(movingAverage([3, 0, 0], 2, { align: 'trailing', mode: 'nearest' }))).toEqual([3, 1.5, 0]);
    expect(Array.from(movingAverage([3, 6, 9, 12], 3, { align: 'trailing', mode: 'constant' }))).toEqual([1, 3, 6, 9]);
  });

  it('equals a direct windowed mean for random input and all modes', () => {
    const r = rng(5);
    const x = Array.from({ length: 37 }, () => r() * 10);
    for (const mode of ['reflect', 'mirror', 'nearest', 'wrap', 'constant'] as const) {
      for (const w of [1, 2, 5, 8]) {
        const at = extendedByBlocks(x, mode, 0, w + x.length);
        const got = movingAverage(x, w, { mode });
        for (let i = 0; i < x.length; i++) {
          let s = 0;
          for (let j = i - Math.floor(w / 2); j < i - Math.floor(w / 2) + w; j++) s += at(j);
          expect(Math.abs(got[i] - s / w)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('rejects a bad window', () => {
    expect(() => movingAverage([1, 2], 0)).toThrow(MetricsInputError);
    expect(() => movingAverage([1, 2], 1.5)).toThrow('window: must be an integer >= 1, got 1.5');
  });
});
