// Small hand-made inputs for the checked-data and fuzz tests: a pose dataset written here byte by
// byte (no library writer) and a pca-gaussian model folder with hand-set parameters (a unit
// Gaussian with one stretched direction), so no test has to train anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PcaGaussianModel, pcaGaussianFamily } from '@skelflow/pca-gaussian';

export const tmpDir = (prefix = 'skelflow-trust-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** One person walking over `n` frames; the motion is erratic in frames [abnormalFrom, abnormalTo). */
export function walkerPerson(n: number, abnormalFrom = Infinity, x0 = 300, abnormalTo = Infinity): Record<string, { keypoints: number[]; scores: number }> {
  const person: Record<string, { keypoints: number[]; scores: number }> = {};
  for (let f = 0; f < n; f++) {
    const kp: number[] = [];
    const wild = f >= abnormalFrom && f < abnormalTo;
    for (let j = 0; j < 17; j++) {
      // Erratic motion flails the joints sideways: a wide x spread, which the hand-set model (whose
      // score falls with the x spread of a normalised segment) finds unlikely.
      const swing = wild ? 90 * Math.sin(f * 1.7 + 2.1 * j) : 2 * Math.sin(f * 0.3 + j);
      kp.push(Math.round((x0 + 2 * f + 4 * (j % 5) + swing) * 1000) / 1000, Math.round((150 + 14 * j + 0.2 * swing) * 1000) / 1000, 0.9);
    }
    person[String(f).padStart(4, '0')] = { keypoints: kp, scores: 2.5 };
  }
  return person;
}

/** A NumPy v1.0 `.npy` (header written here, independently of the library). */
export function npyBytes(values: ArrayLike<number>, descr: '|u1' | '<f8' | '<f4'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${values.length},), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  const size = descr === '|u1' ? 1 : descr === '<f4' ? 4 : 8;
  const body = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    if (size === 1) body.writeUInt8(values[i]!, i);
    else if (size === 4) body.writeFloatLE(values[i]!, 4 * i);
    else body.writeDoubleLE(values[i]!, 8 * i);
  }
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

export interface TinyDataset {
  dir: string;
  poses: string;
  gt: string;
  /** Clip name → pose file path. */
  poseFile: (clip: string) => string;
  maskFile: (clip: string) => string;
}

export const TINY_CLIPS = ['01_0001', '01_0002', '01_0003'] as const;
export const TINY_FRAMES = 90;
/** Abnormal frames of every tiny clip: [30, 60) — the middle, where segments score them (frames a segment scores start 12 in). */
export const TINY_ABNORMAL: readonly [number, number] = [30, 60];

/**
 * Three test clips of 90 frames, two people each; person 1 moves erratically in frames 30-59 of
 * every clip, which the uint8 ShanghaiTech masks (1 = abnormal) mark.
 */
export function tinyDataset(): TinyDataset {
  const dir = tmpDir();
  const poses = path.join(dir, 'pose');
  const gt = path.join(dir, 'gt');
  fs.mkdirSync(poses);
  fs.mkdirSync(gt);
  const poseFile = (c: string) => path.join(poses, `${c}_alphapose_tracked_person.json`);
  const maskFile = (c: string) => path.join(gt, `${c}.npy`);
  TINY_CLIPS.forEach((c, i) => {
    const [a, b] = TINY_ABNORMAL;
    fs.writeFileSync(poseFile(c), JSON.stringify({ '1': walkerPerson(TINY_FRAMES, a, 200 + 40 * i, b), '2': walkerPerson(TINY_FRAMES, Infinity, 500) }));
    fs.writeFileSync(maskFile(c), npyBytes(Array.from({ length: TINY_FRAMES }, (_, f) => (f >= a && f < b ? 1 : 0)), '|u1'));
  });
  return { dir, poses, gt, poseFile, maskFile };
}

/** A pca-gaussian model folder with hand-set parameters: mean 0, σ² = 1, one component of variance 4. */
export async function tinyModel(dir = path.join(tmpDir(), 'model')): Promise<string> {
  const config = pcaGaussianFamily.configure({});
  const dim = 2 * config.segLen * 18;
  const components = new Float64Array(dim);
  components[0] = 1;
  const model = new PcaGaussianModel(config, { dim, k: 1, mean: new Float64Array(dim), eigenvalues: Float64Array.of(4), components, sigma2: 1, explained: 0.5, n: 100 });
  await model.save(dir);
  model.dispose();
  return dir;
}
