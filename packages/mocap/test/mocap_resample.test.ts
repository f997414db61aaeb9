import { describe, expect, it } from 'vitest';
import { clipStats, resampleClip, type MotionClip3D } from '../src/index.js';
import { readAsfAmc } from '../src/node.js';
import { expectInputError, hasShared, sharedDir } from '@skelflow/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CMU = path.join(sharedDir, 'data/cmu-mocap');
const hasCmu = hasShared && fs.existsSync(path.join(CMU, '02/02.asf'));
if (!hasCmu) console.warn(`[skelflow tests] ${CMU} not found: CMU resampling/statistics tests are skipped`);
const CLIPS = [...['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((c) => `02_${c}`), '03_01', '03_02', '03_03'];

/**
 * A synthetic clip: joint 0 (root) moves along x at `speed` m/s at height 1 + 0.1·sin; joint 1 sits
 * 0.5 m above it; every COCO value of frame f is f (wrists included) unless `still`.
 */
function synthClip(F: number, fps: number, speed = 1.5, still = false): MotionClip3D {
  const joints = new Float32Array(F * 2 * 3);
  const coco = new Float32Array(F * 17 * 3);
  for (let f = 0; f < F; f++) {
    const x = (speed * f) / fps;
    const y = 1 + 0.1 * Math.sin(f);
    joints.set([x, y, 0, x, y + 0.5, 0], f * 6);
    coco.fill(still ? 0 : f, f * 51, (f + 1) * 51);
  }
  return { name: 's', fps, nFrames: F, coco, jointNames: ['root', 'top'], joints, parents: [-1, 0], source: 'synthetic' };
}

describe('resampleClip', () => {
  it('integer ratio 120 → 30 keeps every 4th frame, starting with the first', () => {
    const c = resampleClip(synthClip(9, 120), 30);
    expect(c.fps).toBe(30);
    expect(c.nFrames).toBe(3);
    expect([c.coco[0], c.coco[51], c.coco[102]]).toEqual([0, 4, 8]);
    const src = synthClip(9, 120);
    expect(Array.from(c.joints.subarray(6, 12))).toEqual(Array.from(src.joints.subarray(24, 30)));
    expect(resampleClip(synthClip(10, 120), 30).nFrames).toBe(3); // frames 0, 4, 8
    expect(resampleClip(synthClip(12, 120), 30).nFrames).toBe(3);
    expect(resampleClip(synthClip(13, 120), 30).nFrames).toBe(4);
    expect(resampleClip(synthClip(5, 30), 30).coco).toEqual(synthClip(5, 30).coco);
  });

  it('other ratios interpolate positions linearly at t = n / fps', () => {
    // 120 → 50: source frames 0, 2.4, 4.8, 7.2 of 0…8
    const c = resampleClip(synthClip(9, 120), 50);
    expect(c.nFrames).toBe(4);
    [0, 2.4, 4.8, 7.2].forEach((s, i) => expect(c.coco[i * 51 + 7]).toBeCloseTo(s, 5));
    // root x is linear in time: interpolation is exact
    [0, 2.4, 4.8, 7.2].forEach((s, i) => expect(c.joints[i * 6]).toBeCloseTo((1.5 * s) / 120, 6));
    // up-sampling 30 → 60
    const u = resampleClip(synthClip(3, 30), 60);
    expect(u.nFrames).toBe(5);
    expect(Array.from({ length: 5 }, (_, i) => u.coco[i * 51])).toEqual([0, 0.5, 1, 1.5, 2]);
  });

  it('rejects a bad rate and arrays that do not match nFrames', () => {
    expectInputError(() => resampleClip(synthClip(3, 30), 0), 'synthetic', /fps must be a positive number/);
    expectInputError(() => resampleClip(synthClip(3, 30), NaN), /fps must be/);
    expectInputError(() => resampleClip({ ...synthClip(3, 30), nFrames: 4 }, 10), /coco has 153 values, expected 4×17×3/);
  });
});

describe('clipStats', () => {
  it('measures duration, horizontal root speed, root height range and wrist speed', () => {
    const s = clipStats(synthClip(240, 120, 1.5));
    expect(s.durationS).toBe(2);
    expect(s.meanRootSpeed).toBeCloseTo(1.5, 5);
    expect(s.maxRootSpeed).toBeCloseTo(1.5, 5);
    const ys = Array.from({ length: 240 }, (_, f) => Math.fround(1 + 0.1 * Math.sin(f)));
    expect(s.rootHeightRange).toBeCloseTo(Math.max(...ys) - Math.min(...ys), 6);
    // wrists move by 1 per frame on each of x, y, z: √3 · 120 per second
    expect(s.meanWristSpeed).toBeCloseTo(Math.sqrt(3) * 120, 3);
    const still = clipStats(synthClip(10, 30, 0, true));
    expect([still.meanRootSpeed, still.maxRootSpeed, still.meanWristSpeed]).toEqual([0, 0, 0]);
  });
});

describe.skipIf(!hasCmu)('resampling and statistics of the CMU clips (../shared)', () => {
  it('02_01 at 30 fps: every 4th frame, same bones', () => {
    const clip = readAsfAmc(path.join(CMU, '02/02.asf'), path.join(CMU, '02/02_01.amc'));
    const c30 = resampleClip(clip, 30);
    expect(c30.nFrames).toBe(Math.ceil(343 / 4));
    const J = clip.jointNames.length;
    for (const k of [0, 1, 50, 85]) {
      expect(Array.from(c30.joints.subarray(k * J * 3, (k + 1) * J * 3))).toEqual(Array.from(clip.joints.subarray(4 * k * J * 3, (4 * k + 1) * J * 3)));
      expect(Array.from(c30.coco.subarray(k * 51, (k + 1) * 51))).toEqual(Array.from(clip.coco.subarray(4 * k * 51, (4 * k + 1) * 51)));
    }
    const a = clipStats(clip);
    const b = clipStats(c30);
    expect(Math.abs(a.meanRootSpeed - b.meanRootSpeed)).toBeLessThan(0.05);
  });

  it('clipStats of every clip (logged for the manifest)', () => {
    const rows: string[] = ['clip   | frames | durationS | meanRootSpeed | maxRootSpeed | rootHeightRange | meanWristSpeed'];
    const stats = new Map<string, ReturnType<typeof clipStats>>();
    for (const c of CLIPS) {
      const s = c.slice(0, 2);
      const clip = readAsfAmc(path.join(CMU, s, `${s}.asf`), path.join(CMU, s, `${c}.amc`));
      const st = clipStats(clip);
      stats.set(c, st);
      rows.push(`${c}  | ${String(clip.nFrames).padStart(6)} | ${st.durationS.toFixed(2).padStart(9)} | ${st.meanRootSpeed.toFixed(3).padStart(13)} | ${st.maxRootSpeed.toFixed(3).padStart(12)} | ${st.rootHeightRange.toFixed(3).padStart(15)} | ${st.meanWristSpeed.toFixed(3).padStart(14)}`);
    }
    console.log(`[mocap] clipStats (120 fps)\n${rows.join('\n')}`);
    // walks are faster than in-place actions, the run (02_03) is the fastest
    for (const walk of ['02_01', '02_02']) expect(stats.get(walk)!.meanRootSpeed).toBeGreaterThan(1);
    for (const inPlace of ['02_05', '02_06', '02_07', '02_08', '02_09', '02_10']) expect(stats.get(inPlace)!.meanRootSpeed).toBeLessThan(0.3);
    expect(stats.get('02_03')!.meanRootSpeed).toBeGreaterThan(2);
    // the jump (02_04) has the largest root height range of subject 02
    const ranges = CLIPS.filter((c) => c.startsWith('02')).map((c) => stats.get(c)!.rootHeightRange);
    expect(stats.get('02_04')!.rootHeightRange).toBe(Math.max(...ranges));
  });
});
