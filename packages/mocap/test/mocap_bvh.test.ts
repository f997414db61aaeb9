import { afterAll, describe, expect, it } from 'vitest';
import { BVH_COCO_CANDIDATES, bvhForwardKinematics, bvhToClip, parseBvh, parseBvhClip, resolveCocoMap, type MotionClip3D } from '../src/index.js';
import { COCO17_KEYPOINTS } from '@skelflow/pose';
import { readBvh } from '../src/node.js';
import { expectInputError } from '@skelflow/testing';
import { expectClose, jointAt } from './mocap_helpers.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Channels: Hips X Y Z pos, Z X Y rot | Spine Z X Y | Leg Z X Y  (12 per frame).
const TINY_BVH = [
  'HIERARCHY', //                                   1
  'ROOT Hips', //                                   2
  '{', //                                           3
  '\tOFFSET 0 0 0', //                              4
  '\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation', // 5
  '\tJOINT Spine', //                               6
  '\t{', //                                         7
  '\t\tOFFSET 0 10 0', //                           8
  '\t\tCHANNELS 3 Zrotation Xrotation Yrotation', // 9
  '\t\tEnd Site', //                                10
  '\t\t{', //                                       11
  '\t\t\tOFFSET 0 5 0', //                          12
  '\t\t}', //                                       13
  '\t}', //                                         14
  '\tJOINT Leg', //                                 15
  '\t{', //                                         16
  '\t\tOFFSET 3 0 0', //                            17
  '\t\tCHANNELS 3 Zrotation Xrotation Yrotation', // 18
  '\t\tEnd Site', //                                19
  '\t\t{', //                                       20
  '\t\t\tOFFSET 0 -8 0', //                         21
  '\t\t}', //                                       22
  '\t}', //                                         23
  '}', //                                           24
  'MOTION', //                                      25
  'Frames: 3', //                                   26
  'Frame Time: 0.0333333', //                       27
  '0 0 0 0 0 0 0 0 0 0 0 0', //                     28
  '100 50 0 90 0 0 90 0 90 0 0 90', //              29
  '0 0 0 0 90 90 0 0 0 90 90 0', //                 30
].join('\r\n') + '\r\n';

/**
 * Hand-computed positions (file units). Rz(90): (x, y, z) ↦ (−y, x, z); Ry(90): (x, y, z) ↦ (z, y, −x);
 * Rx(90): (x, y, z) ↦ (x, −z, y). Channels compose in listed order (Z X Y → Rz·Rx·Ry).
 */
const EXPECTED: Record<string, number[]>[] = [
  // frame 0: the offsets
  { Hips: [0, 0, 0], Spine: [0, 10, 0], Spine_end: [0, 15, 0], Leg: [3, 0, 0], Leg_end: [3, -8, 0] },
  // frame 1: Hips at (100, 50, 0) turned Rz(90); Spine Rz(90)·Ry(90); Leg Ry(90)
  //   Spine = Hips + Rz90·(0,10,0) = (90, 50, 0); Spine_end = Spine + Rz90·Rz90·Ry90·(0,5,0) = Spine + (0,−5,0)
  //   Leg = Hips + Rz90·(3,0,0) = (100, 53, 0); Leg_end = Leg + Rz90·Ry90·(0,−8,0) = Leg + (8, 0, 0)
  { Hips: [100, 50, 0], Spine: [90, 50, 0], Spine_end: [90, 45, 0], Leg: [100, 53, 0], Leg_end: [108, 53, 0] },
  // frame 2: Hips Rx(90)·Ry(90); Leg Rz(90)·Rx(90)
  //   Spine = Rx90·Ry90·(0,10,0) = (0,0,10); Spine_end = (0,0,15); Leg = Rx90·Ry90·(3,0,0) = Rx90·(0,0,−3) = (0,3,0)
  //   Leg_end = Leg + Rx90·Ry90·Rz90·Rx90·(0,−8,0) = Leg + Rx90·Ry90·(0,0,−8) = Leg + (−8,0,0)
  { Hips: [0, 0, 0], Spine: [0, 0, 10], Spine_end: [0, 0, 15], Leg: [0, 3, 0], Leg_end: [-8, 3, 0] },
];

const TINY_MAP = {
  left_shoulder: 'Spine', right_shoulder: 'Spine', left_elbow: 'Spine', right_elbow: 'Spine', left_wrist: 'Spine_end', right_wrist: 'Spine_end',
  left_hip: 'Leg', right_hip: 'Hips', left_knee: 'Leg', right_knee: 'Leg', left_ankle: 'Leg_end', right_ankle: 'Leg_end',
  head: 'Spine', headBase: 'Spine', headEnd: 'Spine_end',
};



describe('BVH reader and forward kinematics', () => {
  it('parses the hierarchy, channels and motion', () => {
    const bvh = parseBvh(TINY_BVH, 'tiny.bvh');
    expect(bvh.joints.map((j) => [j.name, j.parent, j.channelOffset, j.endSite])).toEqual([
      ['Hips', -1, 0, false], ['Spine', 0, 6, false], ['Spine_end', 1, 9, true], ['Leg', 0, 9, false], ['Leg_end', 3, 12, true],
    ]);
    expect(bvh.joints[0]!.channels).toEqual(['Xposition', 'Yposition', 'Zposition', 'Zrotation', 'Xrotation', 'Yrotation']);
    expect(bvh.nChannels).toBe(12);
    expect(bvh.nFrames).toBe(3);
    expect(bvh.frameTime).toBeCloseTo(1 / 30, 6);
    expect(Array.from(bvh.motion.subarray(12, 24))).toEqual([100, 50, 0, 90, 0, 0, 90, 0, 90, 0, 0, 90]);
  });

  it('gives hand-computed positions (float64 FK, file units)', () => {
    const bvh = parseBvh(TINY_BVH, 'tiny.bvh');
    const pose = bvhForwardKinematics(bvh, 1);
    const names = bvh.joints.map((j) => j.name);
    EXPECTED.forEach((exp, f) => {
      for (const [n, p] of Object.entries(exp)) {
        const j = names.indexOf(n);
        expectClose(pose.positions.subarray((f * names.length + j) * 3, (f * names.length + j) * 3 + 3), p, 1e-12, `frame ${f} ${n}`);
      }
    });
  });

  it('bvhToClip: metres (default centimetres), fps from Frame Time, name mapping, z-up conversion', () => {
    const clip = bvhToClip(parseBvh(TINY_BVH, 'dir/tiny.bvh'), { cocoMap: TINY_MAP });
    expect(clip.name).toBe('tiny');
    expect(clip.fps).toBe(30); // 1 / 0.0333333 snapped
    expect(clip.nFrames).toBe(3);
    expect(clip.parents).toEqual([-1, 0, 1, 0, 3]);
    EXPECTED.forEach((exp, f) => {
      for (const [n, p] of Object.entries(exp)) expectClose(jointAt(clip, f, n), p.map((v) => v / 100), 1e-6, `frame ${f} ${n}`);
    });
    // COCO body joints come from the mapped joints
    expectClose(clip.coco.subarray(15 * 3, 15 * 3 + 3), jointAt(clip, 0, 'Leg_end'), 0);
    // z up: (x, y, z) ↦ (x, z, −y)
    const z = bvhToClip(parseBvh(TINY_BVH, 'tiny.bvh'), { cocoMap: TINY_MAP, upAxis: 'z', metresPerUnit: 1, fps: 25 });
    expect(z.fps).toBe(25);
    expectClose(jointAt(z, 1, 'Leg_end'), [108, 0, -53], 1e-4);
    expectClose(jointAt(z, 0, 'Leg_end'), [3, 0, 8], 1e-6);
  });

  it('without a name mapping, a skeleton with unknown names fails naming the COCO joint and the candidates', () => {
    expectInputError(() => bvhToClip(parseBvh(TINY_BVH, 'tiny.bvh')), 'tiny.bvh', /no joint for COCO 'left_shoulder' \(tried LeftArm, /, /cocoMap\.left_shoulder/);
    expectInputError(() => bvhToClip(parseBvh(TINY_BVH, 'tiny.bvh'), { cocoMap: { ...TINY_MAP, head: 'Neck' } }), 'tiny.bvh', /cocoMap\.head: no joint named 'Neck'/);
  });
});

// ---------------------------------------------------------------- a Mixamo-style T-pose skeleton

interface J {
  name: string;
  offset: [number, number, number];
  children: J[];
}
const j = (name: string, offset: [number, number, number], ...children: J[]): J => ({ name, offset, children });
const side = (s: 'Left' | 'Right', x: number): { arm: J; leg: J } => ({
  arm: j(`mixamorig:${s}Shoulder`, [5 * x, 15, 0], j(`mixamorig:${s}Arm`, [12 * x, 0, 0], j(`mixamorig:${s}ForeArm`, [28 * x, 0, 0], j(`mixamorig:${s}Hand`, [25 * x, 0, 0])))),
  leg: j(`mixamorig:${s}UpLeg`, [9 * x, -5, 0], j(`mixamorig:${s}Leg`, [0, -42, 0], j(`mixamorig:${s}Foot`, [0, -40, 0], j(`mixamorig:${s}ToeBase`, [0, -7, 12])))),
});
const L = side('Left', 1);
const R = side('Right', -1);
const MIXAMO = j('mixamorig:Hips', [0, 100, 0],
  j('mixamorig:Spine', [0, 10, 0], j('mixamorig:Spine1', [0, 15, 0], j('mixamorig:Neck', [0, 20, 0], j('mixamorig:Head', [0, 10, 0])), L.arm, R.arm)),
  L.leg, R.leg);

/** Writes a BVH: root 6 channels, joints Z X Y rotations, End Site (8 units along the last offset) at leaves. */
function writeBvh(root: J, frames: (Map<string, number[]>)[], frameTime: number): string {
  const out = ['HIERARCHY'];
  const order: J[] = [];
  const walk = (n: J, depth: number, isRoot: boolean) => {
    const t = '  '.repeat(depth);
    order.push(n);
    out.push(`${t}${isRoot ? 'ROOT' : 'JOINT'} ${n.name}`, `${t}{`, `${t}  OFFSET ${n.offset.join(' ')}`);
    out.push(`${t}  CHANNELS ${isRoot ? '6 Xposition Yposition Zposition' : '3'} Zrotation Xrotation Yrotation`);
    for (const c of n.children) walk(c, depth + 1, false);
    if (n.children.length === 0) {
      const len = Math.hypot(...n.offset) || 1;
      const end = n.name.endsWith('Head') ? [0, 18, 0] : n.offset.map((v) => (8 * v) / len);
      out.push(`${t}  End Site`, `${t}  {`, `${t}    OFFSET ${end.join(' ')}`, `${t}  }`);
    }
    out.push(`${t}}`);
  };
  walk(root, 0, true);
  out.push('MOTION', `Frames: ${frames.length}`, `Frame Time: ${frameTime}`);
  for (const f of frames) out.push(order.flatMap((n, i) => f.get(n.name) ?? (i === 0 ? [0, 0, 0, 0, 0, 0] : [0, 0, 0])).join(' '));
  return out.join('\n') + '\n';
}

describe('BVH → COCO-17 with the default name mapping (Mixamo-style names, namespace prefix)', () => {
  // Mixamo writes the hip height both as the Hips OFFSET and in its position channels.
  const text = writeBvh(MIXAMO, [new Map([['mixamorig:Hips', [0, 100, 0, 0, 0, 0]]]), new Map([['mixamorig:Hips', [0, 100, 0, 0, 0, 90]]])], 0.0083333);
  const clip = parseBvhClip(text, 'mixamo.bvh');
  const coco = (f: number, name: string) => {
    const k = COCO17_KEYPOINTS.indexOf(name as never);
    return Array.from(clip.coco.subarray((f * 17 + k) * 3, (f * 17 + k) * 3 + 3));
  };

  it('resolves the defaults: LeftArm/LeftForeArm/LeftHand, LeftUpLeg/LeftLeg/LeftFoot, Head and its End Site', () => {
    const map = resolveCocoMap(clip.jointNames, BVH_COCO_CANDIDATES, {}, 'mixamo.bvh');
    expect(map).toMatchObject({
      left_shoulder: 'mixamorig:LeftArm', right_shoulder: 'mixamorig:RightArm', left_elbow: 'mixamorig:LeftForeArm',
      right_wrist: 'mixamorig:RightHand', left_hip: 'mixamorig:LeftUpLeg', right_knee: 'mixamorig:RightLeg',
      left_ankle: 'mixamorig:LeftFoot', head: 'mixamorig:Head', headEnd: 'mixamorig:Head_end',
    });
    expect(clip.fps).toBe(120);
    // T-pose in metres: left shoulder at (0.17, 1.40, 0), left ankle at (0.09, 0.13, 0)
    expectClose(coco(0, 'left_shoulder'), [0.17, 1.4, 0], 1e-6);
    expectClose(coco(0, 'right_wrist'), [-0.7, 1.4, 0], 1e-6);
    expectClose(coco(0, 'left_ankle'), [0.09, 0.13, 0], 1e-6);
    // position channels replace the root OFFSET (hips at 1.0 m, not 2.0 m)
    expectClose(jointAt(clip, 0, 'mixamorig:Hips'), [0, 1, 0], 1e-6);
    expectClose(jointAt(clip, 1, 'mixamorig:Hips'), [0, 1, 0], 1e-6);
  });

  it('face points sit in the head frame and turn with it (root yaw 90°: facing +z → +x)', () => {
    // head joint at y = 1.55, End Site 0.18 above → centre (fraction 0.5) at y = 1.64
    expectClose(coco(0, 'nose'), [0, 1.64 - 0.035, 0.11], 1e-6);
    expectClose(coco(0, 'left_eye'), [0.032, 1.64, 0.08], 1e-6);
    expectClose(coco(0, 'right_ear'), [-0.075, 1.62, 0], 1e-6);
    // Ry(90): forward (0,0,1) ↦ (1,0,0), left (1,0,0) ↦ (0,0,−1)
    expectClose(coco(1, 'nose'), [0.11, 1.605, 0], 1e-6);
    expectClose(coco(1, 'left_eye'), [0.08, 1.64, -0.032], 1e-6);
    expectClose(coco(1, 'left_shoulder'), [0, 1.4, -0.17], 1e-6);
  });
});

// ---------------------------------------------------------------- malformed BVH

describe('malformed BVH fails with the file and line', () => {
  const lines = TINY_BVH.split('\r\n');
  const edit = (i: number, text: string | null) => lines.flatMap((l, k) => (k === i - 1 ? (text === null ? [] : [text]) : [l])).join('\n');

  it('a frame line with the wrong number of values', () => {
    expectInputError(() => parseBvh(edit(29, '100 50 0 90 0 0 90 0 90 0 0'), 'bad.bvh'), 'bad.bvh: line 29:', /frame 2 has 11 values, expected 12/);
    expectInputError(() => parseBvh(edit(28, '0 0 0 0 0 0 0 0 0 0 0 0 0'), 'bad.bvh'), 'bad.bvh: line 28:', /frame 1 has 13 values/);
    expectInputError(() => parseBvh(edit(30, '0 0 0 0 90 x 0 0 0 90 90 0'), 'bad.bvh'), 'bad.bvh: line 30:', /value 6 \('x'\) is not a number/);
  });

  it('truncated motion, extra motion lines, bad header', () => {
    expectInputError(() => parseBvh(edit(30, null), 'bad.bvh'), 'bad.bvh: line 29:', /truncated: Frames: 3 but the file ends after 2 frame line/);
    expectInputError(() => parseBvh(TINY_BVH + '1 2 3 4 5 6 7 8 9 10 11 12\n', 'bad.bvh'), 'bad.bvh: line 31:', /more motion lines than Frames: 3/);
    expectInputError(() => parseBvh(edit(26, 'Frames 3'), 'bad.bvh'), 'bad.bvh: line 26:', /expected 'Frames: N'/);
    expectInputError(() => parseBvh(edit(27, 'Frame Time: 0'), 'bad.bvh'), 'bad.bvh: line 27:', /Frame Time must be a positive number/);
    expectInputError(() => parseBvh(lines.slice(0, 24).join('\n'), 'bad.bvh'), 'bad.bvh: line 24:', /no MOTION section/);
  });

  it('unknown tokens, wrong CHANNELS counts, unbalanced braces', () => {
    expectInputError(() => parseBvh(edit(17, '\t\tOFSET 3 0 0'), 'bad.bvh'), 'bad.bvh: line 17:', /unknown token 'OFSET' in Leg/);
    expectInputError(() => parseBvh(edit(18, '\t\tCHANNELS 3 Zrotation Xrotation'), 'bad.bvh'), 'bad.bvh: line 18:', /CHANNELS 3 lists 2 channel name\(s\), then 'End'/);
    expectInputError(() => parseBvh(edit(9, '\t\tCHANNELS 2 Zrotation Xrotation Yrotation'), 'bad.bvh'), 'bad.bvh: line 9:', /CHANNELS 2 is followed by more channel names \('Yrotation'\)/);
    expectInputError(() => parseBvh(edit(9, '\t\tCHANNELS 3 Zrotation Xrotation Wrotation'), 'bad.bvh'), 'bad.bvh: line 9:', /then 'Wrotation'/);
    expectInputError(() => parseBvh(edit(9, '\t\tCHANNELS three Zrotation Xrotation Yrotation'), 'bad.bvh'), 'bad.bvh: line 9:', /CHANNELS count must be an integer/);
    expectInputError(() => parseBvh(edit(8, '\t\tOFFSET 0 ten 0'), 'bad.bvh'), 'bad.bvh: line 8:', /OFFSET y: 'ten' is not a number/);
    // without the closing brace, MOTION (now line 24) arrives inside Hips
    expectInputError(() => parseBvh(edit(24, null), 'bad.bvh'), 'bad.bvh: line 24:', /hierarchy ends before '}' closing Hips/);
    expectInputError(() => parseBvh(edit(1, 'HIERARCHIE'), 'bad.bvh'), 'bad.bvh: line 1:', /expected 'HIERARCHY'/);
    expectInputError(() => parseBvh(edit(12, '\t\t\tCHANNELS 1 Xrotation'), 'bad.bvh'), 'bad.bvh: line 12:', /End Site cannot have CHANNELS/);
  });
});

describe('readBvh (node)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-bvh-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const p = path.join(dir, 'walk.bvh');
    fs.writeFileSync(p, TINY_BVH);
    const clip = readBvh(p, { cocoMap: TINY_MAP, metresPerUnit: 1 });
    expect(clip.name).toBe('walk');
    expect(clip.source).toBe(p);
    expectClose(jointAt(clip, 2, 'Leg_end'), [-8, 3, 0], 1e-6);
    const bad = path.join(dir, 'bad.bvh');
    fs.writeFileSync(bad, TINY_BVH.replace('OFFSET 3 0 0', 'OFFSET 3 0'));
    expectInputError(() => readBvh(bad), `${bad}: line 18:`, /OFFSET z: 'CHANNELS' is not a number/);
    expectInputError(() => readBvh(path.join(dir, 'nope.bvh')), 'nope.bvh', /cannot read file/);
  });
});
