/**
 * Node-only writer of the synthetic demo dataset (uses `node:fs`; not re-exported from the
 * browser-safe `synthetic/index.ts`).
 *
 * @module
 */
import { writeNpy } from '../io/npy.js';
import { poseDatasetFiles, writePoseDataset } from '../io/write_layout.js';
import type { DemoDataset } from './dataset.js';

/**
 * Name of the marker file that identifies a directory written by {@link writeDemoDataset}. Only a
 * directory carrying it (or an empty/new one) is ever written into, so nothing a user put
 * somewhere is overwritten.
 */
export const DEMO_MARKER = '.skelflow-demo';

/**
 * Encodes a 1-D uint8 array as a NumPy `.npy` file (format v1.0): the magic `\x93NUMPY`, version
 * 1.0, a little-endian uint16 header length, the header
 * `{'descr': '|u1', 'fortran_order': False, 'shape': (N,), }` padded with spaces and a final
 * newline so that the data starts at a multiple of 64 bytes, then the raw bytes.
 *
 * @param data - the values (ground-truth frame mask: 0 normal, 1 abnormal).
 * @returns the complete file content.
 * @example
 * ```ts
 * const bytes = encodeNpyUint8(new Uint8Array([0, 1, 1])); // bytes.length === 64 + 3
 * ```
 */
export function encodeNpyUint8(data: Uint8Array): Uint8Array {
  return writeNpy(data, [data.length], '|u1');
}

/**
 * The files of a dataset as relative paths and contents, in the ShanghaiTech layout STG-NF reads:
 * `pose/train/<SS_CCCC>_alphapose_tracked_person.json`, `pose/test/…` and
 * `gt/test_frame_mask/<SS_CCCC>.npy`.
 *
 * @param ds - the dataset.
 * @example
 * ```ts
 * demoDatasetFiles(ds)[0].path; // 'pose/train/01_0001_alphapose_tracked_person.json'
 * ```
 */
export function demoDatasetFiles(ds: DemoDataset): { path: string; data: string | Uint8Array }[] {
  return poseDatasetFiles(ds);
}

/**
 * Writes a generated dataset to `dir` in the ShanghaiTech/STG-NF layout (see
 * {@link demoDatasetFiles}) plus the `.skelflow-demo` marker holding `meta` as JSON. Every file is
 * written to a temporary file in its own directory and renamed into place, so a reader never sees
 * a half-written file.
 *
 * Safety: `dir` must not exist, be empty, or carry the marker (i.e. be an earlier output of this
 * function). In a marked directory, earlier pose/mask files that the new dataset does not contain
 * are removed (a stale clip would otherwise leak into training); nothing else is touched.
 *
 * @param dir - target directory (created with parents).
 * @param ds - the dataset from `generateDemoDataset`.
 * @returns the directory, the relative paths written and their total size in bytes.
 * @throws InputError when `dir` is a file, or a non-empty directory without the marker.
 * @example
 * ```ts
 * import { generateDemoDataset } from '@skelflow/pose';
 * import { writeDemoDataset } from './write_dataset.js';
 * writeDemoDataset('data/demo', generateDemoDataset({ seed: 7 }));
 * // data/demo/pose/train/01_0001_alphapose_tracked_person.json, …, data/demo/gt/test_frame_mask/01_0001.npy
 * ```
 */
export function writeDemoDataset(dir: string, ds: DemoDataset): { dir: string; files: string[]; bytes: number } {
  return writePoseDataset(dir, ds, DEMO_MARKER);
}
