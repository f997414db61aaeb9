// NFlowAD-style multi-level decisions: hand-computed cases.
import { describe, expect, it } from 'vitest';
import { calibrateMultiLevel, evaluateClip, MetricsInputError } from '@skelflow/metrics';

describe('evaluateClip', () => {
  it('fraction rule fires when the flagged fraction reaches tau_frac (inclusive)', () => {
    const frames = [0.1, 0.2, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]; // 1 of 10 above 0.5
    const d = evaluateClip({ frameScores: frames }, { frame: 0.5 });
    expect(d.anomalous).toBe(true);
    expect(d.reasons).toEqual(['fraction']);
    expect(d.flaggedFrames).toEqual([2]);
    expect(d.fractionAboveFrame).toBe(0.1);
    const d2 = evaluateClip({ frameScores: frames }, { frame: 0.5, minFraction: 0.11 });
    expect(d2.anomalous).toBe(false);
    expect(d2.reasons).toEqual([]);
  });

  it('max and mean rules fire on their own thresholds (strictly above)', () => {
    const clip = { frameScores: [1, 2, 3, 6] }; // max 6, mean 3
    expect(evaluateClip(clip, { frame: 10, clipMax: 5 }).reasons).toEqual(['max']);
    expect(evaluateClip(clip, { frame: 10, clipMax: 6 }).reasons).toEqual([]);
    expect(evaluateClip(clip, { frame: 10, clipMean: 2.9 }).reasons).toEqual(['mean']);
    expect(evaluateClip(clip, { frame: 10, clipMean: 3 }).reasons).toEqual([]);
    const all = evaluateClip(clip, { frame: 2.5, clipMax: 5, clipMean: 2 });
    expect(all.reasons).toEqual(['fraction', 'max', 'mean']);
    expect([all.maxScore, all.meanScore]).toEqual([6, 3]);
  });

  it('lists joints above a shared or per-joint threshold', () => {
    const jointScores = [
      [0.1, 0.9, 0.2],
      [0.8, 0.1, 0.3],
    ];
    const shared = evaluateClip({ frameScores: [0, 0], jointScores }, { frame: 1, joint: 0.5 });
    expect(shared.flaggedJoints).toEqual([
      { frame: 0, joint: 1, score: 0.9 },
      { frame: 1, joint: 0, score: 0.8 },
    ]);
    const perJoint = evaluateClip({ frameScores: [0, 0], jointScores }, { frame: 1, joint: [0.9, 0.5, 0.25] });
    expect(perJoint.flaggedJoints).toEqual([
      { frame: 0, joint: 1, score: 0.9 },
      { frame: 1, joint: 2, score: 0.3 },
    ]);
  });

  it('errors name the place', () => {
    const m = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsInputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(m(() => evaluateClip({ frameScores: [] }, { frame: 1 }))).toBe('clip.frameScores: is empty');
    expect(m(() => evaluateClip({ frameScores: [1, NaN] }, { frame: 1 }))).toBe(
      'clip.frameScores index 1: frame score must be a finite number, got NaN',
    );
    expect(m(() => evaluateClip({ frameScores: [1], jointScores: [[1, 2]] }, { frame: 1, joint: [1] }))).toBe(
      'thresholds.joint: has 1 thresholds for 2 joints',
    );
    expect(m(() => evaluateClip({ frameScores: [1, 2], jointScores: [[1, 2]] }, { frame: 1, joint: 1 }))).toBe(
      'clip.jointScores: has 1 frames but frameScores has 2',
    );
    expect(m(() => evaluateClip({ frameScores: [1, 2], jointScores: [[1, 2], [3]] }, { frame: 1, joint: 1 }))).toBe(
      'clip.jointScores frame 1: has 1 joints, frame 0 has 2',
    );
    expect(m(() => evaluateClip({ frameScores: [1] }, { frame: 1, minFraction: 0 }))).toBe(
      'thresholds.minFraction: must be in (0, 1], got 0',
    );
  });
});

describe('calibrateMultiLevel', () => {
  it('percentiles per level (hand-computed)', () => {
    const th = calibrateMultiLevel(
      [
        { frameScores: [0, 1, 2], jointScores: [[0, 10], [1, 20], [2, 30]] },
        { frameScores: [1, 2, 3], jointScores: [[3, 40], [4, 50], [5, 60]] },
      ],
      { framePercentile: 50, clipPercentile: 100, jointPercentile: 50 },
    );
    expect(th.frame).toBe(1.5); // median of [0,1,1,2,2,3]
    expect(th.clipMax).toBe(3); // max of maxima [2,3]
    expect(th.clipMean).toBe(2); // max of means [1,2]
    expect(Array.from(th.joint as Float64Array)).toEqual([2.5, 35]);
    expect(th.minFraction).toBe(0.1);
    expect(evaluateClip({ frameScores: [0, 0, 5] }, th).reasons).toEqual(['fraction', 'max']);
  });

  it('default percentile 99 and no joint thresholds without joint scores', () => {
    const frameScores = Array.from({ length: 101 }, (_, i) => i);
    const th = calibrateMultiLevel([{ frameScores }]);
    expect(th.frame).toBe(99);
    expect(th.joint).toBeUndefined();
  });

  it('rejects joint scores on only some clips', () => {
    expect(() => calibrateMultiLevel([{ frameScores: [1], jointScores: [[1]] }, { frameScores: [2] }])).toThrow(
      'clips[1].jointScores: is missing while other clips have joint scores',
    );
    expect(() => calibrateMultiLevel([])).toThrow(MetricsInputError);
  });
});
