import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { BLAZEPOSE33_TO_COCO17, boxIou, estimatorPoseToCoco17, IouTracker, keypointBox, type EstimatorPose } from '@skelflow/pose';

// Keypoint objects in @tensorflow-models/pose-detection's documented output format, written by
// test/fixtures/estimators/make_estimator_fixtures.py with values that make the expected arrays
// known by construction (x = 100 + the estimator's keypoint index).
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/estimators/${name}`, import.meta.url), 'utf8')) as T;
type Frame = { frame: number; poses: (EstimatorPose & { _person: number })[] };

describe('estimatorPoseToCoco17', () => {
  it('MoveNet / PoseNet: 17 COCO keypoints as (x, y, score) triples', () => {
    const [pose] = fixture<EstimatorPose[]>('movenet_single.json');
    const kp = estimatorPoseToCoco17(pose!);
    expect(kp).toHaveLength(51);
    for (let j = 0; j < 17; j++) {
      expect([kp[3 * j], kp[3 * j + 1], kp[3 * j + 2]]).toEqual([100 + j, 200 + j, Math.fround(0.5 + j / 100)]);
    }
    // Without names the order is COCO's; shuffled named keypoints are matched by name.
    const unnamed = { keypoints: pose!.keypoints.map(({ x, y, score }) => ({ x, y, score })) };
    expect(Array.from(estimatorPoseToCoco17(unnamed))).toEqual(Array.from(kp));
    const shuffled = { keypoints: [...pose!.keypoints].reverse() };
    expect(Array.from(estimatorPoseToCoco17(shuffled))).toEqual(Array.from(kp));
  });

  it('BlazePose: the COCO-17 joints of its 33 landmarks (by name, and by index without names)', () => {
    const [pose] = fixture<EstimatorPose[]>('blazepose.json');
    // Hand-read from the BlazePose keypoint diagram: nose 0, left_eye 2, right_eye 5, ears 7 8,
    // shoulders 11 12, elbows 13 14, wrists 15 16, hips 23 24, knees 25 26, ankles 27 28.
    const expected = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];
    expect(BLAZEPOSE33_TO_COCO17).toEqual(expected);
    const xs = (kp: Float32Array) => Array.from({ length: 17 }, (_, j) => kp[3 * j]! - 100);
    expect(xs(estimatorPoseToCoco17(pose!))).toEqual(expected);
    const unnamed = { keypoints: pose!.keypoints.map(({ x, y, score }) => ({ x, y, score })) };
    expect(xs(estimatorPoseToCoco17(unnamed))).toEqual(expected);
    expect(estimatorPoseToCoco17(unnamed, { layout: 'blazepose33' })[2]).toBe(Math.fround(0));
  });

  it('a missing score is 1; bad poses are named', () => {
    const kps = Array.from({ length: 17 }, (_, i) => ({ x: i, y: i }));
    expect(estimatorPoseToCoco17({ keypoints: kps })[2]).toBe(1);
    expect(() => estimatorPoseToCoco17({ keypoints: kps.slice(0, 5) })).toThrow(/5 unnamed keypoints: neither COCO-17/);
    const nan = kps.map((k, i) => (i === 9 ? { x: NaN, y: 1 } : k));
    expect(() => estimatorPoseToCoco17({ keypoints: nan }, { location: 'frame 3, pose 1' })).toThrow(/frame 3, pose 1, left_wrist: keypoint \(NaN, 1, score 1\) is not finite/);
    const named = kps.map((k, i) => ({ ...k, name: i === 0 ? 'head' : `j${i}` }));
    expect(() => estimatorPoseToCoco17({ keypoints: named })).toThrow(InputError);
    expect(() => estimatorPoseToCoco17({} as EstimatorPose)).toThrow(/a pose needs a keypoints array/);
  });
});

describe('IouTracker', () => {
  it('boxIou and keypointBox, hand cases', () => {
    expect(boxIou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 15);
    expect(boxIou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(boxIou([0, 0, 2, 2], [0, 0, 2, 2])).toBe(1);
    // Low-confidence keypoints leave the box unless every one is low.
    expect(keypointBox([0, 0, 0.9, 10, 5, 0.9, 100, 100, 0.1], 0.2)).toEqual([0, 0, 10, 5]);
    expect(keypointBox([0, 0, 0.1, 10, 5, 0.1], 0.2)).toEqual([0, 0, 10, 5]);
  });

  it('keeps each person of a recorded MoveNet MultiPose clip on one ID; ends a track after maxAge', () => {
    const frames = fixture<Frame[]>('movenet_multipose_clip.json');
    const tracker = new IouTracker({ maxAge: 5 });
    const idOf = new Map<number, Set<number>>();
    const endedAt = new Map<number, number>();
    for (const { frame, poses } of frames) {
      const tracked = tracker.update(frame, poses);
      tracked.forEach((t, i) => {
        expect(t.index).toBe(i);
        expect(t.frame).toBe(frame);
        expect(Array.from(t.keypoints)).toEqual(Array.from(estimatorPoseToCoco17(poses[i]!)));
        const person = poses[i]!._person;
        if (!idOf.has(person)) idOf.set(person, new Set());
        idOf.get(person)!.add(t.trackId);
      });
      for (const id of tracker.takeEnded()) endedAt.set(id, frame);
    }
    expect([...idOf.get(0)!]).toEqual([1]);
    expect([...idOf.get(1)!]).toEqual([2]);
    // Person B is last seen at frame 24; unmatched for more than 5 frames → ended at frame 30.
    expect([...endedAt]).toEqual([[2, 30]]);
    expect(tracker.activeTracks).toBe(1);
  });

  it("keeps the estimator's IDs and never hands them out", () => {
    const [pose] = fixture<EstimatorPose[]>('movenet_single.json');
    const far = { keypoints: pose!.keypoints.map((k) => ({ ...k, x: k.x + 1000 })) };
    const tracker = new IouTracker();
    expect(tracker.update(0, [{ ...pose!, id: 1 }, far]).map((t) => t.trackId)).toEqual([1, 2]);
    expect(tracker.update(1, [far, { ...pose!, id: 1 }]).map((t) => t.trackId)).toEqual([2, 1]);
    expect(new IouTracker({ useEstimatorIds: false }).update(0, [{ ...pose!, id: 7 }])[0]!.trackId).toBe(1);
    expect(() => tracker.update(1, [])).toThrow(/frame must be an integer greater than the previous one \(1\), got 1/);
    expect(() => new IouTracker({ iouThreshold: 0 })).toThrow(InputError);
  });
});
