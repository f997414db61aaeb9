/**
 * Builds a pose-track anomaly dataset (ShanghaiTech layout, in memory) from a
 * {@link MocapManifest} and its loaded source clips: slice, resample, splice, film with the
 * virtual cameras, degrade like a pose estimator and tracker. Browser-safe; the file writer is
 * `write_builder.ts` (Node).
 *
 * @module
 */
import { InputError, Rng } from '@skelflow/base';
import type { PoseTracksJson } from '@skelflow/pose';
import { lookAtCamera, simulatePoseEstimator } from '@skelflow/pose';
import { clipTarget, projectClip } from './camera.js';
import { checkManifestRanges, type MocapManifest } from './manifest.js';
import { cameraMask } from './scene_labels.js';
import { resampleClip } from './resample.js';
import { tracks3dFor } from './tracks3d.js';
import { rotateArm, type ArmRotationLabels } from './arm_rotation.js';
import { maxRootStep, sliceClip, spliceClips, type SpliceSegment } from './splice.js';
import type { MotionClip3D } from './clip.js';

/** One filmed clip of a built dataset. */
export interface MocapPoseClip {
  /** Output clip name `SS_CCCC` (SS = camera index + 1, CCCC = entry number). */
  name: string;
  /** The tracked-person dictionary (`*_alphapose_tracked_person.json` content). */
  persons: PoseTracksJson;
  /**
   * The 3-D tracks under the same person and frame keys (`*_tracked_person_3d.json` content,
   * {@link tracks3dFor}): true joints in this camera's coordinates, metres.
   */
  persons3d: PoseTracksJson;
  /** Frames of the clip at the output frame rate. */
  nFrames: number;
}

/** Per-clip bookkeeping of a built dataset (written to the dataset's marker file). */
export interface MocapClipInfo {
  name: string;
  /** `train[i]` or `test[i]`. */
  entry: string;
  camera: number;
  nFrames: number;
  /** Frames with a detection. */
  detectedFrames: number;
  /** Person ids the tracker used. */
  persons: number;
  /** The source pieces and where they start in the output clip (test clips only list labels). */
  segments: { clip: string; from: number; to: number; label: 'normal' | 'abnormal'; start: number; nFrames: number; normalCameras?: number[] }[];
  /** Abnormal frames (test clips). */
  abnormalFrames: number;
  /** The attribution clip's rotated arm and frame range (test entries with `armRotation`). */
  armRotation?: { arm: 'left' | 'right'; from: number; to: number };
  /**
   * Test clips: the largest root step on the ground across a splice cut, and the largest root step
   * inside the normal segments (inside all segments when none is normal), in metres per frame.
   */
  rootStep?: { cut: number; normal: number };
}

/** Description of a built dataset. */
export interface MocapDatasetMeta {
  generator: 'skelflow mocap-dataset';
  /** Where the 3-D tracks are and what their coordinates are. */
  pose3d: { folders: 'pose3d/train, pose3d/test'; units: 'metres'; frame: string };
  manifest: string;
  fps: number;
  clips: MocapClipInfo[];
  train: { clips: number; frames: number; detectedFrames: number };
  test: { clips: number; frames: number; abnormalFrames: number; detectedFrames: number };
}

/** A built dataset: training and test pose tracks and the test frame masks (1 = abnormal). */
export interface MocapDataset {
  train: MocapPoseClip[];
  test: MocapPoseClip[];
  gt: { name: string; mask: Uint8Array }[];
  /**
   * Per test clip built with `armRotation`: which joints were moved and how (the sidecar
   * `gt/test_joint_labels/<clip>.json`).
   */
  jointLabels?: { name: string; labels: ArmRotationLabels }[];
  meta: MocapDatasetMeta;
}

/** Options of {@link buildMocapDataset}. */
export interface BuildMocapOptions {
  /** The manifest's file name, for messages. */
  source?: string;
  /** Called after each entry is built. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Output clip name: camera `c` (0-based) and entry number `k` (1-based) → `SS_CCCC`.
 *
 * @example
 * ```ts
 * mocapClipName(0, 12); // '01_0012'
 * ```
 */
export function mocapClipName(camera: number, k: number): string {
  return `${String(camera + 1).padStart(2, '0')}_${String(k).padStart(4, '0')}`;
}

/**
 * Builds the dataset a manifest describes.
 *
 * - Training entry `i` (numbered `k = i + 1`): source frames `[from, to)` resampled to the
 *   manifest's fps, filmed by each of its cameras.
 * - Test entry `i` (numbered `k = nTrain + i + 1`): its segments, each resampled, spliced with
 *   continuous root position and heading ({@link spliceClips}, `blendFrames` from the manifest);
 *   the frame mask marks the frames of `abnormal` segments with 1.
 * - Every camera looks at {@link clipTarget} of the (spliced) clip; the projections go through
 *   {@link simulatePoseEstimator} with the manifest's `noise` and the seed
 *   `<entry seed>/cam<c>` (entry seed default: `<manifest name>/train/<i>` or `…/test/<i>`).
 * - Each filmed clip also gets 3-D tracks ({@link tracks3dFor}): the true joints in that camera's
 *   coordinates under the 2-D tracks' person and frame keys, so they share the frame mask.
 *
 * @param manifest - the parsed manifest ({@link parseMocapManifest}).
 * @param sources - the source clips by name, at their own frame rate.
 * @param options - see {@link BuildMocapOptions}.
 * @returns the dataset.
 * @throws InputError naming the manifest and entry for an unknown clip or a frame range outside
 *   its clip.
 * @example
 * ```ts
 * const ds = buildMocapDataset(manifest, new Map([['02_01', readAsfAmc('02/02.asf', '02/02_01.amc')]]));
 * ds.test[0].name; // '01_0002'
 * ```
 */
export function buildMocapDataset(manifest: MocapManifest, sources: ReadonlyMap<string, MotionClip3D>, options: BuildMocapOptions = {}): MocapDataset {
  const source = options.source ?? manifest.name;
  checkManifestRanges(manifest, new Map([...sources].map(([k, c]) => [k, c.nFrames])), source);
  const fps = manifest.fps;
  const piece = (name: string, from: number, to: number, loc: string): MotionClip3D => {
    const clip = sources.get(name)!;
    const cut = sliceClip(clip, from, to);
    const out = clip.fps === fps ? cut : resampleClip(cut, fps);
    if (out.nFrames < 1) throw new InputError(`frame range [${from}, ${to}) leaves no frame at ${fps} fps`, { source, location: loc });
    return out;
  };
  const allCams = manifest.cameras.map((_, i) => i);
  const total = manifest.train.length + manifest.test.length;
  const train: MocapPoseClip[] = [];
  const test: MocapPoseClip[] = [];
  const gt: { name: string; mask: Uint8Array }[] = [];
  const infos: MocapClipInfo[] = [];
  const jointLabels: { name: string; labels: ArmRotationLabels }[] = [];

  const film = (clip: MotionClip3D, cams: number[], seed: string, k: number, entry: string, into: MocapPoseClip[], extra: Omit<MocapClipInfo, 'name' | 'entry' | 'camera' | 'nFrames' | 'detectedFrames' | 'persons'>) => {
    const target = clipTarget(clip);
    for (const c of cams) {
      const cam = lookAtCamera(manifest.cameras[c]!, target);
      const { persons, detected } = simulatePoseEstimator(projectClip(clip, cam), new Rng(`${seed}/cam${c}`), manifest.noise);
      const name = mocapClipName(c, k);
      into.push({ name, persons, persons3d: tracks3dFor(clip, cam, persons), nFrames: clip.nFrames });
      let det = 0;
      for (let f = 0; f < detected.length; f++) det += detected[f];
      infos.push({ name, entry, camera: c, nFrames: clip.nFrames, detectedFrames: det, persons: Object.keys(persons).length, ...extra });
    }
  };

  manifest.train.forEach((e, i) => {
    const loc = `train[${i}]`;
    const from = e.from ?? 0;
    const to = e.to ?? sources.get(e.clip)!.nFrames;
    const clip = piece(e.clip, from, to, loc);
    const seed = String(e.seed ?? `${manifest.name}/train/${i}`);
    film(clip, e.cameras ?? allCams, seed, i + 1, loc, train, {
      segments: [{ clip: e.clip, from, to, label: 'normal', start: 0, nFrames: clip.nFrames }],
      abnormalFrames: 0,
    });
    options.onProgress?.(i + 1, total);
  });

  manifest.test.forEach((e, i) => {
    const loc = `test[${i}]`;
    const k = manifest.train.length + i + 1;
    const segs: SpliceSegment[] = e.segments.map((s, j) => {
      const clip = piece(s.clip, s.from, s.to, `${loc}.segments[${j}]`);
      return { clip, from: 0, to: clip.nFrames, label: s.label === 'abnormal' ? 1 : 0 };
    });
    const spliced = spliceClips(`test[${i}]`, segs, { blendFrames: manifest.blendFrames, source: `${source}: ${loc}` });
    let arm: ArmRotationLabels | undefined;
    if (e.armRotation) {
      const r = e.armRotation;
      if (r.to > spliced.clip.nFrames) {
        throw new InputError(`frame range [${r.from}, ${r.to}) is outside the spliced clip (${spliced.clip.nFrames} frames at ${fps} fps)`, { source, location: `${loc}.armRotation` });
      }
      const rotated = rotateArm(spliced.clip, r);
      arm = rotated.labels;
      spliced.clip = rotated.clip;
      for (let f = r.from; f < r.to; f++) spliced.labels[f] = 1;
    }
    let cut = 0;
    // The root's ground step across each cut (frames st − 1 → st).
    for (const st of spliced.starts.slice(1)) cut = Math.max(cut, maxRootStep(sliceClip(spliced.clip, st - 1, st + 1)));
    const normalSegs = segs.filter((s) => s.label === 0);
    const normal = Math.max(...(normalSegs.length > 0 ? normalSegs : segs).map((s) => maxRootStep(s.clip)));
    let abnormal = 0;
    for (let f = 0; f < spliced.labels.length; f++) abnormal += spliced.labels[f];
    const seed = String(e.seed ?? `${manifest.name}/test/${i}`);
    const cams = e.cameras ?? allCams;
    film(spliced.clip, cams, seed, k, loc, test, {
      segments: e.segments.map((s, j) => ({
        clip: s.clip, from: s.from, to: s.to, label: s.label, start: spliced.starts[j]!, nFrames: segs[j]!.clip.nFrames,
        ...(s.normalCameras ? { normalCameras: [...s.normalCameras] } : {}),
      })),
      abnormalFrames: abnormal,
      rootStep: { cut, normal },
      ...(arm ? { armRotation: { arm: arm.arm, from: arm.from, to: arm.to } } : {}),
    });
    for (const c of cams) gt.push({ name: mocapClipName(c, k), mask: cameraMask(spliced.labels, spliced.starts, segs, e.segments, c) });
    if (arm) for (const c of cams) jointLabels.push({ name: mocapClipName(c, k), labels: arm });
    options.onProgress?.(manifest.train.length + i + 1, total);
  });

  // Scene-dependent segments: a clip's abnormal frames are those of its own camera's mask.
  for (const g of gt) {
    const info = infos.find((c) => c.name === g.name)!;
    let n = 0;
    for (let f = 0; f < g.mask.length; f++) n += g.mask[f]!;
    info.abnormalFrames = n;
  }
  const sum = (xs: MocapClipInfo[], f: (c: MocapClipInfo) => number) => xs.reduce((s, c) => s + f(c), 0);
  const trainInfo = infos.filter((c) => c.entry.startsWith('train'));
  const testInfo = infos.filter((c) => c.entry.startsWith('test'));
  return {
    train,
    test,
    gt,
    ...(jointLabels.length > 0 ? { jointLabels } : {}),
    meta: {
      generator: 'skelflow mocap-dataset',
      pose3d: { folders: 'pose3d/train, pose3d/test', units: 'metres', frame: 'camera: x image right, y image down, z depth along the optical axis' },
      manifest: manifest.name,
      fps,
      clips: infos,
      train: { clips: trainInfo.length, frames: sum(trainInfo, (c) => c.nFrames), detectedFrames: sum(trainInfo, (c) => c.detectedFrames) },
      test: {
        clips: testInfo.length,
        frames: sum(testInfo, (c) => c.nFrames),
        abnormalFrames: sum(testInfo, (c) => c.abnormalFrames),
        detectedFrames: sum(testInfo, (c) => c.detectedFrames),
      },
    },
  };
}
