import { describe, expect, it } from 'vitest';
import { armScheduleWeight, buildMocapDataset, parseMocapManifest, rotateArm, type MotionClip3D } from '../src/index.js';
import { COCO17_KEYPOINTS } from '@skelflow/pose';
import { expectInputError } from '@skelflow/testing';
import { CMU_ARM_ATTRIBUTION_MANIFEST, readMocapManifest } from '../src/node.js';

// COCO-17 rest pose facing +z (the body's left = +x), metres; walking along +z with swinging wrists.
const REST: [number, number, number][] = [
  [0, 1.6, 0.1], [0.03, 1.65, 0.08], [-0.03, 1.65, 0.08], [0.07, 1.63, 0], [-0.07, 1.63, 0],
  [0.18, 1.4, 0], [-0.18, 1.4, 0], [0.2, 1.1, 0], [-0.2, 1.1, 0], [0.2, 0.85, 0], [-0.2, 0.85, 0],
  [0.1, 0.95, 0], [-0.1, 0.95, 0], [0.1, 0.5, 0], [-0.1, 0.5, 0], [0.1, 0.08, 0], [-0.1, 0.08, 0],
];
function walk(n: number, fps = 30): MotionClip3D {
  const coco = new Float32Array(n * 51);
  const joints = new Float32Array(n * 6);
  for (let f = 0; f < n; f++) {
    const t = f / fps;
    const swing = 0.25 * Math.sin(2 * Math.PI * t);
    for (let j = 0; j < 17; j++) {
      const [x, y, z] = REST[j]!;
      coco.set([x, y, 1.2 * t + z + (j === 9 ? -swing / 2 : j === 10 ? swing / 2 : j === 15 ? swing : j === 16 ? -swing : 0)], (f * 17 + j) * 3);
    }
    joints.set([0, 0.95, 1.2 * t, 0.1, 0.9, 1.2 * t], 6 * f);
  }
  return { name: 'walk', fps, nFrames: n, coco, jointNames: ['root', 'lhip'], joints, parents: [-1, 0], source: 'walk.amc' };
}
const J = (n: string) => COCO17_KEYPOINTS.indexOf(n as never);
const joint = (c: MotionClip3D, f: number, j: number) => Array.from(c.coco.subarray((f * 17 + j) * 3, (f * 17 + j) * 3 + 3));
const dist = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe('rotateArm (the attribution clip)', () => {
  const src = walk(60);
  const { clip, labels } = rotateArm(src, { arm: 'left', from: 10, to: 40 });

  it('moves only that arm\'s elbow and wrist, only in the range, and keeps the bone lengths', () => {
    const moved = new Set([J('left_elbow'), J('left_wrist')]);
    for (let f = 0; f < 60; f++) {
      for (let j = 0; j < 17; j++) {
        const same = joint(clip, f, j).every((v, k) => v === joint(src, f, j)[k]);
        expect(same, `frame ${f}, ${COCO17_KEYPOINTS[j]}`).toBe(!(moved.has(j) && f >= 10 && f < 40));
      }
      const [s, e, w] = ['left_shoulder', 'left_elbow', 'left_wrist'].map(J) as [number, number, number];
      expect(dist(joint(clip, f, s), joint(clip, f, e))).toBeCloseTo(dist(joint(src, f, s), joint(src, f, e)), 6);
      expect(dist(joint(clip, f, e), joint(clip, f, w))).toBeCloseTo(dist(joint(src, f, e), joint(src, f, w)), 6);
    }
    expect(labels.moved).toEqual({ coco17: ['left_elbow', 'left_wrist'], openpose18: ['left_elbow', 'left_wrist'] });
    expect(labels.armJoints.openpose18).toEqual(['left_shoulder', 'left_elbow', 'left_wrist']);
    // The full skeleton is reduced to its root, unchanged.
    expect(clip.jointNames).toEqual(['root']);
    expect(Array.from(clip.joints.subarray(0, 6))).toEqual([0, 0.95, 0, 0, 0.95, 1.2 / 30].map(Math.fround));
  });

  it('lifts the arm sideways by hand: 90° abduction turns a hanging upper arm horizontal, outward on its own side', () => {
    for (const arm of ['left', 'right'] as const) {
      const r = rotateArm(src, { arm, from: 0, to: 60, abduction: 90, elbow: 0, rampFrames: 0 }).clip;
      const side = arm === 'left' ? 1 : -1;
      const [s, e] = [J(`${arm}_shoulder`), J(`${arm}_elbow`)];
      // Rest: E − S = (±0.02, −0.3, 0); rotated 90° in the frontal plane away from the body: (±0.3, ±0.02·…).
      const S = joint(src, 5, s);
      const E = joint(r, 5, e);
      expect(E[0]! - S[0]!).toBeCloseTo(side * 0.3, 5);
      expect(E[1]! - S[1]!).toBeCloseTo(0.02, 5);
      expect(E[2]! - S[2]!).toBeCloseTo(0, 5);
    }
  });

  it('follows the documented schedule: raised-cosine ramps, weight 1 in the middle, 0 outside', () => {
    expect(armScheduleWeight(9, 10, 40, 8)).toBe(0);
    expect(armScheduleWeight(10, 10, 40, 8)).toBeCloseTo((1 - Math.cos(Math.PI / 9)) / 2, 12);
    expect(armScheduleWeight(39, 10, 40, 8)).toBeCloseTo((1 - Math.cos(Math.PI / 9)) / 2, 12);
    expect(armScheduleWeight(18, 10, 40, 8)).toBe(1);
    expect(armScheduleWeight(40, 10, 40, 8)).toBe(0);
    expect(labels.weight.filter((w) => w > 0)).toHaveLength(30);
    // At weight 1 the upper arm has turned by the peak abduction, 80°.
    const [s, e] = [J('left_shoulder'), J('left_elbow')];
    const a = joint(src, 25, e).map((v, k) => v - joint(src, 25, s)[k]!);
    const b = joint(clip, 25, e).map((v, k) => v - joint(clip, 25, s)[k]!);
    const cos = (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) / (Math.hypot(...a) * Math.hypot(...b));
    expect((Math.acos(cos) * 180) / Math.PI).toBeCloseTo(80, 3);
    expectInputError(() => rotateArm(src, { arm: 'left', from: 50, to: 70 }), /walk\.amc: armRotation/, /\[50, 70\)/);
  });

  it('a manifest test entry with armRotation labels its frames abnormal and writes the sidecar labels per camera clip', () => {
    const manifest = parseMocapManifest(
      JSON.stringify({
        format: 'skelflow-mocap-manifest/1',
        name: 'arm',
        clips: { walk: { asf: 'x.asf', amc: 'walk.amc' } },
        cameras: [{ azimuth: 30, elevation: 15, distance: 9, focal: 700 }, { azimuth: 120, elevation: 15, distance: 9, focal: 700 }],
        train: [{ clip: 'walk', from: 0, to: 120 }],
        test: [{ segments: [{ clip: 'walk', from: 0, to: 240, label: 'normal' }], armRotation: { arm: 'right', from: 20, to: 40, abduction: 70 } }],
      }),
      'arm.json',
    );
    const ds = buildMocapDataset(manifest, new Map([['walk', walk(240, 120)]]));
    expect(Array.from(ds.gt[0]!.mask)).toEqual([...Array(20).fill(0), ...Array(20).fill(1), ...Array(20).fill(0)]);
    expect(ds.jointLabels!.map((j) => j.name)).toEqual(ds.test.map((c) => c.name));
    expect(ds.jointLabels![0]!.labels).toMatchObject({ arm: 'right', from: 20, to: 40, abduction: 70, moved: { openpose18: ['right_elbow', 'right_wrist'] } });
    expect(ds.meta.clips.find((c) => c.name === ds.test[0]!.name)!.armRotation).toEqual({ arm: 'right', from: 20, to: 40 });
    expectInputError(
      () => parseMocapManifest(JSON.stringify({ ...JSON.parse(JSON.stringify(manifest)), format: 'skelflow-mocap-manifest/1', test: [{ segments: [{ clip: 'walk', from: 0, to: 10, label: 'normal' }], armRotation: { arm: 'middle', from: 0, to: 5 } }] }), 'bad.json'),
      'bad.json: test[0].armRotation.arm',
    );
  });

  it('the shipped attribution manifest parses: four walking test clips, each with one arm rotated', () => {
    const m = readMocapManifest(CMU_ARM_ATTRIBUTION_MANIFEST);
    expect(m.test.map((e) => e.armRotation?.arm)).toEqual(['left', 'right', 'left', 'right']);
    expect(m.test.every((e) => e.segments.every((s) => s.label === 'normal'))).toBe(true);
  });
});
