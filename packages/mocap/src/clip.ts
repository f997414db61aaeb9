/**
 * A motion clip in 3D after forward kinematics: what every mocap reader (ASF/AMC, BVH) produces and
 * what the virtual camera and the dataset builder consume.
 *
 * Coordinates are in metres in a right-handed world frame with **y up** (CMU's convention after
 * unit conversion), the ground at y = 0 where the data allows it.
 */
export interface MotionClip3D {
  /** Clip name, e.g. `02_01`. */
  name: string;
  /** Frames per second of `coco` / `joints`. */
  fps: number;
  /** Number of frames F. */
  nFrames: number;
  /** COCO-17 joints per frame, `[F, 17, 3]` flattened (COCO order: nose, eyes, ears, shoulders, …, ankles). */
  coco: Float32Array;
  /** Full skeleton joint names (reader-specific, e.g. CMU bone names; root first). */
  jointNames: string[];
  /** Full skeleton positions per frame, `[F, J, 3]` flattened, J = jointNames.length. */
  joints: Float32Array;
  /** Parent index of each full-skeleton joint (−1 for the root). */
  parents: number[];
  /** Where the clip came from (file names), for messages. */
  source: string;
}

/**
 * Clip name from a file path: the base name without its extension.
 *
 * @param path a file path (`/` or `\\` separators)
 * @returns the name
 *
 * @example
 * ```ts
 * clipNameFromPath('data/02/02_01.amc'); // '02_01'
 * ```
 */
export function clipNameFromPath(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
