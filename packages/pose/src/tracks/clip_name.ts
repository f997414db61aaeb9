/** The file-name suffix of STG-NF pose files. */
export const POSE_FILE_SUFFIX = '_alphapose_tracked_person.json';

/**
 * The file-name suffix of 3-D pose files (docs/mocap.md, "3-D pose tracks"): the same person → frame → detection
 * JSON with 17 × (x, y, z, confidence) in metres per detection.
 */
export const POSE3D_FILE_SUFFIX = '_tracked_person_3d.json';

/**
 * The clip name of a pose file: the part of the base name before `_alphapose`
 * (`01_0014_alphapose_tracked_person.json` → `01_0014`,
 * `abnormal_scene_2_scenario_6_alphapose_tracked_person.json` → `abnormal_scene_2_scenario_6`),
 * which is also the base name of the clip's ground-truth `.npy`; a 3-D file loses
 * {@link POSE3D_FILE_SUFFIX} (`01_0014_tracked_person_3d.json` → `01_0014`). Other names lose only
 * their extension.
 *
 * The original derives `(scene, clip)` integers from `split('_')[:2]` for ShanghaiTech and a regex
 * for UBnormal; keeping the whole prefix serves both and matches GT files by plain string equality.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `dataset.py` `gen_dataset` L170-182.
 *
 * @param fileName a file name or path (`/` or `\` separated)
 * @returns the clip name
 *
 * @example
 * ```ts
 * clipNameFromPoseFile('pose/test/01_0014_alphapose_tracked_person.json'); // '01_0014'
 * ```
 */
export function clipNameFromPoseFile(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const k = base.indexOf('_alphapose');
  if (k >= 0) return base.slice(0, k);
  if (base.endsWith(POSE3D_FILE_SUFFIX) && base.length > POSE3D_FILE_SUFFIX.length) return base.slice(0, -POSE3D_FILE_SUFFIX.length);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
