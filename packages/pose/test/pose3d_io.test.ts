import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { clipNameFromPoseFile, parsePoseTrackJson, poseTracksFromJson, poseTracksToJson } from '../src/index.js';
import { readPoseDir, writePoseDataset } from '../src/node.js';
import { expectInputError } from '@skelflow/testing';

// 17 × (x, y, z, confidence) in metres: joint j of detection `base` at (base + j, 2·j, −(j + 1) / 10), confidence 0.5.
const kp3 = (base: number) => Array.from({ length: 17 }, (_, j) => [base + j, 2 * j, -(j + 1) / 10, 0.5]).flat();
const kp2 = (base: number) => Array.from({ length: 51 }, (_, i) => base + i);

describe('3-D pose tracks (docs/mocap.md, "3-D pose tracks")', () => {
  it('reads 17 × (x, y, z, confidence) per detection, frames numerically sorted', () => {
    const t = parsePoseTrackJson(JSON.stringify({ '2': { '0010': { keypoints: kp3(1), scores: 1 }, '0009': { keypoints: kp3(7), scores: 0.25 } } }), 'a_tracked_person_3d.json', { dims: 3 });
    const p = t.get('2')!;
    expect(p.frames).toEqual([9, 10]);
    expect(p.keypoints.length).toBe(2 * 68);
    // Frame 9 (det base 7): joint 3 = (10, 6, −0.4, 0.5).
    expect(Array.from(p.keypoints.subarray(12, 16))).toEqual([10, 6, Math.fround(-0.4), 0.5]);
    // Frame 10 (det base 1): joint 16 = (17, 32, −1.7, 0.5).
    expect(Array.from(p.keypoints.subarray(68 + 64, 68 + 68))).toEqual([17, 32, Math.fround(-1.7), 0.5]);
    expect(Array.from(p.scores)).toEqual([0.25, 1]);
  });

  it('names file and place for a wrong arity, a wrong joint count, a non-finite value and mixed 2-D/3-D data', () => {
    const one = (keypoints: unknown) => JSON.stringify({ '4': { '0003': { keypoints, scores: 1 } } });
    expectInputError(() => parsePoseTrackJson(one(kp3(0).slice(0, 67)), 'f.json', { dims: 3 }), /^f\.json: person 4, frame 0003/, /has 67 values, expected 68 \(17 COCO joints × x, y, z, confidence\)/);
    expectInputError(() => parsePoseTrackJson(one(kp3(0).slice(0, 64)), 'f.json', { dims: 3 }), /person 4, frame 0003/, /16 joints instead of 17/);
    // Python's json.dump writes NaN; the reader names joint and axis.
    const nan = JSON.stringify({ '4': { '0003': { keypoints: kp3(0), scores: 1 } } }).replace("[0,0,-0.1,0.5", "[0,0,NaN,0.5");
    expectInputError(() => parsePoseTrackJson(nan, 'n.json', { dims: 3 }), /^n\.json: person 4, frame 0003/, /non-finite value NaN at keypoints\[2\] \(joint 0 z\)/);
    expectInputError(() => parsePoseTrackJson(one(kp2(0)), 'm.json', { dims: 3 }), /^m\.json: person 4, frame 0003/, /mixed 2-D\/3-D data: "keypoints" has 51 values, a 2-D detection/);
    expectInputError(() => parsePoseTrackJson(one(kp3(0)), 'm2.json'), /^m2\.json: person 4, frame 0003/, /mixed 2-D\/3-D data: "keypoints" has 68 values, a 3-D detection .*_tracked_person_3d\.json/);
    const far = kp3(0);
    far[1] = 10_001;
    expectInputError(() => parsePoseTrackJson(one(far), 'far.json', { dims: 3 }), /person 4, frame 0003/, /joint 0 \(nose\) y = 10001 is outside the sane range ±10000 metres/);
  });

  it('writes what it reads back bit for bit (person and frame keys kept)', () => {
    const tracks = poseTracksFromJson({ '10': { '0002': { keypoints: kp3(0.1), scores: 0.7 } }, '9': { '0000': { keypoints: kp3(3.3), scores: 1 }, '0001': { keypoints: kp3(-2), scores: 0.9 } } }, 'src', { dims: 3 });
    const json = poseTracksToJson(tracks, 3);
    expect(Object.keys(json)).toEqual(['9', '10']);
    expect(Object.keys(json['9']!)).toEqual(['0000', '0001']);
    const back = parsePoseTrackJson(JSON.stringify(json), 'back', { dims: 3 });
    for (const [k, t] of tracks) {
      expect(back.get(k)!.frames).toEqual(t.frames);
      expect(back.get(k)!.keypoints).toEqual(t.keypoints);
      expect(back.get(k)!.scores).toEqual(t.scores);
    }
    expectInputError(() => poseTracksToJson(tracks, 2), /person 9/, /expected 102 for 2-D tracks/);
  });

  it('readPoseDir reads a 3-D folder as dims 3 and refuses a folder mixing 2-D and 3-D files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pose3d-'));
    try {
      const one3 = JSON.stringify({ '1': { '0000': { keypoints: kp3(0), scores: 1 } } });
      fs.writeFileSync(path.join(dir, '01_0002_tracked_person_3d.json'), one3);
      fs.writeFileSync(path.join(dir, '01_0001_tracked_person_3d.json'), one3);
      const clips = await readPoseDir(dir);
      expect(clips.map((c) => [c.name, c.dims])).toEqual([['01_0001', 3], ['01_0002', 3]]);
      expect(clipNameFromPoseFile('x/01_0001_tracked_person_3d.json')).toBe('01_0001');
      fs.writeFileSync(path.join(dir, '01_0003_alphapose_tracked_person.json'), JSON.stringify({ '1': { '0000': { keypoints: kp2(0), scores: 1 } } }));
      const err = await readPoseDir(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(String((err as Error).message)).toMatch(new RegExp(`^${dir.replace(/[.\\]/g, '\\$&')}: mixed 2-D/3-D data: 1 2-D .* and 2 3-D`));
      // A 2-D detection inside a 3-D file names that file.
      fs.rmSync(path.join(dir, '01_0003_alphapose_tracked_person.json'));
      fs.writeFileSync(path.join(dir, '01_0004_tracked_person_3d.json'), JSON.stringify({ '1': { '0000': { keypoints: kp2(0), scores: 1 } } }));
      await expect(readPoseDir(dir)).rejects.toThrow(/01_0004_tracked_person_3d\.json: person 1, frame 0000: mixed 2-D\/3-D/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the dataset writer puts 3-D tracks in pose3d/ next to pose/, sharing the masks, and makes no pose3d/ without them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pose3d-ds-'));
    try {
      const persons2 = { '1': { '0000': { keypoints: kp2(0), scores: 1 } } };
      const persons3 = { '1': { '0000': { keypoints: kp3(0), scores: 1 } } };
      const base = { train: [{ name: '01_0001', persons: persons2 }], test: [{ name: '01_0002', persons: persons2 }], gt: [{ name: '01_0002', mask: new Uint8Array([0, 1]) }], meta: {} };
      writePoseDataset(path.join(dir, 'a'), base, '.m');
      expect(fs.existsSync(path.join(dir, 'a', 'pose3d'))).toBe(false);
      const { files } = writePoseDataset(path.join(dir, 'b'), { ...base, train3d: [{ name: '01_0001', persons: persons3 }], test3d: [{ name: '01_0002', persons: persons3 }] }, '.m');
      expect(files.sort()).toEqual([
        'gt/test_frame_mask/01_0002.npy',
        'pose/test/01_0002_alphapose_tracked_person.json',
        'pose/train/01_0001_alphapose_tracked_person.json',
        'pose3d/test/01_0002_tracked_person_3d.json',
        'pose3d/train/01_0001_tracked_person_3d.json',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
