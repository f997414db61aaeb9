/**
 * Base class of every error `@skelflow` throws on purpose. `source` names the file or argument the
 * problem came from and `location` the place inside it (a key path, row, person/frame), so a
 * command-line front end can print one line instead of a stack trace.
 *
 * @example
 * ```ts
 * try { loadCheckpointJson(text, 'ckpt.json'); }
 * catch (e) { if (e instanceof SkelflowError) console.error(e.message); }
 * ```
 */
export class SkelflowError extends Error {
  /** File or argument the problem came from. */
  readonly source: string | undefined;
  /** Place inside `source` (key path, row, byte, …). */
  readonly location: string | undefined;
  /** What is wrong, without `source` and `location` (the `message` is `"<source>: <location>: <reason>"`). */
  readonly reason: string;
  constructor(message: string, options: { source?: string; location?: string; cause?: unknown } = {}) {
    const where = [options.source, options.location].filter((s) => s !== undefined && s !== '').join(': ');
    super(where ? `${where}: ${message}` : message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.source = options.source;
    this.location = options.location;
    this.reason = message;
  }
}

/** Input the user gave (a file, an array, a flag) is malformed or inconsistent. */
export class InputError extends SkelflowError {}

/** Tensor shapes handed to a layer or bijector do not fit what it was built for. */
export class ShapeError extends SkelflowError {}

/** Weights or a checkpoint do not match the module they are loaded into. */
export class WeightsError extends SkelflowError {}

/** Throws a {@link ShapeError} unless `cond` holds; `what` names the caller for the message. */
export function assertShape(cond: boolean, what: string, message: string): asserts cond {
  if (!cond) throw new ShapeError(message, { source: what });
}

/** Where a training run stopped: the epoch and the batch inside it (both 0-based). */
export interface TrainingPoint {
  epoch: number;
  batch: number;
}

/**
 * Training diverged: a non-finite loss, parameter or buffer, or a loss far above its running level
 * (the rule is `@skelflow/core`'s `DivergenceGuard`). Nothing of the diverged state is kept.
 */
export class TrainingDivergedError extends SkelflowError {
  constructor(
    message: string,
    /** Where it was detected. */
    readonly at: TrainingPoint,
    options: { source?: string; location?: string } = {},
  ) {
    super(message, options);
  }
}

/** Training was asked to stop (SIGINT, SIGTERM) and stopped after a batch, its state checkpointed. */
export class TrainingInterruptedError extends SkelflowError {
  constructor(
    message: string,
    /** The position the checkpoint continues from. */
    readonly at: TrainingPoint,
    /** What asked to stop (e.g. `SIGINT`). */
    readonly by: string,
  ) {
    super(message);
  }
}
