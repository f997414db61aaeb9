/**
 * Node-only writer of the synthetic demo dataset (uses `node:fs`; not re-exported from the
 * browser-safe `synthetic/index.ts`).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '@skelflow/core';
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
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${data.length},), }`;
  const pre = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
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
  const files: { path: string; data: string | Uint8Array }[] = [];
  for (const c of ds.train) files.push({ path: `pose/train/${c.name}_alphapose_tracked_person.json`, data: JSON.stringify(c.persons) });
  for (const c of ds.test) files.push({ path: `pose/test/${c.name}_alphapose_tracked_person.json`, data: JSON.stringify(c.persons) });
  for (const g of ds.gt) files.push({ path: `gt/test_frame_mask/${g.name}.npy`, data: encodeNpyUint8(g.mask) });
  return files;
}

// Files of ours that a rewrite may replace or delete: pose JSONs, masks, leftovers of crashed writes.
const OWN_FILE = /^(\d{2}_\d{4}_alphapose_tracked_person\.json|\d{2}_\d{4}\.npy|\..+\.\d+\.tmp)$/;
const OWN_DIRS = ['pose/train', 'pose/test', 'gt/test_frame_mask'];

let tmpCounter = 0;

/** Writes `data` to a temporary file next to `file`, then renames it over `file`. */
function writeAtomic(file: string, data: string | Uint8Array): void {
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
 * import { generateDemoDataset } from '`@skelflow/graph`';
 * import { writeDemoDataset } from './write_dataset.js';
 * writeDemoDataset('data/demo', generateDemoDataset({ seed: 7 }));
 * // data/demo/pose/train/01_0001_alphapose_tracked_person.json, …, data/demo/gt/test_frame_mask/01_0001.npy
 * ```
 */
export function writeDemoDataset(dir: string, ds: DemoDataset): { dir: string; files: string[]; bytes: number } {
  const marker = path.join(dir, DEMO_MARKER);
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new InputError('exists and is not a directory', { source: dir });
    const entries = fs.readdirSync(dir);
    const marked = entries.includes(DEMO_MARKER) && fs.lstatSync(marker).isFile();
    if (entries.length > 0 && !marked) {
      throw new InputError(`refusing to write into a non-empty directory without a ${DEMO_MARKER} marker (choose an empty or new directory)`, {
        source: dir,
      });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  // Marker first: an interrupted write leaves a directory this function may overwrite later.
  writeAtomic(marker, JSON.stringify(ds.meta, null, 2) + '\n');
  const files = demoDatasetFiles(ds);
  const wanted = new Set(files.map((f) => f.path));
  for (const sub of OWN_DIRS) {
    const d = path.join(dir, sub);
    fs.mkdirSync(d, { recursive: true });
    for (const name of fs.readdirSync(d)) {
      const rel = `${sub}/${name}`;
      if (OWN_FILE.test(name) && !wanted.has(rel) && fs.lstatSync(path.join(d, name)).isFile()) fs.rmSync(path.join(d, name));
    }
  }
  let bytes = 0;
  for (const f of files) {
    writeAtomic(path.join(dir, f.path), f.data);
    bytes += typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length;
  }
  return { dir, files: files.map((f) => f.path), bytes };
}
