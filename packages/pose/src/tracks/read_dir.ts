// Node-only helpers: the only file of src/pose that touches the file system. Not re-exported
// from ./index.ts, so browser bundles of @skelflow/pose never see `node:fs`.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@skelflow/base';
import { clipNameFromPoseFile, POSE_FILE_SUFFIX } from './clip_name.js';
import { readGroundTruth, type GroundTruthClip, type GroundTruthConvention } from './ground_truth.js';
import { parsePoseTrackJson, type ParsePoseOptions } from './parse_json.js';
import type { PoseClip } from './types.js';

async function listDir(dir: string, suffix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError(`cannot read directory: ${(e as Error).message}`, { source: dir, cause: e });
  }
  // Code-unit order equals Python's sorted() on these ASCII names (dataset.py L170,
  // scoring_utils.py L45).
  const files = names.filter((n) => n.endsWith(suffix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new InputError(`no *${suffix} files`, { source: dir });
  return files;
}

/**
 * Reads every `*_alphapose_tracked_person.json` of a directory (STG-NF's `pose/test` or
 * `pose/train` layout), sorted by file name as the original's `gen_dataset` does, with clip names
 * from {@link clipNameFromPoseFile}. Node only (import `pose/read_dir.js` directly; it is not part
 * of the browser-safe `pose/index.js`).
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `dataset.py` `gen_dataset`.
 *
 * @param dir directory to read
 * @param options passed to {@link parsePoseTrackJson} for each file
 * @returns one {@link PoseClip} per file, `source` = the file path
 * @throws InputError naming the directory (unreadable, no pose files) or the file (see
 *   {@link parsePoseTrackJson})
 *
 * @example
 * ```ts
 * const clips = await readPoseDir('data/ShanghaiTech/pose/test');
 * const segs = segmentTracks(clips);
 * ```
 */
export async function readPoseDir(dir: string, options: ParsePoseOptions = {}): Promise<PoseClip[]> {
  const files = await listDir(dir, POSE_FILE_SUFFIX);
  const out: PoseClip[] = [];
  for (const f of files) {
    const path = join(dir, f);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read file: ${(e as Error).message}`, { source: path, cause: e });
    }
    out.push({ name: clipNameFromPoseFile(f), source: path, tracks: parsePoseTrackJson(text, path, options) });
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
