/**
 * 3-D joint tracks of a filmed clip: the clip's COCO-17 joints in the camera's coordinates, under
 * the person and frame keys the simulated 2-D tracker gave, so the 2-D and 3-D tracks of a clip
 * cut into the same segments and share one ground-truth mask. Browser-safe.
 *
 * @module
 */
import { InputError } from '@skelflow/base';
import { COCO17_KEYPOINTS, type PinholeCamera, type PoseTracksJson } from '@skelflow/pose';
import type { MotionClip3D } from './clip.js';

const K = COCO17_KEYPOINTS.length;

/**
 * A world point (metres, y up) in camera coordinates: x along the image's right, y along the
 * image's down (so x and y point the way pixel u and v grow), z along the optical axis (depth), in
 * metres — a right-handed frame (OpenCV's camera convention).
 *
 * @example
 * ```ts
 * cameraCoordinates(cam, 0, 1.7, 0); // [x, y, z] of a head at the origin
 * ```
 */
export function cameraCoordinates(cam: PinholeCamera, x: number, y: number, z: number): [number, number, number] {
  const px = x - cam.position[0];
  const py = y - cam.position[1];
  const pz = z - cam.position[2];
  return [
    px * cam.right[0] + py * cam.right[1] + pz * cam.right[2],
    -(px * cam.up[0] + py * cam.up[1] + pz * cam.up[2]),
    px * cam.forward[0] + py * cam.forward[1] + pz * cam.forward[2],
  ];
}

/**
 * The 3-D tracks (docs/mocap.md, "3-D pose tracks") matching a clip's 2-D tracks: for every person
 * id and frame key of `persons2d`, the clip's true COCO-17 joints of that frame in `cam`'s
 * coordinates ({@link cameraCoordinates}), confidence 1 and detection score 1 — motion capture
 * is the ground truth, so the 3-D tracks carry none of the 2-D estimator's jitter, dropped joints
 * or left/right swaps; they only share its detections (which frames, under which id).
 *
 * @param clip - the filmed clip.
 * @param cam - the camera that filmed it.
 * @param persons2d - the 2-D tracked-person dictionary of that camera (person id → frame key → detection).
 * @returns person id → frame key → `{ keypoints: 17 × (x, y, z, 1), scores: 1 }`.
 * @throws InputError when a frame key is not a frame of the clip.
 * @example
 * ```ts
 * const { persons } = simulatePoseEstimator(projectClip(clip, cam), rng, noise);
 * const persons3d = tracks3dFor(clip, cam, persons);
 * ```
 */
export function tracks3dFor(clip: MotionClip3D, cam: PinholeCamera, persons2d: PoseTracksJson): PoseTracksJson {
  const out: PoseTracksJson = {};
  for (const [person, frames] of Object.entries(persons2d)) {
    const track: Record<string, { keypoints: number[]; scores: number }> = {};
    for (const key of Object.keys(frames)) {
      const f = Number(key);
      if (!(Number.isInteger(f) && f >= 0 && f < clip.nFrames)) {
        throw new InputError(`frame key ${JSON.stringify(key)} is not a frame of the clip (${clip.nFrames} frames)`, { source: clip.source || clip.name, location: `person ${person}` });
      }
      const keypoints = new Array<number>(4 * K);
      for (let j = 0; j < K; j++) {
        const o = (f * K + j) * 3;
        const [x, y, z] = cameraCoordinates(cam, clip.coco[o]!, clip.coco[o + 1]!, clip.coco[o + 2]!);
        // float32, as every reader stores it: the file then reads back exactly.
        keypoints[4 * j] = Math.fround(x);
        keypoints[4 * j + 1] = Math.fround(y);
        keypoints[4 * j + 2] = Math.fround(z);
        keypoints[4 * j + 3] = 1;
      }
      track[key] = { keypoints, scores: 1 };
    }
    out[person] = track;
  }
  return out;
}
