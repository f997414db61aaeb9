/**
 * Node-only side of the motion-capture dataset builder: reads a manifest and its ASF/AMC files,
 * builds the dataset ({@link buildMocapDataset}) and writes it in the ShanghaiTech layout the
 * pose pipeline reads (`pose/train`, `pose/test`, `gt/test_frame_mask`).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '@skelflow/base';
import { poseDatasetFiles, writePoseDataset, type PoseDatasetContent } from '@skelflow/pose/node';
import { buildMocapDataset, type MocapDataset } from './builder.js';
import { manifestClipFiles, manifestClipNames, parseMocapManifest, type MocapManifest } from './manifest.js';
import { readAsfAmc, readBvh } from './read_files.js';
import type { MotionClip3D } from './clip.js';

/**
 * Name of the marker file that identifies a folder written by {@link writeMocapDataset} (it holds
 * the dataset's description as JSON). Only a new or empty folder, or one carrying this marker, is
 * ever written into.
 */
export const MOCAP_DATASET_MARKER = '.skelflow-mocap-dataset';

/**
 * The files of a built dataset as relative paths and contents:
 * `pose/train/<SS_CCCC>_alphapose_tracked_person.json`, `pose/test/…`, the 3-D tracks
 * `pose3d/train/<SS_CCCC>_tracked_person_3d.json`, `pose3d/test/…`, and
 * `gt/test_frame_mask/<SS_CCCC>.npy` (uint8, 1 = abnormal, shared by the 2-D and 3-D tracks).
 *
 * @example
 * ```ts
 * mocapDatasetFiles(ds)[0].path; // 'pose/train/01_0001_alphapose_tracked_person.json'
 * ```
 */
export function mocapDatasetFiles(ds: MocapDataset): { path: string; data: string | Uint8Array }[] {
  return poseDatasetFiles(withTracks3d(ds));
}

/** The dataset with its 3-D tracks in the writer's `train3d` / `test3d` fields. */
function withTracks3d(ds: MocapDataset): MocapDataset & PoseDatasetContent {
  const three = (clips: MocapDataset['train']) => clips.map((c) => ({ name: c.name, persons: c.persons3d }));
  return { ...ds, train3d: three(ds.train), test3d: three(ds.test), ...(ds.jointLabels ? { jointLabels: ds.jointLabels } : {}) };
}

/**
 * Writes a built dataset to `dir` (see {@link mocapDatasetFiles}) plus the
 * {@link MOCAP_DATASET_MARKER} file holding `ds.meta`. Every file is written to a temporary file
 * and renamed into place. `dir` must not exist, be empty, or carry the marker; in a marked folder,
 * pose and mask files of clips the new dataset does not have are removed (they would leak into
 * training or evaluation), nothing else is touched.
 *
 * @param dir - target folder (created with parents).
 * @param ds - the dataset.
 * @returns the folder, the relative paths written and their total size in bytes.
 * @throws InputError when `dir` is a file or a non-empty folder without the marker.
 * @example
 * ```ts
 * await writeMocapDataset('/tmp/cmu-ds', buildMocapDataset(manifest, clips));
 * ```
 */
export async function writeMocapDataset(dir: string, ds: MocapDataset): Promise<{ dir: string; files: string[]; bytes: number }> {
  return writePoseDataset(dir, withTracks3d(ds), MOCAP_DATASET_MARKER);
}

/**
 * Reads a manifest file ({@link parseMocapManifest}).
 *
 * @throws InputError naming the file when it cannot be read or is invalid.
 * @example
 * ```ts
 * const manifest = readMocapManifest('packages/mocap/manifests/cmu-02-03.json');
 * ```
 */
export function readMocapManifest(file: string): MocapManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the manifest: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { source: file, cause: e });
  }
  return parseMocapManifest(text, file);
}

/**
 * Loads every source clip a manifest uses from `mocapDir` (ASF/AMC via `readAsfAmc`, BVH via
 * `readBvh`).
 *
 * @param manifest - the parsed manifest.
 * @param mocapDir - folder the manifest's clip paths are relative to.
 * @param source - the manifest's file name, for messages.
 * @param onClip - called after each clip is read.
 * @returns clip name → clip at its own frame rate.
 * @throws InputError naming the manifest and the first entry that uses a clip whose files are
 *   missing; the readers' errors name the file that cannot be parsed.
 * @example
 * ```ts
 * const clips = await loadManifestClips(manifest, '../shared/data/cmu-mocap', 'cmu-02-03.json');
 * ```
 */
export async function loadManifestClips(
  manifest: MocapManifest,
  mocapDir: string,
  source: string,
  onClip?: (name: string, clip: MotionClip3D) => void,
): Promise<Map<string, MotionClip3D>> {
  const firstUse = new Map<string, string>();
  manifest.train.forEach((e, i) => firstUse.has(e.clip) || firstUse.set(e.clip, `train[${i}]`));
  manifest.test.forEach((e, i) => e.segments.forEach((s, k) => firstUse.has(s.clip) || firstUse.set(s.clip, `test[${i}].segments[${k}]`)));
  const clips = new Map<string, MotionClip3D>();
  for (const name of manifestClipNames(manifest)) {
    const files = manifestClipFiles(manifest, name, source);
    const paths = (files.bvh !== undefined ? [files.bvh] : [files.asf!, files.amc!]).map((f) => path.join(mocapDir, f));
    for (const f of paths) {
      if (!fs.existsSync(f)) throw new InputError(`unknown clip '${name}': ${f} does not exist`, { source, location: firstUse.get(name)! });
    }
    const clip =
      files.bvh !== undefined
        ? await readBvh(paths[0]!, {
            ...(files.metresPerUnit !== undefined ? { metresPerUnit: files.metresPerUnit } : {}),
            ...(files.upAxis !== undefined ? { upAxis: files.upAxis } : {}),
          })
        : await readAsfAmc(paths[0]!, paths[1]!);
    clips.set(name, { ...clip, name });
    onClip?.(name, clip);
  }
  return clips;
}

/**
 * Reads a manifest and its motion capture, builds the dataset and writes it
 * (`skelflow mocap-dataset`).
 *
 * @param options - `manifest` file, `mocap` folder, `out` folder, optional progress callback.
 * @returns the dataset (its `meta` describes every clip) and what was written.
 * @example
 * ```ts
 * const { dataset } = await buildMocapDatasetFromFiles({ manifest: 'packages/mocap/manifests/cmu-02-03.json', mocap: '../shared/data/cmu-mocap', out: '/tmp/cmu-ds' });
 * dataset.meta.test.abnormalFrames;
 * ```
 */
export async function buildMocapDatasetFromFiles(options: {
  manifest: string;
  mocap: string;
  out: string;
  onProgress?: (stage: 'read' | 'build', done: number, total: number) => void;
}): Promise<{ dataset: MocapDataset; written: { dir: string; files: string[]; bytes: number } }> {
  const manifest = readMocapManifest(options.manifest);
  const names = manifestClipNames(manifest);
  let read = 0;
  const clips = await loadManifestClips(manifest, options.mocap, options.manifest, () => options.onProgress?.('read', ++read, names.length));
  const dataset = buildMocapDataset(manifest, clips, {
    source: options.manifest,
    onProgress: (done, total) => options.onProgress?.('build', done, total),
  });
  const written = await writeMocapDataset(options.out, dataset);
  return { dataset, written };
}
