import type { Rng } from '@skelflow/base';
import { FRAME_HEIGHT, FRAME_WIDTH, levelCamera, projectPoint, type PinholeCamera } from '../camera/pinhole.js';
import { intIn, pickWeighted, uniformIn } from './util.js';
/** Frame rate the motion models are integrated at (ShanghaiTech is ≈ 24 fps). */
export const DEMO_FPS = 24;

/**
 * One fixed surveillance camera looking at a flat walkable ground. The camera is the package's
 * pinhole ({@link levelCamera}: horizontal optical axis, principal point on the horizon row
 * `horizonY`, frame {@link FRAME_WIDTH} × {@link FRAME_HEIGHT}), so a point
 * (X, Y, Z) in metres — X right, Y up, Z away from the camera — lands on pixel
 * `u = cx + focal·X/Z`, `v = horizonY + focal·(cameraHeight − Y)/Z`. That single formula gives the
 * perspective the data needs: people higher in the frame are farther away and smaller, people
 * walking towards/away from the camera grow/shrink.
 */
export interface SceneCamera {
  /** Scene number, the `SS` of the clip names (1-based). */
  id: number;
  /** Focal length in pixels. */
  focal: number;
  /** Camera height above the ground in metres. */
  cameraHeight: number;
  /** Image row of the horizon (may be above the frame, i.e. negative). */
  horizonY: number;
  /** Image column of the optical axis. */
  cx: number;
  /** Nearest depth of the walkable area (below the bottom edge of the frame). */
  zNear: number;
  /** Farthest depth of the walkable area (people there are ~35–55 px tall). */
  zFar: number;
  /** Dominant walking directions (world heading in radians, 0 = to the right, π/2 = away). */
  paths: { heading: number; weight: number }[];
  /** The pinhole camera of these settings ({@link levelCamera}). */
  view: PinholeCamera;
}

/**
 * Draws a camera: focal 600–900 px, height 3.5–7.5 m, horizon between 40 px above the frame and
 * row 120, plus one to three dominant path directions (a walkway across, a diagonal, a street
 * going into depth). Parameter sets whose far people would have their heads cut off by the top
 * edge are redrawn.
 *
 * @param rng - the scene's random stream.
 * @param id - scene number used in clip names.
 * @returns the camera and walkable area.
 * @example
 * ```ts
 * const cam = sampleScene(new Rng('7/scene/1'), 1);
 * projectGround(cam, 0, 0, cam.zNear); // ≈ [cx, 500]: just below the frame
 * ```
 */
export function sampleScene(rng: Rng, id: number): SceneCamera {
  for (;;) {
    const focal = uniformIn(rng, 600, 900);
    const cameraHeight = uniformIn(rng, 3.5, 7.5);
    const horizonY = uniformIn(rng, -40, 120);
    const cx = FRAME_WIDTH / 2 + uniformIn(rng, -40, 40);
    // Feet 20 px below the bottom edge: people walk out of the frame at the bottom, too.
    const zNear = (focal * cameraHeight) / (FRAME_HEIGHT + 20 - horizonY);
    const minPersonPx = uniformIn(rng, 35, 55);
    let zFar = (focal * 1.7) / minPersonPx;
    // Keep the head of a 1.8 m person at the far end inside the frame.
    if (horizonY < 8) zFar = Math.min(zFar, (focal * (cameraHeight - 1.8)) / (8 - horizonY));
    if (zFar < zNear * 1.8) continue;
    const nPaths = intIn(rng, 1, 3);
    const paths: { heading: number; weight: number }[] = [];
    // Across, diagonal, into depth — the layouts of plazas, walkways and streets.
    const candidates = [0, Math.PI / 6, -Math.PI / 6, Math.PI / 4, -Math.PI / 4, Math.PI / 2, Math.PI / 3, -Math.PI / 3];
    const cw = [3, 1.5, 1.5, 1, 1, 1.2, 0.8, 0.8];
    for (let i = 0; i < nPaths; i++) {
      const k = pickWeighted(rng, cw);
      paths.push({ heading: candidates[k] + 0.15 * rng.normal(), weight: uniformIn(rng, 0.5, 1.5) });
    }
    return { id, focal, cameraHeight, horizonY, cx, zNear, zFar, paths, view: levelCamera(focal, cameraHeight, cx, horizonY) };
  }
}

/**
 * Projects a world point (metres) to pixels with the scene camera.
 *
 * @param cam - the camera.
 * @param X - right of the optical axis.
 * @param Y - height above the ground.
 * @param Z - depth (must be > 0.1 m, `CAMERA_NEAR`).
 * @returns `[u, v]` in pixels (NaN closer than `CAMERA_NEAR`).
 * @example
 * ```ts
 * const [u, v] = projectGround(cam, 1, 1.7, 12); // where the head of a person 12 m away is
 * ```
 */
export function projectGround(cam: SceneCamera, X: number, Y: number, Z: number): [number, number] {
  const [u, v] = projectPoint(cam.view, X, Y, Z);
  return [u, v];
}

/**
 * Whether a ground position lies in the walkable area — the part of the ground plane visible in
 * the frame between `zNear` and `zFar` — grown by `margin` metres on every side. Actors are
 * spawned just outside it and retired once they leave it.
 *
 * @param cam - the camera.
 * @param X - ground position, right.
 * @param Z - ground position, depth.
 * @param margin - metres added around the area (negative shrinks it).
 * @example
 * ```ts
 * insideArea(cam, 0, (cam.zNear + cam.zFar) / 2, 0); // true
 * ```
 */
export function insideArea(cam: SceneCamera, X: number, Z: number, margin: number): boolean {
  if (Z < cam.zNear - margin || Z > cam.zFar + margin) return false;
  const z = Math.max(Z, 0.5);
  const xMin = ((0 - cam.cx) * z) / cam.focal - margin;
  const xMax = ((FRAME_WIDTH - cam.cx) * z) / cam.focal + margin;
  return X >= xMin && X <= xMax;
}

/**
 * A uniformly drawn ground point inside the walkable area (in image space, so far and near rows
 * are equally likely — the far part of the ground covers fewer pixels but the same share of
 * walkers in real footage). `shrink` ∈ [0, 0.5) keeps the point that fraction away from the frame
 * edges (anomalies are staged where they are visible).
 *
 * @param cam - the camera.
 * @param rng - random stream.
 * @param shrink - fraction of the frame kept free on each side.
 * @returns `[X, Z]`.
 * @example
 * ```ts
 * const [X, Z] = sampleGroundPoint(cam, rng, 0.2);
 * ```
 */
export function sampleGroundPoint(cam: SceneCamera, rng: Rng, shrink = 0): [number, number] {
  const vNear = cam.horizonY + (cam.focal * cam.cameraHeight) / cam.zNear;
  const vFar = cam.horizonY + (cam.focal * cam.cameraHeight) / cam.zFar;
  const vBottom = Math.min(vNear, FRAME_HEIGHT);
  const v = vFar + (vBottom - vFar) * (shrink + (1 - 2 * shrink) * rng.uniform());
  const Z = (cam.focal * cam.cameraHeight) / (v - cam.horizonY);
  const u = FRAME_WIDTH * (shrink + (1 - 2 * shrink) * rng.uniform());
  return [((u - cam.cx) * Z) / cam.focal, Z];
}
