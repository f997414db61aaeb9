// Node-only helpers: the only file of src/pose that touches the file system. Not re-exported
// from ./index.ts, so browser bundles of @skelflow/pose never see `node:fs`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@skelflow/base';
import { clipNameFromPoseFile, POSE3D_FILE_SUFFIX, POSE_FILE_SUFFIX } from './clip_name.js';
import { readGroundTruth, type GroundTruthClip, type GroundTruthConvention } from './ground_truth.js';
import { parsePoseTrackJson, type ParsePoseOptions } from './parse_json.js';
import type { PoseClip } from './types.js';

async function readNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    throw new InputError(`cannot read directory: ${(e as Error).message}`, { source: dir, cause: e });
  }
}

// Code-unit order equals Python's sorted() on these ASCII names (dataset.py L170,
// scoring_utils.py L45).
function withSuffix(names: string[], suffix: string): string[] {
  return names.filter((n) => n.endsWith(suffix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function listDir(dir: string, suffix: string): Promise<string[]> {
  const files = withSuffix(await readNames(dir), suffix);
  if (files.length === 0) throw new InputError(`no *${suffix} files`, { source: dir });
  return files;
}

/**
 * Reads every `*_alphapose_tracked_person.json` of a directory (STG-NF's `pose/test` or
 * `pose/train` layout), sorted by file name as the original's `gen_dataset` does, with clip names
 * from {@link clipNameFromPoseFile}; or, when the directory holds 3-D tracks
 * (`*_tracked_person_3d.json`, docs/mocap.md, "3-D pose tracks", e.g. a mocap dataset's `pose3d/test`), every 3-D
 * file, as clips with `dims: 3`. A directory holding both kinds is refused (mixed 2-D/3-D data).
 * Node only (`@skelflow/pose/node`).
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `dataset.py` `gen_dataset`.
 *
 * @param dir directory to read
 * @param options passed to {@link parsePoseTrackJson} for each file
 * @returns one {@link PoseClip} per file, `source` = the file path
 * @throws InputError naming the directory (unreadable, no pose files, both 2-D and 3-D files) or
 *   the file (see {@link parsePoseTrackJson})
 *
 * @example
 * ```ts
 * const clips = await readPoseDir('data/ShanghaiTech/pose/test');
 * const segs = segmentTracks(clips);
 * ```
 */
export async function readPoseDir(dir: string, options: Omit<ParsePoseOptions, 'dims'> = {}): Promise<PoseClip[]> {
  const names = await readNames(dir);
  const files2 = withSuffix(names, POSE_FILE_SUFFIX);
  const files3 = withSuffix(names, POSE3D_FILE_SUFFIX);
  if (files2.length > 0 && files3.length > 0) {
    throw new InputError(
      `mixed 2-D/3-D data: ${files2.length} 2-D *${POSE_FILE_SUFFIX} and ${files3.length} 3-D *${POSE3D_FILE_SUFFIX} files (e.g. ${files2[0]} and ${files3[0]}); keep them in separate folders`,
      { source: dir },
    );
  }
  if (files2.length === 0 && files3.length === 0) throw new InputError(`no *${POSE_FILE_SUFFIX} (2-D) or *${POSE3D_FILE_SUFFIX} (3-D) files`, { source: dir });
  const dims = files3.length > 0 ? 3 : 2;
  const files = dims === 3 ? files3 : files2;
  const out: PoseClip[] = [];
  for (const f of files) {
    const path = join(dir, f);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read file: ${(e as Error).message}`, { source: path, cause: e });
    }
    const tracks = parsePoseTrackJson(text, path, { ...options, dims });
    out.push(dims === 3 ? { name: clipNameFromPoseFile(f), source: path, tracks, dims } : { name: clipNameFromPoseFile(f), source: path, tracks });
  }
  return out;
}

/**
 * Reads every `*.npy` frame mask of a ground-truth directory (ShanghaiTech
 * `gt/test_frame_mask`, or UBnormal masks saved as `.npy`), sorted by file name as the original's
 * scoring does; the clip name is the base name without `.npy`. Node only.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/scoring_utils.py` `get_dataset_scores`.
 *
 * @param dir directory to read
 * @param convention how the masks encode labels (see {@link readGroundTruth})
 * @returns one {@link GroundTruthClip} per file, labels as 1 = abnormal
 * @throws InputError naming the directory or the file
 *
 * @example
 * ```ts
 * const gt = await readGtDir('data/ShanghaiTech/gt/test_frame_mask', 'shanghaitech');
 * const frames = scoresToFrames(scores, segs.meta, gt);
 * ```
 */
export async function readGtDir(dir: string, convention: GroundTruthConvention): Promise<GroundTruthClip[]> {
  const files = await listDir(dir, '.npy');
  const out: GroundTruthClip[] = [];
  for (const f of files) {
    const path = join(dir, f);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new InputError(`cannot read file: ${(e as Error).message}`, { source: path, cause: e });
    }
    const gtAbnormal = readGroundTruth(bytes, path, convention);
    out.push({ name: f.slice(0, -'.npy'.length), source: path, gtAbnormal, nFrames: gtAbnormal.length });
  }
  return out;
}
