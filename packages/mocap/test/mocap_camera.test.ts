import { describe, expect, it } from 'vitest';
import { InputError, Rng } from '@skelflow/base';
import { clipTarget, hipYaw, maxRootStep, projectClip, rootAt, rotateTranslateClip, sliceClip, spliceClips } from '../src/index.js';
import type { MotionClip3D } from '../src/index.js';
import { lookAtCamera, parsePoseTrackJson, projectPoint, segmentTracks, simulatePoseEstimator } from '@skelflow/pose';

// COCO-17 rest pose of a person facing +z (left = +x), metres, feet at y = 0.
const REST: [number, number, number][] = [
  [0, 1.6, 0.1], [0.03, 1.65, 0.08], [-0.03, 1.65, 0.08], [0.07, 1.63, 0], [-0.07, 1.63, 0],
  [0.18, 1.4, 0], [-0.18, 1.4, 0], [0.2, 1.1, 0], [-0.2, 1.1, 0], [0.2, 0.85, 0], [-0.2, 0.85, 0],
  [0.1, 0.95, 0], [-0.1, 0.95, 0], [0.1, 0.5, 0], [-0.1, 0.5, 0], [0.1, 0.08, 0], [-0.1, 0.08, 0],
];

/**
 * A synthetic walker: root at hip height moving at `speed` m/s along `heading` (radians, yaw of
 * the walking direction measured as atan2(z, x)), legs and arms swinging at 1 Hz; full skeleton
 * = just the root.
 */
function walker(opts: { n: number; fps?: number; speed?: number; heading?: number; start?: [number, number]; name?: string }): MotionClip3D {
  const { n, fps = 30, speed = 1.3, heading = Math.PI / 2, start = [0, 0], name = 'walk' } = opts;
  const coco = new Float32Array(n * 17 * 3);
  const joints = new Float32Array(n * 3);
  // Local forward is +z (yaw π/2); rotate local by (heading − π/2) about y.
  const a = heading - Math.PI / 2;
  const c = Math.cos(a);
  const s = Math.sin(a);
  for (let f = 0; f < n; f++) {
    const t = f / fps;
    const rx = start[0] + speed * t * Math.cos(heading);
    const rz = start[1] + speed * t * Math.sin(heading);
    const swing = 0.25 * Math.sin(2 * Math.PI * t);
    for (let j = 0; j < 17; j++) {
      let [x, y, z] = REST[j]!;
      if (j === 13 || j === 15) z += swing * (j === 15 ? 1 : 0.5);
      if (j === 14 || j === 16) z -= swing * (j === 16 ? 1 : 0.5);
      if (j === 7 || j === 9) z -= 0.5 * swing;
      if (j === 8 || j === 10) z += 0.5 * swing;
      // Rotation that turns +x (left) into the direction of yaw a: x' = c x − s z, z' = s x + c z.
      const o = (f * 17 + j) * 3;
      coco[o] = rx + c * x - s * z;
      coco[o + 1] = y;
      coco[o + 2] = rz + s * x + c * z;
    }
    joints[3 * f] = rx;
    joints[3 * f + 1] = 0.95;
    joints[3 * f + 2] = rz;
  }
  return { name, fps, nFrames: n, coco, jointNames: ['root'], joints, parents: [-1], source: `${name} (synthetic)` };
}

/** A person standing still (facing +z) with the arms going up and down: a non-walking action. */
function stander(n: number, at: [number, number] = [5, 5], name = 'stand'): MotionClip3D {
  const clip = walker({ n, speed: 0, start: at, name });
  for (let f = 0; f < n; f++) {
    for (const j of [7, 8, 9, 10]) clip.coco[(f * 17 + j) * 3 + 1] += 0.5 * Math.abs(Math.sin(f / 5));
  }
  return clip;
}

describe('virtual pinhole camera', () => {
  it('projects known points to hand-computed pixels', () => {
    // Level camera 10 m in front (+z) of the target (0, 1, 0): centre (428, 240), 50 px per metre at 10 m.
    const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
    expect(cam.position).toEqual([0, 1, 10]);
    expect(cam.cx).toBe(428);
    expect(cam.cy).toBe(240);
    const near = (p: number[], q: number[]) => p.forEach((v, i) => expect(v).toBeCloseTo(q[i]!, 9));
    near(projectPoint(cam, 0, 1, 0), [428, 240, 10]);
    near(projectPoint(cam, 1, 1, 0), [478, 240, 10]); // world x → image right
    near(projectPoint(cam, 0, 2, 0), [428, 190, 10]); // world up → image up (smaller v)
    near(projectPoint(cam, 0, 1, -10), [428, 240, 20]);
    near(projectPoint(cam, 2, 3, 5), [628, 40, 5]); // 500·2/5 = 200 px right and up

    // Azimuth 90: the camera stands on +x looking towards −x; world −z is to the right.
    const side = lookAtCamera({ azimuth: 90, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
    near(side.position, [10, 1, 0]);
    near(projectPoint(side, 0, 1, -1), [478, 240, 10]);

    // Elevation 30°, distance 10, target at the origin: camera at (0, 5, 8.6603).
    // Point (0, 1, 0): p − C = (0, −4, −8.6603); forward (0, −0.5, −0.8660) → depth 2 + 7.5 = 9.5;
    // up (0, 0.8660, −0.5) → y_c = −3.4641 + 4.3301 = 0.8660; v = 240 − 500·0.8660/9.5 = 194.4197.
    const high = lookAtCamera({ azimuth: 0, elevation: 30, distance: 10, focal: 500 }, [0, 0, 0]);
    near(high.position, [0, 5, 10 * Math.cos(Math.PI / 6)]);
    near(projectPoint(high, 0, 0, 0), [428, 240, 10]);
    near(projectPoint(high, 0, 1, 0), [428, 240 - (500 * (Math.sqrt(3) / 2)) / 9.5, 9.5]);
    expect(projectPoint(high, 0, 1, 0)[1]).toBeCloseTo(194.4197, 3);

    // Image size: the principal point is the centre.
    const small = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500, width: 640, height: 360 }, [0, 0, 0]);
    near(projectPoint(small, 0, 0, 0), [320, 180, 10]);
  });

  it('drops points behind the camera', () => {
    const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
    const [u, v, d] = projectPoint(cam, 0, 1, 20); // 10 m behind the camera
    expect(u).toBeNaN();
    expect(v).toBeNaN();
    expect(d).toBeCloseTo(-10, 9);
    expect(projectPoint(cam, 0, 1, 9.95)[0]).toBeNaN(); // closer than the near plane
  });

  it('rejects invalid camera settings', () => {
    expect(() => lookAtCamera({ azimuth: 0, elevation: 90, distance: 10, focal: 500 }, [0, 0, 0])).toThrow(InputError);
    expect(() => lookAtCamera({ azimuth: 0, elevation: 0, distance: 0, focal: 500 }, [0, 0, 0])).toThrow(/distance/);
    expect(() => lookAtCamera({ azimuth: 0, elevation: 0, distance: 5, focal: -1 }, [0, 0, 0])).toThrow(/focal/);
  });

  it('projects a clip; clipTarget centres it', () => {
    const clip = walker({ n: 60 });
    const target = clipTarget(clip);
    expect(target[0]).toBeCloseTo(0, 5);
    expect(target[1]).toBeCloseTo(0.95, 5);
    expect(target[2]).toBeCloseTo((1.3 * 59) / 30 / 2, 5);
    const cam = lookAtCamera({ azimuth: 90, elevation: 10, distance: 8, focal: 700 }, target);
    const proj = projectClip(clip, cam);
    expect(proj.uv.length).toBe(60 * 34);
    for (let f = 0; f < 60; f++) {
      for (let j = 0; j < 17; j++) {
        const [u, v] = projectPoint(cam, clip.coco[(f * 17 + j) * 3], clip.coco[(f * 17 + j) * 3 + 1], clip.coco[(f * 17 + j) * 3 + 2]);
        expect(proj.uv[(f * 17 + j) * 2]).toBeCloseTo(u, 9);
        expect(proj.uv[(f * 17 + j) * 2 + 1]).toBeCloseTo(v, 9);
      }
    }
    // Head above feet in the image (y down).
    expect(proj.uv[1]).toBeLessThan(proj.uv[15 * 2 + 1]);
  });
});

describe('pose estimator imitation', () => {
  const clip = walker({ n: 90 });
  const cam = lookAtCamera({ azimuth: 60, elevation: 15, distance: 9, focal: 700 }, clipTarget(clip));
  const proj = projectClip(clip, cam);
  const clean = { jitterPx: 0, jitterRel: 0, jointDropRate: 0, frameDropRate: 0, longGapRate: 0, confidenceSpread: 0 };

  it('without noise writes the exact projections, every frame, one person', () => {
    const { persons, detected } = simulatePoseEstimator(proj, new Rng(1), clean);
    expect(Object.keys(persons)).toEqual(['1']);
    expect(detected.every((d) => d === 1)).toBe(true);
    const frames = Object.keys(persons['1']!);
    expect(frames).toHaveLength(90);
    expect(frames[0]).toBe('0000');
    const kp = persons['1']!['0042']!.keypoints;
    expect(kp).toHaveLength(51);
    for (let j = 0; j < 17; j++) {
      expect(kp[3 * j]).toBeCloseTo(proj.uv[(42 * 17 + j) * 2], 3);
      expect(kp[3 * j + 1]).toBeCloseTo(proj.uv[(42 * 17 + j) * 2 + 1], 3);
      expect(kp[3 * j + 2]).toBeGreaterThan(0);
      expect(kp[3 * j + 2]).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic per seed; jitter scales with the setting', () => {
    const a = simulatePoseEstimator(proj, new Rng('x'), {});
    const b = simulatePoseEstimator(proj, new Rng('x'), {});
    const c = simulatePoseEstimator(proj, new Rng('y'), {});
    expect(JSON.stringify(a.persons)).toBe(JSON.stringify(b.persons));
    expect(JSON.stringify(a.persons)).not.toBe(JSON.stringify(c.persons));
    const err = (jitterPx: number) => {
      const { persons } = simulatePoseEstimator(proj, new Rng(3), { ...clean, jitterPx });
      let s = 0;
      let n = 0;
      for (const [key, det] of Object.entries(persons['1']!)) {
        const f = Number(key);
        for (let j = 0; j < 17; j++) {
          s += (det.keypoints[3 * j] - proj.uv[(f * 17 + j) * 2]) ** 2 + (det.keypoints[3 * j + 1] - proj.uv[(f * 17 + j) * 2 + 1]) ** 2;
          n += 2;
        }
      }
      return Math.sqrt(s / n);
    };
    // std 2 px, up to doubled for joints hidden behind the body.
    expect(err(2)).toBeGreaterThan(1.7);
    expect(err(2)).toBeLessThan(3.5);
    expect(err(4) / err(2)).toBeCloseTo(2, 0);
  });

  it('drops frames and switches ids after gaps; missed joints get low confidence', () => {
    const { persons, detected } = simulatePoseEstimator(proj, new Rng(5), { ...clean, frameDropRate: 0.1, idSwitchRate: 1, jointDropRate: 0.2 });
    const nDet = detected.reduce((s, d) => s + d, 0);
    expect(nDet).toBeLessThan(85);
    expect(nDet).toBeGreaterThan(40);
    expect(Object.keys(persons).length).toBeGreaterThan(2);
    const total = Object.values(persons).reduce((s, t) => s + Object.keys(t).length, 0);
    expect(total).toBe(nDet);
    let low = 0;
    let all = 0;
    for (const t of Object.values(persons)) for (const d of Object.values(t)) for (let j = 0; j < 17; j++) {
      all++;
      if (d.keypoints[3 * j + 2] <= 0.15) low++;
    }
    expect(low / all).toBeGreaterThan(0.12);
    expect(low / all).toBeLessThan(0.3);
  });

  it('does not detect a person outside the image or behind the camera', () => {
    // Camera 3 m away looking at the start: the walker leaves the image, then passes behind the camera.
    const cam2 = lookAtCamera({ azimuth: 0, elevation: 0, distance: 3, focal: 500 }, [0, 0.95, 0]);
    const long = walker({ n: 300, speed: 1.3 }); // walks towards +z, i.e. towards and past the camera
    const p2 = projectClip(long, cam2);
    expect(Number.isNaN(p2.uv[(299 * 17) * 2])).toBe(true);
    const { detected, persons } = simulatePoseEstimator(p2, new Rng(1), clean);
    expect(detected[0]).toBe(1);
    expect(detected[299]).toBe(0);
    for (const t of Object.values(persons)) for (const d of Object.values(t)) {
      for (let j = 0; j < 17; j++) {
        expect(d.keypoints[3 * j]).toBeGreaterThanOrEqual(0);
        expect(d.keypoints[3 * j]).toBeLessThanOrEqual(855);
        expect(d.keypoints[3 * j + 1]).toBeGreaterThanOrEqual(0);
        expect(d.keypoints[3 * j + 1]).toBeLessThanOrEqual(479);
      }
    }
  });

  it('writes JSON the pose pipeline reads and segments', () => {
    const { persons } = simulatePoseEstimator(proj, new Rng(2), {});
    const tracks = parsePoseTrackJson(JSON.stringify(persons), 'x_alphapose_tracked_person.json', { requireNonEmpty: true });
    const segs = segmentTracks([{ name: '01_0001', tracks }], { segLen: 24, stride: 6 });
    expect(segs.shape[0]).toBeGreaterThan(3);
    expect(segs.data.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('rejects unknown or out-of-range noise settings', () => {
    expect(() => simulatePoseEstimator(proj, new Rng(1), { frameDropRate: 2 })).toThrow(/frameDropRate/);
    expect(() => simulatePoseEstimator(proj, new Rng(1), { jiter: 1 } as never)).toThrow(/unknown noise setting 'jiter'/);
  });
});

describe('splicing', () => {
  it('rotateTranslateClip turns headings by the angle', () => {
    const clip = walker({ n: 30, heading: 0.3 });
    const turned = rotateTranslateClip(clip, 0.5, 2, -1);
    expect(hipYaw(turned, 10)).toBeCloseTo(hipYaw(clip, 10) + 0.5, 5);
    const r0 = rootAt(clip, 0);
    const r1 = rootAt(turned, 0);
    expect(r1[0]).toBeCloseTo(Math.cos(0.5) * r0[0] - Math.sin(0.5) * r0[2] + 2, 5);
    expect(r1[1]).toBeCloseTo(r0[1], 6);
  });

  it('continues root position and heading without a jump; labels follow the segments', () => {
    const a = walker({ n: 90, heading: 0.2, start: [1, 2], name: 'a' });
    const b = stander(60, [7, -3], 'b');
    const c = walker({ n: 120, heading: -2.5, start: [-4, 9], speed: 1.6, name: 'c' });
    const segs = [
      { clip: a, from: 0, to: 60, label: 0 as const },
      { clip: b, from: 10, to: 50, label: 1 as const },
      { clip: c, from: 20, to: 110, label: 0 as const },
      { clip: a, from: 60, to: 90, label: 1 as const },
    ];
    const { clip, labels, segment, starts } = spliceClips('t', segs);
    expect(clip.nFrames).toBe(60 + 40 + 90 + 30);
    expect(starts).toEqual([0, 60, 100, 190]);
    const expected = [...Array(60).fill(0), ...Array(40).fill(1), ...Array(90).fill(0), ...Array(30).fill(1)];
    expect(Array.from(labels)).toEqual(expected);
    expect(Array.from(segment.slice(58, 62))).toEqual([0, 0, 1, 1]);
    // The first segment is unchanged.
    expect(Array.from(clip.coco.slice(0, 60 * 51))).toEqual(Array.from(a.coco.slice(0, 60 * 51)));
    // No root step anywhere larger than one frame of the normal (walking) motion.
    const normalStep = Math.max(maxRootStep(a), maxRootStep(c));
    expect(maxRootStep(clip)).toBeLessThanOrEqual(normalStep + 1e-6);
    // Across each cut the root moves one step: the smaller of the neighbouring steps.
    for (const st of starts.slice(1)) {
      const step = (f: number) => Math.hypot(rootAt(clip, f)[0] - rootAt(clip, f - 1)[0], rootAt(clip, f)[2] - rootAt(clip, f - 1)[2]);
      expect(step(st)).toBeCloseTo(Math.min(step(st - 1), step(st + 1)), 5);
    }
    // Heading continues: the walk after the standing segment goes on in the stander's final heading,
    // which continued the first walk's heading.
    expect(hipYaw(clip, 59, 15)).toBeCloseTo(hipYaw(clip, 60, 15, true), 4);
    expect(hipYaw(clip, 99, 15)).toBeCloseTo(hipYaw(clip, 100, 15, true), 4);
    // The third segment walks in the direction the first one did (heading π/2 + yaw offset of the hips).
    const r0 = rootAt(clip, 120);
    const r1 = rootAt(clip, 180);
    expect(Math.atan2(r1[2] - r0[2], r1[0] - r0[0])).toBeCloseTo(0.2, 4);
    // No joint moves more than a plausible amount across the cuts (pose blending).
    for (const st of starts.slice(1)) {
      for (let j = 0; j < 17; j++) {
        const o1 = ((st - 1) * 17 + j) * 3;
        const o2 = (st * 17 + j) * 3;
        const d = Math.hypot(clip.coco[o2] - clip.coco[o1], clip.coco[o2 + 1] - clip.coco[o1 + 1], clip.coco[o2 + 2] - clip.coco[o1 + 2]);
        expect(d).toBeLessThan(0.1);
      }
    }
  });

  it('reports bad segments', () => {
    const a = walker({ n: 30 });
    expect(() => spliceClips('t', [])).toThrow(/no segments/);
    expect(() => spliceClips('t', [{ clip: a, from: 0, to: 31, label: 0 }])).toThrow(/segments\[0\].*not inside/);
    expect(() => spliceClips('t', [{ clip: a, from: 0, to: 10, label: 0 }, { clip: { ...a, fps: 60 }, from: 0, to: 10, label: 1 }])).toThrow(
      /segments\[1\].*frame rate 60/,
    );
    expect(() => sliceClip(a, 5, 5)).toThrow(InputError);
  });
});
