import { expect } from 'vitest';
import type { MotionClip3D } from '../src/index.js';

/** Position of full-skeleton joint `name` at frame `f`. */
export function jointAt(clip: MotionClip3D, f: number, name: string): number[] {
  const j = clip.jointNames.indexOf(name);
  expect(j, name).toBeGreaterThanOrEqual(0);
  const o = (f * clip.jointNames.length + j) * 3;
  return Array.from(clip.joints.subarray(o, o + 3));
}

/** Element-wise |a − b| ≤ tol, naming the index on failure. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = ''): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol);
}
