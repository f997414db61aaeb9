// Pose keypoints -> detection regions for RBDC/TBDC.
import { describe, expect, it } from 'vitest';
import { MetricsInputError, poseRegions, rbdcTbdc } from '@skelflow/metrics';

describe('poseRegions', () => {
  it('box around confident keypoints plus a relative margin', () => {
    const { detections, skipped } = poseRegions([{ frame: 7, keypoints: [100, 50, 0.9, 120, 150, 0.8, 0, 0, 0], score: 2.5 }]);
    // extent x 100..120 (20), y 50..150 (100); margin 0.1 -> 2 and 10
    expect(detections).toEqual([[7, 98, 40, 122, 160, 2.5]]);
    expect(skipped).toEqual([]);
  });

  it('stride 2, pixel margins, confidence cut and clipping to the image', () => {
    expect(poseRegions([{ frame: 0, keypoints: [5, 5, 20, 30], score: 1 }], { keypointStride: 2, margin: 0, marginPixels: 10 }).detections).toEqual([
      [0, -5, -5, 30, 40, 1],
    ]);
    expect(
      poseRegions([{ frame: 0, keypoints: [5, 5, 20, 30], score: 1 }], { keypointStride: 2, margin: 0, marginPixels: 10, imageWidth: 25, imageHeight: 100 })
        .detections,
    ).toEqual([[0, 0, 0, 24, 40, 1]]);
    expect(
      poseRegions([{ frame: 1, keypoints: [0, 0, 0.2, 10, 10, 0.9, 20, 30, 0.95], score: 1 }], { minConfidence: 0.5, margin: 0 }).detections,
    ).toEqual([[1, 10, 10, 20, 30, 1]]);
  });

  it('skips persons without a usable keypoint', () => {
    const r = poseRegions([
      { frame: 0, keypoints: [0, 0, 0, 0, 0, 0], score: 1 },
      { frame: 0, keypoints: [NaN, 3, 1], score: 1 },
      { frame: 1, keypoints: [4, 4, 1], score: 3 },
    ]);
    expect(r.skipped).toEqual([0, 1]);
    expect(r.detections).toEqual([[1, 4, 4, 4, 4, 3]]);
  });

  it('feeds rbdc: a perfectly scored anomalous person gives RBDC 1', () => {
    const persons = [0, 1, 2, 3].map((f) => ({ frame: f, keypoints: [10, 10, 1, 30, 60, 1], score: 5 }));
    const normal = [0, 1, 2, 3].map((f) => ({ frame: f, keypoints: [200, 10, 1, 220, 60, 1], score: 0.1 }));
    const { detections } = poseRegions([...persons, ...normal], { margin: 0 });
    const tracks = [0, 1, 2, 3].map((f) => [0, f, 10, 10, 30, 60]);
    const r = rbdcTbdc([{ tracks, detections }], 100);
    // 4 hits at FPR 0, then 4 FPs: the curve is at 1 from FPR 0 on.
    expect(r.rbdc).toBe(1);
    expect(r.tbdc).toBe(1);
  });

  it('errors name the person', () => {
    const m = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsInputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(m(() => poseRegions([{ frame: 0, keypoints: [1, 1, 1], score: 1 }, { frame: 0.5, keypoints: [1, 1, 1], score: 1 }]))).toBe(
      'persons[1] frame: must be an integer, got 0.5',
    );
    expect(m(() => poseRegions([{ frame: 0, keypoints: [1, 1], score: 1 }]))).toBe('persons[0] keypoints: length 2 is not a multiple of the stride 3');
    expect(m(() => poseRegions([{ frame: 0, keypoints: [1, 1, 1], score: NaN }]))).toBe('persons[0] score: must be a number, got NaN');
    expect(m(() => poseRegions([], { margin: -1 }))).toBe('options.margin: must be a finite number >= 0, got -1');
  });
});
