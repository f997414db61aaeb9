import { describe, expect, it } from 'vitest';
import { asfAmcToClip, asfForwardKinematics, asfTree, clipStats, CMU_COCO_MAP, parseAmc, parseAsf, parseAsfAmc, type AsfSkeleton, type MotionClip3D } from '../src/index.js';
import { COCO17_KEYPOINTS } from '@skelflow/pose';
import { readAsfAmc } from '../src/node.js';
import { expectInputError, hasShared, sharedDir } from '@skelflow/testing';
import { expectClose, jointAt } from './mocap_helpers.js';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CMU = path.join(sharedDir, 'data/cmu-mocap');
const hasCmu = hasShared && fs.existsSync(path.join(CMU, '02/02.asf'));
if (!hasCmu) console.warn(`[skelflow tests] ${CMU} not found: CMU motion-capture tests are skipped`);
const CLIPS = [...['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((c) => `02_${c}`), '03_01', '03_02', '03_03'];
const M_PER_UNIT = 0.0254 / 0.45; // CMU FAQ: inches × 0.45

const asfPath = (clip: string) => path.join(CMU, clip.slice(0, 2), `${clip.slice(0, 2)}.asf`);
const amcPath = (clip: string) => path.join(CMU, clip.slice(0, 2), `${clip}.amc`);

// ---------------------------------------------------------------- a tiny hand-made skeleton

/** Root, chain a → b, and c / d (two-dof bones in both listing orders); units length 1. */
const TINY_ASF = `# hand-made
:version 1.10
:name tiny
:units
  mass 1.0
  length 1.0
  angle deg
:documentation
  anything goes here
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name a
     direction 1 0 0
     length 1
     axis 0 0 90 XYZ
     dof rx
     limits (-180.0 180.0)
  end
  begin
     id 2
     name b
     direction 1 0 0
     length 2
     axis 0 0 0 XYZ
  end
  begin
     id 3
     name c
     direction 0 1 0
     length 1
     axis 0 0 0 XYZ
     dof rx rz
     limits (-180.0 180.0)
            (-180.0 180.0)
  end
  begin
     id 4
     name d
     direction 0 1 0
     length 1
     axis 0 0 0 XYZ
     dof rz rx
     limits (-180.0 180.0)
            (-180.0 180.0)
  end
:hierarchy
  begin
    root a c d
    a b
  end
`;

function tinyAmc(frames: { root: number[]; a: number; c: [number, number]; d: [number, number] }[]): string {
  const out = [':FULLY-SPECIFIED', ':DEGREES'];
  frames.forEach((f, i) => out.push(`${i + 1}`, `root ${f.root.join(' ')}`, `a ${f.a}`, `c ${f.c.join(' ')}`, `d ${f.d.join(' ')}`));
  return out.join('\r\n') + '\r\n';
}



/** COCO sources for the tiny skeleton (any joints will do; hips must differ horizontally at rest). */
const TINY_COCO = {
  left_shoulder: 'c', right_shoulder: 'd', left_elbow: 'c', right_elbow: 'd', left_wrist: 'c', right_wrist: 'd',
  left_hip: 'a', right_hip: 'root', left_knee: 'a', right_knee: 'root', left_ankle: 'b', right_ankle: 'root',
  head: 'c', headBase: 'root', headEnd: 'c',
};

describe('ASF/AMC forward kinematics on a hand-made skeleton', () => {
  const skel = parseAsf(TINY_ASF, 'tiny.asf', { metresPerUnit: 1 });

  it('parses units, root, bones parents-first and limits', () => {
    expect(skel.name).toBe('tiny');
    expect(skel.units).toEqual({ mass: 1, length: 1, angle: 'deg' });
    expect(skel.root.order).toEqual(['tx', 'ty', 'tz', 'rx', 'ry', 'rz']);
    expect(skel.bones.map((b) => [b.name, b.parent])).toEqual([['a', -1], ['b', 0], ['c', -1], ['d', -1]]);
    expect(skel.bones[0]!.axis[2]).toBeCloseTo(Math.PI / 2, 12);
    expect(skel.bones[2]!.limits).toEqual([[-180, 180], [-180, 180]]);
    expect(asfTree(skel).parents).toEqual([-1, 0, 1, 0, 0]);
    // default units: CMU convention, metres = value / length × 0.0254
    expect(parseAsf(TINY_ASF.replace('length 1.0', 'length 0.45'), 't.asf').metresPerUnit).toBeCloseTo(M_PER_UNIT, 15);
  });

  it('gives hand-computed positions: L = C·M·C⁻¹, rotations about fixed axes in dof order', () => {
    const clip = asfAmcToClip(skel, parseAmc(tinyAmc([
      { root: [0, 0, 0, 0, 0, 0], a: 0, c: [0, 0], d: [0, 0] },
      // a: C = Rz(90), M = Rx(90) → L = rotation of 90° about C·x = y: x ↦ (0, 0, −1)
      { root: [0, 0, 0, 0, 0, 0], a: 90, c: [90, 90], d: [90, 90] },
      // root translated (1, 2, 3) and turned Rx(90): (0, 0, −1) ↦ (0, 1, 0)
      { root: [1, 2, 3, 90, 0, 0], a: 90, c: [0, 0], d: [0, 0] },
    ]), 'tiny.amc', skel), { cocoMap: TINY_COCO });
    expect(clip.name).toBe('tiny');
    expect(clip.nFrames).toBe(3);
    expect(clip.jointNames).toEqual(['root', 'a', 'b', 'c', 'd']);
    // frame 0: base pose
    expectClose(jointAt(clip, 0, 'a'), [1, 0, 0], 1e-7);
    expectClose(jointAt(clip, 0, 'b'), [3, 0, 0], 1e-7);
    expectClose(jointAt(clip, 0, 'c'), [0, 1, 0], 1e-7);
    // frame 1
    expectClose(jointAt(clip, 1, 'a'), [0, 0, -1], 1e-7);
    expectClose(jointAt(clip, 1, 'b'), [0, 0, -3], 1e-7);
    // c: dof rx rz → M = Rz(90)·Rx(90): y ↦ z ↦ z ; d: dof rz rx → M = Rx(90)·Rz(90): y ↦ −x ↦ −x
    expectClose(jointAt(clip, 1, 'c'), [0, 0, 1], 1e-7);
    expectClose(jointAt(clip, 1, 'd'), [-1, 0, 0], 1e-7);
    // frame 2
    expectClose(jointAt(clip, 2, 'root'), [1, 2, 3], 1e-7);
    expectClose(jointAt(clip, 2, 'a'), [1, 3, 3], 1e-7);
    expectClose(jointAt(clip, 2, 'b'), [1, 5, 3], 1e-7);
    expectClose(jointAt(clip, 2, 'c'), [1, 2, 4], 1e-7); // Rx(90)·y = z
  });

  it('reports radians (:RADIANS) and clamps or rejects values outside the limits', () => {
    const amc = tinyAmc([{ root: [0, 0, 0, 0, 0, 0], a: 90, c: [0, 0], d: [0, 0] }]).replace(':DEGREES', ':RADIANS').replace('a 90', `a ${Math.PI / 2}`);
    const clip = asfAmcToClip(skel, parseAmc(amc, 'r.amc', skel), { cocoMap: TINY_COCO });
    expectInputError(() => asfAmcToClip(skel, parseAmc(amc, 'r.amc', skel)), 'tiny.asf + r.amc', /COCO 'left_shoulder' maps to 'lclavicle'.*cocoMap/);
    expectClose(jointAt(clip, 0, 'b'), [0, 0, -3], 1e-6);
    const over = tinyAmc([{ root: [0, 0, 0, 0, 0, 0], a: 200, c: [0, 0], d: [0, 0] }]);
    expect(parseAmc(over, 'o.amc', skel).limitViolations).toBe(1);
    expect(parseAmc(over, 'o.amc', skel, { limits: 'clamp' }).bones[0]![0]).toBe(180);
    expectInputError(() => parseAmc(over, 'o.amc', skel, { limits: 'error' }), 'o.amc: line 5:', /'a' rx = 200 outside its limits/);
  });
});

// ---------------------------------------------------------------- malformed input

describe('malformed ASF/AMC fail with the file and line', () => {
  const skel = parseAsf(TINY_ASF, 'tiny.asf');
  const good = tinyAmc([{ root: [0, 0, 0, 0, 0, 0], a: 1, c: [1, 2], d: [3, 4] }, { root: [0, 0, 0, 0, 0, 0], a: 1, c: [1, 2], d: [3, 4] }]);
  const lines = good.split('\r\n');
  // lines: 1 :FULLY-SPECIFIED, 2 :DEGREES, 3 "1", 4 root, 5 a, 6 c, 7 d, 8 "2", 9 root, 10 a, 11 c, 12 d

  it('accepts the well-formed file (and a dof-less bone listed without values)', () => {
    const m = parseAmc(good, 'x.amc', skel);
    expect(m.nFrames).toBe(2);
    expect(Array.from(m.frameNumbers)).toEqual([1, 2]);
    expect(parseAmc(good.replace('a 1\r\n', 'a 1\r\nb\r\n'), 'x.amc', skel).nFrames).toBe(2);
    expectInputError(() => parseAmc(good.replace('a 1\r\n', 'a 1\r\nb 0\r\n'), 'x.amc', skel), 'x.amc: line 6:', /'b' needs 0 values/);
  });

  it('unknown bone in the AMC', () => {
    const bad = lines.map((l, i) => (i === 9 ? 'elbow 1' : l)).join('\n');
    expectInputError(() => parseAmc(bad, 'x.amc', skel), 'x.amc: line 10:', /unknown bone 'elbow'/);
  });

  it('wrong number of values for a bone', () => {
    const bad = lines.map((l, i) => (i === 5 ? 'c 1' : l)).join('\n');
    expectInputError(() => parseAmc(bad, 'x.amc', skel), 'x.amc: line 6:', /'c' needs 2 values \(rx rz\), got 1/);
    const bad2 = lines.map((l, i) => (i === 3 ? 'root 0 0 0 0 0' : l)).join('\n');
    expectInputError(() => parseAmc(bad2, 'x.amc', skel), 'x.amc: line 4:', /'root' needs 6 values/);
  });

  it('non-numeric value, repeated bone, data before the first frame', () => {
    expectInputError(() => parseAmc(lines.map((l, i) => (i === 4 ? 'a x1' : l)).join('\n'), 'x.amc', skel), 'x.amc: line 5:', /not a finite number/);
    expectInputError(() => parseAmc(lines.map((l, i) => (i === 6 ? 'a 2' : l)).join('\n'), 'x.amc', skel), 'x.amc: line 7:', /'a' given twice/);
    expectInputError(() => parseAmc(lines.filter((_, i) => i !== 2).join('\n'), 'x.amc', skel), 'x.amc: line 3:', /before the first frame number/);
  });

  it('truncated last frame (missing bones) and truncated middle frame', () => {
    const cut = lines.slice(0, 10).join('\n'); // frame 2 has root and a only
    expectInputError(() => parseAmc(cut, 'x.amc', skel), 'x.amc: line 10:', /frame 2 \(line 8\) is truncated: missing c, d/);
    const mid = lines.filter((_, i) => i !== 6).join('\n'); // frame 1 lacks d
    expectInputError(() => parseAmc(mid, 'x.amc', skel), 'x.amc: line 6:', /frame 1 \(line 3\) is truncated: missing d/);
    expectInputError(() => parseAmc(':DEGREES\n', 'x.amc', skel), 'x.amc', /no frames/);
  });

  it('ASF: bone missing from :hierarchy, unknown bone there, and other structural errors', () => {
    const missing = TINY_ASF.replace('    root a c d', '    root a c');
    const dLine = TINY_ASF.split('\n').findIndex((l) => l.includes('name d')) - 1; // `begin` of d (two lines up), 1-based
    expectInputError(() => parseAsf(missing, 'tiny.asf'), `tiny.asf: line ${dLine}:`, /bone 'd' is missing from :hierarchy/);
    const hLine = TINY_ASF.split('\n').findIndex((l) => l.includes('    a b')) + 1;
    expectInputError(() => parseAsf(TINY_ASF.replace('    a b', '    a bb'), 'tiny.asf'), `tiny.asf: line ${hLine}:`, /unknown bone 'bb' in :hierarchy/);
    expectInputError(() => parseAsf(TINY_ASF.replace('    a b', '    a b\n    c b'), 'tiny.asf'), `line ${hLine + 1}:`, /'b' already has parent 'a'/);
    const limLine = TINY_ASF.split('\n').findIndex((l) => l.includes('limits (-180.0 180.0)')) + 1;
    expectInputError(() => parseAsf(TINY_ASF.replace('dof rx\n', 'dof rx ry\n'), 'tiny.asf'), 'tiny.asf: line', /limits|range/);
    expectInputError(() => parseAsf(TINY_ASF.replace('     dof rx\n', '     dof rq\n'), 'tiny.asf'), `line ${limLine - 1}:`, /unknown dof 'rq'/);
    expectInputError(() => parseAsf(TINY_ASF.replace(':bonedata', ':bonedata\n:bogus'), 'tiny.asf'), /line \d+:/, /unknown keyword ':bogus'/);
    expectInputError(() => parseAsf(TINY_ASF.replace('length 2', 'length two'), 'tiny.asf'), /line \d+:/, /'two' is not a number/);
    expectInputError(() => parseAsf(TINY_ASF.replace('name c', 'name a'), 'tiny.asf'), /line \d+:/, /duplicate bone 'a'/);
    expectInputError(() => parseAsf(TINY_ASF.replace('axis 0 0 90 XYZ', 'axis 0 0 90 XXY'), 'tiny.asf'), /line \d+:/, /permutation of XYZ/);
    expectInputError(() => parseAsf(TINY_ASF.replace('     length 1\n     axis 0 0 90', '     axis 0 0 90'), 'tiny.asf'), /line \d+:/, /bone 'a' has no length/);
  });
});

// ---------------------------------------------------------------- the shared CMU files

/** Independent base pose from the raw ASF numbers: Σ direction·length along the chain, in metres. */
function basePoseFromRawAsf(text: string): Map<string, number[]> {
  const bones = new Map<string, { dir: number[]; len: number }>();
  for (const block of text.split(/\bbegin\b/).slice(1)) {
    const name = /\bname\s+(\S+)/.exec(block);
    const dir = /\bdirection\s+(\S+)\s+(\S+)\s+(\S+)/.exec(block);
    const len = /\blength\s+(\S+)/.exec(block);
    if (name && dir && len) bones.set(name[1]!, { dir: [+dir[1]!, +dir[2]!, +dir[3]!], len: +len[1]! });
  }
  const parent = new Map<string, string>();
  for (const line of text.split(':hierarchy')[1]!.split(/\r?\n/)) {
    const t = line.trim().split(/\s+/);
    if (t.length >= 2) for (const c of t.slice(1)) parent.set(c, t[0]!);
  }
  const pos = new Map<string, number[]>([['root', [0, 0, 0]]]);
  const at = (n: string): number[] => {
    if (!pos.has(n)) {
      const p = at(parent.get(n)!);
      const b = bones.get(n)!;
      pos.set(n, p.map((v, k) => v + b.dir[k]! * b.len * M_PER_UNIT));
    }
    return pos.get(n)!;
  };
  for (const n of bones.keys()) at(n);
  return pos;
}

/** Max over frames and parent–child pairs of | |x_j − x_p|(f) − |x_j − x_p|(0) |. */
function maxBoneLengthDrift(positions: ArrayLike<number>, parents: number[], F: number): number {
  const J = parents.length;
  let worst = 0;
  const len = (f: number, j: number) => {
    const a = (f * J + j) * 3;
    const b = (f * J + parents[j]!) * 3;
    return Math.hypot(positions[a]! - positions[b]!, positions[a + 1]! - positions[b + 1]!, positions[a + 2]! - positions[b + 2]!);
  };
  for (let j = 1; j < J; j++) {
    const l0 = len(0, j);
    for (let f = 1; f < F; f++) worst = Math.max(worst, Math.abs(len(f, j) - l0));
  }
  return worst;
}

describe.skipIf(!hasCmu)('CMU motion capture (subjects 02 and 03, read from ../shared)', () => {
  const skels = new Map<string, AsfSkeleton>();
  const skel = (subject: string) => {
    if (!skels.has(subject)) skels.set(subject, parseAsf(fs.readFileSync(path.join(CMU, subject, `${subject}.asf`), 'utf8'), `${subject}.asf`));
    return skels.get(subject)!;
  };

  it('ASF: 30 bones, CMU units to metres, human-plausible bone lengths', () => {
    for (const s of ['02', '03']) {
      const k = skel(s);
      expect(k.bones).toHaveLength(30);
      expect(k.metresPerUnit).toBeCloseTo(M_PER_UNIT, 15);
      const len = (n: string) => k.bones.find((b) => b.name === n)!.length * k.metresPerUnit;
      const within = (names: string[], lo: number, hi: number) => {
        for (const n of names) {
          expect(len(n), n).toBeGreaterThan(lo);
          expect(len(n), n).toBeLessThan(hi);
        }
      };
      within(['lfemur', 'rfemur'], 0.38, 0.46);
      within(['ltibia', 'rtibia'], 0.36, 0.46);
      within(['lhumerus', 'rhumerus'], 0.24, 0.34);
    }
  });

  it('the base pose (every dof zero) equals Σ direction·length computed from the raw ASF numbers', () => {
    for (const s of ['02', '03']) {
      const text = fs.readFileSync(path.join(CMU, s, `${s}.asf`), 'utf8');
      const expected = basePoseFromRawAsf(text);
      const k = skel(s);
      const base = asfForwardKinematics(k);
      const names = asfTree(k).names;
      expect(expected.size).toBe(31);
      names.forEach((n, j) => expectClose(base.positions.subarray(3 * j, 3 * j + 3), expected.get(n)!, 1e-12, `${s} ${n}`));
      // the same through the AMC path: one all-zero frame
      const zero = [':FULLY-SPECIFIED', ':DEGREES', '1', 'root 0 0 0 0 0 0', ...k.bones.filter((b) => b.dof.length).map((b) => `${b.name} ${b.dof.map(() => '0').join(' ')}`)].join('\n');
      const clip = asfAmcToClip(k, parseAmc(zero, 'zero.amc', k));
      names.forEach((n, j) => expectClose(clip.joints.subarray(3 * j, 3 * j + 3), expected.get(n)!, 1e-6, `${s} ${n}`));
      // standing height: head end to toes ≈ 1.5–1.6 m
      expect(expected.get('head')![1]! - expected.get('ltoes')![1]!).toBeGreaterThan(1.4);
      expect(expected.get('head')![1]! - expected.get('ltoes')![1]!).toBeLessThan(1.7);
    }
  });

  it('bone lengths stay constant within 1e-6 over every clip (every parent–child pair, vs frame 0)', () => {
    for (const c of CLIPS) {
      const k = skel(c.slice(0, 2));
      const motion = parseAmc(fs.readFileSync(amcPath(c), 'utf8'), `${c}.amc`, k);
      const pose = asfForwardKinematics(k, motion);
      const parents = asfTree(k).parents;
      expect(maxBoneLengthDrift(pose.positions, parents, pose.nFrames), c).toBeLessThan(1e-9); // float64 FK
      const clip = asfAmcToClip(k, motion);
      expect(maxBoneLengthDrift(clip.joints, clip.parents, clip.nFrames), c).toBeLessThan(1e-6); // Float32 clip
      // and they are the ASF lengths (|direction| is 1 only to the 6 digits written)
      const J = parents.length;
      k.bones.forEach((b, i) => {
        const a = (i + 1) * 3;
        const p = parents[i + 1]! * 3;
        const l = Math.hypot(pose.positions[a]! - pose.positions[p]!, pose.positions[a + 1]! - pose.positions[p + 1]!, pose.positions[a + 2]! - pose.positions[p + 2]!);
        expect(Math.abs(l - Math.hypot(...b.direction) * b.length * k.metresPerUnit), `${c} ${b.name}`).toBeLessThan(1e-9);
      });
      expect(clip.joints.length).toBe(clip.nFrames * J * 3);
    }
  });

  it('02_01 (walk): the root moves at a walking speed; the stance foot stays put', () => {
    const clip = readAsfAmc(asfPath('02_01'), amcPath('02_01'));
    expect(clip.name).toBe('02_01');
    expect(clip.fps).toBe(120);
    expect(clip.nFrames).toBe(343);
    const J = clip.jointNames.length;
    const F = clip.nFrames;
    const st = clipStats(clip);
    const net = Math.hypot(clip.joints[(F - 1) * J * 3]! - clip.joints[0]!, clip.joints[(F - 1) * J * 3 + 2]! - clip.joints[2]!) / ((F - 1) / clip.fps);
    console.log(`[mocap] 02_01 walk: mean horizontal root speed ${st.meanRootSpeed.toFixed(3)} m/s, net ${net.toFixed(3)} m/s over ${st.durationS.toFixed(2)} s, max ${st.maxRootSpeed.toFixed(3)} m/s`);
    expect(st.meanRootSpeed).toBeGreaterThan(1);
    expect(st.meanRootSpeed).toBeLessThan(2);
    expect(net).toBeGreaterThan(1);
    expect(net).toBeLessThan(2);
    // Foot skate: the slower toe moves little while walking. This checks the rotation conventions:
    // composing dof rotations about moving axes instead gives ≈ 0.24 m/s here.
    const toes = ['ltoes', 'rtoes'].map((n) => clip.jointNames.indexOf(n));
    let sum = 0;
    for (let f = 0; f + 4 < F; f++) {
      sum += Math.min(...toes.map((t) => {
        const a = (f * J + t) * 3;
        const b = ((f + 4) * J + t) * 3;
        return Math.hypot(clip.joints[b]! - clip.joints[a]!, clip.joints[b + 2]! - clip.joints[a + 2]!) / (4 / 120);
      }));
    }
    console.log(`[mocap] 02_01 stance-toe speed ${(sum / (F - 4)).toFixed(3)} m/s`);
    expect(sum / (F - 4)).toBeLessThan(0.12);
    // the ground is at y ≈ 0: toes touch it
    let toeMin = Infinity;
    for (let f = 0; f < F; f++) for (const t of toes) toeMin = Math.min(toeMin, clip.joints[(f * J + t) * 3 + 1]!);
    expect(Math.abs(toeMin)).toBeLessThan(0.05);
  });

  it('COCO-17 mapping: joints from the CMU bones, sides consistent, upright ordering, feet on the ground', () => {
    const clip = readAsfAmc(asfPath('02_01'), amcPath('02_01'));
    const J = clip.jointNames.length;
    const F = clip.nFrames;
    const coco = (f: number, k: number) => Array.from(clip.coco.subarray((f * 17 + k) * 3, (f * 17 + k) * 3 + 3));
    const K = (n: string) => COCO17_KEYPOINTS.indexOf(n as never);
    const sub = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);
    const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
    for (let f = 0; f < F; f++) {
      // body joints are the mapped skeleton joints
      for (const [k, bone] of Object.entries(CMU_COCO_MAP)) {
        if (!COCO17_KEYPOINTS.includes(k as never)) continue;
        expectClose(coco(f, K(k)), jointAt(clip, f, bone), 0, `${k} ← ${bone}`);
      }
      // left/right: every left joint of a pair lies on the subject's left (hip axis) of its partner
      const leftDir = sub(coco(f, K('left_hip')), coco(f, K('right_hip')));
      for (const part of ['eye', 'ear', 'shoulder', 'hip']) expect(dot(sub(coco(f, K(`left_${part}`)), coco(f, K(`right_${part}`))), leftDir), `${part} f${f}`).toBeGreaterThan(0);
      // nose forward of the ears; forward = left × up
      const fwd = [-leftDir[2]!, 0, leftDir[0]!];
      const earMid = coco(f, K('left_ear')).map((v, i) => (v + coco(f, K('right_ear'))[i]!) / 2);
      expect(dot(sub(coco(f, K('nose')), earMid), fwd)).toBeGreaterThan(0);
      // upright: head above shoulders above hips above knees above ankles
      const y = (n: string) => (coco(f, K(`left_${n}`))[1]! + coco(f, K(`right_${n}`))[1]!) / 2;
      expect(coco(f, K('nose'))[1]!).toBeGreaterThan(y('shoulder'));
      expect(y('eye')).toBeGreaterThan(y('shoulder'));
      expect(y('shoulder')).toBeGreaterThan(y('hip'));
      expect(y('hip')).toBeGreaterThan(y('knee'));
      expect(y('knee')).toBeGreaterThan(y('ankle'));
      // constant face geometry: eyes 0.064 m apart, ears 0.15 m apart
      expect(Math.hypot(...sub(coco(f, K('left_eye')), coco(f, K('right_eye'))))).toBeCloseTo(0.064, 5);
      expect(Math.hypot(...sub(coco(f, K('left_ear')), coco(f, K('right_ear'))))).toBeCloseTo(0.15, 5);
    }
    // standing frame 0: ankles near the ground, nose at a plausible height (subject ≈ 1.6–1.7 m)
    expect(Math.min(coco(0, K('left_ankle'))[1]!, coco(0, K('right_ankle'))[1]!)).toBeLessThan(0.12);
    expect(coco(0, K('nose'))[1]!).toBeGreaterThan(1.4);
    expect(coco(0, K('nose'))[1]!).toBeLessThan(1.7);
    expect(J).toBe(31);
  });

  it('CMU values do step outside the ASF limits: ignored by default, clampable, reportable with the line', () => {
    const k = skel('02');
    const text = fs.readFileSync(amcPath('02_01'), 'utf8');
    const m = parseAmc(text, '02_01.amc', k);
    expect(m.limitViolations).toBeGreaterThan(0);
    const clamped = parseAmc(text, '02_01.amc', k, { limits: 'clamp' });
    k.bones.forEach((b, i) => {
      b.limits.forEach(([lo, hi], d) => {
        for (let f = 0; f < clamped.nFrames; f++) {
          const v = clamped.bones[i]![f * b.dof.length + d]!;
          expect(v >= lo - 1e-6 && v <= hi + 1e-6, `${b.name}`).toBe(true);
        }
      });
    });
    expectInputError(() => parseAmc(text, '02_01.amc', k, { limits: 'error' }), /^02_01\.amc: line \d+: bone '\w+' r[xyz] = \S+ outside its limits/);
  });

  it('malformed copies of the real files fail with the file name and line', () => {
    const k = skel('02');
    const lines = fs.readFileSync(amcPath('02_01'), 'utf8').split('\r\n');
    if (lines.at(-1) === '') lines.pop();
    const n = lines.length;
    // truncated: the last frame loses its last 3 bones
    expectInputError(() => parseAmc(lines.slice(0, n - 3).join('\r\n'), '02_01.amc', k), `02_01.amc: line ${n - 3}:`, /frame 343 \(line \d+\) is truncated: missing ltibia, lfoot, ltoes/);
    // an unknown bone in the middle
    const i = lines.findIndex((l) => l.startsWith('lhumerus'));
    const renamed = lines.map((l, j) => (j === i ? l.replace('lhumerus', 'lhumerous') : l)).join('\r\n');
    expectInputError(() => parseAmc(renamed, '02_01.amc', k), `02_01.amc: line ${i + 1}:`, /unknown bone 'lhumerous'/);
    // a missing value
    const short = lines.map((l, j) => (j === i ? l.split(' ').slice(0, -1).join(' ') : l)).join('\r\n');
    expectInputError(() => parseAmc(short, '02_01.amc', k), `02_01.amc: line ${i + 1}:`, /'lhumerus' needs 3 values/);
    // the ASF loses a hierarchy line
    const asf = fs.readFileSync(asfPath('02_01'), 'utf8').replace(/\r?\n\s*lhumerus lradius/, '');
    expectInputError(() => parseAsf(asf, '02.asf'), /^02\.asf: line \d+: bone 'lradius' is missing from :hierarchy/);
    // and the file helpers name the path
    expectInputError(() => readAsfAmc(asfPath('02_01'), path.join(CMU, '02', 'nope.amc')), 'nope.amc', /cannot read file/);
  });

  it('parseAsfAmc (text API) equals readAsfAmc (file API)', () => {
    const a = parseAsfAmc(fs.readFileSync(asfPath('03_01'), 'utf8'), '03.asf', fs.readFileSync(amcPath('03_01'), 'utf8'), '03_01.amc');
    const b = readAsfAmc(asfPath('03_01'), amcPath('03_01'));
    expect(a.name).toBe('03_01');
    expect(a.joints).toEqual(b.joints);
    expect(a.coco).toEqual(b.coco);
  });
});
