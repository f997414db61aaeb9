import { describe, expect, it } from 'vitest';
import { ShapeError } from '@skelflow/base';
import { StreamingScorer, type StreamingFrame } from '@skelflow/model';
import { pcaGaussianFamily } from '@skelflow/pca-gaussian';
import { generateDemoDataset, poseTracksFromJson, type PoseClip } from '@skelflow/pose';

// The generic StreamingScorer (@skelflow/model) on the second family: every window the batch
// pipeline (family.evalSegments + scoreSegments) produces gets the same log-density from the push
// of its last detection; the only other scores are each track's last window, which the original's
// segmentation never uses.

const SEG_LEN = 8;

describe('StreamingScorer with a pca-gaussian model', () => {
  const ds = generateDemoDataset({ seed: 4, scale: 'tiny' });
  const clips = (split: typeof ds.train): PoseClip[] => split.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));

  it('pushing every track frame by frame gives the batch score of each complete window', async () => {
    const config = pcaGaussianFamily.configure({ 'seg-len': SEG_LEN, 'max-components': 12 });
    const { model } = await pcaGaussianFamily.train(config, pcaGaussianFamily.trainingData({ normal: { clips: clips(ds.train), source: 'train' } }, config));
    expect(model.input.segLen).toBe(SEG_LEN);
    const test = clips(ds.test);
    const segs = pcaGaussianFamily.evalSegments(test, model.input);
    const scores = model.scoreSegments(segs.data);
    const batch = new Map<string, number>();
    for (let s = 0; s < scores.length; s++) batch.set(`${segs.meta.clipNames[segs.meta.clip[s]!]}/${segs.meta.person[s]}:${segs.meta.startFrame[s]}`, scores[s]!);
    expect(batch.size).toBeGreaterThan(100);

    // One scorer for all clips (track IDs `clip/person`), each clip replayed frame by frame with pushMany.
    const scorer = new StreamingScorer(model);
    let matched = 0;
    let lastOnly = 0;
    for (const clip of test) {
      const byFrame = new Map<number, (StreamingFrame & { j: number; person: string })[]>();
      for (const [person, t] of clip.tracks) {
        t.frames.forEach((frame, j) => {
          const list = byFrame.get(frame) ?? [];
          list.push({ trackId: `${clip.name}/${person}`, frame, keypoints: t.keypoints.subarray(j * 51, (j + 1) * 51), j, person });
          byFrame.set(frame, list);
        });
      }
      for (const frame of [...byFrame.keys()].sort((a, b) => a - b)) {
        const entries = byFrame.get(frame)!;
        const got = scorer.pushMany(entries);
        entries.forEach((e, i) => {
          const t = clip.tracks.get(e.person)!;
          const key = `${e.trackId}:${e.j >= SEG_LEN - 1 ? t.frames[e.j - SEG_LEN + 1] : -1}`;
          const want = batch.get(key);
          if (want !== undefined) {
            expect(got[i], key).not.toBeNull();
            expect(Math.abs(got[i]! - want), key).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
            matched++;
          } else if (got[i] !== null) {
            // Only a track's last window is scored by the stream and not by the batch path.
            expect(e.j, key).toBe(t.frames.length - 1);
            lastOnly++;
          }
        });
      }
      for (const person of clip.tracks.keys()) scorer.end(`${clip.name}/${person}`);
    }
    expect(matched).toBe(batch.size);
    expect(lastOnly).toBeGreaterThan(0);
    expect(scorer.activeTracks).toBe(0);
  });

  it('push on a hand-built walking track equals scoreSegments on the batch window', async () => {
    const config = pcaGaussianFamily.configure({ 'seg-len': 4, 'max-components': 6 });
    const { model } = await pcaGaussianFamily.train(config, pcaGaussianFamily.trainingData({ normal: { clips: clips(ds.train), source: 'train' } }, config));
    // One person, 10 consecutive frames, joints on a line moving right and swaying.
    const frames = Array.from({ length: 10 }, (_, f) => f + 3);
    const keypoints = new Float32Array(frames.length * 51);
    frames.forEach((f, j) => {
      for (let v = 0; v < 17; v++) keypoints.set([300 + 4 * f + 6 * Math.sin(f + v), 120 + 14 * v + (v % 3) * f, 0.9], j * 51 + v * 3);
    });
    const clip: PoseClip = { name: 'hand', tracks: new Map([['1', { frames, keypoints, scores: new Float32Array(frames.length).fill(1) }]]) };
    const segs = pcaGaussianFamily.evalSegments([clip], model.input);
    const want = model.scoreSegments(segs.data);
    expect(want.length).toBe(frames.length - 4); // the original's off-by-one: the last window is not cut
    const scorer = new StreamingScorer(model);
    const got = frames.map((f, j) => scorer.push(7, f, keypoints.subarray(j * 51, (j + 1) * 51)));
    expect(got.slice(0, 3)).toEqual([null, null, null]);
    for (let s = 0; s < want.length; s++) expect(got[s + 3]).toBe(want[s]);
    expect(got[frames.length - 1]).toEqual(expect.any(Number));
  });

  it('refuses a model whose input is not [2, T, 18] OpenPose-18 pose segments', () => {
    const coco = { input: { layout: 'coco17', dims: 2, channels: 2, segLen: 4, joints: 17 } as const, scoreSegments: () => new Float64Array(0) };
    expect(() => new StreamingScorer(coco)).toThrow(ShapeError);
    expect(() => new StreamingScorer(coco)).toThrow(/\[B, 2, 4, 17\] coco17 segments; streaming produces \[B, 2, T, 18\]/);
  });
});
