/**
 * The detections of one tracked person in one clip, sorted by frame number.
 *
 * References: STG-NF (Hirschorn & Avidan, ICCV 2023), `utils/pose_utils.py`
 * `single_pose_dict2np`, which builds the same arrays (as float64; the original casts them to
 * float32 later, in `dataset.py` `gen_dataset`).
 */
export interface PersonTrack {
  /** Frame numbers of the detections, strictly increasing (sorted numerically). */
  frames: number[];
  /** COCO-17 keypoints, `[frames.length, 17, 3]` flattened, channels (x, y, confidence) in pixels. */
  keypoints: Float32Array;
  /** The per-detection `scores` value (AlphaPose's detection score), `[frames.length]`. */
  scores: Float32Array;
}

/**
 * All tracked people of one clip, keyed by the person ID string of the JSON file (`"10"`).
 * {@link parsePoseTrackJson} inserts them in numeric ID order; functions that consume a
 * `PoseTracks` re-sort numerically, so a hand-built map may use any order.
 */
export type PoseTracks = Map<string, PersonTrack>;

/** One clip's tracks plus the clip name that ties them to a ground-truth mask (`"01_0014"`). */
export interface PoseClip {
  /** Clip name, e.g. `01_0014` or `abnormal_scene_2_scenario_6`; matched against GT clip names. */
  name: string;
  /** Where the tracks were read from (for error messages); optional. */
  source?: string;
  /** The clip's tracked people. */
  tracks: PoseTracks;
}

/** The number of COCO-17 joints in a {@link PersonTrack}. */
export const COCO17_JOINTS = 17;
/** Values per detection in {@link PersonTrack.keypoints}: 17 joints × (x, y, confidence). */
export const COCO17_VALUES = 51;
