/**
 * Scene-dependent labels of a spliced test clip: a segment that is abnormal in some scenes
 * (cameras) and normal in others. Kept apart from the builder so that the builder only calls it.
 *
 * @module
 */
import type { ManifestSegment } from './manifest.js';

/**
 * The frame mask of a spliced test clip as filmed by camera `camera`: the splice's labels, with the
 * frames of every segment whose `normalCameras` lists `camera` set to 0.
 *
 * @param labels the splice's frame labels (1 = abnormal)
 * @param starts first output frame of each segment
 * @param pieces the resampled segments (their `clip.nFrames` is each segment's length)
 * @param segments the manifest segments, parallel to `pieces`
 * @param camera the camera index
 * @returns a new mask; `labels` is not modified
 *
 * @example
 * ```ts
 * // walk (normal) | run (abnormal, normal under camera 1) | walk: camera 0 → 0…0 1…1 0…0, camera 1 → all 0
 * cameraMask(spliced.labels, spliced.starts, pieces, manifest.test[0].segments, 1);
 * ```
 */
export function cameraMask(
  labels: Uint8Array,
  starts: readonly number[],
  pieces: readonly { clip: { nFrames: number } }[],
  segments: readonly ManifestSegment[],
  camera: number,
): Uint8Array {
  const mask = labels.slice();
  segments.forEach((s, j) => {
    if (s.normalCameras?.includes(camera)) mask.fill(0, starts[j]!, starts[j]! + pieces[j]!.clip.nFrames);
  });
  return mask;
}
