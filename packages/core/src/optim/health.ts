import { TrainingDivergedError, type TrainingPoint } from '@skelflow/base';

/**
 * The divergence rule of every `@skelflow` trainer (documented in docs/cli.md, "Training that
 * survives"). A step is divergent when
 *
 * 1. its loss is not finite, or
 * 2. after the first step (the warm-up: one loss sets the level), its loss exceeds the running
 *    level by more than `factor` × max(1, |level|), the level being the median of the last
 *    `window` losses, or
 * 3. any parameter or buffer (BatchNorm running statistics included) is not finite or has a
 *    magnitude above `maxAbs` (counters, {@link COUNTER_BUFFER}, need only be finite).
 *
 * With the defaults (1000, 32, 1e6) STG-NF at lr 10 stops at its second step (loss ≈ 1e70 after
 * 8.6), while the loss spikes of healthy runs (≤ 100× the level in the first steps at lr 0.5) pass.
 */
export interface DivergenceRule {
  /** Allowed excess of a loss over its running level, in units of max(1, |level|). Default 1000. */
  factor: number;
  /** Losses the running median is taken over. Default 32. */
  window: number;
  /** Largest magnitude a parameter or buffer may take. Default 1e6. */
  maxAbs: number;
}

/** The default {@link DivergenceRule}. */
export const DIVERGENCE_RULE: Readonly<DivergenceRule> = { factor: 1000, window: 32, maxAbs: 1e6 };

/**
 * Applies {@link DivergenceRule} to a run's losses, step by step. `recent` is the window (saved in
 * checkpoints so a resumed run judges like an uninterrupted one).
 *
 * @example
 * ```ts
 * const guard = new DivergenceGuard();
 * guard.check(8.6, { epoch: 0, batch: 0 });   // warm-up
 * guard.check(9.9e70, { epoch: 0, batch: 1 }); // throws TrainingDivergedError
 * ```
 */
export class DivergenceGuard {
  readonly rule: DivergenceRule;
  readonly recent: number[];

  constructor(rule: Partial<DivergenceRule> = {}, recent: readonly number[] = []) {
    this.rule = { ...DIVERGENCE_RULE, ...rule };
    this.recent = recent.slice(-this.rule.window);
  }

  /** The running level: median of the recent losses (NaN before the first). */
  level(): number {
    if (this.recent.length === 0) return NaN;
    const s = [...this.recent].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }

  /** Throws {@link TrainingDivergedError} when `loss` is divergent; otherwise records it. */
  check(loss: number, at: TrainingPoint): void {
    if (!Number.isFinite(loss)) throw diverged(`loss is ${loss}`, at);
    const level = this.level();
    if (Number.isFinite(level) && loss - level > this.rule.factor * Math.max(1, Math.abs(level))) {
      throw diverged(`loss ${fmt(loss)} exploded (over ${this.rule.factor} × its running level ${fmt(level)})`, at);
    }
    this.recent.push(loss);
    if (this.recent.length > this.rule.window) this.recent.shift();
  }
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(3);
}

function diverged(what: string, at: TrainingPoint): TrainingDivergedError {
  return new TrainingDivergedError(`training diverged at epoch ${at.epoch + 1}, batch ${at.batch + 1}: ${what}`, at);
}

/**
 * The first tensor (by name) holding a non-finite value or one above `maxAbs`, as a short
 * description (`'flow.…runningVar[3] = Infinity'`), or null when all are sound.
 *
 * @example
 * ```ts
 * unsoundTensor([['w', new Float32Array([1, NaN])]]); // 'w[1] = NaN'
 * ```
 */
export function unsoundTensor(named: Iterable<readonly [string, ArrayLike<number>]>, maxAbs = Infinity): string | null {
  for (const [name, data] of named) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isFinite(v) || Math.abs(v) > maxAbs) return `${name}[${i}] = ${v}`;
    }
  }
  return null;
}

/** Buffers that count (BatchNorm's batches tracked): only their finiteness is checked, not their size. */
export const COUNTER_BUFFER = /(numBatchesTracked|num_batches_tracked)$/;

/**
 * Throws {@link TrainingDivergedError} naming the first unsound parameter or buffer (rule 3);
 * counters ({@link COUNTER_BUFFER}) are only required to be finite.
 */
export function checkSoundState(named: Iterable<readonly [string, ArrayLike<number>]>, at: TrainingPoint, maxAbs = DIVERGENCE_RULE.maxAbs): void {
  for (const entry of named) {
    const bad = unsoundTensor([entry], COUNTER_BUFFER.test(entry[0]) ? Infinity : maxAbs);
    if (bad) throw diverged(`${bad} (not finite or above ${maxAbs.toExponential(0)})`, at);
  }
}
