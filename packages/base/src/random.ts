import seedrandom from 'seedrandom';

/** The position of an {@link Rng} stream (JSON-serialisable). */
export interface RngState {
  /** seedrandom's ARC4 state `{ i, j, S }`. */
  arc4: unknown;
  /** The second Box–Muller value kept for the next `normal()`. */
  spare: number | null;
}

/**
 * A seeded random stream (seedrandom's ARC4) for initialisation, shuffling and augmentation.
 * Tensors are filled from this stream on the JavaScript side so that the same seed gives the same
 * numbers on every backend — tfjs's own seeded ops differ per backend and treat seed 0 as "none".
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const x = rng.normal(); // identical everywhere: the stream is JavaScript, not a tensor op
 * const order = rng.permutation(10);
 * ```
 */
export class Rng {
  private prng: seedrandom.PRNG;
  private spare: number | null = null;
  readonly seed: string;

  /**
   * @param seed - any number or string; the same seed gives the same stream.
   * @param state - a {@link Rng.state} to continue from (the stream goes on exactly where it was).
   */
  constructor(seed: number | string, state?: RngState) {
    this.seed = String(seed);
    // `state: true` only makes the generator's state readable; the stream is the same.
    this.prng = state ? seedrandom('', { state: state.arc4 as seedrandom.State.Arc4 }) : seedrandom(this.seed, { state: true });
    if (state) this.spare = state.spare;
  }

  /**
   * The stream's position, as plain JSON: `new Rng(seed, rng.state())` continues with exactly the
   * numbers `rng` would give next (what a training checkpoint saves to resume bit for bit).
   */
  state(): RngState {
    return { arc4: JSON.parse(JSON.stringify((this.prng as seedrandom.PRNG & { state(): unknown }).state())), spare: this.spare };
  }

  /**
   * Moves this stream to a {@link Rng.state} (in place: every holder of this `Rng` continues from
   * there — what a resumed training run does with the streams its modules draw from).
   */
  restore(state: RngState): void {
    this.prng = seedrandom('', { state: state.arc4 as seedrandom.State.Arc4 });
    this.spare = state.spare;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.prng.quick();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal (Box–Muller, the second value is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    this.shuffle(p);
    return p;
  }

  /** Shuffles `a` in place and returns it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A new independent stream derived from this one (for per-layer initialisers). */
  fork(): Rng {
    return new Rng(`${this.seed}/${Math.floor(this.prng() * 2 ** 32)}`);
  }
}

/**
 * Kaiming-uniform bound as PyTorch's default Conv/Linear initialisation uses it
 * (`a = sqrt(5)` gives bound = 1/sqrt(fanIn)); the bias uses the same bound.
 */
export function defaultInitBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
