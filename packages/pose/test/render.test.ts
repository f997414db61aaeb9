import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import {
  COCO17,
  cropBox,
  generateDemoDataset,
  OPENPOSE18,
  poseTracksFromJson,
  renderSkeletonFrame,
  renderSkeletonSequence,
  renderTrackWindows,
  resolveRenderOptions,
  sceneIdFromClipName,
  sceneTexture,
  segmentTracks,
  type PoseClip,
} from '@skelflow/pose';
import { encodePng, tileFrames } from './png.js';

/** A COCO-17 detection with every joint invisible except the given ones. */
function detection(joints: Record<number, [number, number]>, conf = 1): Float32Array {
  const kp = new Float32Array(17 * 3);
  for (const [j, [x, y]] of Object.entries(joints)) kp.set([x, y, conf], Number(j) * 3);
  return kp;
}

function argmax(a: Float32Array, stride: number, channel: number): number {
  let best = -Infinity;
  let at = -1;
  for (let i = channel; i < a.length; i += stride) if (a[i] > best) [best, at] = [a[i], (i - channel) / stride];
  return at;
}

const tiny = generateDemoDataset({ seed: 7, scale: 'tiny' });
const clips: PoseClip[] = tiny.test.map((c) => ({ name: c.name, tracks: poseTracksFromJson(c.persons, c.name) }));

describe('cropBox (keypoint box + 20 % margin per side, crop aspect kept)', () => {
  it('hand case: 20 × 40 box → 28 × 56 → square 56 about the centre (110, 70)', () => {
    expect(cropBox([100, 50, 1, 120, 90, 1], 3)).toEqual({ x0: 82, y0: 42, width: 56, height: 56 });
  });
  it('widens to a 2:1 crop and ignores joints below minConfidence or non-finite', () => {
    const b = cropBox([100, 50, 1, 120, 90, 1, 500, 500, 0.01, NaN, 3, 1], 3, { aspect: 2 })!;
    expect(b).toEqual({ x0: 54, y0: 42, width: 112, height: 56 });
  });
  it('one joint: a minSize square centred on it; no visible joint: null', () => {
    expect(cropBox([10, 20, 1], 3, { minSize: 8 })).toEqual({ x0: 6, y0: 16, width: 8, height: 8 });
    expect(cropBox([10, 20, 0], 3)).toBeNull();
  });
});

describe('renderSkeletonFrame', () => {
  it('one joint at the box centre: the peak (exactly 1) is the centre pixel, neighbours exp(−½)', () => {
    const o = resolveRenderOptions({ height: 31, width: 31, channels: 1 });
    const img = new Float32Array(31 * 31);
    renderSkeletonFrame(detection({ 0: [100, 200] }), 3, COCO17, o, img, 0, null);
    expect(argmax(img, 1, 0)).toBe(15 * 31 + 15);
    expect(img[15 * 31 + 15]).toBe(1);
    expect(img[15 * 31 + 16]).toBeCloseTo(Math.exp(-0.5), 6);
    expect(img[14 * 31 + 15]).toBeCloseTo(Math.exp(-0.5), 6);
  });

  it('a limb line: lit pixels lie within 1 px of the segment, pixels on it are 1, hand coverage 1 − 0.8944', () => {
    const o = resolveRenderOptions({ channels: 1, jointSigma: 1e-3, limbColor: [1] });
    const img = new Float32Array(32 * 32);
    // Box = the crop itself, so crop coordinates = source coordinates. Nose (0) – left eye (1) is a bone.
    const a = [5.5, 5.5];
    const b = [25.5, 15.5];
    renderSkeletonFrame(detection({ 0: a as [number, number], 1: b as [number, number] }), 3, COCO17, o, img, 0, null, {
      x0: 0, y0: 0, width: 32, height: 32,
    });
    // Independent distance: to the infinite line through a, b (normal (−10, 20)/√500), clamped at the ends.
    let lit = 0;
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const [px, py] = [c + 0.5, r + 0.5];
        const t = ((px - a[0]) * 20 + (py - a[1]) * 10) / 500;
        const inside = t >= 0 && t <= 1;
        const dLine = Math.abs(-(px - a[0]) * 10 + (py - a[1]) * 20) / Math.sqrt(500);
        if (img[r * 32 + c] > 0) {
          lit++;
          expect(inside ? dLine : Math.min(Math.hypot(px - a[0], py - a[1]), Math.hypot(px - b[0], py - b[1]))).toBeLessThan(1);
        }
      }
    }
    expect(lit).toBeGreaterThan(20);
    expect(img[10 * 32 + 15]).toBeCloseTo(1, 6); // (15.5, 10.5): the midpoint
    expect(img[11 * 32 + 15]).toBeCloseTo(1 - 20 / Math.sqrt(500), 5); // (15.5, 11.5): d = 0.8944
    expect(img[20 * 32 + 5]).toBe(0);
  });

  it('skips low-confidence joints and their bones', () => {
    const o = resolveRenderOptions({ channels: 1 });
    const box = { x0: 0, y0: 0, width: 32, height: 32 };
    const kp = detection({ 0: [5.5, 5.5], 1: [25.5, 15.5] });
    kp[1 * 3 + 2] = 0.01; // left eye below minConfidence 0.05
    const img = new Float32Array(32 * 32);
    renderSkeletonFrame(kp, 3, COCO17, o, img, 0, null, box);
    expect(img[15 * 32 + 25]).toBe(0); // where the eye would be
    expect(img[10 * 32 + 15]).toBeLessThan(1e-12); // the bone's midpoint: only the nose's Gaussian tail
    expect(img[5 * 32 + 5]).toBe(1);
  });

  it('rejects a wrong-sized detection and bad options with InputError', () => {
    const o = resolveRenderOptions();
    expect(() => renderSkeletonFrame(new Float32Array(10), 3, COCO17, o, new Float32Array(32 * 32 * 3), 0, null)).toThrow(InputError);
    expect(() => resolveRenderOptions({ height: 0 })).toThrow(InputError);
    expect(() => resolveRenderOptions({ channels: 3, jointColor: [1] })).toThrow(InputError);
  });
});

describe('scene backgrounds', () => {
  it('scene id is the SS of SS_CCCC; other names need sceneOf', () => {
    expect(sceneIdFromClipName('02_0014')).toBe('02');
    expect(() => sceneIdFromClipName('walk_3')).toThrow(InputError);
  });
  it('equal within a scene and seed, different between scenes and seeds, inside [0, 1]', () => {
    const v = (s: string, seed: number) => Array.from({ length: 50 }, (_, i) => sceneTexture(s, 3, seed).valueAt(13 * i, 7 * i, i % 3));
    expect(v('01', 7)).toEqual(v('01', 7));
    expect(v('01', 7)).not.toEqual(v('02', 7));
    expect(v('01', 7)).not.toEqual(v('01', 8));
    for (const x of v('03', 1)) expect(x >= 0 && x <= 1).toBe(true);
  });
  it('the same track renders identically in two clips of one scene and differently in another scene', () => {
    const track = clips[0].tracks;
    const w = renderTrackWindows(
      [
        { name: '01_0001', tracks: track },
        { name: '01_0002', tracks: track },
        { name: '02_0001', tracks: track },
      ],
      { seed: 3 },
    );
    const n = w.count / 3;
    expect(w.clipScenes).toEqual(['01', '01', '02']);
    expect(w.render(0)).toEqual(w.render(n));
    expect(w.render(0)).not.toEqual(w.render(2 * n));
  });
});

describe('renderTrackWindows', () => {
  it('cuts the windows segmentTracks cuts (same meta, same order) for both layouts', () => {
    const seg = segmentTracks(clips, { segLen: 12, stride: 6 });
    for (const layout of ['openpose18', 'coco17'] as const) {
      const w = renderTrackWindows(clips, { segLen: 12, stride: 6, layout });
      expect(w.count).toBe(seg.shape[0]);
      expect(w.meta).toEqual(seg.meta);
      expect(w.windowShape).toEqual([12, 32, 32, 3]);
    }
  });
  it('is deterministic for a seed and changes with the seed', () => {
    const a = renderTrackWindows(clips, { segLen: 8, stride: 8, seed: 5 });
    const b = renderTrackWindows(clips, { segLen: 8, stride: 8, seed: 5 });
    const c = renderTrackWindows(clips, { segLen: 8, stride: 8, seed: 6 });
    expect(a.render(3)).toEqual(b.render(3));
    expect(a.render(3)).not.toEqual(c.render(3));
    expect(a.render(3).every(Number.isFinite)).toBe(true);
  });
  it('draws the OpenPose-18 neck: the rendered frame equals renderSkeletonSequence on the converted keypoints', () => {
    const w = renderTrackWindows(clips, { segLen: 4, stride: 4, background: false });
    const t = clips[w.meta.clip[0]].tracks.get(String(w.meta.person[0]))!;
    const st = t.frames.indexOf(w.meta.startFrame[0]);
    const kp17 = t.keypoints.subarray(st * 51, (st + 4) * 51);
    const kp18 = new Float32Array(4 * 54);
    for (let f = 0; f < 4; f++) {
      const order = [0, -1, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3];
      for (let v = 0; v < 18; v++) {
        for (let c = 0; c < 3; c++) {
          const src = order[v] < 0 ? (kp17[f * 51 + 15 + c] + kp17[f * 51 + 18 + c]) / 2 : kp17[f * 51 + order[v] * 3 + c];
          kp18[f * 54 + v * 3 + c] = src;
        }
      }
    }
    expect(w.render(0)).toEqual(renderSkeletonSequence(kp18, OPENPOSE18));
  });
  it('a frame without visible joints shows the background under its neighbour’s box', () => {
    const seq = new Float32Array(2 * 51);
    seq.set(detection({ 0: [100, 100], 5: [90, 130], 6: [110, 130] }));
    const bg = sceneTexture('01', 3, 0);
    const out = renderSkeletonSequence(seq, COCO17, { background: bg });
    const second = out.subarray(32 * 32 * 3);
    expect(second.some((x) => x > 0)).toBe(true);
    expect(Math.max(...second)).toBeLessThan(0.95); // background only: no joint at 1
  });
  it('writes a PNG of one window (8 frames) to look at', () => {
    const w = renderTrackWindows(clips, { segLen: 8, stride: 8, seed: 7 });
    const frames = w.render(Math.floor(w.count / 2));
    const png = encodePng(tileFrames(frames, 8, 32, 32, 3), 32, 32 * 8, 3, 4);
    const dir = mkdtempSync(join(tmpdir(), 'skelflow-render-'));
    const file = join(dir, 'window.png');
    writeFileSync(file, png);
    expect(readFileSync(file).subarray(1, 4).toString('ascii')).toBe('PNG');
    console.log(`rendered window written to ${file}`);
  });
});
