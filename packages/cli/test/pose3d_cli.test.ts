import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@skelflow/core';
import { buildMocapDataset, parseMocapManifest, type MotionClip3D } from '@skelflow/mocap';
import { writeMocapDataset } from '@skelflow/mocap/node';
import { poseSegmentFamily, recipeSegments, type AnyModelFamily, type Recipe } from '@skelflow/model';
import { expectInputError } from '@skelflow/testing';
import { readTrainingData } from '../src/commands/train.js';
import { checkPoseDims, poseSubfolder } from '../src/pose_dims.js';
import { capture, expectUsageFailure, runOk } from './helpers.js';
import { readPoseDir } from '@skelflow/pose/node';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-pose3d-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// COCO-17 rest pose (metres, facing +z), swinging its feet and wrists while it walks along +z.
const REST: [number, number, number][] = [
  [0, 1.6, 0.1], [0.03, 1.65, 0.08], [-0.03, 1.65, 0.08], [0.07, 1.63, 0], [-0.07, 1.63, 0],
  [0.18, 1.4, 0], [-0.18, 1.4, 0], [0.2, 1.1, 0], [-0.2, 1.1, 0], [0.2, 0.85, 0], [-0.2, 0.85, 0],
  [0.1, 0.95, 0], [-0.1, 0.95, 0], [0.1, 0.5, 0], [-0.1, 0.5, 0], [0.1, 0.08, 0], [-0.1, 0.08, 0],
];
function walker(name: string, n: number, speed: number): MotionClip3D {
  const coco = new Float32Array(n * 51);
  const joints = new Float32Array(n * 3);
  for (let f = 0; f < n; f++) {
    const t = f / 30;
    const swing = 0.25 * Math.sin(2 * Math.PI * t * speed);
    for (let j = 0; j < 17; j++) {
      const [x, y, z] = REST[j]!;
      coco.set([x, y, speed * t + z + (j === 15 || j === 10 ? swing : j === 16 || j === 9 ? -swing : 0)], (f * 17 + j) * 3);
    }
    joints.set([0, 0.95, speed * t], 3 * f);
  }
  return { name, fps: 30, nFrames: n, coco, jointNames: ['root'], joints, parents: [-1], source: `${name}.amc` };
}

const data = path.join(root, 'ds');
const STGNF_LIKE: Recipe = { segLen: 8, trainStride: 4, flipHorizontal: true, epochs: 1, batchSize: 64, lr: 1e-3, seed: 1 };

beforeAll(async () => {
  await initBackend('wasm');
  const manifest = parseMocapManifest(
    JSON.stringify({
      format: 'skelflow-mocap-manifest/1',
      name: 'walk3d',
      clips: { walk: { asf: 'x.asf', amc: 'walk.amc' }, run: { asf: 'x.asf', amc: 'run.amc' } },
      cameras: [{ azimuth: 30, elevation: 15, distance: 9, focal: 700 }],
      train: [{ clip: 'walk', from: 0, to: 200, seed: 1 }],
      test: [{ seed: 2, segments: [{ clip: 'walk', from: 200, to: 260, label: 'normal' }, { clip: 'run', from: 0, to: 60, label: 'abnormal' }, { clip: 'walk', from: 260, to: 300, label: 'normal' }] }],
    }),
    'walk3d.json',
  );
  await writeMocapDataset(data, buildMocapDataset(manifest, new Map([['walk', walker('walk', 300, 1.2)], ['run', walker('run', 60, 3)]])));
});

describe('3-D pose folders in the CLI', () => {
  it('train and eval refuse 3-D tracks for a 2-D model with one line naming the folder', async () => {
    const pose3dTrain = path.join(data, 'pose3d', 'train');
    await expectUsageFailure(['train', '--model', 'pca-gaussian', '--poses', pose3dTrain, '--out', path.join(root, 'm3')], new RegExp(`^skelflow train: ${pose3dTrain.replace(/[.\\]/g, '\\$&')}: holds 3-D pose tracks \\(\\*_tracked_person_3d\\.json\\) but --model pca-gaussian takes 2-D input`));
    const model = path.join(root, 'pca');
    await runOk(['train', '--model', 'pca-gaussian', '--poses', path.join(data, 'pose', 'train'), '--out', model, '--seg-len', '8']);
    const pose3dTest = path.join(data, 'pose3d', 'test');
    await expectUsageFailure(['eval', '--model', model, '--poses', pose3dTest, '--gt', path.join(data, 'gt', 'test_frame_mask'), '--out', path.join(root, 'r.json')], new RegExp(`${pose3dTest.replace(/[.\\]/g, '\\$&')}: holds 3-D pose tracks .* takes 2-D input`));
  });

  it('a family taking 3-D input (recipe dims 3) reads the 3-D folder into [N, 3, T, V] segments and refuses the 2-D one', async () => {
    const recipe: Recipe = { ...STGNF_LIKE, dims: 3 };
    // The parts of a family a front end reads data through: input spec from the recipe, the shared recipeSegments path.
    const family = {
      kind: 'three-d',
      summary: 'test family on 3-D segments',
      ...poseSegmentFamily(recipe, []),
      trainingData: (set, config) => ({ segments: recipeSegments(set.normal.clips, config, set.normal.source) }),
    } as AnyModelFamily;
    const c = capture();
    const td = await readTrainingData(family, recipe, { poses: path.join(data, 'pose3d', 'train') }, c.io);
    expect(family.input).toMatchObject({ dims: 3, channels: 3, joints: 18 });
    // 200 frames at 30 fps, segLen 8, stride 4: up to ceil(192 / 4) = 48 windows per person, ×2 with the mirror.
    expect(td.segments.length % (3 * 8 * 18)).toBe(0);
    expect(td.segments.length / (3 * 8 * 18)).toBeGreaterThan(40);
    await expect(readTrainingData(family, recipe, { poses: path.join(data, 'pose', 'train') }, c.io)).rejects.toThrow(/pose[\\/]train: holds 2-D pose tracks \(\*_alphapose_tracked_person\.json\) but --model three-d takes 3-D input/);
    expect(poseSubfolder(3)).toBe('pose3d');
    expect(poseSubfolder(2)).toBe('pose');
  });

  it('the 2-D and 3-D folders of a mocap dataset hold the same clips', async () => {
    const two = await readPoseDir(path.join(data, 'pose', 'test'));
    const three = await readPoseDir(path.join(data, 'pose3d', 'test'));
    expect(three.map((c) => c.name)).toEqual(two.map((c) => c.name));
    expectInputError(() => checkPoseDims(two, 3, 'dir', 'the model m'), /^dir: holds 2-D pose tracks/);
  });
});
