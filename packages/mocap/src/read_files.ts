// Node-only helpers of the mocap readers: the only file of src/mocap that touches the file system.
// Exported from `@skelflow/mocap/node`, never from the browser entry.
import { readFileSync } from 'node:fs';
import { InputError } from '@skelflow/base';
import { parseAmc, type AmcParseOptions } from './asf_amc/amc.js';
import { parseAsf, type AsfParseOptions } from './asf_amc/asf.js';
import { asfAmcToClip, type AsfAmcClipOptions } from './asf_amc/clip.js';
import { parseBvh } from './bvh/bvh.js';
import { bvhToClip, type BvhClipOptions } from './bvh/clip.js';
import type { MotionClip3D } from './clip.js';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read file: ${(e as Error).message}`, { source: path, cause: e });
  }
}

/**
 * Reads an ASF skeleton and an AMC motion (CMU Graphics Lab Motion Capture Database layout) and
 * returns the clip: forward kinematics in metres, y up, full skeleton and COCO-17 (see
 * {@link asfAmcToClip}). Node only.
 *
 * References: CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu); Acclaim ASF/AMC spec.
 *
 * @param asfPath path of the `.asf`
 * @param amcPath path of the `.amc`
 * @param options units, limits policy, clip name, fps (default 120), face constants
 * @returns the clip (`name` defaults to the AMC base name, e.g. `02_01`)
 * @throws InputError naming the file (and line) that cannot be read or parsed
 *
 * @example
 * ```ts
 * const clip = readAsfAmc('cmu/02/02.asf', 'cmu/02/02_01.amc');
 * const clip30 = resampleClip(clip, 30);
 * ```
 */
export function readAsfAmc(
  asfPath: string,
  amcPath: string,
  options: AsfParseOptions & AmcParseOptions & AsfAmcClipOptions = {},
): MotionClip3D {
  const asf = readText(asfPath);
  const amc = readText(amcPath);
  const skeleton = parseAsf(asf, asfPath, options.metresPerUnit !== undefined ? { metresPerUnit: options.metresPerUnit } : {});
  return asfAmcToClip(skeleton, parseAmc(amc, amcPath, skeleton, options), options);
}

/**
 * Reads a Biovision BVH file and returns the clip (see {@link bvhToClip}). Node only.
 *
 * References: Biovision BVH; Meredith & Maddock, "Motion Capture File Formats Explained" (2001).
 *
 * @param path path of the `.bvh`
 * @param options units (default centimetres), up axis, COCO name mapping, fps, face constants
 * @returns the clip
 * @throws InputError naming the file (and line) that cannot be read or parsed
 *
 * @example
 * ```ts
 * const clip = readBvh('walk.bvh', { metresPerUnit: 0.01 });
 * ```
 */
export function readBvh(path: string, options: BvhClipOptions = {}): MotionClip3D {
  return bvhToClip(parseBvh(readText(path), path), options);
}
