import type { Rng } from '@skelflow/base';
import { clamp } from '../numeric.js';

/**
 * Linear interpolation `a + (b - a) t`.
 *
 * @example
 * ```ts
 * lerp(10, 20, 0.25); // 12.5
 * ```
 */
export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/**
 * Hermite smoothstep: 0 below `e0`, 1 above `e1`, smooth in between (used to blend walk → run
 * parameters by speed without a visible kink).
 *
 * @example
 * ```ts
 * smoothstep(0, 1, 0.5); // 0.5
 * ```
 */
export function smoothstep(e0: number, e1: number, x: number): number {
  const t = clamp((x - e0) / (e1 - e0), 0, 1);
  return t * t * (3 - 2 * t);
}

/**
 * Uniform number in [lo, hi) from `rng`.
 *
 * @example
 * ```ts
 * uniformIn(new Rng(1), 2, 3); // somewhere in [2, 3)
 * ```
 */
export function uniformIn(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.uniform();
}

/**
 * Uniform integer in [lo, hi] (both inclusive) from `rng`.
 *
 * @example
 * ```ts
 * intIn(new Rng(1), 150, 400); // a clip length
 * ```
 */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/**
 * Index drawn with probability proportional to `weights`.
 *
 * @example
 * ```ts
 * pickWeighted(new Rng(1), [0.9, 0.1]); // usually 0
 * ```
 */
export function pickWeighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Wraps an angle to (-π, π].
 *
 * @example
 * ```ts
 * wrapAngle(3 * Math.PI); // π
 * ```
 */
export function wrapAngle(a: number): number {
  let x = a % (2 * Math.PI);
  if (x > Math.PI) x -= 2 * Math.PI;
  if (x <= -Math.PI) x += 2 * Math.PI;
  return x;
}
