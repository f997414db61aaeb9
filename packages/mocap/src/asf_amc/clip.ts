// ASF/AMC → MotionClip3D: forward kinematics of the format-free motion, COCO-17 by CMU bone names.
import { InputError } from '@skelflow/base';
import { clipNameFromPath, type MotionClip3D } from '../clip.js';
import { clipFromPose, CMU_COCO_MAP, type CocoHeadOptions, type CocoSourceMap } from '../coco_from_mocap.js';
import { parseAmc, type AmcMotion, type AmcParseOptions } from './amc.js';
import { parseAsf, type AsfSkeleton } from './asf.js';
import { asfForwardKinematics, asfTree } from './motion.js';

/** Options of {@link asfAmcToClip}. */
export interface AsfAmcClipOptions {
  /** Clip name (default: the AMC file name without directory and extension, e.g. `02_01`). */
  name?: string;
  /** Frames per second of the AMC (not stored in the file; CMU captures at 120). Default 120. */
  fps?: number;
  /** Face-point constants for the COCO mapping (see {@link cocoFromPose}). */
  head?: CocoHeadOptions;
  /** COCO source bones overriding {@link CMU_COCO_MAP}, for ASF skeletons with other bone names. */
  cocoMap?: Partial<CocoSourceMap>;
}

/**
 * Forward kinematics of an AMC motion on its ASF skeleton, packaged as a {@link MotionClip3D}:
 * metres (see {@link AsfParseOptions.metresPerUnit}), y up (CMU's frame), the full skeleton as
 * `joints` (root position, then each bone's end point; `jointNames` = `root` and the bone names,
 * parents-first) and COCO-17 from {@link CMU_COCO_MAP} (override with `options.cocoMap`).
 *
 * References: CMU Graphics Lab Motion Capture Database; Acclaim ASF/AMC spec.
 *
 * @param skeleton parsed ASF
 * @param motion parsed AMC (same skeleton)
 * @param options name, fps, face constants, COCO bone map
 * @returns the clip, `source` = `"<asf> + <amc>"`
 * @throws InputError when a COCO source bone is not in the skeleton (pass `cocoMap`)
 *
 * @example
 * ```ts
 * const clip = asfAmcToClip(parseAsf(asfText, '02.asf'), parseAmc(amcText, '02_01.amc', skel));
 * clip.coco.length; // nFrames * 17 * 3
 * ```
 */
export function asfAmcToClip(skeleton: AsfSkeleton, motion: AmcMotion, options: AsfAmcClipOptions = {}): MotionClip3D {
  const fps = options.fps ?? 120;
  if (!(fps > 0) || !Number.isFinite(fps)) throw new InputError(`fps must be a positive number, got ${fps}`, { source: motion.source });
  if (motion.bones.length !== skeleton.bones.length || motion.root.length !== motion.nFrames * skeleton.root.order.length) {
    throw new InputError(`motion was parsed against another skeleton (${motion.bones.length} bones, this one has ${skeleton.bones.length})`, { source: `${skeleton.source} + ${motion.source}` });
  }
  const tree = asfTree(skeleton);
  const pose = asfForwardKinematics(skeleton, motion);
  const rest = asfForwardKinematics(skeleton);
  const map: CocoSourceMap = { ...CMU_COCO_MAP, ...options.cocoMap };
  return clipFromPose(pose, rest, tree, map, {
    ...options.head,
    name: options.name ?? clipNameFromPath(motion.source),
    fps,
    source: `${skeleton.source} + ${motion.source}`,
  });
}

/**
 * Parses an ASF and an AMC text and returns the clip ({@link parseAsf} → {@link parseAmc} →
 * {@link asfAmcToClip}).
 *
 * @param asfText ASF text
 * @param asfSource ASF file name for messages
 * @param amcText AMC text
 * @param amcSource AMC file name for messages (and the default clip name)
 * @param options parse and clip options
 * @returns the clip
 * @throws InputError from either parser (file and line)
 *
 * @example
 * ```ts
 * const clip = parseAsfAmc(asf, '02.asf', amc, '02_01.amc');
 * ```
 */
export function parseAsfAmc(
  asfText: string,
  asfSource: string,
  amcText: string,
  amcSource: string,
  options: AsfAmcClipOptions & AmcParseOptions & { metresPerUnit?: number } = {},
): MotionClip3D {
  const skel = parseAsf(asfText, asfSource, options.metresPerUnit !== undefined ? { metresPerUnit: options.metresPerUnit } : {});
  return asfAmcToClip(skel, parseAmc(amcText, amcSource, skel, options), options);
}
