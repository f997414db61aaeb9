// Node only (node:fs): the one writer of the ShanghaiTech/STG-NF folder layout, used by the
// synthetic demo data and by the motion-capture dataset builder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '@skelflow/base';
import { writeNpy } from './npy.js';

/** A dataset in the layout the STG-NF pipeline reads: tracked-person JSONs and frame masks. */
export interface PoseDatasetContent {
  train: readonly { name: string; persons: unknown }[];
  test: readonly { name: string; persons: unknown }[];
  /**
   * Optional 3-D tracks (docs/mocap.md, "3-D pose tracks") of the same clips, with the same person and frame keys:
   * written to `pose3d/{train,test}/<clip>_tracked_person_3d.json`; they share `gt`.
   */
  train3d?: readonly { name: string; persons: unknown }[];
  test3d?: readonly { name: string; persons: unknown }[];
  /** Optional per-clip joint labels (e.g. the mocap attribution clip's moved arm), written as `gt/test_joint_labels/<clip>.json`. */
  jointLabels?: readonly { name: string; labels: unknown }[];
  /** Test frame masks, uint8, 1 = abnormal. */
  gt: readonly { name: string; mask: Uint8Array }[];
  /** Written, as JSON, into the marker file. */
  meta: unknown;
}

/**
 * The files of a dataset as relative paths and contents:
 * `pose/{train,test}/<clip>_alphapose_tracked_person.json`, with 3-D tracks
 * `pose3d/{train,test}/<clip>_tracked_person_3d.json`, and `gt/test_frame_mask/<clip>.npy`.
 *
 * @example
 * ```ts
 * poseDatasetFiles(ds)[0].path; // 'pose/train/01_0001_alphapose_tracked_person.json'
 * ```
 */
export function poseDatasetFiles(ds: PoseDatasetContent): { path: string; data: string | Uint8Array }[] {
  const files: { path: string; data: string | Uint8Array }[] = [];
  for (const c of ds.train) files.push({ path: `pose/train/${c.name}_alphapose_tracked_person.json`, data: JSON.stringify(c.persons) });
  for (const c of ds.test) files.push({ path: `pose/test/${c.name}_alphapose_tracked_person.json`, data: JSON.stringify(c.persons) });
  for (const c of ds.train3d ?? []) files.push({ path: `pose3d/train/${c.name}_tracked_person_3d.json`, data: JSON.stringify(c.persons) });
  for (const c of ds.test3d ?? []) files.push({ path: `pose3d/test/${c.name}_tracked_person_3d.json`, data: JSON.stringify(c.persons) });
  for (const g of ds.gt) files.push({ path: `gt/test_frame_mask/${g.name}.npy`, data: writeNpy(g.mask, [g.mask.length], '|u1') });
  for (const j of ds.jointLabels ?? []) files.push({ path: `gt/test_joint_labels/${j.name}.json`, data: JSON.stringify(j.labels) + '\n' });
  return files;
}

// Our own files, which a rewrite may replace or delete: pose JSONs, masks, leftovers of interrupted writes.
const OWN_FILE = /^(\d{2}_\d{4}_alphapose_tracked_person\.json|\d{2}_\d{4}_tracked_person_3d\.json|\d{2}_\d{4}\.npy|\d{2}_\d{4}\.json|\..+\.\d+\.tmp)$/;
const OWN_DIRS = ['pose/train', 'pose/test', 'pose3d/train', 'pose3d/test', 'gt/test_frame_mask', 'gt/test_joint_labels'];
// Folders made only when the dataset has such files (or had: their stale files go).
const OPTIONAL_DIRS = new Set(['pose3d/train', 'pose3d/test', 'gt/test_joint_labels']);

let tmpCounter = 0;

/** Writes `data` to a temporary file next to `file`, then renames it over `file` (synchronous). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}${tmpCounter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The original error is the one worth reporting.
    }
    throw e;
  }
}

/**
 * Writes a dataset to `dir` in the ShanghaiTech/STG-NF layout plus a `marker` file holding
 * `ds.meta`. Every file is written to a temporary file in its own folder and renamed into place,
 * so a reader never sees a half-written file.
 *
 * Safety: `dir` must not exist, be empty, or carry `marker` (i.e. be an earlier output of the same
 * writer). In a marked folder, earlier pose/mask files that the new dataset does not contain are
 * removed (a stale clip would otherwise leak into training or evaluation); nothing else is touched.
 *
 * @param dir - target folder (created with parents).
 * @param ds - the content.
 * @param marker - the marker file's name (e.g. `.skelflow-demo`).
 * @returns the folder, the relative paths written and their total size in bytes.
 * @throws InputError when `dir` is a file, or a non-empty directory without the marker.
 * @example
 * ```ts
 * writePoseDataset('data/demo', generateDemoDataset({ seed: 7 }), '.skelflow-demo');
 * ```
 */
export function writePoseDataset(dir: string, ds: PoseDatasetContent, marker: string): { dir: string; files: string[]; bytes: number } {
  const markerPath = path.join(dir, marker);
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new InputError('exists and is not a directory', { source: dir });
    const entries = fs.readdirSync(dir);
    const marked = entries.includes(marker) && fs.lstatSync(markerPath).isFile();
    if (entries.length > 0 && !marked) {
      throw new InputError(`refusing to write into a non-empty directory without a ${marker} marker (choose an empty or new directory)`, {
        source: dir,
      });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  // Marker first: an interrupted write leaves a folder this function may overwrite later.
  writeFileAtomicSync(markerPath, JSON.stringify(ds.meta, null, 2) + '\n');
  const files = poseDatasetFiles(ds);
  const wanted = new Set(files.map((f) => f.path));
  for (const sub of OWN_DIRS) {
    const d = path.join(dir, sub);
    if (OPTIONAL_DIRS.has(sub) && !fs.existsSync(d) && ![...wanted].some((w) => w.startsWith(`${sub}/`))) continue;
    fs.mkdirSync(d, { recursive: true });
    for (const name of fs.readdirSync(d)) {
      if (OWN_FILE.test(name) && !wanted.has(`${sub}/${name}`) && fs.lstatSync(path.join(d, name)).isFile()) fs.rmSync(path.join(d, name));
    }
  }
  let bytes = 0;
  for (const f of files) {
    writeFileAtomicSync(path.join(dir, f.path), f.data);
    bytes += typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
  }
  return { dir, files: files.map((f) => f.path), bytes };
}
