// 3×3 rotation matrices for forward kinematics: row-major Float64Array(9), column vectors
// (v' = R·v). Plain float64 JavaScript, no tfjs: the readers run on any thread, in browsers too.

/** A 3×3 matrix, row-major (`m[3 * row + col]`), acting on column vectors. */
export type Mat3 = Float64Array;

/** A coordinate axis of a rotation. */
export type RotationAxis = 'x' | 'y' | 'z';

/**
 * How a sequence of per-axis rotations is composed.
 * - `'extrinsic'`: about the fixed (parent/global) axes, in the listed order: the first listed
 *   rotation is applied to the vector first, so `XYZ` gives `Rz·Ry·Rx`. Acclaim ASF/AMC (`axis XYZ`,
 *   `dof rx ry rz`, root `order … RX RY RZ`) uses this.
 * - `'intrinsic'`: about the moving (local) axes, in the listed order: the product is in the listed
 *   order, so `ZXY` gives `Rz·Rx·Ry`. Biovision BVH channels use this.
 */
export type EulerConvention = 'extrinsic' | 'intrinsic';

/**
 * The identity matrix.
 *
 * @returns a new 3×3 identity
 *
 * @example
 * ```ts
 * const r = identity3(); // [1, 0, 0, 0, 1, 0, 0, 0, 1]
 * ```
 */
export function identity3(): Mat3 {
  return new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
}

/**
 * Right-handed rotation about one axis by `rad` radians (counter-clockwise looking down the axis
 * towards the origin).
 *
 * @param axis `'x'`, `'y'` or `'z'`
 * @param rad angle in radians
 * @param out optional destination
 * @returns the rotation matrix
 *
 * @example
 * ```ts
 * const r = axisRotation('z', Math.PI / 2); // maps (1, 0, 0) to (0, 1, 0)
 * ```
 */
export function axisRotation(axis: RotationAxis, rad: number, out: Mat3 = new Float64Array(9)): Mat3 {
  // Exact zeros at multiples of 90° keep hand-computed test positions exact.
  const c = snapTrig(Math.cos(rad));
  const s = snapTrig(Math.sin(rad));
  if (axis === 'x') out.set([1, 0, 0, 0, c, -s, 0, s, c]);
  else if (axis === 'y') out.set([c, 0, s, 0, 1, 0, -s, 0, c]);
  else out.set([c, -s, 0, s, c, 0, 0, 0, 1]);
  return out;
}

function snapTrig(v: number): number {
  return Math.abs(v) < 1e-15 ? 0 : v;
}

/**
 * Matrix product `a·b`. `out` may alias `a` or `b`.
 *
 * @param a left factor
 * @param b right factor
 * @param out optional destination
 * @returns `a·b`
 *
 * @example
 * ```ts
 * const r = mul3(axisRotation('z', 0.1), axisRotation('x', 0.2)); // Rz·Rx
 * ```
 */
export function mul3(a: Mat3, b: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!, a6 = a[6]!, a7 = a[7]!, a8 = a[8]!;
  const b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!, b4 = b[4]!, b5 = b[5]!, b6 = b[6]!, b7 = b[7]!, b8 = b[8]!;
  out[0] = a0 * b0 + a1 * b3 + a2 * b6;
  out[1] = a0 * b1 + a1 * b4 + a2 * b7;
  out[2] = a0 * b2 + a1 * b5 + a2 * b8;
  out[3] = a3 * b0 + a4 * b3 + a5 * b6;
  out[4] = a3 * b1 + a4 * b4 + a5 * b7;
  out[5] = a3 * b2 + a4 * b5 + a5 * b8;
  out[6] = a6 * b0 + a7 * b3 + a8 * b6;
  out[7] = a6 * b1 + a7 * b4 + a8 * b7;
  out[8] = a6 * b2 + a7 * b5 + a8 * b8;
  return out;
}

/**
 * Transpose, which is the inverse of a rotation.
 *
 * @param m a matrix
 * @param out optional destination (must not alias `m`)
 * @returns `mᵀ`
 *
 * @example
 * ```ts
 * const cInv = transpose3(c);
 * ```
 */
export function transpose3(m: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  out[0] = m[0]!; out[1] = m[3]!; out[2] = m[6]!;
  out[3] = m[1]!; out[4] = m[4]!; out[5] = m[7]!;
  out[6] = m[2]!; out[7] = m[5]!; out[8] = m[8]!;
  return out;
}

/**
 * `m·v` for the 3-vector `v[vOff .. vOff+2]`, written to `out[oOff .. oOff+2]` (`out` may alias `v`).
 *
 * @param m rotation
 * @param v source vector array
 * @param out destination array
 * @param vOff offset of the vector in `v`
 * @param oOff offset of the result in `out`
 * @returns `out`
 *
 * @example
 * ```ts
 * const p = applyMat3(axisRotation('y', Math.PI), [1, 0, 0], new Float64Array(3)); // (-1, 0, 0)
 * ```
 */
export function applyMat3<T extends { [i: number]: number }>(m: Mat3, v: ArrayLike<number>, out: T, vOff = 0, oOff = 0): T {
  const x = v[vOff]!, y = v[vOff + 1]!, z = v[vOff + 2]!;
  out[oOff] = m[0]! * x + m[1]! * y + m[2]! * z;
  out[oOff + 1] = m[3]! * x + m[4]! * y + m[5]! * z;
  out[oOff + 2] = m[6]! * x + m[7]! * y + m[8]! * z;
  return out;
}

/**
 * Rotation from Euler angles about the listed axes.
 *
 * @param axes the axes in listed order (e.g. `['x', 'y', 'z']`, any length, repeats allowed)
 * @param rad one angle in radians per axis
 * @param convention `'extrinsic'` (fixed axes: first listed applied first, `XYZ` → `Rz·Ry·Rx`) or
 *   `'intrinsic'` (moving axes: product in listed order, `ZXY` → `Rz·Rx·Ry`); see {@link EulerConvention}
 * @returns the rotation matrix
 *
 * @example
 * ```ts
 * // ASF `axis 0 0 20 XYZ`
 * const c = eulerToMatrix(['x', 'y', 'z'], [0, 0, (20 * Math.PI) / 180], 'extrinsic');
 * // BVH `CHANNELS 3 Zrotation Xrotation Yrotation`
 * const r = eulerToMatrix(['z', 'x', 'y'], [0.1, 0.2, 0.3], 'intrinsic');
 * ```
 */
export function eulerToMatrix(axes: readonly RotationAxis[], rad: ArrayLike<number>, convention: EulerConvention): Mat3 {
  const out = identity3();
  const r = new Float64Array(9);
  for (let i = 0; i < axes.length; i++) {
    axisRotation(axes[i]!, rad[i]!, r);
    // extrinsic: out = R_i · out (later rotations multiply on the left); intrinsic: out = out · R_i
    if (convention === 'extrinsic') mul3(r, out, out);
    else mul3(out, r, out);
  }
  return out;
}

/**
 * Parses an axis-order token such as `XYZ` / `zxy` (ASF `axis` lines) into axes.
 *
 * @param token three letters from x, y, z (case-insensitive)
 * @returns the axes, or `undefined` when the token is not a permutation of xyz
 *
 * @example
 * ```ts
 * parseAxisOrder('XYZ'); // ['x', 'y', 'z']
 * ```
 */
export function parseAxisOrder(token: string): RotationAxis[] | undefined {
  const t = token.toLowerCase();
  if (t.length !== 3 || !/^[xyz]{3}$/.test(t) || new Set(t).size !== 3) return undefined;
  return t.split('') as RotationAxis[];
}
