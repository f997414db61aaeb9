import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@skelflow/base';
import { buildMocapDataset, cameraCoordinates, mocapClipName, parseMocapManifest, type MocapManifest } from '../src/index.js';
import type { MotionClip3D } from '../src/index.js';
import { CMU_02_03_MANIFEST, MOCAP_DATASET_MARKER, buildMocapDatasetFromFiles, writeMocapDataset } from '../src/node.js';
import { readGtDir, readPoseDir } from '@skelflow/pose/node';
import { lookAtCamera, segmentTracks } from '@skelflow/pose';
import { expectInputError, hasShared, repoRoot, sharedDir } from '@skelflow/testing';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skelflow-mocap-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// COCO-17 rest pose of a person facing +z (left = +x), metres.
const REST: [number, number, number][] = [
  [0, 1.6, 0.1], [0.03, 1.65, 0.08], [-0.03, 1.65, 0.08], [0.07, 1.63, 0], [-0.07, 1.63, 0],
  [0.18, 1.4, 0], [-0.18, 1.4, 0], [0.2, 1.1, 0], [-0.2, 1.1, 0], [0.2, 0.85, 0], [-0.2, 0.85, 0],
  [0.1, 0.95, 0], [-0.1, 0.95, 0], [0.1, 0.5, 0], [-0.1, 0.5, 0], [0.1, 0.08, 0], [-0.1, 0.08, 0],
];

/** A synthetic 120 fps clip: walking along +z at `speed` (0 = standing and waving the arms). */
function synthClip(name: string, n: number, speed: number, start: [number, number] = [0, 0]): MotionClip3D {
  const fps = 120;
  const coco = new Float32Array(n * 51);
  const joints = new Float32Array(n * 3);
  for (let f = 0; f < n; f++) {
    const t = f / fps;
    const rz = start[1] + speed * t;
    const swing = speed > 0 ? 0.25 * Math.sin(2 * Math.PI * t) : 0;
    const wave = speed > 0 ? 0 : 0.5 * Math.abs(Math.sin(3 * t));
    for (let j = 0; j < 17; j++) {
      const [x, y, z] = REST[j]!;
      const o = (f * 17 + j) * 3;
      coco[o] = start[0] + x;
      coco[o + 1] = y + (j >= 7 && j <= 10 ? wave : 0);
      coco[o + 2] = rz + z + (j === 15 ? swing : j === 16 ? -swing : j === 9 ? -swing / 2 : j === 10 ? swing / 2 : 0);
    }
    joints[3 * f] = start[0];
    joints[3 * f + 1] = 0.95;
    joints[3 * f + 2] = rz;
  }
  return { name, fps, nFrames: n, coco, jointNames: ['root'], joints, parents: [-1], source: `${name}.amc` };
}

const sources = new Map<string, MotionClip3D>([
  ['walkA', synthClip('walkA', 960, 1.2)],
  ['walkB', synthClip('walkB', 720, 1.4, [3, -2])],
  ['wave', synthClip('wave', 600, 0, [-4, 6])],
]);

const manifestJson = {
  format: 'skelflow-mocap-manifest/1',
  name: 'synthetic',
  fps: 30,
  clips: {
    walkA: { asf: 'x.asf', amc: 'walkA.amc', action: 'walk' },
    walkB: { asf: 'x.asf', amc: 'walkB.amc', action: 'walk' },
    wave: { asf: 'x.asf', amc: 'wave.amc', action: 'wave' },
  },
  cameras: [
    { azimuth: 0, elevation: 15, distance: 10, focal: 700 },
    { azimuth: 90, elevation: 25, distance: 12, focal: 900 },
  ],
  noise: { frameDropRate: 0.005 },
  train: [
    { clip: 'walkA', from: 0, to: 480, seed: 1 },
    { clip: 'walkB', cameras: [1], seed: 2 },
  ],
  test: [
    {
      segments: [
        { clip: 'walkA', from: 480, to: 720, label: 'normal' },
        { clip: 'wave', from: 100, to: 340, label: 'abnormal' },
        { clip: 'walkA', from: 720, to: 960, label: 'normal' },
      ],
      seed: 3,
    },
    { segments: [{ clip: 'walkA', from: 500, to: 900, label: 'normal' }], cameras: [0], seed: 4 },
  ],
};
const manifest: MocapManifest = parseMocapManifest(JSON.stringify(manifestJson), 'synthetic.json');

describe('mocap manifest', () => {
  it('fills defaults', () => {
    expect(manifest.fps).toBe(30);
    expect(manifest.blendFrames).toBe(6);
    expect(manifest.train[1]!.from).toBeUndefined();
    expect(manifest.test[0]!.segments[1]!.label).toBe('abnormal');
  });

  it('names the manifest file and the entry in every error', () => {
    const bad = (mutate: (m: typeof manifestJson) => void, ...parts: (string | RegExp)[]) => {
      const m = structuredClone(manifestJson);
      mutate(m);
      expectInputError(() => parseMocapManifest(JSON.stringify(m), 'synthetic.json'), 'synthetic.json', ...parts);
    };
    bad((m) => void ((m.test[0]!.segments[1] as { label: string }).label = 'weird'), 'test[0].segments[1].label', /normal.*abnormal/);
    bad((m) => void (m.test[1]!.segments[0]!.clip = 'nope'), 'test[1].segments[0].clip', /unknown clip 'nope'/);
    bad((m) => void (m.train[0]!.cameras = [0, 5] as never), 'train[0].cameras', /camera index 5/);
    bad((m) => void (m.cameras[1]!.elevation = 95), 'cameras[1]', /elevation/);
    bad((m) => void ((m as { fps: unknown }).fps = -1), 'fps');
    bad((m) => void ((m.noise as Record<string, number>).frameDropRate = 3), 'noise', /frameDropRate/);
    bad((m) => void ((m as Record<string, unknown>).extra = 1), 'extra', /unknown field/);
    bad((m) => void (m.test[0]!.segments[0]!.to = 480), 'test[0].segments[0]', /empty frame range/);
    expectInputError(() => parseMocapManifest('{ nope', 'm.json'), 'm.json', /not valid JSON/);
  });

  it('checks clip names and frame ranges against the clips', () => {
    const m = structuredClone(manifestJson);
    m.test[0]!.segments[2]!.to = 5000;
    expectInputError(
      () => buildMocapDataset(parseMocapManifest(JSON.stringify(m), 'synthetic.json'), sources, { source: 'synthetic.json' }),
      'synthetic.json: test[0].segments[2]: frame range [720, 5000) is outside clip walkA (960 frames)',
    );
    const few = new Map([...sources].filter(([k]) => k !== 'wave'));
    expectInputError(() => buildMocapDataset(manifest, few, { source: 'synthetic.json' }), 'synthetic.json: test[0].segments[1]: unknown clip \'wave\'');
    const m2 = structuredClone(manifestJson);
    m2.train[1]!.from = 800 as never;
    expectInputError(() => buildMocapDataset(parseMocapManifest(JSON.stringify(m2), 's.json'), sources, { source: 's.json' }), 's.json: train[1]', /\[800, 720\)/);
  });
});

describe('scene-dependent anomalies (normalCameras)', () => {
  // The wave is abnormal under camera 0 (scene 01) and normal under camera 1 (scene 02), where a
  // training entry shows it.
  const json = structuredClone(manifestJson) as typeof manifestJson & { train: object[] };
  json.train.push({ clip: 'wave', from: 0, to: 100, cameras: [1], seed: 5 } as never);
  (json.test[0]!.segments[1] as Record<string, unknown>).normalCameras = [1];
  const m = parseMocapManifest(JSON.stringify(json), 'scene.json');
  const sceneDs = buildMocapDataset(m, sources, { source: 'scene.json' });

  it('parses the field, and only on abnormal segments', () => {
    expect(m.test[0]!.segments[1]!.normalCameras).toEqual([1]);
    expect(m.test[0]!.segments[0]!.normalCameras).toBeUndefined();
    const bad = structuredClone(manifestJson);
    (bad.test[0]!.segments[0] as Record<string, unknown>).normalCameras = [1];
    expectInputError(() => parseMocapManifest(JSON.stringify(bad), 'bad.json'), 'bad.json', 'test[0].segments[0].normalCameras', 'abnormal segments only');
    (bad.test[0]!.segments[0] as Record<string, unknown>).normalCameras = [7];
    expect(() => parseMocapManifest(JSON.stringify(bad), 'bad.json')).toThrow(InputError);
  });

  it('marks the wave abnormal in scene 01 and normal in scene 02: masks and counts per camera', () => {
    const mask = (name: string) => Array.from(sceneDs.gt.find((g) => g.name === name)!.mask);
    // Entry numbers: 3 training entries, so the test clips are 0004 and 0005.
    expect(mask('01_0004')).toEqual([...Array(60).fill(0), ...Array(60).fill(1), ...Array(60).fill(0)]);
    expect(mask('02_0004')).toEqual(Array(180).fill(0));
    const info = (name: string) => sceneDs.meta.clips.find((c) => c.name === name)!;
    expect(info('01_0004').abnormalFrames).toBe(60);
    expect(info('02_0004').abnormalFrames).toBe(0);
    expect(sceneDs.meta.test.abnormalFrames).toBe(60);
    expect(info('02_0004').segments[1]!.normalCameras).toEqual([1]);
    // The tracks do not depend on the labels: the same as without the field.
    const plain = structuredClone(json);
    delete (plain.test[0]!.segments[1] as Record<string, unknown>).normalCameras;
    const plainDs = buildMocapDataset(parseMocapManifest(JSON.stringify(plain), 'plain.json'), sources);
    expect(JSON.stringify(plainDs.test.map((c) => c.persons))).toBe(JSON.stringify(sceneDs.test.map((c) => c.persons)));
  });
});

describe('mocap dataset builder', () => {
  const ds = buildMocapDataset(manifest, sources, { source: 'synthetic.json' });

  it('names clips SS_CCCC by camera and entry, and films each entry with its cameras', () => {
    expect(ds.train.map((c) => c.name)).toEqual(['01_0001', '02_0001', '02_0002']);
    expect(ds.test.map((c) => c.name)).toEqual(['01_0003', '02_0003', '01_0004']);
    expect(ds.gt.map((g) => g.name)).toEqual(ds.test.map((c) => c.name));
    expect(mocapClipName(10, 7)).toBe('11_0007');
  });

  it('resamples to 30 fps and aligns the labels with the frames', () => {
    // 240 source frames at 120 fps → 60 frames at 30 fps, per segment.
    const mask = ds.gt[0]!.mask;
    expect(mask.length).toBe(180);
    expect(Array.from(mask)).toEqual([...Array(60).fill(0), ...Array(60).fill(1), ...Array(60).fill(0)]);
    expect(ds.test[0]!.nFrames).toBe(180);
    expect(ds.gt[2]!.mask.length).toBe(100);
    expect(ds.gt[2]!.mask.every((v) => v === 0)).toBe(true);
    const info = ds.meta.clips.find((c) => c.name === '01_0003')!;
    expect(info.segments.map((s) => [s.start, s.nFrames, s.label])).toEqual([
      [0, 60, 'normal'],
      [60, 60, 'abnormal'],
      [120, 60, 'normal'],
    ]);
    expect(info.abnormalFrames).toBe(60);
    expect(ds.meta.test.abnormalFrames).toBe(120); // two cameras
    // Detections never go past the clip's last frame.
    for (const c of ds.test) for (const t of Object.values(c.persons)) for (const k of Object.keys(t)) expect(Number(k)).toBeLessThan(c.nFrames);
  });

  it('splices without a root jump larger than one frame of normal motion', () => {
    for (const c of ds.meta.clips.filter((x) => x.rootStep)) {
      expect(c.rootStep!.cut).toBeLessThanOrEqual(c.rootStep!.normal + 1e-6);
      expect(c.rootStep!.normal).toBeCloseTo(1.2 / 30, 3);
    }
  });

  it('is bit-identical to the dataset built before scene-dependent labels existed (sha256 pin)', () => {
    // The 3-D tracks (persons3d, the info's pose3d note) came later and are checked by their own tests;
    // the pin covers everything the builder wrote before them.
    const json = JSON.stringify(ds, (k, v) => (k === 'persons3d' || k === 'pose3d' ? undefined : v instanceof Uint8Array ? Array.from(v) : v));
    expect(createHash('sha256').update(json).digest('hex')).toBe('d41a3901a146f4072eb9adb3c74c44a4f262e2bbb160fb345d985c66297f09dd');
  });

  it('is deterministic', () => {
    const again = buildMocapDataset(manifest, sources);
    expect(JSON.stringify(again.test[1]!.persons)).toBe(JSON.stringify(ds.test[1]!.persons));
  });

  it('writes the ShanghaiTech layout that the pose pipeline reads', async () => {
    const dir = path.join(root, 'ds');
    const w = await writeMocapDataset(dir, ds);
    expect(w.files).toContain('pose/train/01_0001_alphapose_tracked_person.json');
    expect(w.files).toContain('gt/test_frame_mask/02_0003.npy');
    expect(fs.existsSync(path.join(dir, MOCAP_DATASET_MARKER))).toBe(true);
    const train = await readPoseDir(path.join(dir, 'pose', 'train'), { requireNonEmpty: true });
    expect(train.map((c) => c.name)).toEqual(['01_0001', '02_0001', '02_0002']);
    const test = await readPoseDir(path.join(dir, 'pose', 'test'));
    const gt = await readGtDir(path.join(dir, 'gt', 'test_frame_mask'), 'shanghaitech');
    // Files are read sorted by name.
    expect(gt.map((g) => [g.name, g.nFrames])).toEqual(ds.gt.map((g) => [g.name, g.mask.length]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(Array.from(gt[0]!.gtAbnormal)).toEqual(Array.from(ds.gt[0]!.mask));
    const segs = segmentTracks(train, { segLen: 24, stride: 6 });
    expect(segs.shape[0]).toBeGreaterThan(20);
    expect(segmentTracks(test, { segLen: 24 }).shape[0]).toBeGreaterThan(100);

    // A rewrite with fewer clips removes the stale ones; a foreign folder is refused.
    const smaller = { ...ds, test: ds.test.slice(0, 1), gt: ds.gt.slice(0, 1) };
    await writeMocapDataset(dir, smaller);
    expect(fs.readdirSync(path.join(dir, 'gt', 'test_frame_mask'))).toEqual(['01_0003.npy']);
    const foreign = path.join(root, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'mine.txt'), 'x');
    await expect(writeMocapDataset(foreign, ds)).rejects.toThrow(InputError);
  });
});

describe('mocap dataset builder, 3-D tracks', () => {
  it('camera coordinates by hand: x image right, y image down, z depth (docs/mocap.md example)', () => {
    // az 0, el 0, distance 10, target (0, 1, 0): the camera stands at (0, 1, 10) looking along −z.
    const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
    const p = cameraCoordinates(cam, 2, 3, 5);
    expect(p[0]).toBeCloseTo(2, 12);
    expect(p[1]).toBeCloseTo(-2, 12);
    expect(p[2]).toBeCloseTo(5, 12);
    // … and the pinhole of the docs puts (2, 3, 5) at pixel (628, 40) = (428 + 500·2/5, 240 + 500·(−2)/5).
  });

  const noiseless = parseMocapManifest(JSON.stringify({ ...manifestJson, noise: { jitterPx: 0, jitterRel: 0, hiddenJitter: 0, outlierRate: 0, jointDropRate: 0, frameDropRate: 0.005, swapRate: 0 } }), 'noiseless.json');
  const ds = buildMocapDataset(noiseless, sources, { source: 'noiseless.json' });

  it('writes 3-D tracks under exactly the 2-D person and frame keys', () => {
    for (const c of [...ds.train, ...ds.test]) {
      expect(Object.keys(c.persons3d)).toEqual(Object.keys(c.persons));
      for (const p of Object.keys(c.persons)) expect(Object.keys(c.persons3d[p]!)).toEqual(Object.keys(c.persons[p]!));
    }
  });

  it('holds camera coordinates in metres: the pinhole projection of each 3-D joint is its 2-D keypoint, and joint distances are the clip\'s', () => {
    const cam = noiseless.cameras[0]!; // focal 700, image 856 × 480
    const c = ds.test[0]!; // camera 0
    for (const [p, frames] of Object.entries(c.persons)) {
      for (const [k, det] of Object.entries(frames)) {
        const k3 = c.persons3d[p]![k]!.keypoints;
        for (let j = 0; j < 17; j++) {
          const [x, y, z] = [k3[4 * j]!, k3[4 * j + 1]!, k3[4 * j + 2]!];
          // u = cx + f·x/z, v = cy + f·y/z (y already points down).
          expect(Math.abs(428 + (cam.focal * x) / z - det.keypoints[3 * j]!)).toBeLessThan(0.05);
          expect(Math.abs(240 + (cam.focal * y) / z - det.keypoints[3 * j + 1]!)).toBeLessThan(0.05);
          expect(k3[4 * j + 3]).toBe(1);
        }
        // Shoulder width of REST: 0.36 m, whatever the camera.
        expect(Math.hypot(k3[20]! - k3[24]!, k3[21]! - k3[25]!, k3[22]! - k3[26]!)).toBeCloseTo(0.36, 5);
      }
    }
  });

  it('writes pose3d/ next to pose/, read back as 3-D clips that share the masks and cut into the same windows', async () => {
    const dir = path.join(root, 'ds3d');
    const w = await writeMocapDataset(dir, ds);
    expect(w.files).toContain('pose3d/train/01_0001_tracked_person_3d.json');
    expect(w.files).toContain('pose3d/test/02_0003_tracked_person_3d.json');
    const test2 = await readPoseDir(path.join(dir, 'pose', 'test'));
    const test3 = await readPoseDir(path.join(dir, 'pose3d', 'test'));
    expect(test3.every((c) => c.dims === 3)).toBe(true);
    expect(test3.map((c) => c.name)).toEqual(test2.map((c) => c.name));
    const s2 = segmentTracks(test2, { segLen: 24 });
    const s3 = segmentTracks(test3, { segLen: 24 });
    expect(s3.shape).toEqual([s2.shape[0], 3, 24, 18]);
    expect(Array.from(s3.meta.startFrame)).toEqual(Array.from(s2.meta.startFrame));
    expect(Array.from(s3.meta.person)).toEqual(Array.from(s2.meta.person));
  });
});

describe.skipIf(!hasShared)('mocap dataset from CMU files', () => {
  it('builds a small dataset from two clips and the shipped manifest parses and fits the files', async () => {
    const mocap = path.join(sharedDir, 'data', 'cmu-mocap');
    const small = {
      format: 'skelflow-mocap-manifest/1',
      name: 'cmu-small',
      cameras: [{ azimuth: 30, elevation: 15, distance: 9, focal: 700 }],
      train: [{ clip: '02_01', from: 0, to: 240 }],
      test: [
        {
          segments: [
            { clip: '02_01', from: 240, to: 343, label: 'normal' },
            { clip: '02_03', from: 0, to: 173, label: 'abnormal' },
          ],
        },
        { segments: [{ clip: '02_01', from: 0, to: 500, label: 'normal' }] },
      ],
    };
    const file = path.join(root, 'small.json');
    fs.writeFileSync(file, JSON.stringify(small));
    // 02_01 has 343 frames: the second test entry is out of range.
    await expect(buildMocapDatasetFromFiles({ manifest: file, mocap, out: path.join(root, 'cmu-bad') })).rejects.toThrow(
      /small\.json: test\[1\]\.segments\[0\]: frame range \[0, 500\) is outside clip 02_01 \(343 frames\)/,
    );
    small.test.pop();
    fs.writeFileSync(file, JSON.stringify(small));
    const { dataset } = await buildMocapDatasetFromFiles({ manifest: file, mocap, out: path.join(root, 'cmu') });
    expect(dataset.gt[0]!.mask.length).toBe(26 + 44); // ceil(103/4) + ceil(173/4)
    expect(dataset.gt[0]!.mask.reduce((s, v) => s + v, 0)).toBe(44);
    const info = dataset.meta.clips.find((c) => c.rootStep)!;
    expect(info.rootStep!.cut).toBeLessThanOrEqual(info.rootStep!.normal + 1e-6);
    const test = await readPoseDir(path.join(root, 'cmu', 'pose', 'test'));
    expect(segmentTracks(test, { segLen: 24 }).shape[0]).toBeGreaterThan(10);

    // An unknown CMU clip names the manifest entry.
    (small.test[0]!.segments[1] as { clip: string }).clip = '02_99';
    fs.writeFileSync(file, JSON.stringify(small));
    await expect(buildMocapDatasetFromFiles({ manifest: file, mocap, out: path.join(root, 'cmu-bad') })).rejects.toThrow(
      /small\.json: test\[0\]\.segments\[1\]: unknown clip '02_99'/,
    );

    // The shipped manifest: valid, and every range fits its clip (checked from the AMC frame counts).
    const shipped = CMU_02_03_MANIFEST;
    expect(shipped).toBe(path.join(repoRoot, 'packages', 'mocap', 'manifests', 'cmu-02-03.json'));
    const m = parseMocapManifest(fs.readFileSync(shipped, 'utf8'), shipped);
    const counts = new Map<string, number>();
    for (const name of new Set([...m.train.map((e) => e.clip), ...m.test.flatMap((e) => e.segments.map((s) => s.clip))])) {
      const text = fs.readFileSync(path.join(mocap, name.slice(0, 2), `${name}.amc`), 'utf8');
      counts.set(name, text.split(/\r?\n/).filter((l) => /^\d+$/.test(l.trim())).length);
    }
    const { checkManifestRanges } = await import('../src/manifest.js');
    expect(() => checkManifestRanges(m, counts, shipped)).not.toThrow();
  });
});
