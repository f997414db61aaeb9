import { describe, expect, it } from 'vitest';
import { COCO17_FLIP, COCO17_KEYPOINTS, OPENPOSE18, OPENPOSE18_FLIP, segmentTracks, type PoseClip } from '../src/index.js';
import { expectInputError } from '@skelflow/testing';

// A body whose joints sit at fixed offsets q_j about a frame centre o_t:
// q_0 = 0; q_1..4 = (1, 0, 0); q_5..8 = (−1, 0, 0); q_9..12 = (0, 2, 0); q_13..16 = (0, −2, 0).
// mean_j q_j = 0 and Σ_j ‖q_j‖² = 8·1 + 8·4 = 40, so the body size of both normalisations is
// s = sqrt(40 / (17 · 3)) in 3-D (and sqrt(40 / (17 · 2)) in 2-D).
const Q: [number, number, number][] = Array.from({ length: 17 }, (_, j) =>
  j === 0 ? [0, 0, 0] : j <= 4 ? [1, 0, 0] : j <= 8 ? [-1, 0, 0] : j <= 12 ? [0, 2, 0] : [0, -2, 0],
);
const O: [number, number, number][] = [
  [0, 0, 0],
  [0.5, 0, 1],
  [7, 7, 7],
];

function clip3d(offsets = O, q = Q, conf = (t: number, j: number) => 0.5 + 0.01 * j + 0.1 * t): PoseClip {
  const n = offsets.length;
  const keypoints = new Float32Array(n * 68);
  offsets.forEach((o, t) => q.forEach((qj, j) => keypoints.set([o[0] + qj[0], o[1] + qj[1], o[2] + qj[2], conf(t, j)], t * 68 + 4 * j)));
  return { name: 'c3', dims: 3, tracks: new Map([['1', { frames: [...Array(n).keys()], keypoints, scores: new Float32Array(n).fill(1) }]]) };
}

// Segment (s = 0) element (c, t, v) of [S, C, T, V].
const at = (data: Float32Array, C: number, T: number, V: number) => (c: number, t: number, v: number) => data[(c * T + t) * V + v]!;

describe('segmentTracks on 3-D clips and on COCO-17', () => {
  it("gives [S, 3, T, V] with 'segment' normalisation: centred on the segment mean, divided by the RMS joint spread about each frame's centre", () => {
    const seg = segmentTracks(clip3d(), { segLen: 2, layout: 'coco17' });
    expect(seg.shape).toEqual([1, 3, 2, 17]);
    const s = Math.sqrt(40 / 51);
    const mu = [0.25, 0, 0.5]; // mean of o_0 and o_1 (mean_j q_j = 0)
    const x = at(seg.data, 3, 2, 17);
    for (let t = 0; t < 2; t++) {
      for (let j = 0; j < 17; j++) {
        for (let c = 0; c < 3; c++) expect(x(c, t, j)).toBeCloseTo((O[t]![c]! + Q[j]![c]! - mu[c]!) / s, 6);
      }
    }
    // The scale ignores travel: a body moving 100 m within the segment keeps s.
    const far = segmentTracks(clip3d([[0, 0, 0], [100, 0, 0], [0, 0, 0]]), { segLen: 2, layout: 'coco17' });
    expect(at(far.data, 3, 2, 17)(0, 1, 1)).toBeCloseTo((50 + 1) / s, 4);
  });

  it("'frame' normalisation (NFlowAD §5.1) gives each frame zero mean per axis and unit pooled variance", () => {
    const seg = segmentTracks(clip3d(), { segLen: 2, layout: 'coco17', normalization: 'frame' });
    const s = Math.sqrt(40 / 51);
    const x = at(seg.data, 3, 2, 17);
    for (let t = 0; t < 2; t++) for (let j = 0; j < 17; j++) for (let c = 0; c < 3; c++) expect(x(c, t, j)).toBeCloseTo(Q[j]![c]! / s, 6);
  });

  it('both normalisations are invariant to rotating and translating the clip (the std(y) of STG-NF is not)', () => {
    const a = 0.7;
    const rot = (p: [number, number, number]): [number, number, number] => [Math.cos(a) * p[0] - Math.sin(a) * p[1], Math.sin(a) * p[0] + Math.cos(a) * p[1], p[2]];
    for (const normalization of ['segment', 'frame'] as const) {
      const plain = segmentTracks(clip3d(), { segLen: 2, layout: 'coco17', normalization }).data;
      const turned = segmentTracks(clip3d(O.map((o) => rot(o)).map((o) => [o[0] + 3, o[1] - 2, o[2] + 5]), Q.map(rot)), { segLen: 2, layout: 'coco17', normalization }).data;
      // Same data up to the rotation: compare rotation-invariant norms per (t, v).
      const n = 2 * 17;
      for (let i = 0; i < n; i++) {
        const norm = (d: Float32Array) => Math.hypot(d[i]!, d[n + i]!, d[2 * n + i]!);
        expect(norm(turned)).toBeCloseTo(norm(plain), 5);
      }
    }
  });

  it('OpenPose-18 from 3-D: the neck is the mean of the shoulders in x, y and z; confidence is the fourth channel', () => {
    const seg = segmentTracks(clip3d(), { segLen: 2, normalize: false, withConfidence: true });
    expect(seg.shape).toEqual([1, 4, 2, 18]);
    const x = at(seg.data, 4, 2, 18);
    const neck = OPENPOSE18.jointNames.indexOf('neck');
    const ls = COCO17_KEYPOINTS.indexOf('left_shoulder');
    const rs = COCO17_KEYPOINTS.indexOf('right_shoulder');
    for (let c = 0; c < 3; c++) expect(x(c, 1, neck)).toBeCloseTo(O[1]![c]! + (Q[ls]![c]! + Q[rs]![c]!) / 2, 6);
    // OpenPose joint 'left_knee' is COCO joint 13: its confidence 0.5 + 0.13 + 0.1 at t = 1.
    expect(x(3, 1, OPENPOSE18.jointNames.indexOf('left_knee'))).toBeCloseTo(0.5 + 0.13 + 0.1, 6);
  });

  it('the 3-D flip mirrors x and swaps left and right joints (a 2-D flip only negates x)', () => {
    const plain = segmentTracks(clip3d(), { segLen: 2, layout: 'coco17', normalize: false });
    const flipped = segmentTracks(clip3d(), { segLen: 2, layout: 'coco17', normalize: false, flipHorizontal: true });
    const p = at(plain.data, 3, 2, 17);
    const f = at(flipped.data, 3, 2, 17);
    for (let t = 0; t < 2; t++) {
      for (let j = 0; j < 17; j++) {
        expect(f(0, t, j)).toBe(-p(0, t, COCO17_FLIP[j]!));
        expect(f(1, t, j)).toBe(p(1, t, COCO17_FLIP[j]!));
        expect(f(2, t, j)).toBe(p(2, t, COCO17_FLIP[j]!));
      }
    }
    // The OpenPose-18 flip pairs are the mirrored names.
    const names = OPENPOSE18.jointNames;
    const mirror = (n: string) => (n.startsWith('left_') ? n.replace('left_', 'right_') : n.replace('right_', 'left_'));
    expect(OPENPOSE18_FLIP.map((i) => names[i])).toEqual(names.map(mirror));
  });

  it('COCO-17 from 2-D tracks: [S, 2, T, 17] without the synthetic neck, STG-NF normalisation by hand', () => {
    // Three frames; joint j at (10 + j, 20 + 2j·(t + 1)) pixels, confidence 1; one window of two.
    const keypoints = new Float32Array(3 * 51);
    for (let t = 0; t < 3; t++) for (let j = 0; j < 17; j++) keypoints.set([10 + j, 20 + 2 * j * (t + 1), 1], t * 51 + 3 * j);
    const clip: PoseClip = { name: 'c2', tracks: new Map([['1', { frames: [0, 1, 2], keypoints, scores: new Float32Array(3).fill(1) }]]) };
    const seg = segmentTracks(clip, { segLen: 2, layout: 'coco17' });
    expect(seg.shape).toEqual([1, 2, 2, 17]);
    // STG-NF: x' = (x/W − mean(x/W)) / std(y/H), y' = (y/H − mean(y/H)) / std(y/H); W = 856, H = 480.
    const ys = [0, 1].flatMap((t) => [...Array(17).keys()].map((j) => (20 + 2 * j * (t + 1)) / 480));
    const my = ys.reduce((a, b) => a + b) / 34;
    const sd = Math.sqrt(ys.reduce((a, y) => a + (y - my) ** 2, 0) / 34);
    const mx = (10 + 8) / 856;
    const x = at(seg.data, 2, 2, 17);
    expect(x(0, 1, 5)).toBeCloseTo((15 / 856 - mx) / sd, 5);
    expect(x(1, 1, 5)).toBeCloseTo((40 / 480 - my) / sd, 5);
  });

  it('refuses mixed 2-D/3-D clips, STG-NF normalisation of 3-D clips and a body of size 0, naming the place', () => {
    const two: PoseClip = { name: 'c2', tracks: new Map() };
    expectInputError(() => segmentTracks([clip3d(), two], { segLen: 2 }), /mixed 2-D\/3-D data: clip "c2" is 2-D but "c3" is 3-D/);
    expectInputError(() => segmentTracks(clip3d(), { segLen: 2, normalization: 'stg-nf' }), /'stg-nf' normalisation .* is 2-D only/);
    const point = clip3d(O, Q.map(() => [0, 0, 0]));
    expectInputError(() => segmentTracks(point, { segLen: 2 }), /^c3: person 1, segment starting at frame 0: cannot normalise \(segment normalisation\)/);
    expectInputError(() => segmentTracks(point, { segLen: 2, normalization: 'frame' }), /cannot normalise \(frame normalisation\): the joints of a frame coincide/);
    // A 2-D track handed in as 3-D names the arity.
    const bad: PoseClip = { ...clip3d(), dims: 2 };
    expectInputError(() => segmentTracks(bad, { segLen: 2 }), /person 1/, /expected 153 for 2-D tracks/);
  });
});
