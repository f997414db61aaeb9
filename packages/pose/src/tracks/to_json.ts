import { InputError } from '@skelflow/base';
import { coco17Values, frameKey, type PoseDims, type PoseTracks, type PoseTracksJson } from './types.js';

/**
 * The writer's half of the pose-track format: in-memory {@link PoseTracks} → the on-disk
 * {@link PoseTracksJson} (person id → zero-padded frame key → `{ keypoints, scores }`), the inverse
 * of `poseTracksFromJson`. For `dims: 3` every detection's `keypoints` holds 17 × (x, y, z,
 * confidence) in metres, the `*_tracked_person_3d.json` files of docs/mocap.md, "3-D pose tracks"; for `dims: 2`,
 * 17 × (x, y, confidence) in pixels. Values are written as the float32 numbers the tracks hold, so
 * `poseTracksFromJson(poseTracksToJson(t, d), …, { dims: d })` gives `t` back bit for bit (except that JSON writes −0 as 0).
 *
 * @param tracks the clip's tracks (any person order; written in numeric order)
 * @param dims spatial dimensions of `tracks`' keypoints
 * @param source names the tracks in error messages
 * @returns the JSON object (`JSON.stringify` it to write a file)
 * @throws InputError when a track's arrays do not have `dims + 1` values per joint, or its frames
 *   are not strictly increasing non-negative integers
 *
 * @example
 * ```ts
 * const text = JSON.stringify(poseTracksToJson(clip.tracks, 3)); // a *_tracked_person_3d.json file
 * ```
 */
export function poseTracksToJson(tracks: PoseTracks, dims: PoseDims, source = 'poseTracksToJson'): PoseTracksJson {
  if (dims !== 2 && dims !== 3) throw new InputError(`dims must be 2 or 3, got ${String(dims)}`, { source });
  const values = coco17Values(dims);
  const out: PoseTracksJson = {};
  const keys = [...tracks.keys()].sort((a, b) => Number(a) - Number(b));
  for (const key of keys) {
    if (!/^\d+$/.test(key)) throw new InputError(`person key ${JSON.stringify(key)} is not a non-negative integer`, { source, location: `person ${key}` });
    const t = tracks.get(key)!;
    const n = t.frames.length;
    if (t.keypoints.length !== n * values || t.scores.length !== n) {
      throw new InputError(`track has ${n} frames but ${t.keypoints.length} keypoint values and ${t.scores.length} scores (expected ${n * values} for ${dims}-D tracks, and ${n})`, {
        source,
        location: `person ${key}`,
      });
    }
    const person: Record<string, { keypoints: number[]; scores: number }> = {};
    for (let j = 0; j < n; j++) {
      const f = t.frames[j]!;
      if (!(Number.isInteger(f) && f >= 0) || (j > 0 && f <= t.frames[j - 1]!)) {
        throw new InputError(`frames must be strictly increasing non-negative integers, got ${f} after ${t.frames[j - 1]}`, { source, location: `person ${key}, frame ${f}` });
      }
      person[frameKey(f)] = { keypoints: Array.from(t.keypoints.subarray(j * values, (j + 1) * values)), scores: t.scores[j]! };
    }
    out[key] = person;
  }
  return out;
}
