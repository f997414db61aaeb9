/**
 * The one error type of `@skelflow/metrics`: bad input that would otherwise produce a
 * silently wrong number (a NaN score, mismatched lengths, a single class where a metric is
 * undefined, a malformed text row, ...).
 *
 * The message always names where the problem is, so a user can fix the input without a
 * debugger: `source` is a file name or an argument path (`scores`, `videos[2].tracks`),
 * `location` the place inside it (`line 7`, `index 3`, `row 2`), `reason` what is wrong.
 * The message is `"<source> <location>: <reason>"` (or `"<source>: <reason>"` without a
 * location), e.g. `tracks/01_0014.txt line 7: expected 6 comma-separated numbers, got 5`.
 *
 * References: where scikit-learn raises `ValueError` (length mismatch, NaN input, a single
 * class for ROC AUC) this library raises `MetricsInputError`; it also raises where the
 * RBDC/TBDC reference script returns NaN or crashes (see {@link rbdc}).
 *
 * @example
 * ```ts
 * import { rocAuc, MetricsInputError } from '`@skelflow/metrics`';
 * try {
 *   rocAuc([0, 1], [0.2, NaN]);
 * } catch (e) {
 *   if (e instanceof MetricsInputError) console.log(e.source, e.location, e.reason);
 *   // scores index 1 score is NaN
 * }
 * ```
 */
export class MetricsInputError extends Error {
  /** File name or argument path the bad value came from. */
  readonly source: string;
  /** Place inside `source` (`line 7`, `index 3`, `row 2`), or `undefined` when the whole input is at fault. */
  readonly location: string | undefined;
  /** What is wrong, without the source and location. */
  readonly reason: string;

  /**
   * @param source file name or argument path
   * @param location place inside the source, or `undefined`
   * @param reason what is wrong
   */
  constructor(source: string, location: string | undefined, reason: string) {
    super(location === undefined ? `${source}: ${reason}` : `${source} ${location}: ${reason}`);
    this.name = 'MetricsInputError';
    this.source = source;
    this.location = location;
    this.reason = reason;
    // Keeps `instanceof` working when the class is down-levelled or bundled twice.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
