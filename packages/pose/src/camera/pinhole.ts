/**
 * The one camera model of the package: a pinhole with a position, orthonormal axes and a principal
 * point. The synthetic generator's fixed surveillance camera ({@link levelCamera}) and the mocap
 * builder's look-at camera ({@link lookAtCamera}) are both instances. Browser-safe.
 *
 * @module
 */
import { InputError } from '@skelflow/base';

/**
 * Frame width in pixels of ShanghaiTech's videos: STG-NF's `vid_res`, the synthetic generator's
 * and the virtual camera's default frame. The one definition of the 856 × 480 frame.
 */
export const FRAME_WIDTH = 856;
/** Frame height in pixels (see {@link FRAME_WIDTH}). */
export const FRAME_HEIGHT = 480;
/** Points closer than this (metres, along the optical axis) or behind the camera are not projected. */
export const CAMERA_NEAR = 0.1;

/**
 * Where a camera stands, relative to the point it looks at. Angles in degrees.
 *
 * - `azimuth`: rotation of the camera position about the vertical (y) axis through the target.
 *   0 puts the camera on the target's +z side looking towards −z (world x then points right in
 *   the image); 90 puts it on the +x side looking towards −x.
 * - `elevation`: angle above the horizontal plane through the target (0 = level, 30 = looking
 *   down at 30°); |elevation| must stay below 89°.
 * - `distance`: metres from the camera to the target.
 * - `focal`: focal length in pixels.
 * - `width`, `height`: image size (default 856 × 480); the principal point is the image centre
 *   `(width/2, height/2)`.
 */
export interface CameraSpec {
  azimuth: number;
  elevation: number;
  distance: number;
  focal: number;
  width?: number;
  height?: number;
}

/** A posed pinhole camera: centre, orthonormal axes (world coordinates), intrinsics. */
export interface PinholeCamera {
  /** Camera centre in world coordinates (metres). */
  position: [number, number, number];
  /** Image x axis (to the right) in world coordinates. */
  right: [number, number, number];
  /** Image "up" axis in world coordinates (image y grows the other way). */
  up: [number, number, number];
  /** Optical axis (viewing direction) in world coordinates. */
  forward: [number, number, number];
  /** Focal length in pixels. */
  focal: number;
  /** Principal point x (pixels). */
  cx: number;
  /** Principal point y (pixels). */
  cy: number;
  width: number;
  height: number;
}

/**
 * Checks a {@link CameraSpec} and returns a message describing the first problem, or `null`.
 *
 * @example
 * ```ts
 * cameraSpecProblem({ azimuth: 0, elevation: 95, distance: 8, focal: 700 }); // 'elevation must be in (−89, 89) degrees, got 95'
 * ```
 */
export function cameraSpecProblem(spec: CameraSpec): string | null {
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!finite(spec.azimuth)) return `azimuth must be a number (degrees), got ${String(spec.azimuth)}`;
  if (!finite(spec.elevation) || Math.abs(spec.elevation) >= 89) return `elevation must be in (−89, 89) degrees, got ${String(spec.elevation)}`;
  if (!finite(spec.distance) || spec.distance <= CAMERA_NEAR) return `distance must be a number > ${CAMERA_NEAR} (metres), got ${String(spec.distance)}`;
  if (!finite(spec.focal) || spec.focal <= 0) return `focal must be a positive number (pixels), got ${String(spec.focal)}`;
  for (const k of ['width', 'height'] as const) {
    const v = spec[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) return `${k} must be a positive integer (pixels), got ${String(v)}`;
  }
  return null;
}

/**
 * Places a pinhole camera that looks at `target` from the direction and distance of `spec`
 * (see {@link CameraSpec}). World y is up; the camera has no roll, so vertical world lines through
 * the image centre stay vertical.
 *
 * @param spec - azimuth, elevation, distance, focal length, image size.
 * @param target - world point (metres) that lands on the principal point.
 * @returns the camera.
 * @throws InputError for an invalid spec.
 * @example
 * ```ts
 * const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 1, 0]);
 * cam.position; // [0, 1, 10]
 * projectPoint(cam, 1, 1, 0); // [478, 240, 10]: 1 m to the right at 10 m = 50 px right of centre
 * ```
 */
export function lookAtCamera(spec: CameraSpec, target: readonly [number, number, number]): PinholeCamera {
  const problem = cameraSpecProblem(spec);
  if (problem) throw new InputError(problem, { source: 'lookAtCamera' });
  const az = (spec.azimuth * Math.PI) / 180;
  const el = (spec.elevation * Math.PI) / 180;
  // Unit vector from the target to the camera.
  const dx = Math.cos(el) * Math.sin(az);
  const dy = Math.sin(el);
  const dz = Math.cos(el) * Math.cos(az);
  const position: [number, number, number] = [target[0] + spec.distance * dx, target[1] + spec.distance * dy, target[2] + spec.distance * dz];
  const forward: [number, number, number] = [-dx, -dy, -dz];
  // right = forward × worldUp, normalised (worldUp = (0, 1, 0)).
  const rl = Math.hypot(forward[2], forward[0]);
  const right: [number, number, number] = [-forward[2] / rl, 0, forward[0] / rl];
  // up = right × forward.
  const up: [number, number, number] = [
    right[1] * forward[2] - right[2] * forward[1],
    right[2] * forward[0] - right[0] * forward[2],
    right[0] * forward[1] - right[1] * forward[0],
  ];
  const width = spec.width ?? FRAME_WIDTH;
  const height = spec.height ?? FRAME_HEIGHT;
  return { position, right, up, forward, focal: spec.focal, cx: width / 2, cy: height / 2, width, height };
}

/**
 * Projects one world point: `u = cx + f·x_c/z_c`, `v = cy − f·y_c/z_c` with `(x_c, y_c, z_c)` the
 * point in camera coordinates (right, up, forward). Image y grows downwards.
 *
 * @returns `[u, v, depth]` in pixels and metres; `u`, `v` are NaN when the point is closer than
 *   {@link CAMERA_NEAR} or behind the camera (depth ≤ 0.1).
 * @example
 * ```ts
 * const cam = lookAtCamera({ azimuth: 0, elevation: 0, distance: 10, focal: 500 }, [0, 0, 0]);
 * projectPoint(cam, 0, 2, 0); // [428, 140, 10]
 * projectPoint(cam, 0, 0, 20); // [NaN, NaN, -10]: behind the camera
 * ```
 */
export function projectPoint(cam: PinholeCamera, x: number, y: number, z: number): [number, number, number] {
  const px = x - cam.position[0];
  const py = y - cam.position[1];
  const pz = z - cam.position[2];
  const depth = px * cam.forward[0] + py * cam.forward[1] + pz * cam.forward[2];
  if (!(depth > CAMERA_NEAR)) return [NaN, NaN, depth];
  const xc = px * cam.right[0] + py * cam.right[1] + pz * cam.right[2];
  const yc = px * cam.up[0] + py * cam.up[1] + pz * cam.up[2];
  return [cam.cx + (cam.focal * xc) / depth, cam.cy - (cam.focal * yc) / depth, depth];
}


/**
 * A camera with a horizontal optical axis along world +z, standing at `(0, height, 0)`, with its
 * principal point at `(cx, horizonY)`: a point (X, Y, Z) lands on `u = cx + focal·X/Z`,
 * `v = horizonY + focal·(height − Y)/Z`. The synthetic generator's surveillance camera.
 *
 * @param focal - focal length in pixels.
 * @param height - camera height above the ground (metres).
 * @param cx - image column of the optical axis.
 * @param horizonY - image row of the horizon.
 * @returns the camera (frame {@link FRAME_WIDTH} × {@link FRAME_HEIGHT}).
 * @example
 * ```ts
 * projectPoint(levelCamera(700, 5, 428, 60), 0, 5, 10); // [428, 60, 10]: a point at eye height sits on the horizon
 * ```
 */
export function levelCamera(focal: number, height: number, cx: number, horizonY: number): PinholeCamera {
  return { position: [0, height, 0], right: [1, 0, 0], up: [0, 1, 0], forward: [0, 0, 1], focal, cx, cy: horizonY, width: FRAME_WIDTH, height: FRAME_HEIGHT };
}
