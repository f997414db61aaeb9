import type { Rng } from '@skelflow/base';

/**
 * Clamps `x` to [lo, hi].
 *
 * @example
 * ```ts
 * clamp(1.3, 0, 1); // 1
 * ```
 */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

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

/**
 * Rounds to 3 decimals — the precision the pose files are written with (sub-pixel detail below a
 * thousandth of a pixel is noise and only bloats the JSON).
 *
 * @example
 * ```ts
 * round3(12.34567); // 12.346
 * ```
 */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Standard normal samples from an {@link Rng}'s `uniform()` stream (Box–Muller, both values
 * used). `Rng.normal()` draws two 53-bit doubles per pair; the generator needs millions of
 * jitter samples, for which 32-bit uniforms are plenty and about twice as fast.
 *
 * @example
 * ```ts
 * const g = new Gaussian(new Rng(1));
 * const x = 2 * g.next(); // N(0, 4)
 * ```
 */
export class Gaussian {
  private spare = 0;
  private hasSpare = false;
  /** @param rng - the stream all samples are drawn from. */
  constructor(private readonly rng: Rng) {}

  /** One N(0, 1) sample. */
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rng.uniform()));
    const a = 2 * Math.PI * this.rng.uniform();
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }
}
