// The values stated in the @example blocks of the API docs (each worked out by hand when
// written), so documentation and behaviour cannot drift apart.
import { describe, expect, it } from 'vitest';
import * as m from '@skelflow/metrics';

const arr = (x: ArrayLike<number>) => Array.from(x);

describe('documented examples', () => {
  it('frame-level metrics', () => {
    expect(m.rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    const roc = m.rocCurve([0, 1, 1], [0.2, 0.2, 0.9]);
    expect([arr(roc.fpr), arr(roc.tpr), arr(roc.thresholds)]).toEqual([[0, 0, 1], [0, 0.5, 1], [Infinity, 0.9, 0.2]]);
    expect(m.averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333333333333333, 15);
    const pr = m.prCurve([0, 1, 1], [0.2, 0.2, 0.9]);
    expect(arr(pr.precision)).toEqual([1, 1, 2 / 3]);
    expect(arr(pr.recall)).toEqual([0, 0.5, 1]);
    expect(m.equalErrorRate([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(m.equalErrorRate([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    const mm = m.microMacroAuc([
      { name: 'a', labels: [0, 0, 1, 1], scores: [0.1, 0.2, 0.3, 0.4] },
      { name: 'b', labels: [0, 0, 0], scores: [0.5, 0.6, 0.7] },
    ]);
    expect([mm.microAuc, mm.macroAuc, mm.skippedVideos]).toEqual([0.4, 1, ['b']]);
  });

  it('post-processing, thresholds and decisions', () => {
    const k = m.gaussianKernel1d(1, 1);
    expect(arr(k).map((v) => +v.toFixed(7))).toEqual([0.2740686, 0.4518628, 0.2740686]);
    expect(arr(m.movingAverage([0, 0, 3, 0, 0], 3))).toEqual([0, 1, 1, 1, 0]);
    expect(arr(m.movingAverage([3, 0, 0], 2, { align: 'trailing', mode: 'nearest' }))).toEqual([3, 1.5, 0]);
    expect(arr(m.minMaxNormalise([2, 4, 3]))).toEqual([0, 1, 0.5]);
    expect(m.calibrationStats([1, 2, 3, 4])).toEqual({ mean: 2.5, std: 1.118033988749895, count: 4 });
    expect(arr(m.zNormalise([3, 5], [1, 3]))).toEqual([1, 3]);
    expect(m.percentile([10, 7, 4, 3, 2, 1], 50)).toBe(3.5);
    const t = m.percentileThreshold([0.1, 0.2, 0.3, 0.4, 0.5], 75);
    expect(t).toBe(0.4);
    expect(m.applyThreshold([0.35, 0.45], t).flaggedFrames).toEqual([1]);
    const d = m.applyThreshold([0.1, 0.9, 0.5], 0.5);
    expect([d.flaggedFrames, d.fraction]).toEqual([[1], 1 / 3]);
    const c = m.evaluateClip({ frameScores: [0.1, 0.2, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] }, { frame: 0.5, clipMax: 2 });
    expect([c.anomalous, c.reasons, c.flaggedFrames]).toEqual([true, ['fraction'], [2]]);
    const th = m.calibrateMultiLevel([{ frameScores: [0, 1, 2] }, { frameScores: [1, 2, 3] }], { framePercentile: 50, clipPercentile: 100 });
    expect(th).toEqual({ frame: 1.5, clipMax: 3, clipMean: 2, minFraction: 0.1 });
    expect(m.evaluateClip({ frameScores: [0, 0, 5] }, th).reasons).toEqual(['fraction', 'max']);
  });

  it('RBDC / TBDC, formats, pose regions, errors', () => {
    const both = m.rbdcTbdc(
      [{ name: 'v1', tracks: [[0, 0, 0, 0, 9, 9], [0, 1, 0, 0, 9, 9]], detections: [[0, 0, 0, 9, 9, 0.9], [1, 50, 50, 59, 59, 0.8]] }],
      10,
    );
    expect([both.rbdc, both.tbdc]).toEqual([0.5, 1]);
    const r = m.rbdc(
      [
        { name: 'abnormal', tracks: [[0, 3, 10, 10, 40, 60], [0, 4, 12, 10, 42, 60]], detections: [[3, 11, 10, 41, 60, 0.9], [4, 100, 100, 120, 130, 0.7]] },
        { name: 'normal', detections: [[0, 5, 5, 20, 20, 0.2]] },
      ],
      100,
    );
    expect(r.rbdc).toBe(0.5);
    expect([arr(r.curve.fpr), arr(r.curve.rate)]).toEqual([[0, 0, 0.01, 0.02, 1], [0, 0.5, 0.5, 0.5, 0.5]]);
    const track = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => [0, f, 0, 0, 9, 9]);
    expect(m.tbdc([{ tracks: track, detections: [[5, 0, 0, 9, 9, 0.8]] }], 50).tbdc).toBe(1);
    expect(m.boxIou([0, 0, 9, 9], [0, 0, 9, 0])).toBe(0.1);
    expect(m.boxIou([0, 0, 9, 9], [9, 9, 18, 18])).toBe(1 / 199);
    expect(m.parseTracks('0,12,10,20,50,90\n0,13,11,20,51,90\n', 'tracks/01_0014.txt')).toEqual([
      [0, 12, 10, 20, 50, 90],
      [0, 13, 11, 20, 51, 90],
    ]);
    expect(m.parseDetections('12,10,20,50,90,0.93\n', 'detections/01_0014.txt')).toEqual([[12, 10, 20, 50, 90, 0.93]]);
    expect(m.formatTracks([[0, 12, 10, 20, 50, 90]])).toBe('0,12,10,20,50,90\n');
    expect(m.formatDetections([[12, 10, 20, 50, 90, 0.93]])).toBe('12,10,20,50,90,0.93\n');
    expect(m.poseRegions([{ frame: 7, keypoints: [100, 50, 0.9, 120, 150, 0.8, 0, 0, 0], score: 2.5 }], { margin: 0.1 }).detections).toEqual([
      [7, 98, 40, 122, 160, 2.5],
    ]);
    try {
      m.rocAuc([0, 1], [0.2, NaN]);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(m.MetricsInputError);
      const err = e as m.MetricsInputError;
      expect([err.source, err.location, err.reason, err.name]).toEqual(['scores', 'index 1', 'score is NaN', 'MetricsInputError']);
    }
  });
});
