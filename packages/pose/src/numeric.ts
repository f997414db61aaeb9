// Numeric helpers shared by the synthetic generator and the estimator imitation. Internal: not exported.
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
