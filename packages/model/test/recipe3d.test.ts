import { describe, expect, it } from 'vitest';
import type { PoseClip } from '@skelflow/pose';
import { expectInputError } from '@skelflow/testing';
import { poseEvalSegments, poseSegmentFamily, poseSegmentInput, recipeFlags, recipeSegments, type Recipe } from '../src/index.js';

const STGNF_LIKE: Recipe = { segLen: 4, trainStride: 2, flipHorizontal: true, epochs: 1, batchSize: 8, lr: 1e-3, seed: 1 };

// A walking-ish 3-D body: joint j of frame t at (0.1·t + cos j, 1 + sin j, 0.05·j·t) metres.
function clip3d(name: string, frames = 10): PoseClip {
  const keypoints = new Float32Array(frames * 68);
  for (let t = 0; t < frames; t++) for (let j = 0; j < 17; j++) keypoints.set([0.1 * t + Math.cos(j), 1 + Math.sin(j), 0.05 * j * t, 1], t * 68 + 4 * j);
  return { name, source: `${name}_tracked_person_3d.json`, dims: 3, tracks: new Map([['1', { frames: [...Array(frames).keys()], keypoints, scores: new Float32Array(frames).fill(1) }]]) };
}
function clip2d(name: string, frames = 10): PoseClip {
  const keypoints = new Float32Array(frames * 51);
  for (let t = 0; t < frames; t++) for (let j = 0; j < 17; j++) keypoints.set([100 + 3 * t + 10 * Math.cos(j), 200 + 20 * Math.sin(j), 1], t * 51 + 3 * j);
  return { name, source: `${name}_alphapose_tracked_person.json`, tracks: new Map([['1', { frames: [...Array(frames).keys()], keypoints, scores: new Float32Array(frames).fill(1) }]]) };
}

describe('pose-segment recipes in 2-D and 3-D', () => {
  it("STG-NF's recipe keeps its input spec and refuses 3-D tracks naming the folder", () => {
    expect(poseSegmentInput(STGNF_LIKE)).toEqual({ layout: 'openpose18', dims: 2, channels: 2, segLen: 4, joints: 18 });
    expect(poseSegmentFamily(STGNF_LIKE, []).input).toEqual({ layout: 'openpose18', dims: 2, channels: 2, segLen: 4, joints: 18 });
    expectInputError(() => recipeSegments([clip3d('a')], STGNF_LIKE, 'data/pose3d/train'), /^data\/pose3d\/train: holds 3-D pose tracks \(a_tracked_person_3d\.json\) but the model takes 2-D input/);
  });

  it('a 3-D recipe gives [N, 3, T, V] training segments (plain, then mirrored) and refuses 2-D tracks', () => {
    const recipe: Recipe = { ...STGNF_LIKE, dims: 3, layout: 'coco17' };
    expect(poseSegmentInput(recipe)).toEqual({ layout: 'coco17', dims: 3, channels: 3, segLen: 4, joints: 17 });
    const segs = recipeSegments([clip3d('a'), clip3d('b')], recipe, 'train');
    // 10 frames, segLen 4, stride 2: ceil(6 / 2) = 3 windows per clip, × 2 clips, × 2 (flip).
    expect(segs.length).toBe(12 * 3 * 4 * 17);
    // The mirrored copy of a window: x of joint v is −x of its mirror joint (left_shoulder 5 ↔ right_shoulder 6).
    const per = 3 * 4 * 17;
    expect(segs[6 * per + 5]).toBeCloseTo(-segs[6]!, 6);
    expectInputError(() => recipeSegments([clip2d('c')], recipe, 'data/pose/train'), /^data\/pose\/train: holds 2-D pose tracks \(c_alphapose_tracked_person\.json\) but the model takes 3-D input/);
  });

  it('poseEvalSegments follows the input spec: OpenPose-18 3-D with frame normalisation, and a mismatch is a typed error', () => {
    const input = poseSegmentInput({ ...STGNF_LIKE, dims: 3, normalization: 'frame' });
    const ev = poseEvalSegments([clip3d('a')], input);
    expect(ev.shape).toEqual([6, 3, 4, 18]);
    // Per-frame standardisation: every frame has mean 0 per axis and pooled variance 1.
    const n = 4 * 18;
    for (let t = 0; t < 4; t++) {
      let ss = 0;
      for (let c = 0; c < 3; c++) {
        let m = 0;
        for (let v = 0; v < 18; v++) {
          const x = ev.data[c * n + t * 18 + v]!;
          m += x;
          ss += x * x;
        }
        expect(m / 18).toBeCloseTo(0, 6);
      }
      expect(ss / (3 * 18)).toBeCloseTo(1, 5);
    }
    expectInputError(() => poseEvalSegments([clip2d('c')], input), /holds 2-D pose tracks/);
    expectInputError(() => poseEvalSegments([clip3d('a')], { ...input, channels: 2 }), /this model takes \[2, 4, 18\] openpose18 \(dims 3\)/);
  });

  it('recipeFlags declares dims, layout and normalization', () => {
    const [dims, layout, norm] = recipeFlags({ ...STGNF_LIKE, dims: 3 }, ['dims', 'layout', 'normalization']);
    expect(dims).toMatchObject({ name: 'dims', type: 'int', default: 3 });
    expect(layout).toMatchObject({ name: 'layout', choices: ['openpose18', 'coco17'], default: 'openpose18' });
    expect(norm).toMatchObject({ name: 'normalization', choices: ['stg-nf', 'segment', 'frame'] });
  });
});
