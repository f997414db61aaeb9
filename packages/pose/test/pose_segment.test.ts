import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { continuousWindowStarts, normalizeSegment, segmentMetaList, segmentTracks, coco17ToOpenPose18, type PoseClip, type PoseTracks } from '../src/index.js';
import { readPoseDir } from '../src/node.js';
import { expectInputError } from '@skelflow/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const e2eDir = path.resolve(repoRoot, '../shared/data/stgnf/e2e');
const hasE2e = fs.existsSync(path.join(e2eDir, 'golden.json'));
if (!hasE2e) console.warn(`[pose_segment.test] ${e2eDir} not found: segmentation parity with the STG-NF e2e golden is skipped`);

interface GoldenSegment {
  person: number;
  start: number;
  end: number;
  score: number;
}
interface GoldenClip {
  name: string;
  n_segments: number;
  segments: GoldenSegment[];
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** A straight float64 transcription of the original's pipeline for one window (independent of src/). */
function referenceSegment(rows: number[][], vid = [856, 480], flip = false): number[][][] {
  // rows: T detections × 51 COCO values (float64 from the JSON)
  const T = rows.length;
  const order = [0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3];
  const pts = rows.map((r) => {
    const j = (k: number) => [r[3 * k], r[3 * k + 1], r[3 * k + 2]];
    const neck = [0, 1, 2].map((c) => 0.5 * (r[15 + c] + r[18 + c]));
    // keypoints17_to_coco18 in float64, then the float32 cast of gen_dataset
    return order.map((k) => (k === 17 ? neck : j(k)).map(Math.fround));
  });
  const xs = pts.flatMap((p) => p.map((q) => (flip ? -q[0] : q[0]) / vid[0]));
  const ys = pts.flatMap((p) => p.map((q) => q[1] / vid[1]));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mx = mean(xs);
  const my = mean(ys);
  const sd = Math.sqrt(mean(ys.map((v) => (v - my) ** 2)));
  const out: number[][][] = [[], []];
  for (let t = 0; t < T; t++) {
    out[0].push(range(0, 18).map((v) => (xs[t * 18 + v] - mx) / sd));
    out[1].push(range(0, 18).map((v) => (ys[t * 18 + v] - my) / sd));
  }
  return out;
}


describe('continuousWindowStarts (split_pose_to_segments + is_seg_continuous)', () => {
  it('skips the last possible window and tracks of ≤ segLen detections', () => {
    expect(Array.from(continuousWindowStarts(range(0, 24), 24))).toEqual([]);
    expect(Array.from(continuousWindowStarts(range(0, 25), 24))).toEqual([0]);
    expect(Array.from(continuousWindowStarts(range(100, 130), 24))).toEqual(range(0, 6));
    expect(Array.from(continuousWindowStarts(range(0, 3), 24))).toEqual([]);
  });

  it('allows two detections outside [start, start+segLen), arbitrarily far away', () => {
    // [5, 6, 7, 10..29, 83, 84]: window 0 = 5, 6, 7, 10..29, 83 → 22 of them in [5, 29): kept.
    const frames = [5, 6, 7, ...range(10, 30), 83, 84];
    expect(frames.length).toBe(25);
    expect(Array.from(continuousWindowStarts(frames, 24))).toEqual([0]);
    // One more hole inside the window: 21 inside → dropped.
    const f3 = [5, 6, 7, ...range(10, 19), ...range(20, 31), 83, 84];
    expect(f3.length).toBe(25);
    expect(Array.from(continuousWindowStarts(f3, 24))).toEqual([]);
    expect(Array.from(continuousWindowStarts(f3, 24, 1, 3))).toEqual([0]);
  });

  it('honours stride (training uses 6)', () => {
    // N = 40: ceil(16/6) = 3 candidates 0, 6, 12 (all kept when nothing may be missing-checked).
    const frames = [...range(0, 30), ...range(33, 43)];
    expect(Array.from(continuousWindowStarts(frames, 24, 6, 24))).toEqual([0, 6, 12]);
    // Window 12 = detections 12..35 = frames 12..29, 33..38: in [12, 36) are 12..29 (18) and
    // 33, 34, 35 (3) = 21 → dropped with the default 2 missing, kept with 3.
    expect(Array.from(continuousWindowStarts(frames, 24, 6))).toEqual([0, 6]);
    expect(Array.from(continuousWindowStarts(frames, 24, 6, 3))).toEqual([0, 6, 12]);
  });
});

describe('coco17ToOpenPose18', () => {
  it('appends the shoulder mean as neck (confidence included) and reorders', () => {
    const coco = new Float64Array(2 * 17 * 3).map((_, i) => i); // two detections
    const op = coco17ToOpenPose18(coco);
    expect(op).toBeInstanceOf(Float64Array);
    expect(op.length).toBe(2 * 18 * 3);
    const order = [0, 17, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3];
    for (let p = 0; p < 2; p++) {
      for (let j = 0; j < 18; j++) {
        for (let c = 0; c < 3; c++) {
          const src = order[j];
          const expected = src === 17 ? (coco[p * 51 + 15 + c] + coco[p * 51 + 18 + c]) / 2 : coco[p * 51 + src * 3 + c];
          expect(op[p * 54 + j * 3 + c]).toBe(expected);
        }
      }
    }
    expect(coco17ToOpenPose18(new Float32Array(34), { channels: 2 }).length).toBe(36);
    expect(() => coco17ToOpenPose18(new Float32Array(50))).toThrow(InputError);
  });
});

describe('normalizeSegment', () => {
  // T = 3 frames, V = 2 joints, (x, y, c): a direct float64 transcription of normalize_pose.
  const raw = [
    [[100.5, 200.25, 0.9], [140.75, 260.5, 0.8]],
    [[103.0, 198.0, 0.7], [150.0, 271.0, 0.6]],
    [[90.0, 230.0, 0.5], [170.25, 240.0, 0.4]],
  ];
  const flat = new Float32Array(raw.flat(2));
  function direct(W: number, H: number, flip: boolean) {
    const xs = raw.flat().map((p) => (flip ? -Math.fround(p[0]) : Math.fround(p[0])) / W);
    const ys = raw.flat().map((p) => Math.fround(p[1]) / H);
    const mx = xs.reduce((a, b) => a + b) / 6;
    const my = ys.reduce((a, b) => a + b) / 6;
    const sd = Math.sqrt(ys.reduce((a, y) => a + (y - my) ** 2, 0) / 6);
    return [...xs.map((x) => (x - mx) / sd), ...ys.map((y) => (y - my) / sd)];
  }

  it('matches the float64 formula with population std of y for both channels', () => {
    const out = normalizeSegment(flat, { joints: 2 });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(2 * 3 * 2); // [C=2, T=3, V=2]
    const exp = direct(856, 480, false);
    exp.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
    // y' has zero mean and unit population std by construction
    const y = Array.from(out.subarray(6));
    expect(y.reduce((a, b) => a + b) / 6).toBeCloseTo(0, 6);
    expect(Math.sqrt(y.reduce((a, b) => a + b * b, 0) / 6)).toBeCloseTo(1, 6);
  });

  it('honours vidRes, flipHorizontal (x → −x, no joint swap) and withConfidence', () => {
    const exp = direct(1080, 720, true);
    const out = normalizeSegment(flat, { joints: 2, vidRes: [1080, 720], flipHorizontal: true, withConfidence: true });
    expect(out.length).toBe(3 * 3 * 2);
    exp.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
    expect(Array.from(out.subarray(12))).toEqual(raw.flat().map((p) => Math.fround(p[2])));
    // The flip of the raw x is exactly the negation of the unflipped normalised x.
    const plain = normalizeSegment(flat, { joints: 2, vidRes: [1080, 720] });
    for (let i = 0; i < 6; i++) expect(out[i]).toBeCloseTo(-plain[i], 6);
  });

  it('writes into a caller buffer at an offset', () => {
    const buf = new Float32Array(20).fill(7);
    normalizeSegment(flat, { joints: 2, out: buf, outOffset: 4 });
    expect(Array.from(buf.subarray(0, 4))).toEqual([7, 7, 7, 7]);
    expect(Array.from(buf.subarray(16))).toEqual([7, 7, 7, 7]);
    expect(buf[4]).toBeCloseTo(direct(856, 480, false)[0], 6);
  });

  it('throws InputError when y does not vary', () => {
    const flatY = new Float32Array([1, 5, 1, 2, 5, 1]);
    expectInputError(() => normalizeSegment(flatY, { joints: 2, location: 'person 3, frame 9' }), /person 3, frame 9/, /zero spread/);
  });
});

describe('segmentTracks', () => {
  function track(frames: number[], f: (frame: number, k: number) => number) {
    const keypoints = new Float32Array(frames.length * 51);
    frames.forEach((fr, j) => {
      for (let k = 0; k < 51; k++) keypoints[j * 51 + k] = f(fr, k);
    });
    return { frames, keypoints, scores: new Float32Array(frames.length).map((_, j) => 1 + j / 100) };
  }
  const wobble = (fr: number, k: number) => (k % 3 === 2 ? 0.5 : 100 + 3 * k + Math.sin(fr + k) * 10);

  it('lays segments out as [S, C, T, V] in clip, numeric person, start order', () => {
    const tracks: PoseTracks = new Map([
      ['10', track(range(0, 26), wobble)],
      ['9', track(range(5, 31), wobble)],
    ]);
    const clips: PoseClip[] = [
      { name: 'b', tracks },
      { name: 'a', tracks: new Map([['1', track(range(0, 25), wobble)]]) },
    ];
    const segs = segmentTracks(clips, { segLen: 24, withConfidence: true });
    expect(segs.shape).toEqual([5, 3, 24, 18]);
    expect(segmentMetaList(segs.meta)).toEqual([
      { clip: 'b', person: 9, startFrame: 5, endFrame: 28 },
      { clip: 'b', person: 9, startFrame: 6, endFrame: 29 },
      { clip: 'b', person: 10, startFrame: 0, endFrame: 23 },
      { clip: 'b', person: 10, startFrame: 1, endFrame: 24 },
      { clip: 'a', person: 1, startFrame: 0, endFrame: 23 },
    ]);
    expect(segs.meta.clipNames).toEqual(['b', 'a']);
    expect(segs.minScore[1]).toBe(Math.fround(1.01));
    // Segment 3 = person 10 from detection 1: element (s, c, t, v) at ((s·C + c)·T + t)·V + v.
    const rows = range(1, 25).map((fr) => range(0, 51).map((k) => Math.fround(wobble(fr, k))));
    const ref = referenceSegment(rows);
    const at = (s: number, c: number, t: number, v: number) => segs.data[((s * 3 + c) * 24 + t) * 18 + v];
    for (const [t, v] of [[0, 0], [0, 1], [5, 7], [23, 17]]) {
      expect(at(3, 0, t, v)).toBeCloseTo(ref[0][t][v], 5);
      expect(at(3, 1, t, v)).toBeCloseTo(ref[1][t][v], 5);
    }
    // Confidence channel: raw, neck = mean of shoulders' confidences.
    expect(at(3, 2, 0, 1)).toBe(0.5);
  });

  it('keeps raw pixels with normalize: false', () => {
    const segs = segmentTracks({ name: 'c', tracks: new Map([['0', track(range(0, 25), wobble)]]) }, { normalize: false, flipHorizontal: true });
    expect(segs.shape).toEqual([1, 2, 24, 18]);
    // joint 2 of OpenPose = COCO 6 (right shoulder): x at k = 18
    expect(segs.data[2]).toBe(-Math.fround(wobble(0, 18)));
    expect(segs.data[24 * 18 + 2]).toBe(Math.fround(wobble(0, 19)));
  });

  it('rejects inconsistent tracks and zero-spread segments, naming clip/person/frame', () => {
    const bad = track(range(0, 25), wobble);
    bad.frames = [...range(0, 12), 11, ...range(13, 25)];
    expectInputError(() => segmentTracks({ name: 'x', source: 'x.json', tracks: new Map([['4', bad]]) }), /^x\.json: person 4, frame 11/, /strictly increasing/);
    const flat = track(range(0, 25), (fr, k) => (k % 3 === 1 ? 50 : k));
    expectInputError(() => segmentTracks({ name: 'y', tracks: new Map([['2', flat]]) }), /^y: person 2, segment starting at frame 0/, /zero spread/);
    expectInputError(() => segmentTracks([{ name: 'z', tracks: new Map() }, { name: 'z', tracks: new Map() }]), /appears twice/);
  });
});

describe.skipIf(!hasE2e)('segmentation parity with the STG-NF e2e golden (CC BY-NC, read from ../shared)', () => {
  it('gives the golden (person, start) list per clip and n_segments in total', async () => {
    const golden = JSON.parse(fs.readFileSync(path.join(e2eDir, 'golden.json'), 'utf8')) as {
      n_segments: number;
      seg_len: number;
      clips: GoldenClip[];
    };
    const clips = await readPoseDir(path.join(e2eDir, 'pose/test'));
    expect(clips.map((c) => c.name)).toEqual(golden.clips.map((c) => c.name));
    const segs = segmentTracks(clips, { segLen: golden.seg_len, stride: 1 });
    expect(segs.shape).toEqual([golden.n_segments, 2, 24, 18]);
    const ours = segmentMetaList(segs.meta);
    let k = 0;
    for (const gc of golden.clips) {
      const mine = ours.slice(k, k + gc.segments.length);
      expect(mine.every((m) => m.clip === gc.name)).toBe(true);
      expect(mine.map((m) => [m.person, m.startFrame])).toEqual(gc.segments.map((s) => [s.person, s.start]));
      expect(mine.map((m) => m.endFrame)).toEqual(gc.segments.map((s) => s.end));
      expect(gc.segments.length).toBe(gc.n_segments);
      k += gc.segments.length;
    }
    expect(k).toBe(golden.n_segments);
    expect(ours.length).toBe(golden.n_segments);

    // Model input of sampled segments against an independent float64 transcription that reads the
    // JSON itself: window = the 24 detections from the golden start (numeric frame order).
    for (const gc of golden.clips) {
      const json = JSON.parse(
        fs.readFileSync(path.join(e2eDir, 'pose/test', `${gc.name}_alphapose_tracked_person.json`), 'utf8'),
      ) as Record<string, Record<string, { keypoints: number[] }>>;
      const first = ours.findIndex((m) => m.clip === gc.name);
      for (const j of [0, Math.floor(gc.segments.length / 2), gc.segments.length - 1]) {
        const g = gc.segments[j];
        const person = json[String(g.person)];
        const keys = Object.keys(person).sort((a, b) => Number(a) - Number(b));
        const i0 = keys.findIndex((key) => Number(key) === g.start);
        const rows = keys.slice(i0, i0 + 24).map((key) => person[key].keypoints);
        const ref = referenceSegment(rows);
        const s = first + j;
        let maxDiff = 0;
        for (let c = 0; c < 2; c++) {
          for (let t = 0; t < 24; t++) {
            for (let v = 0; v < 18; v++) {
              const got = segs.data[((s * 2 + c) * 24 + t) * 18 + v];
              maxDiff = Math.max(maxDiff, Math.abs(got - ref[c][t][v]));
            }
          }
        }
        expect(maxDiff).toBeLessThan(2e-6);
      }
    }
  });
});
