import { COCO17_KEYPOINTS } from '../layouts/skeletons.js';

// The two shapes of a clip's pose tracks, side by side:
// - in memory, typed: `PoseTracks` (person id → `PersonTrack`, frames sorted, Float32Array keypoints);
// - on disk, JSON: `PoseTracksJson` (person id → zero-padded frame key → `PoseDetectionJson`), the
//   AlphaPose + PoseFlow `*_alphapose_tracked_person.json` record the generators write.
// `poseTracksFromJson` (and `parsePoseTrackJson` for the file's text) converts on-disk → in-memory.

/**
 * In memory: the detections of one tracked person in one clip, sorted by frame number.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/pose_utils.py`
 * `single_pose_dict2np`, which builds the same arrays (as float64; the original casts them to
 * float32 later, in `dataset.py` `gen_dataset`).
 */
export interface PersonTrack {
  /** Frame numbers of the detections, strictly increasing (sorted numerically). */
  frames: number[];
  /**
   * COCO-17 keypoints, `[frames.length, 17, dims + 1]` flattened: (x, y, confidence) in pixels for
   * 2-D tracks, (x, y, z, confidence) in metres for 3-D tracks (see {@link PoseClip.dims} and
   * docs/mocap.md, "3-D pose tracks").
   */
  keypoints: Float32Array;
  /** The per-detection `scores` value (AlphaPose's detection score), `[frames.length]`. */
  scores: Float32Array;
}

/**
 * In memory: all tracked people of one clip, keyed by the person ID string of the JSON file (`"10"`).
 * {@link parsePoseTrackJson} inserts them in numeric ID order; functions that consume a
 * `PoseTracks` re-sort numerically, so a hand-built map may use any order.
 */
export type PoseTracks = Map<string, PersonTrack>;

/**
 * On disk: one detection as AlphaPose's tracked-person JSON stores it: 17 × (x, y, confidence) in
 * pixels (COCO-17 order) and the detection score.
 */
export interface PoseDetectionJson {
  /** 51 numbers: x, y, c per keypoint. */
  keypoints: number[];
  /** Detection score in (0, 1). */
  scores: number;
}

/**
 * On disk: the content of a `*_alphapose_tracked_person.json` file — person id → zero-padded frame
 * index (`"0042"`, {@link frameKey}) → detection. Convert with `poseTracksFromJson`.
 */
export type PoseTracksJson = Record<string, Record<string, PoseDetectionJson>>;

/**
 * The JSON key of a frame index: zero-padded to 4 digits (`7` → `"0007"`), as in the ShanghaiTech
 * AlphaPose files.
 *
 * @example
 * ```ts
 * frameKey(42); // "0042"
 * ```
 */
export function frameKey(t: number): string {
  return String(t).padStart(4, '0');
}

/** One clip's tracks plus the clip name that ties them to a ground-truth mask (`"01_0014"`). */
export interface PoseClip {
  /** Clip name, e.g. `01_0014` or `abnormal_scene_2_scenario_6`; matched against GT clip names. */
  name: string;
  /** Where the tracks were read from (for error messages); optional. */
  source?: string;
  /** The clip's tracked people. */
  tracks: PoseTracks;
  /**
   * Spatial dimensions of the keypoints: 2 (image pixels, the default when absent) or 3 (metres,
   * read from a `*_tracked_person_3d.json` file). Every track of the clip has `dims + 1` values per
   * joint (the coordinates, then the confidence).
   */
  dims?: PoseDims;
}

/** Spatial dimensions of pose keypoints: 2 (x, y pixels) or 3 (x, y, z metres). */
export type PoseDims = 2 | 3;

/**
 * Values per detection in {@link PersonTrack.keypoints} for tracks of `dims` dimensions:
 * 17 joints × (dims coordinates + confidence) — 51 for 2-D, 68 for 3-D.
 *
 * @example
 * ```ts
 * coco17Values(3); // 68
 * ```
 */
export function coco17Values(dims: PoseDims): number {
  return COCO17_JOINTS * (dims + 1);
}

/** The number of COCO-17 joints in a {@link PersonTrack}. */
export const COCO17_JOINTS = COCO17_KEYPOINTS.length;
/** Values per detection in {@link PersonTrack.keypoints}: 17 joints × (x, y, confidence). */
export const COCO17_VALUES = 3 * COCO17_JOINTS;
