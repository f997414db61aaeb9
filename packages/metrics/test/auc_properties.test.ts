// Properties of the frame-level metrics, and comparisons with brute-force definitions
// written independently here (O(n^2) pair counting, per-threshold counting).
import { describe, expect, it } from 'vitest';
import { averagePrecision, equalErrorRate, MetricsInputError, microMacroAuc, prCurve, rocAuc, rocCurve } from '@skelflow/metrics';
import { gaussian, rng } from './helpers';

/** Mann-Whitney: P(s+ > s-) + 0.5 P(s+ = s-), by counting all pairs. */
function bruteAuc(labels: number[], scores: number[]): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) num += 1;
      else if (scores[i] === scores[j]) num += 0.5;
    }
  }
  return num / pairs;
}

/** Counts TP/FP at every distinct threshold by scanning all samples per threshold. */
function vertices(labels: number[], scores: number[]): Array<{ tp: number; fp: number }> {
  const ts = [...new Set(scores.map((s) => (Object.is(s, -0) ? 0 : s)))].sort((a, b) => b - a);
  return ts.map((t) => {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] >= t) {
        if (labels[i] === 1) tp++;
        else fp++;
      }
    }
    return { tp, fp };
  });
}

function bruteAp(labels: number[], scores: number[]): number {
  const P = labels.filter((l) => l === 1).length;
  let ap = 0;
  let prevR = 0;
  for (const { tp, fp } of vertices(labels, scores)) {
    ap += (tp / P - prevR) * (tp / (tp + fp));
    prevR = tp / P;
  }
  return ap;
}

/** EER by intersecting each ROC segment with the line FPR + TPR = 1 in floating point. */
function bruteEer(labels: number[], scores: number[]): number {
  const P = labels.filter((l) => l === 1).length;
  const N = labels.length - P;
  const pts = [{ x: 0, y: 0 }, ...vertices(labels, scores).map((v) => ({ x: v.fp / N, y: v.tp / P }))];
  for (let k = 1; k < pts.length; k++) {
    const a = pts[k - 1];
    const b = pts[k];
    const ga = a.x + a.y - 1;
    const gb = b.x + b.y - 1;
    if (gb >= 0) {
      if (gb === 0) return b.x;
      // Solve a + u (b - a) on the line x + y = 1.
      const u = -ga / (gb - ga);
      return a.x + u * (b.x - a.x);
    }
  }
  throw new Error('no crossing');
}

function randomCase(seed: number, n: number, grid: number | null) {
  const r = rng(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = r() < 0.35 ? 1 : 0;
    labels.push(l);
    const s = gaussian(r) + l * 0.8;
    scores.push(grid === null ? s : Math.round(s * grid) / grid);
  }
  labels[0] = 1;
  labels[1] = 0;
  return { labels, scores };
}

describe('rocAuc / averagePrecision / equalErrorRate vs brute-force definitions', () => {
  for (const [seed, n, grid] of [
    [1, 7, 2],
    [2, 40, 4],
    [3, 120, null],
    [4, 300, 10],
    [5, 500, 1],
    [6, 250, null],
  ] as const) {
    it(`random case seed ${seed}, n ${n}, ${grid === null ? 'continuous' : `grid 1/${grid} (ties)`}`, () => {
      const { labels, scores } = randomCase(seed, n, grid);
      expect(Math.abs(rocAuc(labels, scores) - bruteAuc(labels, scores))).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(averagePrecision(labels, scores) - bruteAp(labels, scores))).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(equalErrorRate(labels, scores) - bruteEer(labels, scores))).toBeLessThanOrEqual(1e-12);
    });
  }

  it('the sklearn documentation example: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75, AP 0.8333', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333333333333333, 15);
  });
});

describe('properties', () => {
  const monotone: Array<[string, (x: number) => number]> = [
    ['affine 3x - 7', (x) => 3 * x - 7],
    ['exp', Math.exp],
    ['cube', (x) => x * x * x],
    ['sigmoid', (x) => 1 / (1 + Math.exp(-x))],
    ['atan', Math.atan],
  ];
  for (const seed of [11, 12, 13]) {
    const { labels, scores } = randomCase(seed, 400, 100); // ties on a 0.01 grid
    for (const [name, f] of monotone) {
      it(`AUC, AP and EER are invariant to a monotone transform (${name}, seed ${seed})`, () => {
        const t = scores.map(f);
        // The transform must keep the order and the ties for the property to apply.
        expect(new Set(t).size).toBe(new Set(scores).size);
        expect(rocAuc(labels, t)).toBe(rocAuc(labels, scores));
        expect(averagePrecision(labels, t)).toBe(averagePrecision(labels, scores));
        expect(equalErrorRate(labels, t)).toBe(equalErrorRate(labels, scores));
      });
    }
  }

  it('AUC(labels, s) = 1 - AUC(labels, -s) without ties', () => {
    for (const seed of [21, 22, 23, 24]) {
      const { labels, scores } = randomCase(seed, 1000, null);
      expect(new Set(scores).size).toBe(scores.length);
      const neg = scores.map((s) => -s);
      expect(Math.abs(rocAuc(labels, scores) - (1 - rocAuc(labels, neg)))).toBeLessThanOrEqual(1e-12);
    }
  });

  it('AUC(labels, s) = 1 - AUC(labels, -s) also with ties (a tie counts 1/2 both ways)', () => {
    const { labels, scores } = randomCase(25, 800, 2);
    expect(Math.abs(rocAuc(labels, scores) + rocAuc(labels, scores.map((s) => -s)) - 1)).toBeLessThanOrEqual(1e-12);
  });

  it('swapping the classes gives 1 - AUC', () => {
    const { labels, scores } = randomCase(26, 600, 10);
    const flipped = labels.map((l) => 1 - l);
    expect(Math.abs(rocAuc(flipped, scores) - (1 - rocAuc(labels, scores)))).toBeLessThanOrEqual(1e-12);
  });

  it('is invariant to the order of the frames', () => {
    const { labels, scores } = randomCase(27, 500, 5);
    const r = rng(99);
    const idx = labels.map((_, i) => i).sort(() => r() - 0.5);
    expect(rocAuc(idx.map((i) => labels[i]), idx.map((i) => scores[i]))).toBe(rocAuc(labels, scores));
  });

  it('accepts booleans, number[] and typed arrays alike', () => {
    const { labels, scores } = randomCase(28, 200, null);
    const want = rocAuc(labels, scores);
    expect(rocAuc(labels.map((l) => l === 1), scores)).toBe(want);
    expect(rocAuc(Int32Array.from(labels), Float32Array.from(scores))).toBe(rocAuc(labels, Array.from(Float32Array.from(scores))));
    expect(rocAuc(Uint8Array.from(labels), Float64Array.from(scores))).toBe(want);
  });

  it('treats +/-Infinity as the largest / smallest score', () => {
    const labels = [1, 0, 1, 0, 1, 0];
    const withInf = [Infinity, -Infinity, 5, 3, -Infinity, Infinity];
    const ranks = [4, 1, 3, 2, 1, 4];
    expect(rocAuc(labels, withInf)).toBe(rocAuc(labels, ranks));
    expect(averagePrecision(labels, withInf)).toBe(averagePrecision(labels, ranks));
    expect(equalErrorRate(labels, withInf)).toBe(equalErrorRate(labels, ranks));
  });

  it('rocCurve: trapezoid area equals rocAuc; endpoints (0,0) and (1,1); monotone', () => {
    const { labels, scores } = randomCase(29, 300, 10);
    const { fpr, tpr, thresholds } = rocCurve(labels, scores);
    expect([fpr[0], tpr[0], thresholds[0]]).toEqual([0, 0, Infinity]);
    expect([fpr[fpr.length - 1], tpr[tpr.length - 1]]).toEqual([1, 1]);
    let area = 0;
    for (let k = 1; k < fpr.length; k++) {
      expect(fpr[k]).toBeGreaterThanOrEqual(fpr[k - 1]);
      expect(tpr[k]).toBeGreaterThanOrEqual(tpr[k - 1]);
      expect(thresholds[k]).toBeLessThan(thresholds[k - 1]);
      area += ((fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1])) / 2;
    }
    expect(Math.abs(area - rocAuc(labels, scores))).toBeLessThanOrEqual(1e-12);
    expect(fpr.length).toBe(new Set(scores).size + 1);
  });

  it('prCurve: step sum equals averagePrecision; starts at (recall 0, precision 1)', () => {
    const { labels, scores } = randomCase(30, 300, 10);
    const { precision, recall } = prCurve(labels, scores);
    expect([recall[0], precision[0]]).toEqual([0, 1]);
    expect(recall[recall.length - 1]).toBe(1);
    let ap = 0;
    for (let k = 1; k < recall.length; k++) ap += (recall[k] - recall[k - 1]) * precision[k];
    expect(Math.abs(ap - averagePrecision(labels, scores))).toBeLessThanOrEqual(1e-12);
  });

  it('EER lies where FPR = FNR on the ROC polyline', () => {
    const { labels, scores } = randomCase(31, 500, null);
    const eer = equalErrorRate(labels, scores);
    const { fpr, tpr } = rocCurve(labels, scores);
    // Find the segment containing FPR = eer with TPR = 1 - eer.
    let ok = false;
    for (let k = 1; k < fpr.length; k++) {
      if (eer >= fpr[k - 1] && eer <= fpr[k]) {
        const u = fpr[k] === fpr[k - 1] ? 0 : (eer - fpr[k - 1]) / (fpr[k] - fpr[k - 1]);
        const y = tpr[k - 1] + u * (tpr[k] - tpr[k - 1]);
        if (Math.abs(y - (1 - eer)) < 1e-9 || (fpr[k] === fpr[k - 1] && 1 - eer >= tpr[k - 1] && 1 - eer <= tpr[k])) ok = true;
      }
    }
    expect(ok).toBe(true);
  });

  it('microMacroAuc: micro equals rocAuc of the concatenation; macro is the mean of per-video AUCs', () => {
    const a = randomCase(41, 100, 10);
    const b = randomCase(42, 80, 10);
    const r = microMacroAuc([
      { name: 'a', ...a },
      { name: 'b', ...b },
      { name: 'empty', labels: [], scores: [] },
    ]);
    expect(r.microAuc).toBe(rocAuc([...a.labels, ...b.labels], [...a.scores, ...b.scores]));
    expect(r.macroAuc).toBeCloseTo((rocAuc(a.labels, a.scores) + rocAuc(b.labels, b.scores)) / 2, 15);
    expect(r.skippedVideos).toEqual(['empty']);
    expect(r.perVideo[2]).toEqual({ name: 'empty', auc: null, numFrames: 0, numAnomalous: 0 });
  });

  it('microMacroAuc: macroAuc is null when every video is single-class', () => {
    const r = microMacroAuc([
      { labels: [0, 0], scores: [1, 2] },
      { labels: [1], scores: [3] },
    ]);
    expect(r.macroAuc).toBeNull();
    expect(r.skippedVideos).toEqual(['video_0', 'video_1']);
    expect(r.microAuc).toBe(1);
  });
});

describe('errors', () => {
  const catchErr = (fn: () => unknown): MetricsInputError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(MetricsInputError);
      return e as MetricsInputError;
    }
    throw new Error('expected a MetricsInputError');
  };

  it('length mismatch names the scores and both lengths', () => {
    for (const fn of [rocAuc, averagePrecision, equalErrorRate, rocCurve, prCurve]) {
      const e = catchErr(() => fn([0, 1], [0.1, 0.2, 0.3]));
      expect(e.source).toBe('scores');
      expect(e.message).toBe('scores: length 3 does not match labels length 2');
    }
  });

  it('a NaN score names its index', () => {
    const e = catchErr(() => rocAuc([0, 1, 0], [0.1, 0.2, NaN]));
    expect([e.source, e.location]).toEqual(['scores', 'index 2']);
    expect(e.message).toBe('scores index 2: score is NaN');
  });

  it('a label other than 0/1 names its index', () => {
    const e = catchErr(() => rocAuc([0, 2, 1], [0.1, 0.2, 0.3]));
    expect(e.message).toBe('labels index 1: label must be 0 or 1 (or a boolean), got 2');
  });

  it('a single class is an error for AUC, EER and the ROC curve', () => {
    for (const fn of [rocAuc, equalErrorRate, rocCurve]) {
      expect(catchErr(() => fn([0, 0, 0], [1, 2, 3])).message).toMatch(/^labels: .* only negative \(0\) labels/);
      expect(catchErr(() => fn([1, 1], [1, 2])).message).toMatch(/^labels: .* only positive \(1\) labels/);
      expect(catchErr(() => fn([], [])).message).toMatch(/^labels: .* no labels/);
    }
  });

  it('AP needs a positive but not a negative', () => {
    expect(catchErr(() => averagePrecision([0, 0], [1, 2])).message).toMatch(/^labels: average precision is undefined/);
    expect(averagePrecision([1, 1], [1, 2])).toBe(1);
  });

  it('custom input names appear in messages (e.g. file names)', () => {
    const e = catchErr(() => rocAuc([0, 1], [NaN, 1], { labels: 'gt.npy', scores: 'scores.json' }));
    expect(e.message).toBe('scores.json index 0: score is NaN');
  });

  it('microMacroAuc names the video', () => {
    expect(catchErr(() => microMacroAuc([{ name: 'cam1', labels: [0, 1], scores: [0] }])).message).toBe(
      'videos[0] (cam1).scores: length 1 does not match videos[0] (cam1).labels length 2',
    );
    expect(catchErr(() => microMacroAuc([{ labels: [0, 1], scores: [0, 1] }, { labels: [0], scores: [NaN] }])).message).toBe(
      'videos[1].scores index 0: score must be a number, got NaN',
    );
    expect(catchErr(() => microMacroAuc([{ labels: [0, 0], scores: [0, 1] }])).source).toBe('labels of all videos');
  });
});
