import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coco17ToOpenPose18, normalizeSegment, type EstimatorPose } from '@skelflow/pose';
import { PoseEstimatorScorer, type StreamingModel } from '@skelflow/model';

// The pose package's recorded MoveNet MultiPose clip (pose-detection's documented output format):
// person A for 40 frames, person B for frames 0-24, no track IDs.
type Frame = { frame: number; poses: (EstimatorPose & { _person: number })[] };
const frames = JSON.parse(readFileSync(new URL('../../pose/test/fixtures/estimators/movenet_multipose_clip.json', import.meta.url), 'utf8')) as Frame[];

const T = 8;
/** A stand-in model: score = sum of the normalised segment's values weighted by position (any fixed function would do). */
const model: StreamingModel = {
  input: { layout: 'openpose18', dims: 2, channels: 2, segLen: T, joints: 18 },
  scoreSegments(data: Float32Array): Float32Array {
    const per = 2 * T * 18;
    const out = new Float32Array(data.length / per);
    for (let s = 0; s < out.length; s++) for (let i = 0; i < per; i++) out[s] += data[s * per + i]! * Math.sin(i);
    return out;
  },
};

/** Oracle: the window of one person's last T frames, converted and normalised by hand with the pipeline's functions. */
function expectedScore(person: number, lastFrame: number): number {
  const raw = new Float32Array(T * 18 * 3);
  for (let t = 0; t < T; t++) {
    const pose = frames[lastFrame - T + 1 + t]!.poses.find((p) => p._person === person)!;
    // COCO-17 (x, y, score) in the order the estimator docs list the names (nose … right_ankle).
    const coco = Float32Array.from(pose.keypoints.flatMap((k) => [k.x, k.y, k.score ?? 1]));
    raw.set(coco17ToOpenPose18(coco), t * 18 * 3);
  }
  const seg = normalizeSegment(raw, { vidRes: [856, 480] });
  return model.scoreSegments(seg)[0]!;
}

describe('PoseEstimatorScorer: estimator objects → tracker → streaming scorer', () => {
  it('scores each person of a recorded clip as the batch pipeline would, from frame T − 1 on', () => {
    const live = new PoseEstimatorScorer(model, { tracker: { maxAge: 5 } });
    const seen: { frame: number; person: number; trackId: number; score: number | null }[] = [];
    for (const { frame, poses } of frames) {
      live.update(frame, poses).forEach((s, i) => seen.push({ frame, person: poses[i]!._person, trackId: s.trackId, score: s.score }));
    }
    for (const s of seen) {
      expect(s.trackId).toBe(s.person + 1);
      if (s.frame < T - 1) expect(s.score).toBeNull();
      else expect(s.score!).toBeCloseTo(expectedScore(s.person, s.frame), 4);
    }
    expect(seen.filter((s) => s.score !== null)).toHaveLength(40 - (T - 1) + 25 - (T - 1));
    // Person B's track was ended in the scorer too.
    expect(live.scorer.activeTracks).toBe(1);
  });
});
